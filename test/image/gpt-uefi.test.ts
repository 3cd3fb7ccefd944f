import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { check, ensureImageTools, failed, rule, sealedRoot } from './check-cli.js';
import { makeDisk, packImage, put, ROOT_UUID } from './make-image.js';

const feature = (result: Awaited<ReturnType<typeof check>>['result'], name: string) => result.guestOsFeatures?.find((candidate) => candidate.feature === name);

/** Debian's cloud kernel as its modules.dep lists it: gve and virtio_scsi as modules. */
function withCloudKernelModules(root: string): void {
  put(root, '/boot/config-6.1.0-28-cloud-amd64', 'CONFIG_KVM_GUEST=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_SCSI_VIRTIO=m\nCONFIG_VIRTIO_NET=y\nCONFIG_PCI_MSI=y\nCONFIG_GVE=m\n# CONFIG_IDPF is not set\nCONFIG_AMD_MEM_ENCRYPT=y\n');
  put(
    root,
    '/usr/lib/modules/6.1.0-28-cloud-amd64/modules.dep',
    'kernel/drivers/scsi/virtio_scsi.ko.xz:\nkernel/drivers/net/ethernet/google/gve/gve.ko.xz:\n',
  );
}

beforeAll(ensureImageTools, 300_000);

describe('image check on GPT disks', () => {
  it("passes Debian's official layout (BIOS boot, EFI system partition, root) and says it boots either way", async () => {
    const root = await sealedRoot();
    withCloudKernelModules(root);
    const tarball = await packImage(await makeDisk(root, { layout: 'gpt-hybrid' }));
    const { exitCode, result } = await check(tarball);
    expect(exitCode, JSON.stringify(result.rules, null, 1)).toBe(0);
    expect(result.firmware).toEqual(['BIOS', 'UEFI']);
    expect(rule(result, 'partition-table').message).toBe('GPT, 3 partition(s); primary header and partition array CRC32s match');
    expect(rule(result, 'mbr').status).toBe('info');
    expect(rule(result, 'gpt-backup').status).toBe('pass');
    expect(rule(result, 'boot-partitions').message).toBe('partition 1 (BIOS boot), 1.0 MiB; partition 2 (EFI system), 32.0 MiB');
    expect(rule(result, 'root-fs').message).toBe(`partition 3 (Linux root x86-64): ext4, UUID ${ROOT_UUID}`);
    expect(rule(result, 'firmware').message).toContain('boots with BIOS and UEFI');
    // The console is read from the root's grub.cfg; the ESP's grub.cfg (Debian's stub) was read too.
    expect(rule(result, 'serial-console').message).toBe(
      'console=ttyS0,38400n8 on 1 kernel line(s); read image.tar.gz:disk.raw:/boot/grub/grub.cfg, image.tar.gz:disk.raw:ESP:/EFI/debian/grub.cfg',
    );
    expect(feature(result, 'UEFI_COMPATIBLE')?.qualifies).toBe(true);
    expect(feature(result, 'GVNIC')?.qualifies).toBe(true);
    expect(feature(result, 'VIRTIO_SCSI_MULTIQUEUE')?.qualifies).toBe(true);
    expect(feature(result, 'IDPF')?.qualifies).toBe(false);
    expect(feature(result, 'SEV_CAPABLE')?.qualifies).toBe(true);
    expect(feature(result, 'MULTI_IP_SUBNET')?.qualifies).toBeUndefined();

    const human = await runCli(['image', 'check', tarball]);
    expect(human.stdout).toContain('--guest-os-features=UEFI_COMPATIBLE,VIRTIO_SCSI_MULTIQUEUE,GVNIC,SEV_CAPABLE');
    expect(human.stdout).toMatch(/^ {2}yes {2}GVNIC +the gve driver for gVNIC \(6\.1\.0-28-cloud-amd64: module\)$/m);
    expect(human.stdout).toMatch(/boots with BIOS and UEFI$/m);
  });

  it('passes a GPT disk with a BIOS boot partition only: BIOS, not UEFI_COMPATIBLE', async () => {
    const { exitCode, result } = await check(await makeDisk(await sealedRoot(), { layout: 'gpt-bios' }));
    expect(exitCode, JSON.stringify(result.rules, null, 1)).toBe(0);
    expect(result.firmware).toEqual(['BIOS']);
    expect(feature(result, 'UEFI_COMPATIBLE')?.qualifies).toBe(false);
    expect(feature(result, 'GVNIC')?.reason).toBe('6.1.0-28-cloud-amd64: no gve driver (CONFIG_GVE not set, no gve.ko)');
  });

  it('fails a GPT disk with boot code in the MBR but an empty BIOS boot partition (core.img never written)', async () => {
    const disk = await makeDisk(await sealedRoot(), { layout: 'gpt-bios' });
    const fd = openSync(disk, 'r+');
    writeSync(fd, Buffer.alloc(512), 0, 512, 1024 * 1024);
    closeSync(fd);
    const { exitCode, result } = await check(disk);
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['firmware']);
    expect(rule(result, 'firmware').message).toBe(
      'no boot loader found, neither firmware can start this disk (BIOS: boot code in the MBR, but partition 1 (BIOS boot) is empty; UEFI: no EFI system partition)',
    );
  });

  it('passes an EFI-only disk (the RHEL 9 layout) whose BLS entries carry the console, and fails one whose entry lacks it', async () => {
    const root = await sealedRoot();
    put(root, '/boot/grub/grub.cfg', 'blscfg\n');
    put(root, '/boot/loader/entries/ab12-6.1.0-28-cloud-amd64.conf', `title Debian\nversion 6.1.0-28-cloud-amd64\nlinux /vmlinuz-6.1.0-28-cloud-amd64\noptions $kernelopts console=ttyS0,38400n8\n`);
    put(root, '/boot/grub2/grubenv', `# GRUB Environment Block\nkernelopts=root=UUID=${ROOT_UUID} ro\n`);
    const good = await check(await makeDisk(root, { layout: 'gpt-efi' }));
    expect(good.exitCode, JSON.stringify(good.result.rules, null, 1)).toBe(0);
    expect(good.result.firmware).toEqual(['UEFI']);
    expect(rule(good.result, 'firmware').message).toContain('UEFI: /EFI/BOOT/BOOTX64.EFI on partition 1 (EFI system)');
    expect(rule(good.result, 'serial-console').message).toBe(
      'console=ttyS0,38400n8 on 1 kernel line(s); read disk.raw:/boot/grub/grub.cfg, disk.raw:ESP:/EFI/debian/grub.cfg, disk.raw:/boot/loader/entries/ab12-6.1.0-28-cloud-amd64.conf',
    );

    put(root, '/boot/loader/entries/ab12-6.1.0-28-cloud-amd64.conf', 'title Debian\nlinux /vmlinuz-6.1.0-28-cloud-amd64\noptions $kernelopts quiet\n');
    const bad = await check(await makeDisk(root, { layout: 'gpt-efi' }));
    expect(failed(bad.result)).toEqual(['serial-console']);
    expect(rule(bad.result, 'serial-console').message).toBe(
      `1 of 1 kernel line(s) lack console=ttyS0,38400n8: options root=UUID=${ROOT_UUID} ro quiet (disk.raw:/boot/loader/entries/ab12-6.1.0-28-cloud-amd64.conf)`,
    );
  });

  it('fails a disk grown to whole GiB after partitioning, naming sgdisk -e, which fixes it', async () => {
    const disk = await makeDisk(await sealedRoot(), { layout: 'gpt-hybrid', growAfterPartitioning: 64 * 1024 * 1024 });
    const grown = await check(disk);
    expect(grown.exitCode).toBe(1);
    expect(failed(grown.result)).toEqual(['gpt-backup']);
    expect(rule(grown.result, 'gpt-backup').message).toBe(
      "the backup GPT header is at LBA 1966079, not at the disk's last LBA 2097151: run `sgdisk -e disk.raw` after growing the disk (it moves the backup header to the end)",
    );
    const fix = await execa('sgdisk', ['-e', disk], { reject: false });
    expect(fix.exitCode, fix.stderr).toBe(0);
    const fixed = await check(disk);
    expect(fixed.exitCode, JSON.stringify(fixed.result.rules, null, 1)).toBe(0);
    expect(rule(fixed.result, 'gpt-backup').message).toBe('backup header at the last LBA (2097151), its partition array matching the primary');
  });

  it('fails a GPT disk whose partition array was changed without updating its CRC32', async () => {
    const disk = await makeDisk(await sealedRoot(), { layout: 'gpt-bios' });
    const fd = openSync(disk, 'r+');
    // The first entry's name (UTF-16 at entry offset 56) of the array at LBA 2.
    writeSync(fd, Buffer.from('x\0'), 0, 2, 2 * 512 + 56);
    closeSync(fd);
    const { exitCode, result } = await check(disk);
    expect(exitCode).toBe(1);
    expect(result.rules.map((r) => `${r.id}:${r.status}`)).toEqual(['size-whole-gib:pass', 'size-limit:pass', 'sparse:pass', 'partition-table:fail']);
    expect(rule(result, 'partition-table').message).toBe("GPT (protective MBR), but the primary GPT partition array's CRC32 does not match its header");
  });

  it('fails a GPT disk without a root file system and no boot loader', async () => {
    const { exitCode, result } = await check(await makeDisk(await sealedRoot(), { layout: 'gpt-bare', rootFs: 'none' }));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['root-fs', 'firmware']);
    expect(rule(result, 'root-fs').message).toBe('no Linux root file system (ext4, XFS, btrfs) found: partition 1 (Linux filesystem): no file system recognised');
    expect(rule(result, 'firmware').message).toBe('no boot loader found, neither firmware can start this disk (BIOS: no boot code in the MBR; UEFI: no EFI system partition)');
    expect(rule(result, 'boot-partitions').message).toBe('no BIOS boot or EFI system partition');
  });

  it('fails an EFI-only disk with no root file system, still saying it would boot by UEFI', async () => {
    const { exitCode, result } = await check(await makeDisk(await sealedRoot(), { layout: 'gpt-efi', rootFs: 'none' }));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['root-fs']);
    expect(result.firmware).toEqual(['UEFI']);
    expect(feature(result, 'GVNIC')).toEqual({ feature: 'GVNIC', reason: 'no Linux root file system was found' });
  });

  it('reads an EFI system partition whose binary is only at the vendor path as not bootable by a new VM', async () => {
    const disk = await makeDisk(await sealedRoot(), { layout: 'gpt-efi' });
    const image = `${disk}@@${2 * 1024 * 1024}`;
    const moved = path.join(path.dirname(disk), 'grubx64.efi');
    await execa('mcopy', ['-i', image, '::/EFI/BOOT/BOOTX64.EFI', moved]);
    await execa('mcopy', ['-i', image, moved, '::/EFI/debian/grubx64.efi']);
    await execa('mdel', ['-i', image, '::/EFI/BOOT/BOOTX64.EFI']);
    writeFileSync(moved, '');
    const { exitCode, result } = await check(disk);
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['firmware']);
    expect(rule(result, 'firmware').message).toContain(
      'partition 1 (EFI system) has no /EFI/BOOT/BOOTX64.EFI (only /EFI/debian/grubx64.efi, which a new VM has no boot entry for: install GRUB with --removable or --force-extra-removable)',
    );
  });
});
