import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

interface FakeDevice {
  slot: string;
  id: string;
  driver?: string;
  /** For virtio devices: the virtio driver bound to the virtioN child, or null for an unbound child. */
  virtio?: string | null;
}

const GCE_DEVICES: FakeDevice[] = [
  { slot: '0000:00:01.0', id: '8086:7110' },
  { slot: '0000:00:01.3', id: '8086:7113', driver: 'piix4_smbus' },
  { slot: '0000:00:03.0', id: '1af4:1004', driver: 'virtio-pci', virtio: 'virtio_scsi' },
  { slot: '0000:00:04.0', id: '1af4:1000', driver: 'virtio-pci', virtio: 'virtio_net' },
];

const GCE_SERIAL = `serinfo:1.0 driver revision:
0: uart:16550A port:000003F8 irq:4 tx:2279 rx:0 RTS|DTR
1: uart:16550A port:000002F8 irq:3 tx:0 rx:0
2: uart:16550A port:000003E8 irq:6 tx:0 rx:0
3: uart:16550A port:000002E8 irq:7 tx:0 rx:0
`;

/** A sysfs tree as the kernel lays it out, for the files this module reads. */
function fakeSys(product: string, devices: readonly FakeDevice[]): string {
  const sys = tempDir('gfb-sys-');
  mkdirSync(path.join(sys, 'class/dmi/id'), { recursive: true });
  writeFileSync(path.join(sys, 'class/dmi/id/product_name'), `${product}\n`);
  for (const device of devices) {
    const dir = path.join(sys, 'bus/pci/devices', device.slot);
    mkdirSync(dir, { recursive: true });
    const [vendor, id] = device.id.split(':');
    writeFileSync(path.join(dir, 'vendor'), `0x${vendor}\n`);
    writeFileSync(path.join(dir, 'device'), `0x${id}\n`);
    if (device.driver) symlinkSync(`../../../bus/pci/drivers/${device.driver}`, path.join(dir, 'driver'));
    if (device.virtio !== undefined) {
      mkdirSync(path.join(dir, 'virtio0'));
      if (device.virtio) symlinkSync(`../../../../bus/virtio/drivers/${device.virtio}`, path.join(dir, 'virtio0/driver'));
    }
  }
  return sys;
}

function fakeProc(serial: string): string {
  const proc = tempDir('gfb-proc-');
  mkdirSync(path.join(proc, 'tty/driver'), { recursive: true });
  writeFileSync(path.join(proc, 'tty/driver/serial'), serial);
  return proc;
}

function run(mode: string, sys: string, proc?: string) {
  return runCli([mode, '--root', sandboxRoot(), '--only', 'hardware', '--stage', 'network', '--offline', '--json', '--sys-dir', sys, ...(proc ? ['--proc-dir', proc] : [])]);
}

describe('hardware module', () => {
  it('on Compute Engine hardware reports what it sees, all compliant', async () => {
    const result = await run('check', fakeSys('Google Compute Engine', GCE_DEVICES), fakeProc(GCE_SERIAL));
    expect(result.exitCode, result.stderr).toBe(0);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.every((f) => f.severity === 'info')).toBe(true);
    expect(findings.map((f) => f.actual)).toEqual([
      '0000:00:04.0 1af4:1000, driver virtio-pci + virtio_net',
      '0000:00:03.0 1af4:1004, driver virtio-pci + virtio_scsi',
      '0000:00:01.3 8086:7113, driver piix4_smbus',
      '0000:00:01.0 8086:7110, driver none',
      'uart 16550A, irq 4',
      'uart 16550A, irq 3',
      'uart 16550A, irq 6',
      'uart 16550A, irq 7',
    ]);
  });

  it('accepts gVNIC instead of virtio-net', async () => {
    const devices = [...GCE_DEVICES.slice(0, 3), { slot: '0000:00:05.0', id: '1ae0:0042', driver: 'gve' }];
    const result = await run('check', fakeSys('Google Compute Engine', devices), fakeProc(GCE_SERIAL));
    expect(result.exitCode).toBe(0);
  });

  it('on Compute Engine, missing devices, unbound drivers and wrong serial ports are drift apply cannot fix', async () => {
    const devices = [GCE_DEVICES[0]!, GCE_DEVICES[1]!, { ...GCE_DEVICES[2]!, virtio: null }];
    const serial = 'serinfo:1.0 driver revision:\n0: uart:16550A port:000003F8 irq:4\n1: uart:unknown port:000002F8 irq:3\n';
    const result = await run('apply', fakeSys('Google Compute Engine', devices), fakeProc(serial));
    expect(result.exitCode).toBe(1);
    const module = reportOf(result).modules[0]!;
    expect(module.changes).toEqual([]);
    expect(module.findings.filter((f) => f.severity === 'drift').map((f) => [f.key, f.actual])).toEqual([
      ['ethernet (virtio-net 1af4:1000 or gVNIC 1ae0:0042)', 'not on the PCI bus'],
      ['scsi (virtio-scsi 1af4:1004)', '0000:00:03.0 1af4:1004, driver virtio-pci'],
      ['ttyS1', 'uart unknown, irq 3'],
      ['ttyS2', 'absent'],
      ['ttyS3', 'absent'],
    ]);
  });

  it('elsewhere reports the same gaps as warnings, never as drift', async () => {
    const result = await run('check', fakeSys('Standard PC (Q35 + ICH9, 2009)', [{ slot: '0000:00:02.0', id: '1af4:1041', driver: 'virtio-pci', virtio: 'virtio_net' }]), fakeProc('serinfo:1.0 driver revision:\n0: uart:16550A port:000003F8 irq:4\n'));
    expect(result.exitCode).toBe(0);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.filter((f) => f.severity !== 'info').every((f) => f.severity === 'warning' && f.cause?.includes('not a Compute Engine VM (Standard PC'))).toBe(true);
    expect(findings.filter((f) => f.severity === 'warning').map((f) => f.key)).toEqual(['scsi (virtio-scsi 1af4:1004)', 'PIIX4 ACPI bridge (8086:7113)', 'PIIX4 ISA bridge (8086:7110)', 'ttyS1', 'ttyS2', 'ttyS3']);
  });

  it('on this machine (not Compute Engine) reads the real sysfs and serial driver and only warns', async () => {
    const result = await runCli(['check', '--root', sandboxRoot(), '--only', 'hardware', '--stage', 'network', '--offline', '--json', '--live']);
    const module = reportOf(result).modules[0]!;
    expect(module.status).not.toBe('failed');
    expect(module.findings.length).toBeGreaterThanOrEqual(5);
    expect(module.findings.find((f) => f.key === 'serial ports')?.actual ?? '').not.toContain('no --live');
    expect(module.findings.every((f) => f.severity === 'info' || f.severity === 'warning')).toBe(true);
  });

  it('reports unreadable ids and a garbage serial file clearly', async () => {
    const sys = fakeSys('Google Compute Engine', GCE_DEVICES);
    writeFileSync(path.join(sys, 'bus/pci/devices/0000:00:01.0/vendor'), 'garbage\u0000');
    const result = await run('check', sys, fakeProc('\u0000\u00ffnot serinfo\n'));
    expect(result.exitCode).toBe(1);
    const findings = reportOf(result).modules[0]!.findings.filter((f) => f.severity !== 'info');
    expect(findings.map((f) => [f.severity, f.key, f.actual])).toEqual([
      ['drift', 'PIIX4 ISA bridge (8086:7110)', 'not on the PCI bus'],
      ['warning', 'PCI 0000:00:01.0', 'unreadable ids; left unjudged'],
      ['drift', 'serial ports', expect.stringContaining('not in the serinfo format')],
    ]);
  });

  it('without --live or a procfs directory, leaves the serial ports unchecked', async () => {
    const result = await run('check', fakeSys('Google Compute Engine', GCE_DEVICES));
    expect(result.exitCode).toBe(0);
    expect(reportOf(result).modules[0]!.findings.at(-1)).toMatchObject({ key: 'serial ports', severity: 'info', actual: expect.stringContaining('not checked') });
  });
});
