import { cpSync, mkdirSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { GIB } from '../../src/image/rule.js';

export const ROOT_UUID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const PARTITION_OFFSET = 1024 * 1024;

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
  put(root, '/usr/bin/gce-firstboot', '#!/usr/bin/node\n');
  put(root, '/var/lib/dpkg/info/gce-firstboot.list', '/usr/bin/gce-firstboot\n');
  mkdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  for (const unit of ['gce-firstboot-early.service', 'gce-firstboot.service']) {
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

export interface DiskOptions {
  /** Apparent size of disk.raw (default 1 GiB): truncate makes it sparse. */
  sizeBytes?: number;
  label?: 'dos' | 'gpt';
}

async function run(command: string, args: string[], input?: string): Promise<void> {
  const result = await execa(command, args, { reject: false, input });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
}

/** disk.raw: one partition at 1 MiB (bootable on MBR) holding a 64 MiB ext4 made from `root` by mke2fs -d. */
export async function makeDisk(root: string, options: DiskOptions = {}): Promise<string> {
  const dir = tempDir('gfb-image-');
  const disk = path.join(dir, 'disk.raw');
  writeFileSync(disk, '');
  truncateSync(disk, options.sizeBytes ?? GIB);
  const table = options.label === 'gpt' ? 'label: gpt\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n' : 'label: dos\nstart=2048, type=83, bootable\n';
  await run('sfdisk', ['-q', disk], table);
  await run('mke2fs', ['-q', '-t', 'ext4', '-U', ROOT_UUID, '-E', `offset=${PARTITION_OFFSET}`, '-d', root, disk, '64M']);
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
