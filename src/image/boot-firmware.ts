import type { Host } from '../host/host.js';
import type { DiskFile } from './disk-file.js';
import type { DiskLayout } from './disk-layout.js';
import { EspFiles } from './esp-files.js';
import { fileSystemIn } from './file-systems.js';
import { firstEntries, isDirectory } from './guest-files.js';
import { SECTOR } from './mbr.js';
import { describePartition, isBiosBoot, isEfiSystem, type Partition } from './partition.js';
import type { RuleResult } from './rule.js';

/** The path a firmware with no boot entries (every new VM) loads from an EFI system partition. */
export const REMOVABLE_EFI_PATH = '/EFI/BOOT/BOOTX64.EFI';

export interface EfiSystemPartition {
  partition: Partition;
  files: EspFiles;
}

export interface BootFirmware {
  bios: boolean;
  uefi: boolean;
  rule: RuleResult;
  /** The first EFI system partition with a FAT file system, for the boot loader's configuration. */
  esp?: EfiSystemPartition;
}

const lower = (text: string) => text.toLowerCase();

/** EFI binaries in /EFI/<vendor>/ of a partition: "/EFI/debian/grubx64.efi", ... */
async function efiBinaries(files: EspFiles): Promise<string[]> {
  const found: string[] = [];
  for (const vendor of firstEntries(await files.list('/EFI'))) {
    if (!isDirectory(vendor)) continue;
    for (const entry of (await files.list(`/EFI/${vendor.name}`)) ?? []) {
      if (!isDirectory(entry) && lower(entry.name).endsWith('.efi')) found.push(`/EFI/${vendor.name}/${entry.name}`);
    }
  }
  return found;
}

async function biosPath(disk: DiskFile, layout: DiskLayout): Promise<{ ok: boolean; note: string }> {
  if (!layout.mbr?.hasBootCode) return { ok: false, note: 'BIOS: no boot code in the MBR' };
  if (layout.table === 'mbr') return { ok: true, note: 'BIOS: boot code in the MBR' };
  const biosBoot = layout.partitions.find(isBiosBoot);
  if (!biosBoot) return { ok: false, note: 'BIOS: boot code in the protective MBR, but no BIOS boot partition for the rest of the boot loader (GRUB\'s core.img)' };
  const start = await disk.readAt(biosBoot.startBytes, SECTOR);
  return start.some((byte) => byte !== 0)
    ? { ok: true, note: `BIOS: boot code in the MBR and ${describePartition(biosBoot)}` }
    : { ok: false, note: `BIOS: boot code in the MBR, but ${describePartition(biosBoot)} is empty` };
}

async function uefiPath(host: Host, disk: DiskFile, layout: DiskLayout): Promise<{ ok: boolean; note: string; esp?: EfiSystemPartition }> {
  const candidates = layout.partitions.filter(isEfiSystem);
  if (candidates.length === 0) return { ok: false, note: 'UEFI: no EFI system partition' };
  const notes: string[] = [];
  let firstEsp: EfiSystemPartition | undefined;
  for (const partition of candidates) {
    const name = describePartition(partition);
    if ((await fileSystemIn(disk, partition))?.type !== 'vfat') {
      notes.push(`${name} holds no FAT file system`);
      continue;
    }
    const esp = { partition, files: new EspFiles(host, disk.procPath, partition.startBytes) };
    firstEsp ??= esp;
    const binary = await esp.files.readText(REMOVABLE_EFI_PATH);
    if (binary?.startsWith('MZ')) return { ok: true, note: `UEFI: ${REMOVABLE_EFI_PATH} on ${name}`, esp };
    const others = await efiBinaries(esp.files);
    notes.push(
      binary !== undefined
        ? `${REMOVABLE_EFI_PATH} on ${name} is not an EFI executable (no MZ header)`
        : `${name} has no ${REMOVABLE_EFI_PATH}${others.length ? ` (only ${others.join(', ')}, which a new VM has no boot entry for: install GRUB with --removable or --force-extra-removable)` : ''}`,
    );
  }
  return { ok: false, note: `UEFI: ${notes.join('; ')}`, esp: firstEsp };
}

/** Which firmware can start the disk: BIOS (MBR boot code, and on GPT a BIOS boot partition), UEFI (an EFI binary at the removable path). */
export async function bootFirmware(host: Host, disk: DiskFile, layout: DiskLayout, label: string): Promise<BootFirmware> {
  const bios = await biosPath(disk, layout);
  const uefi = await uefiPath(host, disk, layout).catch((error: Error) => ({
    ok: false,
    note: `UEFI: the EFI system partition could not be read: ${error.message}${/^m(dir|type): not found/.test(error.message) ? ' (mdir and mtype come with mtools)' : ''}`,
    esp: undefined,
  }));
  const details = `${bios.note}; ${uefi.note}`;
  const which = bios.ok && uefi.ok ? 'BIOS and UEFI' : bios.ok ? 'BIOS only' : uefi.ok ? 'UEFI only' : undefined;
  const rule: RuleResult = which
    ? { id: 'firmware', status: 'pass', message: `boots with ${which} (${details})`, file: label }
    : { id: 'firmware', status: 'fail', message: `no boot loader found, neither firmware can start this disk (${details})`, file: label };
  return { bios: bios.ok, uefi: uefi.ok, rule, esp: uefi.esp };
}
