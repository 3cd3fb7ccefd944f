import type { DiskFile } from './disk-file.js';
import { FILE_SYSTEM_NAMES, fileSystemIn, isLinuxRootType, type FileSystem } from './file-systems.js';
import { gptPartitions, readGptEntries, readGptHeader, type GptHeader } from './gpt.js';
import { parseMbr, SECTOR, type Mbr } from './mbr.js';
import { describePartition, GPT_TYPE, isBiosBoot, isEfiSystem, MBR_EXTENDED_TYPES, MBR_TYPE, type Partition } from './partition.js';
import { formatBytes, type RuleResult } from './rule.js';

export interface RootFileSystem extends FileSystem {
  partition: Partition;
}

export interface DiskLayout {
  rules: RuleResult[];
  table?: 'mbr' | 'gpt';
  mbr?: Mbr;
  partitions: Partition[];
  /** The Linux root file system the content rules read, when one was found. */
  root?: RootFileSystem;
}

interface GptRead {
  rules: RuleResult[];
  partitions?: Partition[];
  header?: GptHeader;
}

/** Primary header, partition array, and the backup pair at the disk's last LBA. */
async function readGpt(disk: DiskFile, label: string): Promise<GptRead> {
  const rules: RuleResult[] = [];
  let primary: GptHeader;
  let array: Buffer;
  try {
    primary = await readGptHeader(disk, 1, 'primary');
    array = await readGptEntries(disk, primary, 'primary');
  } catch (error) {
    return { rules: [{ id: 'partition-table', status: 'fail', message: `GPT (protective MBR), but ${(error as Error).message}`, file: label }] };
  }
  const partitions = gptPartitions(array, primary);
  rules.push({ id: 'partition-table', status: 'pass', message: `GPT, ${partitions.length} partition(s); primary header and partition array CRC32s match`, file: label });
  const lastLba = Math.floor(disk.size / SECTOR) - 1;
  const fix = `run \`sgdisk -e ${label.split(':').pop()}\` after growing the disk (it moves the backup header to the end)`;
  if (primary.alternateLba !== lastLba) {
    rules.push({ id: 'gpt-backup', status: 'fail', message: `the backup GPT header is at LBA ${primary.alternateLba}, not at the disk's last LBA ${lastLba}: ${fix}`, file: label });
    return { rules, partitions, header: primary };
  }
  try {
    const backup = await readGptHeader(disk, lastLba, 'backup');
    await readGptEntries(disk, backup, 'backup');
    if (backup.alternateLba !== 1) throw new Error(`the backup GPT header points at LBA ${backup.alternateLba} for the primary, not 1`);
    if (backup.arrayCrc !== primary.arrayCrc) throw new Error('the backup partition array differs from the primary one');
    rules.push({ id: 'gpt-backup', status: 'pass', message: `backup header at the last LBA (${lastLba}), its partition array matching the primary`, file: label });
  } catch (error) {
    rules.push({ id: 'gpt-backup', status: 'fail', message: `${(error as Error).message}: ${fix}`, file: label });
  }
  return { rules, partitions, header: primary };
}

/** Every partition must end inside the disk (and, on GPT, inside the usable LBAs). */
function boundsRule(disk: DiskFile, partitions: Partition[], header: GptHeader | undefined, label: string): RuleResult {
  const problems: string[] = [];
  for (const partition of partitions) {
    const end = partition.startBytes + partition.sizeBytes;
    if (partition.sizeBytes <= 0) problems.push(`${describePartition(partition)} is empty or ends before it starts`);
    else if (end > disk.size) problems.push(`${describePartition(partition)} ends at byte ${end}, past the end of the disk (${disk.size} bytes)`);
    else if (header && (partition.startBytes < header.firstUsableLba * SECTOR || end > (header.lastUsableLba + 1) * SECTOR)) {
      problems.push(`${describePartition(partition)} lies outside the GPT's usable LBAs ${header.firstUsableLba}-${header.lastUsableLba}`);
    }
  }
  return problems.length
    ? { id: 'partition-bounds', status: 'fail', message: problems.join('; '), file: label }
    : { id: 'partition-bounds', status: 'pass', message: 'every partition lies inside the disk', file: label };
}

/** Linux root candidates, most likely first: the root type GUID, Linux data types, the active one, the rest. */
function rootCandidates(partitions: Partition[]): Partition[] {
  const rank = (partition: Partition) =>
    partition.typeGuid === GPT_TYPE.linuxRootX86_64 ? 0 : partition.typeGuid === GPT_TYPE.linuxFilesystem || partition.mbrType === MBR_TYPE.linux ? 1 : partition.bootable ? 2 : 3;
  return partitions
    .filter((partition) => !isEfiSystem(partition) && !isBiosBoot(partition) && !MBR_EXTENDED_TYPES.has(partition.mbrType ?? 0))
    .sort((a, b) => rank(a) - rank(b) || a.number - b.number);
}

async function findRoot(disk: DiskFile, partitions: Partition[], label: string): Promise<{ rule: RuleResult; root?: RootFileSystem }> {
  const notes: string[] = [];
  for (const partition of rootCandidates(partitions)) {
    const found = await fileSystemIn(disk, partition);
    const name = describePartition(partition);
    if (!found || !isLinuxRootType(found.type)) {
      notes.push(`${name}: ${found ? FILE_SYSTEM_NAMES[found.type] : 'no file system recognised'}`);
      continue;
    }
    const root = { ...found, partition };
    const what = `${name}: ${FILE_SYSTEM_NAMES[found.type]}, UUID ${found.uuid}${found.label ? `, label ${found.label}` : ''}`;
    if (found.type === 'ext2' || found.type === 'ext3') {
      return { root, rule: { id: 'root-fs', status: 'warn', message: `${what} (the older guide, seed 004, asks for ext4: none of its extents, 64bit, flex_bg)`, file: label } };
    }
    return { root, rule: { id: 'root-fs', status: 'pass', message: what, file: label } };
  }
  return { rule: { id: 'root-fs', status: 'fail', message: `no Linux root file system (ext4, XFS, btrfs) found${notes.length ? `: ${notes.join('; ')}` : ''}`, file: label } };
}

/** BIOS-boot and EFI system partitions, as information. */
function bootPartitionsRule(partitions: Partition[], label: string): RuleResult {
  const seen = partitions.filter((partition) => isBiosBoot(partition) || isEfiSystem(partition)).map((partition) => `${describePartition(partition)}, ${formatBytes(partition.sizeBytes)}`);
  return { id: 'boot-partitions', status: 'info', message: seen.length ? seen.join('; ') : 'no BIOS boot or EFI system partition', file: label };
}

/** The partition table (MBR or GPT) and the root file system of a raw disk, read from its bytes. */
export async function readDiskLayout(disk: DiskFile, label: string): Promise<DiskLayout> {
  const mbr = parseMbr(await disk.readAt(0, SECTOR));
  if (!mbr) return { partitions: [], rules: [{ id: 'partition-table', status: 'fail', message: 'no partition table: no 55 AA signature at byte 510 (neither MBR nor a GPT\'s protective MBR)', file: label }] };
  const rules: RuleResult[] = [];
  let partitions: Partition[];
  let header: GptHeader | undefined;
  let table: DiskLayout['table'];
  if (mbr.protective) {
    const gpt = await readGpt(disk, label);
    rules.push(...gpt.rules);
    if (!gpt.partitions) return { rules, partitions: [], mbr };
    rules.splice(1, 0, {
      id: 'mbr',
      status: 'info',
      message: `GPT${mbr.partitions.length > 1 ? ' with a hybrid MBR' : ''}, not the MS-DOS (MBR) table the older guide (seed 004) asked for; Compute Engine's image guide takes either`,
      file: label,
    });
    partitions = gpt.partitions;
    header = gpt.header;
    table = 'gpt';
  } else {
    partitions = mbr.partitions;
    table = 'mbr';
    rules.push({ id: 'partition-table', status: 'pass', message: `MS-DOS (MBR), ${partitions.length} primary partition(s)`, file: label });
  }
  rules.push(boundsRule(disk, partitions, header, label));
  if (table === 'mbr') {
    const bootable = partitions.find((partition) => partition.bootable && !MBR_EXTENDED_TYPES.has(partition.mbrType!));
    rules.push(
      bootable
        ? { id: 'bootable-partition', status: 'pass', message: `${describePartition(bootable)} is marked bootable`, file: label }
        : { id: 'bootable-partition', status: 'fail', message: 'no primary partition is marked bootable', file: label },
    );
  }
  rules.push(bootPartitionsRule(partitions, label));
  const { rule, root } = await findRoot(disk, partitions, label);
  rules.push(rule);
  return { rules, table, mbr, partitions, root };
}
