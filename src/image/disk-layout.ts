import { promises as fs } from 'node:fs';
import type { RuleResult } from './rule.js';

const SECTOR = 512;
const GPT_PROTECTIVE = 0xee;
const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
const EXT_MAGIC = 0xef53;
/** ext4's incompatible features that ext2/ext3 lack: extents, 64bit, flex_bg. */
const EXT4_INCOMPAT = 0x40 | 0x80 | 0x200;

export interface Partition {
  number: number;
  bootable: boolean;
  type: number;
  startBytes: number;
  sizeBytes: number;
}

export interface RootFileSystem {
  partition: Partition;
  uuid: string;
  label: string;
}

export interface DiskLayout {
  rules: RuleResult[];
  /** The ext4 partition the content rules read, when one was found. */
  root?: RootFileSystem;
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function primaryPartitions(mbr: Buffer): Partition[] {
  const partitions: Partition[] = [];
  for (let index = 0; index < 4; index += 1) {
    const entry = mbr.subarray(446 + index * 16, 462 + index * 16);
    const type = entry[4]!;
    if (type === 0) continue;
    partitions.push({
      number: index + 1,
      bootable: entry[0] === 0x80,
      type,
      startBytes: entry.readUInt32LE(8) * SECTOR,
      sizeBytes: entry.readUInt32LE(12) * SECTOR,
    });
  }
  return partitions;
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function ext4In(file: string, partition: Partition): Promise<{ root?: RootFileSystem; ext4: boolean; note: string }> {
  const superblock = await readAt(file, partition.startBytes + 1024, 1024);
  if (superblock.length < 1024 || superblock.readUInt16LE(56) !== EXT_MAGIC) return { ext4: false, note: `partition ${partition.number}: no ext2/3/4 superblock` };
  const incompat = superblock.readUInt32LE(0x60);
  const root = { partition, uuid: uuidText(superblock.subarray(0x68, 0x78)), label: superblock.subarray(0x78, 0x88).toString('latin1').replace(/\0+$/, '') };
  if ((incompat & EXT4_INCOMPAT) === 0) return { ext4: false, note: `partition ${partition.number}: ext2/ext3 (none of ext4's extents, 64bit, flex_bg)` };
  return { root, ext4: true, note: `partition ${partition.number}: ext4, UUID ${root.uuid}${root.label ? `, label ${root.label}` : ''}` };
}

/** The partition table and root file system of a raw disk, read from the file's bytes. */
export async function readDiskLayout(file: string, label: string): Promise<DiskLayout> {
  const mbr = await readAt(file, 0, SECTOR);
  const rules: RuleResult[] = [];
  if (mbr.length < SECTOR || mbr[510] !== 0x55 || mbr[511] !== 0xaa) {
    rules.push({ id: 'mbr', status: 'fail', message: 'no MS-DOS (MBR) partition table: no 0x55AA signature at byte 510', file: label });
    return { rules };
  }
  const partitions = primaryPartitions(mbr);
  if (partitions.some((partition) => partition.type === GPT_PROTECTIVE)) {
    rules.push({ id: 'mbr', status: 'fail', message: 'GPT partition table (protective MBR, type 0xEE); the import needs an MS-DOS (MBR) table', file: label });
    return { rules };
  }
  rules.push({ id: 'mbr', status: 'pass', message: `MS-DOS (MBR) table, ${partitions.length} primary partition(s)`, file: label });
  const bootable = partitions.find((partition) => partition.bootable && !EXTENDED_TYPES.has(partition.type));
  rules.push(
    bootable
      ? { id: 'bootable-partition', status: 'pass', message: `partition ${bootable.number} (type 0x${bootable.type.toString(16)}) is marked bootable`, file: label }
      : { id: 'bootable-partition', status: 'fail', message: 'no primary partition is marked bootable', file: label },
  );
  const candidates = [...(bootable ? [bootable] : []), ...partitions.filter((partition) => partition !== bootable && !EXTENDED_TYPES.has(partition.type))];
  const notes: string[] = [];
  for (const partition of candidates) {
    const { root, ext4, note } = await ext4In(file, partition);
    notes.push(note);
    if (root && ext4) {
      rules.push({ id: 'ext4-root', status: 'pass', message: note, file: label });
      return { rules, root };
    }
  }
  rules.push({ id: 'ext4-root', status: 'fail', message: `no ext4 file system found${notes.length ? `: ${notes.join('; ')}` : ''}`, file: label });
  return { rules };
}
