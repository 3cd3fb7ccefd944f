import type { FileHandle } from 'node:fs/promises';
import type { ByteStream } from './byte-stream.js';
import type { SparseRun, TarMember } from './tar-members.js';
import { TarError } from './tar-members.js';

/** Zero blocks of this size are left as holes instead of being written. */
const HOLE_BLOCK = 4096;
const ZEROS = Buffer.alloc(HOLE_BLOCK);

/**
 * Writes a regular or GNU sparse member's data into `output`, never past the member's declared
 * size and never a block of zeros (those stay holes, so a disk of zeros costs no space).
 * Returns the bytes actually written.
 */
export async function writeMemberSparse(member: TarMember, data: ByteStream, output: FileHandle): Promise<number> {
  const runs: SparseRun[] = member.sparse ? member.runs : [{ offset: 0, length: member.stored }];
  let written = 0;
  for (const run of runs) {
    let position = run.offset;
    const end = run.offset + run.length;
    while (position < end) {
      const chunk = await data.readSome(end - position);
      if (!chunk) throw new TarError(`the archive ends inside ${member.name}`);
      for (let at = 0; at < chunk.length; at += HOLE_BLOCK) {
        const block = chunk.subarray(at, at + HOLE_BLOCK);
        if (block.equals(ZEROS.subarray(0, block.length))) continue;
        await output.write(block, 0, block.length, position + at);
        written += block.length;
      }
      position += chunk.length;
    }
  }
  await output.truncate(member.size);
  return written;
}
