import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const DEBIAN_CONFIG = 'boot/config-6.1.0-56-cloud-amd64';

/** A 32-bit 3.x-era kernel config using the old option names. */
const OLD_KERNEL = `#
# Automatically generated file; DO NOT EDIT.
# Linux/i386 3.10.0 Kernel Configuration
#
CONFIG_X86=y
CONFIG_X86_32=y
# CONFIG_64BIT is not set
CONFIG_KVM_GUEST=y
CONFIG_KVM_CLOCK=y
CONFIG_VIRTIO_PCI=y
CONFIG_SCSI_VIRTIO=y
CONFIG_VIRTIO_NET=y
CONFIG_PCI_MSI=y
CONFIG_STRICT_DEVMEM=y
CONFIG_DEVKMEM=y
CONFIG_DEFAULT_MMAP_MIN_ADDR=4096
CONFIG_DEBUG_RODATA=y
# CONFIG_DEBUG_SET_MODULE_RONX is not set
CONFIG_CC_STACKPROTECTOR=y
# CONFIG_COMPAT_VDSO is not set
# CONFIG_COMPAT_BRK is not set
# CONFIG_X86_PAE is not set
CONFIG_SYN_COOKIES=y
CONFIG_SECURITY_YAMA=y
CONFIG_SECURITY_YAMA_STACKED=y
CONFIG_LOCALVERSION="-old"
`;

function run(root: string, mode: string, ...extra: string[]) {
  return runCli([mode, '--root', root, '--only', 'kernel-config', '--stage', 'network', '--offline', '--json', ...extra]);
}

function rootWithOnly(config: string, name = 'config-3.10.0-old'): string {
  const root = sandboxRoot();
  rmSync(path.join(root, DEBIAN_CONFIG));
  writeFileSync(path.join(root, 'boot', name), config);
  return root;
}

describe('kernel-config module', () => {
  it('finds the real Debian 12 cloud kernel compliant: new option names understood, =m drivers only warned about', async () => {
    const result = await run(sandboxRoot(), 'check');
    expect(result.exitCode, result.stderr).toBe(0);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.map((f) => [f.key, f.severity, f.actual])).toEqual([
      ['CONFIG_KVM_CLOCK', 'info', 'not in this kernel (newer kernels build kvmclock as part of KVM_GUEST)'],
      ['CONFIG_VIRTIO_PCI', 'warning', 'CONFIG_VIRTIO_PCI=m'],
      ['CONFIG_SCSI_VIRTIO', 'warning', 'CONFIG_SCSI_VIRTIO=m'],
      ['CONFIG_VIRTIO_NET', 'warning', 'CONFIG_VIRTIO_NET=m'],
    ]);
    expect(findings[1]!.cause).toContain('initramfs');
  });

  it('judges an old 32-bit kernel by the old names, and apply says it cannot fix it', async () => {
    const root = rootWithOnly(OLD_KERNEL);
    const result = await run(root, 'apply');
    expect(result.exitCode).toBe(1);
    const module = reportOf(result).modules[0]!;
    expect(module.changes).toEqual([]);
    expect(module.findings.map((f) => [f.key, f.actual])).toEqual([
      ['CONFIG_DEVKMEM', 'CONFIG_DEVKMEM=y'],
      ['CONFIG_DEFAULT_MMAP_MIN_ADDR', 'CONFIG_DEFAULT_MMAP_MIN_ADDR=4096'],
      ['CONFIG_DEBUG_SET_MODULE_RONX', 'CONFIG_DEBUG_SET_MODULE_RONX=n'],
      ['CONFIG_X86_PAE', 'CONFIG_X86_PAE=n'],
    ]);
    expect(module.findings.every((f) => f.severity === 'drift' && f.cause?.startsWith('/boot/config-3.10.0-old;'))).toBe(true);
    const human = await runCli(['apply', '--root', root, '--only', 'kernel-config', '--stage', 'network', '--offline']);
    expect(human.stdout).toMatch(/CONFIG_DEVKMEM .*cannot fix in-guest/);
  });

  it('flags a missing required driver as drift even when recommended ones are only warnings', async () => {
    const root = rootWithOnly(OLD_KERNEL.replace('CONFIG_SCSI_VIRTIO=y', '# CONFIG_SCSI_VIRTIO is not set'));
    const conf = path.join(tempDir(), 'gce-firstboot.conf');
    writeFileSync(conf, '[kernel-config]\nrecommended_severity = warning\n');
    const result = await run(root, 'check', '--config', conf);
    expect(result.exitCode).toBe(1);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.filter((f) => f.severity === 'drift').map((f) => f.key)).toEqual(['CONFIG_SCSI_VIRTIO']);
    expect(findings.filter((f) => f.severity === 'warning')).toHaveLength(4);
  });

  it('reads the newest /boot/config-* under a sandbox root', async () => {
    const root = sandboxRoot();
    writeFileSync(path.join(root, 'boot/config-3.10.0-old'), OLD_KERNEL);
    writeFileSync(path.join(root, 'boot/config-6.1.0-9-cloud-amd64'), OLD_KERNEL);
    expect((await run(root, 'check')).exitCode).toBe(0);
  });

  it('when live, reads the running release from /proc/sys, else /proc/config.gz', async () => {
    const root = sandboxRoot();
    writeFileSync(path.join(root, 'boot/config-3.10.0-old'), OLD_KERNEL);
    const procSys = tempDir('gfb-procsys-');
    mkdirSync(path.join(procSys, 'kernel'));
    writeFileSync(path.join(procSys, 'kernel/osrelease'), '3.10.0-old\n');
    const proc = tempDir('gfb-proc-');
    const live = ['--live', '--proc-sys', procSys, '--proc-dir', proc];

    const byRelease = reportOf(await run(root, 'check', ...live)).modules[0]!;
    expect(byRelease.findings.some((f) => f.cause?.startsWith('/boot/config-3.10.0-old;'))).toBe(true);

    writeFileSync(path.join(procSys, 'kernel/osrelease'), '9.9.9-custom\n');
    writeFileSync(path.join(proc, 'config.gz'), gzipSync(OLD_KERNEL.replace('CONFIG_DEVKMEM=y', '# CONFIG_DEVKMEM is not set')));
    const fromProc = reportOf(await run(root, 'check', ...live)).modules[0]!;
    expect(fromProc.findings.map((f) => f.key)).toEqual(['CONFIG_DEFAULT_MMAP_MIN_ADDR', 'CONFIG_DEBUG_SET_MODULE_RONX', 'CONFIG_X86_PAE']);
    expect(fromProc.findings[0]!.cause).toContain(`${proc}/config.gz`);

    writeFileSync(path.join(proc, 'config.gz'), 'CONFIG_KVM_GUEST=y\n');
    const notGzip = await run(root, 'check', ...live);
    expect(notGzip.exitCode).toBe(1);
    expect(reportOf(notGzip).modules[0]!.findings[0]!.actual).toContain('config.gz: not gzip data');
  });

  it('on this machine with --live reads the running kernel\'s own config', async () => {
    const root = sandboxRoot();
    rmSync(path.join(root, DEBIAN_CONFIG));
    const module = reportOf(await run(root, 'check', '--live')).modules[0]!;
    expect(module.status).not.toBe('failed');
    if (existsSync('/proc/config.gz')) {
      expect(module.findings.find((f) => f.key === 'kernel config')).toBeUndefined();
      expect(module.findings.filter((f) => f.severity === 'drift').every((f) => f.cause?.includes('/proc/config.gz'))).toBe(true);
    } else {
      expect(module.findings).toMatchObject([{ key: 'kernel config', severity: 'warning' }]);
    }
  });

  it('reports garbage instead of judging it', async () => {
    const garbage = await run(rootWithOnly('\u0000\u0001\u0002 binary junk\n'), 'check');
    expect(garbage.exitCode).toBe(1);
    expect(reportOf(garbage).modules[0]!.findings).toMatchObject([{ key: 'kernel config', actual: 'no CONFIG_ lines: not a kernel config' }]);

    const mixed = await run(rootWithOnly(`${OLD_KERNEL}CONFIG_OOPS\nrandom words\n`), 'check');
    expect(reportOf(mixed).modules[0]!.findings).toMatchObject([{ key: 'kernel config', actual: 'unparseable line(s) 27, 28' }]);
  });

  it('warns when there is no kernel config at all', async () => {
    const root = sandboxRoot();
    rmSync(path.join(root, DEBIAN_CONFIG));
    const result = await run(root, 'check');
    expect(result.exitCode).toBe(0);
    expect(reportOf(result).modules[0]!.findings).toMatchObject([{ severity: 'warning', actual: 'none found; kernel options not checked' }]);
  });
});
