import { closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, renameSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { REPO, sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { GIB } from '../../src/image/rule.js';

export const ROOT_UUID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

export function put(root: string, guestPath: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, guestPath)), { recursive: true });
  writeFileSync(path.join(root, guestPath), content);
}

const KERNEL_CONFIG = ['CONFIG_KVM_GUEST=y', 'CONFIG_VIRTIO_PCI=y', 'CONFIG_SCSI_VIRTIO=y', 'CONFIG_VIRTIO_NET=y', 'CONFIG_PCI_MSI=y', '# CONFIG_DEVKMEM is not set', ''].join('\n');

/**
 * A Debian 12 root as an image builder has it before sealing: our package and its enabled units,
 * root by UUID, grub with the serial console, a kernel config, and what a build leaves behind
 * (host keys, an id in /etc/machine-id, the persistent-net rule).
 */
export async function builtRoot(): Promise<string> {
  const root = sandboxRoot('debian-12');
  // This image's kernel is the one below: the fixture's own kernel config would be a second one.
  for (const name of readdirSync(path.join(root, 'boot'))) rmSync(path.join(root, 'boot', name), { recursive: true });
  put(root, '/usr/bin/gce-firstboot', '#!/usr/bin/node\n');
  put(root, '/var/lib/dpkg/info/gce-firstboot.list', '/usr/bin/gce-firstboot\n');
  mkdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  // What the package's postinst enables: every shipped unit wanted by multi-user.target.
  for (const unit of unitsThePackageEnables()) {
    symlinkSync(`/lib/systemd/system/${unit}`, path.join(root, `etc/systemd/system/multi-user.target.wants/${unit}`));
  }
  put(root, '/etc/fstab', `# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=${ROOT_UUID} / ext4 rw,discard,errors=remount-ro 0 1\n`);
  put(root, '/boot/grub/grub.cfg', `menuentry 'Debian GNU/Linux' {\n\tlinux\t/boot/vmlinuz-6.1.0-28-cloud-amd64 root=UUID=${ROOT_UUID} ro console=tty0 console=ttyS0,38400n8\n\tinitrd\t/boot/initrd.img-6.1.0-28-cloud-amd64\n}\n`);
  put(root, '/boot/config-6.1.0-28-cloud-amd64', KERNEL_CONFIG);
  mkdirSync(path.join(root, 'etc/ssh'), { recursive: true });
  const keygen = await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(root, 'etc/ssh/ssh_host_ed25519_key')], { reject: false });
  if (keygen.exitCode !== 0) throw new Error(keygen.stderr);
  put(root, '/etc/machine-id', '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99\n');
  put(root, '/etc/udev/rules.d/70-persistent-net.rules', 'SUBSYSTEM=="net", ATTR{address}=="42:01:0a:80:00:02", NAME="eth0"\n');
  return root;
}

/** GPT type GUIDs the layouts below use. */
const TYPE = {
  biosBoot: '21686148-6449-6E6F-744E-656564454649',
  efiSystem: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  linuxRoot: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
};

/**
 * Stand-ins for boot loaders: image check only looks whether a BIOS has code to run (MBR, BIOS
 * boot partition) and whether the EFI binary is a PE executable ("MZ"), so these are enough.
 */
const MBR_BOOT_CODE = Buffer.concat([Buffer.from([0xeb, 0x63, 0x90]), Buffer.from('stand-in for GRUB boot.img')]);
const CORE_IMG = Buffer.from('stand-in for GRUB core.img');
const EFI_BINARY = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x40, 0, 0, 0]), Buffer.from('PE\0\0'), Buffer.from([0x64, 0x86])]);

export interface DiskOptions {
  /** Apparent size of disk.raw (default 1 GiB): truncate makes it sparse. */
  sizeBytes?: number;
  /**
   * dos: one bootable partition with BIOS boot code (the older guide's layout).
   * gpt-bios: BIOS boot partition and root; gpt-hybrid: BIOS boot, EFI system partition and root
   * (Debian's official images); gpt-efi: EFI system partition and root (RHEL 9's);
   * gpt-bare: one Linux filesystem partition and no boot loader.
   */
  layout?: 'dos' | 'gpt-bios' | 'gpt-hybrid' | 'gpt-efi' | 'gpt-bare';
  /** The root partition's file system (default ext4 made from `root`; none leaves it empty). */
  rootFs?: 'ext4' | 'xfs' | 'btrfs' | 'none';
  /** The ext4 root's volume label. */
  fsLabel?: string;
  /** Partition the disk this many bytes smaller, then grow it (the GPT's backup header stays behind). */
  growAfterPartitioning?: number;
}

async function run(command: string, args: string[], input?: string): Promise<void> {
  const result = await execa(command, args, { reject: false, input });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
}

function writeAt(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

const MIB = 1024 * 1024;
const ESP_START = 2 * MIB;
const ESP_SIZE = 32 * MIB;

/** sfdisk scripts and where each layout puts the root partition. */
function partitionScript(layout: NonNullable<DiskOptions['layout']>): { script: string; rootOffset: number } {
  const sectors = (bytes: number) => bytes / 512;
  const bios = `start=${sectors(MIB)}, size=${sectors(MIB)}, type=${TYPE.biosBoot}\n`;
  const esp = `start=${sectors(ESP_START)}, size=${sectors(ESP_SIZE)}, type=${TYPE.efiSystem}\n`;
  const rootAt = (offset: number, type = TYPE.linuxRoot) => `start=${sectors(offset)}, type=${type}\n`;
  switch (layout) {
    case 'dos':
      return { script: `label: dos\nstart=2048, type=83, bootable\n`, rootOffset: MIB };
    case 'gpt-bios':
      return { script: `label: gpt\n${bios}${rootAt(ESP_START)}`, rootOffset: ESP_START };
    case 'gpt-hybrid':
      return { script: `label: gpt\n${bios}${esp}${rootAt(ESP_START + ESP_SIZE)}`, rootOffset: ESP_START + ESP_SIZE };
    case 'gpt-efi':
      return { script: `label: gpt\n${esp}${rootAt(ESP_START + ESP_SIZE)}`, rootOffset: ESP_START + ESP_SIZE };
    case 'gpt-bare':
      return { script: `label: gpt\n${rootAt(MIB, '0FC63DAF-8483-4772-8E79-3D69D8477DE4')}`, rootOffset: MIB };
  }
}

/** A FAT EFI system partition with \EFI\BOOT\BOOTX64.EFI and Debian's grub.cfg stub, written with mtools. */
async function writeEsp(disk: string, dir: string): Promise<void> {
  await run('mkfs.vfat', ['-F', '16', '--offset', String(ESP_START / 512), disk, String(ESP_SIZE / 1024)]);
  const image = `${disk}@@${ESP_START}`;
  await run('mmd', ['-i', image, '::/EFI', '::/EFI/BOOT', '::/EFI/debian']);
  const binary = path.join(dir, 'BOOTX64.EFI');
  writeFileSync(binary, EFI_BINARY);
  const stub = path.join(dir, 'grub.cfg');
  writeFileSync(stub, `search.fs_uuid ${ROOT_UUID} root\nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n`);
  await run('mcopy', ['-i', image, binary, '::/EFI/BOOT/BOOTX64.EFI']);
  await run('mcopy', ['-i', image, stub, '::/EFI/debian/grub.cfg']);
  rmSync(binary);
  rmSync(stub);
}

/** An XFS or btrfs file system made in its own sparse file and copied into the partition, holes kept. */
async function writeForeignRoot(disk: string, dir: string, type: 'xfs' | 'btrfs', offset: number): Promise<void> {
  const image = path.join(dir, `root.${type}`);
  writeFileSync(image, '');
  truncateSync(image, 320 * MIB);
  if (type === 'xfs') await run('mkfs.xfs', ['-q', '-m', `uuid=${ROOT_UUID}`, image]);
  else await run('mkfs.btrfs', ['-q', '-U', ROOT_UUID, image]);
  await run('dd', [`if=${image}`, `of=${disk}`, 'bs=1M', `seek=${offset / MIB}`, 'conv=notrunc,sparse', 'status=none']);
  rmSync(image);
}

/** disk.raw with `root` in its root partition (a 64 MiB ext4 by mke2fs -d), partitioned as `layout` says. */
export async function makeDisk(root: string, options: DiskOptions = {}): Promise<string> {
  const dir = tempDir('gfb-image-');
  const disk = path.join(dir, 'disk.raw');
  const size = options.sizeBytes ?? GIB;
  const layout = options.layout ?? 'dos';
  writeFileSync(disk, '');
  truncateSync(disk, size - (options.growAfterPartitioning ?? 0));
  const { script, rootOffset } = partitionScript(layout);
  await run('sfdisk', ['-q', disk], script);
  truncateSync(disk, size);
  if (layout === 'dos' || layout === 'gpt-bios' || layout === 'gpt-hybrid') writeAt(disk, 0, MBR_BOOT_CODE);
  if (layout === 'gpt-bios' || layout === 'gpt-hybrid') writeAt(disk, MIB, CORE_IMG);
  if (layout === 'gpt-efi' || layout === 'gpt-hybrid') await writeEsp(disk, dir);
  const rootFs = options.rootFs ?? 'ext4';
  const label = options.fsLabel === undefined ? [] : ['-L', options.fsLabel];
  if (rootFs === 'ext4') await run('mke2fs', ['-q', '-t', 'ext4', '-U', ROOT_UUID, ...label, '-E', `offset=${rootOffset}`, '-d', root, disk, '64M']);
  else if (rootFs !== 'none') await writeForeignRoot(disk, dir, rootFs, rootOffset);
  return disk;
}

export interface TarOptions {
  format?: 'oldgnu' | 'gnu' | 'posix';
  /** Name disk.raw gets inside the archive. */
  memberName?: string;
  /** Extra files put next to disk.raw in the archive. */
  extraMembers?: Record<string, string>;
  gzip?: boolean;
}

/** image.tar.gz next to disk.raw, packed sparse the way the docs tell builders to. */
export async function packImage(disk: string, options: TarOptions = {}): Promise<string> {
  const dir = path.dirname(disk);
  const member = options.memberName ?? 'disk.raw';
  if (member !== 'disk.raw') renameSync(disk, path.join(dir, member));
  for (const [name, content] of Object.entries(options.extraMembers ?? {})) writeFileSync(path.join(dir, name), content);
  const output = path.join(dir, 'image.tar.gz');
  const flags = options.gzip === false ? '-Scf' : '-Sczf';
  await run('tar', [`--format=${options.format ?? 'oldgnu'}`, flags, output, '-C', dir, member, ...Object.keys(options.extraMembers ?? {})]);
  return output;
}

export function copyRoot(root: string): string {
  const copy = tempDir('gfb-root-');
  cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

function unitsThePackageEnables(): string[] {
  const units = path.join(REPO, 'units');
  return readdirSync(units).filter((name) => name.endsWith('.service') && /^WantedBy=multi-user\.target$/m.test(readFileSync(path.join(units, name), 'utf8')));
}
