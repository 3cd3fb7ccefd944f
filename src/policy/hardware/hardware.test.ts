import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';
import { startEmulator } from '../../../test/helpers/emulator.js';

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

function run(mode: string, sys: string, proc?: string, metadataHost?: string) {
  const metadata = metadataHost ? ['--metadata-host', metadataHost] : ['--offline'];
  return runCli([mode, '--root', sandboxRoot(), '--only', 'hardware', '--stage', 'network', ...metadata, '--json', '--sys-dir', sys, ...(proc ? ['--proc-dir', proc] : [])]);
}

/** A metadata emulator whose instance has this machine type. */
async function machineType(type: string): Promise<string> {
  const { emulator, host } = await startEmulator();
  emulator.set('instance/machine-type', `projects/123456789012/machineTypes/${type}`);
  return host;
}

/** A C3-style VM: Google's NVMe controller (nvme driver) and gVNIC (gve), no PIIX4. */
const NVME_GVNIC: FakeDevice[] = [
  { slot: '0000:00:03.0', id: '1ae0:001f', driver: 'nvme' },
  { slot: '0000:00:04.0', id: '1ae0:0042', driver: 'gve' },
];

describe('hardware module', () => {
  it('on Compute Engine hardware reports what it sees, all compliant', async () => {
    const result = await run('check', fakeSys('Google Compute Engine', GCE_DEVICES), fakeProc(GCE_SERIAL));
    expect(result.exitCode, result.stderr).toBe(0);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.every((f) => f.severity === 'info')).toBe(true);
    expect(findings.map((f) => f.actual)).toEqual([
      'machine type not known (metadata not consulted)',
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
      ['disk controller (virtio-scsi 1af4:1004 or NVMe 1ae0:001f)', '0000:00:03.0 1af4:1004, driver virtio-pci'],
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
    expect(findings.filter((f) => f.severity === 'warning').map((f) => f.key)).toEqual(['disk controller (virtio-scsi 1af4:1004 or NVMe 1ae0:001f)', 'PIIX4 ACPI bridge (8086:7113)', 'PIIX4 ISA bridge (8086:7110)', 'ttyS1', 'ttyS2', 'ttyS3']);
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

  it('nvme-hardware: a C3 VM with its disk behind the NVMe controller and a gVNIC NIC is compliant, and the check names c3\'s expectations', async () => {
    const result = await run('check', fakeSys('Google Compute Engine', NVME_GVNIC), fakeProc(GCE_SERIAL), await machineType('c3-standard-4'));
    expect(result.exitCode, result.stderr).toBe(0);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.every((f) => f.severity === 'info')).toBe(true);
    expect(findings.slice(0, 3).map((f) => [f.key, f.expected, f.actual])).toEqual([
      ['machine family', 'c3: disks on NVMe only, network on gVNIC only', 'c3-standard-4'],
      ['ethernet (gVNIC 1ae0:0042)', 'present, driver bound', '0000:00:04.0 1ae0:0042, driver gve'],
      ['disk controller (NVMe 1ae0:001f)', 'present, driver bound', '0000:00:03.0 1ae0:001f, driver nvme'],
    ]);
  });

  it('a C4 VM that shows virtio-scsi and virtio-net instead is drift, naming what c4 expects', async () => {
    const result = await run('check', fakeSys('Google Compute Engine', GCE_DEVICES), fakeProc(GCE_SERIAL), await machineType('c4-standard-8'));
    expect(result.exitCode).toBe(1);
    expect(reportOf(result).modules[0]!.findings.filter((f) => f.severity === 'drift').map((f) => [f.key, f.actual])).toEqual([
      ['ethernet (gVNIC 1ae0:0042)', 'not on the PCI bus'],
      ['disk controller (NVMe 1ae0:001f)', 'not on the PCI bus'],
    ]);
  });

  it('an N2 VM accepts NVMe and gVNIC as well as virtio; an NVMe controller without its driver is drift', async () => {
    const devices = [...GCE_DEVICES.slice(0, 2), ...NVME_GVNIC];
    const host = await machineType('n2-standard-2');
    const ok = await run('check', fakeSys('Google Compute Engine', devices), fakeProc(GCE_SERIAL), host);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(reportOf(ok).modules[0]!.findings[0]).toMatchObject({ key: 'machine family', expected: 'n2: disks on virtio-scsi or NVMe, network on virtio-net or gVNIC' });
    const unbound = [...GCE_DEVICES.slice(0, 2), { ...NVME_GVNIC[0]!, driver: undefined }, NVME_GVNIC[1]!];
    const drift = await run('check', fakeSys('Google Compute Engine', unbound), fakeProc(GCE_SERIAL), host);
    expect(drift.exitCode).toBe(1);
    expect(reportOf(drift).modules[0]!.findings.filter((f) => f.severity === 'drift')).toEqual([
      expect.objectContaining({ key: 'disk controller (virtio-scsi 1af4:1004 or NVMe 1ae0:001f)', actual: '0000:00:03.0 1ae0:001f, driver none', cause: 'no kernel driver bound' }),
    ]);
  });
});
