import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ByteStream } from './byte-stream.js';

export const BLOCK = 512;
const OLD_GNU_MAGIC = 'ustar  \0';
const POSIX_MAGIC = 'ustar\u000000';

/** The header formats tar can write, told apart by the magic at offset 257. */
export type TarFormat = 'gnu' | 'posix' | 'v7';

/** One data run of a GNU sparse member: `length` stored bytes that belong at `offset`. */
export interface SparseRun {
  offset: number;
  length: number;
}

export interface TarMember {
  name: string;
  /** Header type flag: '0' file, 'S' GNU sparse file, '5' directory, '2' symlink, ... */
  type: string;
  /** The file's real (apparent) size; for a sparse member, not the bytes stored. */
  size: number;
  /** Bytes of data that follow the header in the archive. */
  stored: number;
  sparse: boolean;
  /** Target of a symbolic or hard link member. */
  linkName: string;
  /** Where the stored bytes of a sparse member go, in order. */
  runs: SparseRun[];
}

export interface TarListing {
  /** Every header format seen; pax extended headers count as posix. */
  formats: Set<TarFormat>;
  members: TarMember[];
}

export class TarError extends Error {
  override readonly name = 'TarError';
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a directory',
  '6': 'a FIFO',
};

/** A regular file's data is all that image check ever reads from an archive. */
export const isRegularMember = (member: TarMember) => member.type === '0' || member.type === '7' || member.type === 'S';

/** "a symbolic link to /x", "a FIFO", ... for a member that is not a regular file. */
export function describeMemberType(member: TarMember): string {
  const kind = TYPE_NAMES[member.type] ?? `of tar type '${member.type}'`;
  return member.linkName ? `${kind} to ${member.linkName}` : kind;
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** A numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
function number(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const digits = field.toString('latin1').replace(/[\0 ]+$/g, '').trim();
  if (!/^[0-7]*$/.test(digits)) throw new TarError(`bad number field "${digits}" in a tar header`);
  return digits ? parseInt(digits, 8) : 0;
}

function formatOf(block: Buffer): TarFormat {
  const magic = block.subarray(257, 265).toString('latin1');
  if (magic === OLD_GNU_MAGIC) return 'gnu';
  if (magic === POSIX_MAGIC) return 'posix';
  return 'v7';
}

function checksumMatches(block: Buffer): boolean {
  let sum = 0;
  for (let index = 0; index < BLOCK; index += 1) sum += index >= 148 && index < 156 ? 0x20 : block[index]!;
  return number(block, 148, 8) === sum;
}

export const paddedSize = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/** Sparse runs stored in a block from `start`, `count` entries of 24 bytes; an empty entry ends them. */
function sparseRuns(block: Buffer, start: number, count: number): SparseRun[] {
  const runs: SparseRun[] = [];
  for (let index = 0; index < count; index += 1) {
    const at = start + index * 24;
    if (block[at] === 0) break;
    runs.push({ offset: number(block, at, 12), length: number(block, at + 12, 12) });
  }
  return runs;
}

/** The runs must lie inside the apparent size, in order, and add up to the stored bytes. */
function checkRuns(name: string, runs: SparseRun[], size: number, stored: number): void {
  let end = 0;
  let total = 0;
  for (const run of runs) {
    if (run.offset < end || run.offset + run.length > size) throw new TarError(`the sparse map of ${name} points outside its ${size} bytes`);
    end = run.offset + run.length;
    total += run.length;
  }
  if (total !== stored) throw new TarError(`the sparse map of ${name} covers ${total} bytes, but ${stored} are stored`);
}

/**
 * Walks a gzip-compressed tarball's headers while decompressing. `visit` may read up to
 * `member.stored` bytes of a member's data from the stream (the rest is skipped) and returns
 * false to stop the walk. Throws TarError (not a tar) or a zlib error (not valid gzip).
 */
export async function walkTarGz(source: Readable, visit?: (member: TarMember, data: ByteStream) => Promise<boolean>): Promise<TarListing> {
  const gunzip = createGunzip({ chunkSize: 1024 * 1024 });
  // pipe() does not pass a read error on: the walk would wait forever for data that never comes.
  source.on('error', (error) => gunzip.destroy(error));
  const stream = new ByteStream(source.pipe(gunzip));
  const listing: TarListing = { formats: new Set(), members: [] };
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const header = await stream.read(BLOCK);
      if (!header) throw new TarError('the archive ends without its end-of-archive blocks');
      if (header.every((byte) => byte === 0)) break;
      if (!checksumMatches(header)) throw new TarError('a header checksum does not match: not a tar archive, or a damaged one');
      const format = formatOf(header);
      const type = header[156] ? String.fromCharCode(header[156]) : '0';
      const stored = number(header, 124, 12);
      if (type === 'L' || type === 'K') {
        const value = (await stream.read(paddedSize(stored)))?.subarray(0, stored).toString('utf8').replace(/\0+$/, '');
        if (type === 'L') longName = value;
        else longLink = value;
        continue;
      }
      if (type === 'x' || type === 'g') {
        listing.formats.add('posix');
        await stream.skip(paddedSize(stored));
        continue;
      }
      listing.formats.add(format);
      const prefix = format === 'posix' ? text(header, 345, 155) : '';
      const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
      const linkName = longLink ?? text(header, 157, 100);
      longName = longLink = undefined;
      const sparse = type === 'S';
      const runs = sparse ? sparseRuns(header, 386, 4) : [];
      if (sparse) {
        // Old-GNU sparse: more sparse-map blocks follow while the "isextended" byte is set.
        let extended = header[482] !== 0;
        while (extended) {
          const block = await stream.read(BLOCK);
          if (!block) throw new TarError('the archive ends inside a sparse map');
          runs.push(...sparseRuns(block, 0, 21));
          extended = block[504] !== 0;
        }
      }
      const member: TarMember = { name, type, size: sparse ? number(header, 483, 12) : stored, stored, sparse, linkName, runs };
      if (sparse) checkRuns(name, runs, member.size, stored);
      listing.members.push(member);
      const dataStart = stream.position;
      if (visit && !(await visit(member, stream))) return listing;
      if (!(await stream.skip(dataStart + paddedSize(stored) - stream.position))) throw new TarError(`the archive ends inside ${name}`);
    }
    await stream.drain();
    return listing;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}
