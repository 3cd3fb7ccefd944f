import { defineModule, type Finding, type ModuleContext, type Severity } from '../types.js';
import { listPciDevices, type PciDevice } from './pci.js';
import { expectationFor, familyOf, type FamilyExpectation } from './families.js';
import { parseSerialDriver, type SerialPortInfo } from './serial.js';

const MODULE = 'hardware';

/** ttyS0..3: 16550A on IRQ 4, 3, 6, 7. */
const EXPECTED_SERIAL_IRQS = [4, 3, 6, 7];

interface Observed {
  computeEngine: boolean;
  product: string;
  pci: { devices: PciDevice[]; unreadable: string[] };
  serial: { ports: SerialPortInfo[] } | { problem: string; severity: Severity } | { skipped: string };
}

async function observeSerial(ctx: ModuleContext): Promise<Observed['serial']> {
  const { host } = ctx;
  if (!host.live && host.procDir === '/proc') return { skipped: 'not the running system (no --live): serial ports not checked' };
  const path = `${host.procDir}/tty/driver/serial`;
  const text = await host.readProc('tty/driver/serial');
  if (text === undefined) return { problem: `${path} absent or unreadable (needs root)`, severity: 'warning' };
  const ports = parseSerialDriver(text);
  return ports ? { ports } : { problem: `${path}: not in the serinfo format; left unjudged`, severity: 'drift' };
}

/** The machine family's expectations; the machine type comes from metadata when it answers. */
async function desired(ctx: ModuleContext): Promise<Desired> {
  const machineType = ctx.metadata.available ? await ctx.metadata.text('instance/machine-type').catch(() => undefined) : undefined;
  return { machineType: machineType?.trim().split('/').pop(), expectation: expectationFor(familyOf(machineType)) };
}

interface Desired {
  machineType: string | undefined;
  expectation: FamilyExpectation;
}

async function observe(ctx: ModuleContext): Promise<Observed> {
  const product = (await ctx.host.readSys('class/dmi/id/product_name')) ?? '';
  const vendor = (await ctx.host.readSys('class/dmi/id/sys_vendor')) ?? '';
  return {
    computeEngine: product === 'Google Compute Engine' || vendor === 'Google',
    product: product || vendor || 'unknown machine',
    pci: await listPciDevices(ctx.host),
    serial: await observeSerial(ctx),
  };
}

function describe(device: PciDevice): string {
  return `${device.slot} ${device.vendor}:${device.device}, driver ${device.drivers.length ? device.drivers.join(' + ') : 'none'}`;
}

function serialFindings(have: Observed, severity: Severity): Omit<Finding, 'module'>[] {
  const expected = 'four 16550A ports, ttyS0-3 on IRQ 4, 3, 6, 7';
  if ('skipped' in have.serial) return [{ key: 'serial ports', expected, actual: have.serial.skipped, severity: 'info' }];
  if ('problem' in have.serial) return [{ key: 'serial ports', expected, actual: have.serial.problem, severity: have.computeEngine ? have.serial.severity : 'warning' }];
  const findings: Omit<Finding, 'module'>[] = [];
  EXPECTED_SERIAL_IRQS.forEach((irq, line) => {
    const port = (have.serial as { ports: SerialPortInfo[] }).ports.find((p) => p.line === line);
    const actual = port ? `uart ${port.uart}, irq ${port.irq}` : 'absent';
    const ok = port?.uart === '16550A' && port.irq === irq;
    findings.push({ key: `ttyS${line}`, expected: `16550A on IRQ ${irq}`, actual, severity: ok ? 'info' : severity });
  });
  return findings;
}

function diff(want: Desired, have: Observed): Finding[] {
  const severity: Severity = have.computeEngine ? 'drift' : 'warning';
  const cause = have.computeEngine ? 'virtual hardware or kernel drivers; not fixable in-guest' : `not a Compute Engine VM (${have.product})`;
  const findings: Omit<Finding, 'module'>[] = [
    { key: 'machine family', expected: want.expectation.summary, actual: want.machineType ?? 'machine type not known (metadata not consulted)', severity: 'info' },
  ];
  for (const device of want.expectation.devices) {
    const key = `${device.what} (${device.label})`;
    const found = have.pci.devices.filter((d) => device.ids.includes(`${d.vendor}:${d.device}`));
    if (!found.length) findings.push({ key, expected: 'present', actual: 'not on the PCI bus', severity, cause });
    for (const pci of found) {
      const bound = !device.needsDriver || pci.fullyBound;
      findings.push({ key, expected: device.needsDriver ? 'present, driver bound' : 'present', actual: describe(pci), severity: bound ? 'info' : severity, ...(bound ? {} : { cause: 'no kernel driver bound' }) });
    }
  }
  for (const slot of have.pci.unreadable) findings.push({ key: `PCI ${slot}`, expected: 'vendor and device ids like 0x1af4', actual: 'unreadable ids; left unjudged', severity: 'warning' });
  findings.push(...serialFindings(have, severity).map((f) => (f.severity === 'info' ? f : { cause, ...f })));
  return findings.map((finding) => ({ module: MODULE, fixable: false, ...finding }));
}

export const hardwareModule = defineModule<Desired, Observed>({
  id: MODULE,
  title: 'Virtual hardware the guest sees',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {},
  desired,
  observe,
  diff,
});
