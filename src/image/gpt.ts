import { crc32 } from 'node:zlib';
import type { DiskFile } from './disk-file.js';
import { SECTOR } from './mbr.js';
import type { Partition } from './partition.js';

const SIGNATURE = 'EFI PART';
/** More entries than any tool writes (gdisk's maximum is 1024 by default) is not a real GPT. */
const MAX_ENTRIES = 4096;

export interface GptHeader {
  lba: number;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  arrayCrc: number;
}

export interface Gpt {
  primary: GptHeader;
  partitions: Partition[];
}

/** A GUID as text: the first three fields are stored little-endian. */
export function guidText(bytes: Buffer): string {
  const hex = (buffer: Buffer) => buffer.toString('hex');
  const reversed = (start: number, end: number) => hex(Buffer.from(bytes.subarray(start, end)).reverse());
  return `${reversed(0, 4)}-${reversed(4, 6)}-${reversed(6, 8)}-${hex(bytes.subarray(8, 10))}-${hex(bytes.subarray(10, 16))}`;
}

const lbaAt = (buffer: Buffer, offset: number) => Number(buffer.readBigUInt64LE(offset));

/** The header in sector `lba`: signature, size and CRC32 checked. Throws a one-line reason. */
export async function readGptHeader(disk: DiskFile, lba: number, which: string): Promise<GptHeader> {
  const sector = await disk.readAt(lba * SECTOR, SECTOR);
  if (sector.length < SECTOR || sector.subarray(0, 8).toString('latin1') !== SIGNATURE) throw new Error(`no ${which} GPT header ("EFI PART") at LBA ${lba}`);
  const size = sector.readUInt32LE(12);
  if (size < 92 || size > SECTOR) throw new Error(`the ${which} GPT header at LBA ${lba} declares a size of ${size} bytes`);
  const zeroed = Buffer.from(sector.subarray(0, size));
  zeroed.writeUInt32LE(0, 16);
  if (crc32(zeroed) !== sector.readUInt32LE(16)) throw new Error(`the ${which} GPT header's CRC32 at LBA ${lba} does not match its contents`);
  const header = {
    lba: lbaAt(sector, 24),
    alternateLba: lbaAt(sector, 32),
    firstUsableLba: lbaAt(sector, 40),
    lastUsableLba: lbaAt(sector, 48),
    entriesLba: lbaAt(sector, 72),
    entryCount: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    arrayCrc: sector.readUInt32LE(88),
  };
  if (header.lba !== lba) throw new Error(`the ${which} GPT header at LBA ${lba} says it is at LBA ${header.lba}`);
  if (header.entrySize < 128 || header.entrySize % 8 !== 0 || header.entrySize > 4096 || header.entryCount > MAX_ENTRIES) {
    throw new Error(`the ${which} GPT header declares ${header.entryCount} entries of ${header.entrySize} bytes`);
  }
  return header;
}

/** The partition entry array a header points at, its CRC32 checked. */
export async function readGptEntries(disk: DiskFile, header: GptHeader, which: string): Promise<Buffer> {
  const length = header.entryCount * header.entrySize;
  const array = await disk.readAt(header.entriesLba * SECTOR, length);
  if (array.length < length) throw new Error(`the ${which} GPT partition array at LBA ${header.entriesLba} runs past the end of the disk`);
  if (crc32(array) !== header.arrayCrc) throw new Error(`the ${which} GPT partition array's CRC32 does not match its header`);
  return array;
}

/** The used entries of a partition array, numbered from 1 as the kernel and sgdisk number them. */
export function gptPartitions(array: Buffer, header: GptHeader): Partition[] {
  const partitions: Partition[] = [];
  for (let index = 0; index < header.entryCount; index += 1) {
    const entry = array.subarray(index * header.entrySize, (index + 1) * header.entrySize);
    if (entry.subarray(0, 16).every((byte) => byte === 0)) continue;
    const first = lbaAt(entry, 32);
    const last = lbaAt(entry, 40);
    partitions.push({ number: index + 1, bootable: false, typeGuid: guidText(entry.subarray(0, 16)), startBytes: first * SECTOR, sizeBytes: (last - first + 1) * SECTOR });
  }
  return partitions;
}
