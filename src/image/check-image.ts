import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Host } from '../host/host.js';
import { bootFirmware } from './boot-firmware.js';
import { checkContainer, DISK_MEMBER } from './container-rules.js';
import { contentRules, unreadRootRules } from './content-rules.js';
import { DiskFile } from './disk-file.js';
import { readDiskLayout } from './disk-layout.js';
import { Ext4Files } from './ext4-files.js';
import { FILE_SYSTEM_NAMES, isReadable } from './file-systems.js';
import { featuresRule, guestOsFeatures, type GuestOsFeature } from './guest-os-features.js';
import { readKernels, type Kernel } from './kernels.js';
import { formatBytes, sizeRules, type RuleResult } from './rule.js';
import { writeMemberSparse } from './sparse-writer.js';
import { isRegularMember, walkTarGz, type TarMember } from './tar-members.js';
import { withTempDir } from './temp-dir.js';

export interface ImageCheck {
  path: string;
  kind: 'tarball' | 'disk';
  rules: RuleResult[];
  /** The firmware that can start the disk, when its partition table was read. */
  firmware?: ('BIOS' | 'UEFI')[];
  /** The import's --guest-os-features, judged from the disk. */
  guestOsFeatures?: GuestOsFeature[];
  summary: { pass: number; fail: number; warn: number; info: number };
}

interface DiskFindings {
  rules: RuleResult[];
  firmware?: ImageCheck['firmware'];
  guestOsFeatures?: GuestOsFeature[];
}

/** Partition table, boot loader, root file system and the files inside it. */
async function diskRules(host: Host, disk: DiskFile, label: string, scratch: string): Promise<DiskFindings> {
  const layout = await readDiskLayout(disk, label);
  if (!layout.table) return { rules: layout.rules };
  const boot = await bootFirmware(host, disk, layout, label);
  const rules = [...layout.rules, boot.rule];
  const firmware: ImageCheck['firmware'] = [...(boot.bios ? ['BIOS' as const] : []), ...(boot.uefi ? ['UEFI' as const] : [])];
  const at = (guestPath: string) => `${label}:${guestPath}`;
  const esp = boot.esp && { files: boot.esp.files, at: (guestPath: string) => `${label}:ESP:${guestPath}` };
  let kernels: Kernel[] | undefined;
  let unreadable = 'no Linux root file system was found';
  const root = layout.root;
  if (root && !isReadable(root.type)) {
    rules.push(...unreadRootRules(root, at('/')));
    unreadable = `the ${FILE_SYSTEM_NAMES[root.type]} root's files were not read`;
  } else if (root) {
    const files = new Ext4Files(host, disk.procPath, root.partition.startBytes);
    try {
      kernels = await readKernels(files);
      rules.push(...(await contentRules({ host, files, at, root, esp, kernels, scratch })));
    } catch (error) {
      const hint = (error as Error).message.includes('not found') ? ' (debugfs comes with e2fsprogs, mtype with mtools)' : '';
      rules.push({ id: 'root-files', status: 'fail', message: `cannot read files in the disk: ${(error as Error).message}${hint}`, file: label });
      kernels = undefined;
      unreadable = 'the root file system could not be read';
    }
  }
  const features = guestOsFeatures({ uefi: boot.uefi, kernels, unreadable });
  rules.push(featuresRule(features, label));
  return { rules, firmware, guestOsFeatures: features };
}

async function rawDiskFindings(host: Host, disk: DiskFile, label: string, scratch: string): Promise<DiskFindings> {
  const allocated = disk.stats.blocks * 512;
  const sparse: RuleResult =
    allocated < disk.size
      ? { id: 'sparse', status: 'pass', message: `${formatBytes(allocated)} allocated of ${formatBytes(disk.size)} apparent`, file: label }
      : { id: 'sparse', status: 'warn', message: `not sparse: ${formatBytes(allocated)} allocated of ${formatBytes(disk.size)} apparent`, file: label };
  const findings = await diskRules(host, disk, label, scratch);
  return { ...findings, rules: [...sizeRules(disk.size, label), sparse, ...findings.rules] };
}

/** Writes the regular disk.raw member into `target`, holes for zeros, never past its declared size. */
async function extractDisk(input: DiskFile, target: string): Promise<number> {
  const output = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  let written = 0;
  try {
    await walkTarGz(input.stream(), async (member: TarMember, data) => {
      if (member.name !== DISK_MEMBER || !isRegularMember(member)) return true;
      written = await writeMemberSparse(member, data, output);
      return false;
    });
  } finally {
    await output.close();
  }
  return written;
}

/** Extracts disk.raw (sparse) into the scratch directory and checks it there. */
async function tarballFindings(host: Host, input: DiskFile, label: string, scratch: string): Promise<DiskFindings> {
  const container = await checkContainer(input, label);
  if (!container.disk) return { rules: container.rules };
  const memberLabel = `${label}:${DISK_MEMBER}`;
  const target = path.join(scratch, DISK_MEMBER);
  let written: number;
  try {
    written = await extractDisk(input, target);
  } catch (error) {
    return { rules: [...container.rules, { id: 'extract', status: 'fail', message: `${DISK_MEMBER} could not be extracted: ${(error as Error).message}`, file: memberLabel }] };
  }
  const extract: RuleResult = { id: 'extract', status: 'info', message: `extracted sparse: ${formatBytes(written)} of data written for ${formatBytes(container.disk.size)} apparent`, file: memberLabel };
  const disk = await DiskFile.open(target, constants.O_NOFOLLOW);
  if (!disk) throw new Error(`${target}: not a regular file after extraction`);
  try {
    const findings = await diskRules(host, disk, memberLabel, scratch);
    return { ...findings, rules: [...container.rules, extract, ...findings.rules] };
  } finally {
    await disk.close();
  }
}

/** Every rule for disk.raw or image.tar.gz, in the order the import meets them. */
export async function checkImage(host: Host, file: string): Promise<ImageCheck> {
  const label = path.basename(file);
  const input = await DiskFile.open(file);
  let kind: ImageCheck['kind'] = /\.(tar\.gz|tgz)$/.test(file) ? 'tarball' : 'disk';
  let findings: DiskFindings;
  if (!input) {
    findings = { rules: [{ id: 'input', status: 'fail', message: 'not a regular file (a FIFO, device or directory): nothing was read', file: label }] };
  } else {
    try {
      const head = await input.readAt(0, 2);
      const gzip = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
      if (gzip) kind = 'tarball';
      findings = await withTempDir('gce-firstboot-image-', async (scratch) => {
        if (gzip) return tarballFindings(host, input, label, scratch);
        if (kind === 'tarball') return { rules: [{ id: 'gzip', status: 'fail', message: 'not gzip-compressed (no 1f 8b magic); the import needs a .tar.gz', file: label }] };
        return rawDiskFindings(host, input, label, scratch);
      });
    } finally {
      await input.close();
    }
  }
  const { rules } = findings;
  const count = (status: RuleResult['status']) => rules.filter((rule) => rule.status === status).length;
  return {
    path: file,
    kind,
    rules,
    ...(findings.firmware && { firmware: findings.firmware }),
    ...(findings.guestOsFeatures && { guestOsFeatures: findings.guestOsFeatures }),
    summary: { pass: count('pass'), fail: count('fail'), warn: count('warn'), info: count('info') },
  };
}
