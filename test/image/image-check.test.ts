import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { check, failed, rule, sealedRoot } from './check-cli.js';
import { tempDir } from '../helpers/sandbox.js';
import { GIB } from '../../src/image/rule.js';
import { builtRoot, makeDisk, packImage, put } from './make-image.js';

const ALL_RULES = [
  'gzip:pass', 'tar-format:pass', 'one-member:pass', 'member-name:pass', 'member-type:pass', 'size-whole-gib:pass', 'size-limit:pass', 'sparse:pass', 'extract:info',
  'partition-table:pass', 'partition-bounds:pass', 'bootable-partition:pass', 'boot-partitions:info', 'root-fs:pass', 'firmware:pass',
  'ssh-host-keys:pass', 'persistent-net:pass', 'machine-id:pass', 'package-installed:pass', 'units-enabled:pass', 'fstab-root:pass', 'serial-console:pass', 'kernel-config:pass',
  'guest-os-features:info',
];

describe('gce-firstboot image check', () => {
  it('passes a sealed image, as image.tar.gz and as disk.raw', async () => {
    const disk = await makeDisk(await sealedRoot());
    const raw = await check(disk);
    expect(raw.exitCode, raw.stdout).toBe(0);
    expect(raw.result.kind).toBe('disk');
    expect(rule(raw.result, 'sparse').message).toMatch(/MiB allocated of 1 GiB apparent/);
    const tarball = await packImage(disk);
    const { exitCode, result } = await check(tarball);
    expect(exitCode, JSON.stringify(result.rules, null, 1)).toBe(0);
    expect(result.rules.map((r) => `${r.id}:${r.status}`)).toEqual(ALL_RULES);
    expect(result.firmware).toEqual(['BIOS']);
    expect(rule(result, 'ssh-host-keys').file).toBe('image.tar.gz:disk.raw:/etc/ssh');
    expect(rule(result, 'sparse').message).toContain("GNU sparse member ('S')");

    const human = await runCli(['image', 'check', tarball]);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/^PASS {2}ssh-host-keys +no SSH host keys {2}\[image\.tar\.gz:disk\.raw:\/etc\/ssh\]$/m);
  });

  it('fails an unsealed image, naming the host key, the machine id and the persistent-net rule', async () => {
    const tarball = await packImage(await makeDisk(await builtRoot()));
    const { exitCode, result } = await check(tarball);
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['ssh-host-keys', 'persistent-net', 'machine-id']);
    expect(rule(result, 'ssh-host-keys').message).toContain('/etc/ssh/ssh_host_ed25519_key, /etc/ssh/ssh_host_ed25519_key.pub');
    expect(rule(result, 'machine-id').message).toContain('4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99');
  });

  it('fails a host key put back after sealing, naming its path', async () => {
    const root = await sealedRoot();
    put(root, '/etc/ssh/ssh_host_rsa_key', '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    const { exitCode, result } = await check(await packImage(await makeDisk(root)));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['ssh-host-keys']);
    expect(rule(result, 'ssh-host-keys').message).toMatch(/: \/etc\/ssh\/ssh_host_rsa_key$/);
  });

  it('fails a disk that is not a whole number of GiB', async () => {
    const { exitCode, result } = await check(await packImage(await makeDisk(await sealedRoot(), { sizeBytes: GIB + 1024 * 1024 })));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['size-whole-gib']);
    expect(rule(result, 'size-whole-gib').message).toContain(`${GIB + 1024 * 1024} bytes`);
    expect(rule(result, 'extract').message).toBe('disk.raw not extracted: its size already fails the import, so the disk inside was not checked');
  });

  it('fails a disk over the 100 GiB import limit (101 GiB apparent, sparse: size in base-256 tar fields)', async () => {
    const disk = await makeDisk(await sealedRoot(), { sizeBytes: 101 * GIB });
    // Guard: only on a file system with holes (else this would write 101 GiB).
    expect(statSync(disk).blocks * 512).toBeLessThan(256 * 1024 * 1024);
    const { exitCode, result } = await check(await packImage(disk));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['size-limit']);
    expect(rule(result, 'size-whole-gib').message).toBe('101 GiB');
  });

  it('fails a POSIX (pax) tarball', async () => {
    const { exitCode, result } = await check(await packImage(await makeDisk(await sealedRoot()), { format: 'posix' }));
    expect(exitCode).toBe(1);
    expect(rule(result, 'tar-format').status).toBe('fail');
    expect(rule(result, 'tar-format').message).toContain('POSIX ustar/pax');
  });

  it('fails a tarball with two members', async () => {
    const { exitCode, result } = await check(await packImage(await makeDisk(await sealedRoot()), { extraMembers: { 'README.txt': 'hello\n' } }));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['one-member']);
    expect(rule(result, 'one-member').message).toBe('2 members (disk.raw, README.txt); the archive must hold only disk.raw');
  });

  it('fails a member not named disk.raw', async () => {
    const { exitCode, result } = await check(await packImage(await makeDisk(await sealedRoot()), { memberName: 'disk.img' }));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['member-name']);
    expect(rule(result, 'member-name').message).toBe('no member named disk.raw');
  });

  it('fails a tarball that is not gzip-compressed', async () => {
    const plain = await packImage(await makeDisk(await sealedRoot()), { gzip: false });
    const { exitCode, result } = await check(plain);
    expect(exitCode).toBe(1);
    expect(result.rules.map((r) => `${r.id}:${r.status}`)).toEqual(['gzip:fail']);
    // A gzip stream cut short (an interrupted upload) fails the same rule.
    const compressed = gzipSync(readFileSync(plain));
    const truncated = path.join(tempDir(), 'image.tar.gz');
    writeFileSync(truncated, compressed.subarray(0, compressed.length - 100));
    const cut = await check(truncated);
    expect(cut.exitCode).toBe(1);
    expect(cut.result.rules.map((r) => `${r.id}:${r.status}`)).toEqual(['gzip:fail']);
    expect(rule(cut.result, 'gzip').message).toContain('unexpected end of file');
  });

  it('reports fstab by device name, grub without the serial console and modular virtio drivers', async () => {
    const root = await sealedRoot();
    put(root, '/etc/fstab', '/dev/sda1 / ext4 defaults 0 1\n');
    rmSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/gce-firstboot-early.service'));
    put(root, '/boot/grub/grub.cfg', "menuentry 'Debian' {\n\tlinux /boot/vmlinuz root=/dev/sda1 ro quiet\n}\n");
    put(root, '/boot/config-6.1.0-28-cloud-amd64', 'CONFIG_KVM_GUEST=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_SCSI_VIRTIO=m\nCONFIG_VIRTIO_NET=m\nCONFIG_PCI_MSI=y\n');
    const { exitCode, result } = await check(await makeDisk(root));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['units-enabled', 'fstab-root', 'serial-console']);
    expect(rule(result, 'units-enabled').message).toMatch(/: gce-firstboot-early\.service$/);
    expect(rule(result, 'fstab-root').message).toContain('/dev/sda1');
    expect(rule(result, 'kernel-config').status).toBe('warn');
    expect(rule(result, 'kernel-config').message).toContain('CONFIG_SCSI_VIRTIO=m');
  });

  it('fails a kernel config that lacks a required option', async () => {
    const root = await sealedRoot();
    put(root, '/boot/config-6.1.0-28-cloud-amd64', 'CONFIG_KVM_GUEST=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_SCSI_VIRTIO=y\n# CONFIG_VIRTIO_NET is not set\nCONFIG_PCI_MSI=y\n');
    const { exitCode, result } = await check(await makeDisk(root));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['kernel-config']);
    expect(rule(result, 'kernel-config').message).toBe('required options missing: /boot/config-6.1.0-28-cloud-amd64: CONFIG_VIRTIO_NET not set');
    expect(rule(result, 'kernel-config').file).toBe('disk.raw:/boot/config-6.1.0-28-cloud-amd64');
  });

  it('exits 2 on a missing file or a missing subcommand', async () => {
    expect((await runCli(['image', 'check', path.join(tempDir(), 'nope.tar.gz')])).exitCode).toBe(2);
    expect((await runCli(['image'])).exitCode).toBe(2);
    const notFile = tempDir();
    writeFileSync(path.join(notFile, 'x'), '');
    expect((await runCli(['image', 'check', notFile])).exitCode).toBe(2);
  });
});
