import type { DiskFile } from './disk-file.js';
import type { Partition } from './partition.js';

export type FileSystemType = 'ext4' | 'ext3' | 'ext2' | 'xfs' | 'btrfs' | 'vfat';

export interface FileSystem {
  type: FileSystemType;
  uuid: string;
  label: string;
}

const EXT_MAGIC = 0xef53;
/** ext4's incompatible features that ext2/ext3 lack: extents, 64bit, flex_bg. */
const EXT4_INCOMPAT = 0x40 | 0x80 | 0x200;
const EXT3_HAS_JOURNAL = 0x4;
const BTRFS_SUPERBLOCK = 0x10000;

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const cString = (bytes: Buffer) => {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
};

async function ext(disk: DiskFile, start: number): Promise<FileSystem | undefined> {
  const block = await disk.readAt(start + 1024, 1024);
  if (block.length < 1024 || block.readUInt16LE(56) !== EXT_MAGIC) return undefined;
  const type = block.readUInt32LE(0x60) & EXT4_INCOMPAT ? 'ext4' : block.readUInt32LE(0x5c) & EXT3_HAS_JOURNAL ? 'ext3' : 'ext2';
  return { type, uuid: uuidText(block.subarray(0x68, 0x78)), label: cString(block.subarray(0x78, 0x88)) };
}

async function xfs(disk: DiskFile, start: number): Promise<FileSystem | undefined> {
  const block = await disk.readAt(start, 512);
  if (block.length < 512 || block.subarray(0, 4).toString('latin1') !== 'XFSB') return undefined;
  return { type: 'xfs', uuid: uuidText(block.subarray(32, 48)), label: cString(block.subarray(108, 120)) };
}

async function btrfs(disk: DiskFile, start: number): Promise<FileSystem | undefined> {
  const block = await disk.readAt(start + BTRFS_SUPERBLOCK, 4096);
  if (block.length < 4096 || block.subarray(0x40, 0x48).toString('latin1') !== '_BHRfS_M') return undefined;
  return { type: 'btrfs', uuid: uuidText(block.subarray(0x20, 0x30)), label: cString(block.subarray(0x12b, 0x12b + 256)) };
}

async function vfat(disk: DiskFile, start: number): Promise<FileSystem | undefined> {
  const block = await disk.readAt(start, 512);
  if (block.length < 512 || block[510] !== 0x55 || block[511] !== 0xaa) return undefined;
  const fat32 = block.subarray(82, 87).toString('latin1') === 'FAT32';
  if (!fat32 && block.subarray(54, 57).toString('latin1') !== 'FAT') return undefined;
  const id = block.readUInt32LE(fat32 ? 67 : 39).toString(16).padStart(8, '0').toUpperCase();
  const label = block.subarray(fat32 ? 71 : 43, fat32 ? 82 : 54).toString('latin1').trim();
  return { type: 'vfat', uuid: `${id.slice(0, 4)}-${id.slice(4)}`, label: label === 'NO NAME' ? '' : label };
}

/** The file system in a partition, told by its superblock magic; undefined when none is known. */
export async function fileSystemIn(disk: DiskFile, partition: Partition): Promise<FileSystem | undefined> {
  if (partition.startBytes >= disk.size) return undefined;
  for (const probe of [ext, xfs, btrfs, vfat]) {
    const found = await probe(disk, partition.startBytes);
    if (found) return found;
  }
  return undefined;
}

export const isLinuxRootType = (type: FileSystemType) => type !== 'vfat';

/** Whether image check can list and read files in it without mounting (debugfs reads ext2/3/4). */
export const isReadable = (type: FileSystemType) => type.startsWith('ext');

export const FILE_SYSTEM_NAMES: Record<FileSystemType, string> = { ext4: 'ext4', ext3: 'ext3', ext2: 'ext2', xfs: 'XFS', btrfs: 'btrfs', vfat: 'FAT (vfat)' };
