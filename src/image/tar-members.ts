import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { ByteStream } from './byte-stream.js';

const BLOCK = 512;
const OLD_GNU_MAGIC = 'ustar  \0';
const POSIX_MAGIC = 'ustar\u000000';

/** The header formats tar can write, told apart by the magic at offset 257. */
export type TarFormat = 'gnu' | 'posix' | 'v7';

export interface TarMember {
  name: string;
  /** Header type flag: '0' file, 'S' GNU sparse file, '5' directory, ... */
  type: string;
  /** The file's real (apparent) size; for a sparse member, not the bytes stored. */
  size: number;
  sparse: boolean;
}

export interface TarListing {
  /** Every header format seen; pax extended headers count as posix. */
  formats: Set<TarFormat>;
  members: TarMember[];
}

export class TarError extends Error {
  override readonly name = 'TarError';
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

const paddedSize = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/**
 * Lists the members of a gzip-compressed tarball by reading its headers while decompressing,
 * without writing anything. Throws TarError (not a tar) or a zlib error (not valid gzip).
 */
export async function listTarGz(file: string): Promise<TarListing> {
  const stream = new ByteStream(createReadStream(file).pipe(createGunzip()));
  const listing: TarListing = { formats: new Set(), members: [] };
  let longName: string | undefined;
  for (;;) {
    const header = await stream.read(BLOCK);
    if (!header) throw new TarError('the archive ends without its end-of-archive blocks');
    if (header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header)) throw new TarError('a header checksum does not match: not a tar archive, or a damaged one');
    const format = formatOf(header);
    const type = String.fromCharCode(header[156] || 0x30);
    const stored = number(header, 124, 12);
    if (type === 'L') {
      longName = (await stream.read(paddedSize(stored)))?.subarray(0, stored).toString('utf8').replace(/\0+$/, '');
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
    longName = undefined;
    const sparse = type === 'S';
    if (sparse) {
      // Old-GNU sparse: more sparse-map blocks follow while the "isextended" byte is set.
      let extended = header[482] !== 0;
      while (extended) {
        const block = await stream.read(BLOCK);
        if (!block) throw new TarError('the archive ends inside a sparse map');
        extended = block[504] !== 0;
      }
    }
    listing.members.push({ name, type, size: sparse ? number(header, 483, 12) : stored, sparse });
    if (!(await stream.skip(paddedSize(stored)))) throw new TarError(`the archive ends inside ${name}`);
  }
  await stream.drain();
  return listing;
}
