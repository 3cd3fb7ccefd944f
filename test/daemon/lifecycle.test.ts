import { mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';
import { fakeProcSys } from '../helpers/fake-proc-sys.js';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { hashTree } from '../helpers/tree-hash.js';
import { startDaemon, stopDaemon, waitFor, type DaemonUnderTest } from './harness.js';

/** Modules with files on the Debian 12 fixture, none needing --live. */
const MODULES = 'hostname,timezone,ntp,sysctl,serial-console';

/** The same VM (SMBIOS UUID) on boot `bootId`: what --sys-dir and --proc-sys tell the agent. */
function boot(productUuid: string, bootId: string): string[] {
  const sys = tempDir('gfb-sys-');
  mkdirSync(path.join(sys, 'class/dmi/id'), { recursive: true });
  writeFileSync(path.join(sys, 'class/dmi/id/product_uuid'), `${productUuid}\n`);
  return ['--sys-dir', sys, '--proc-sys', fakeProcSys({ 'kernel.random.boot_id': bootId })];
}

const VM = '6b3c2f0e-0d4a-4c55-9b1e-3f4a5b6c7d8e';

/** The machine as files: everything below the root except our own state and the serial port. */
function machineTree(root: string): Map<string, string> {
  const tree = hashTree(root);
  for (const file of [...tree.keys()]) if (file.startsWith('/var/lib/gce-firstboot') || file === '/dev/ttyS0') tree.delete(file);
  return tree;
}

function setZone(root: string, zone: string): void {
  rmSync(path.join(root, 'etc/localtime'), { force: true });
  symlinkSync(`/usr/share/zoneinfo/${zone}`, path.join(root, 'etc/localtime'));
  writeFileSync(path.join(root, 'etc/timezone'), `${zone}\n`);
}

/** First boot of a new instance in report mode: everything is brought to the published values. */
async function firstBoot(root: string, host: string): Promise<void> {
  setZone(root, 'Europe/Paris');
  const daemon = startDaemon({ metadataHost: host, root, only: MODULES, args: boot(VM, 'boot-1') });
  await waitFor(() => daemon.summaries().length === 1, 'the first-boot pass');
  expect(daemon.summaries()[0]).toMatchObject({ mode: 'apply' });
  expect(readlinkSync(path.join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
  await stopDaemon(daemon);
}

/** SIGHUP runs a pass (no metadata needed to trigger it); waits for `count` summaries in all. */
async function passes(daemon: DaemonUnderTest, count: number): Promise<void> {
  await waitFor(() => daemon.summaries().length === 1, 'the first pass', 60_000);
  for (let n = 2; n <= count; n++) {
    daemon.child.kill('SIGHUP');
    await waitFor(() => daemon.summaries().length === n, `pass ${n}`, 60_000);
  }
}

describe('report mode after the first boot', () => {
  it('second boot in report mode: the early stage and every daemon pass report drift and write nothing', { timeout: 180_000 }, async () => {
    const { host } = await startEmulator();
    const root = sandboxRoot();
    await firstBoot(root, host);
    // The admin changes things on purpose, between boots.
    setZone(root, 'Asia/Tokyo');
    writeFileSync(path.join(root, 'etc/hostname'), 'admins-name\n');
    rmSync(path.join(root, 'etc/sysctl.d/60-gce-firstboot.conf'));
    const before = machineTree(root);

    const early = await runCli(['apply', '--stage', 'early', '--only', 'sysctl', '--root', root, '--json', ...boot(VM, 'boot-2')]);
    expect(early.exitCode, early.stderr).toBe(1);
    const daemon = startDaemon({ metadataHost: host, root, only: MODULES, args: boot(VM, 'boot-2') });
    await passes(daemon, 3);
    expect(daemon.summaries().map((s) => [s.mode, s.summary.compliant])).toEqual([
      ['check', false],
      ['check', false],
      ['check', false],
    ]);
    const drifted = daemon.serialEvents().filter((e) => e.event === 'finding' && e.severity === undefined).map((e) => `${e.module} ${e.key}`);
    expect(drifted).toEqual(expect.arrayContaining(['timezone /etc/localtime', 'hostname /etc/hostname']));
    await stopDaemon(daemon);
    expect(machineTree(root)).toEqual(before);
  });

  it('metadata-down-report-mode: with the metadata server down, an admin\'s time zone survives several passes and nothing is written', { timeout: 180_000 }, async () => {
    const { emulator, host } = await startEmulator();
    const root = sandboxRoot();
    await firstBoot(root, host);
    setZone(root, 'Asia/Tokyo');
    const before = machineTree(root);
    emulator.faults = { drop: true };

    const daemon = startDaemon({ metadataHost: host, root, only: MODULES, args: boot(VM, 'boot-2') });
    await passes(daemon, 3);
    expect(daemon.summaries().every((s) => s.mode === 'check')).toBe(true);
    await stopDaemon(daemon);
    expect(readlinkSync(path.join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/Asia/Tokyo');
    expect(machineTree(root)).toEqual(before);
  });

  it('the same disk booted as a new instance (other SMBIOS UUID and instance id): its first boot applies again', { timeout: 120_000 }, async () => {
    const { emulator, host } = await startEmulator();
    const root = sandboxRoot();
    await firstBoot(root, host);
    setZone(root, 'Asia/Tokyo');
    emulator.set('instance/id', '987654321');
    const daemon = startDaemon({ metadataHost: host, root, only: MODULES, args: boot('0f1e2d3c-4b5a-6978-8a9b-acbdcedff001', 'boot-1') });
    await waitFor(() => daemon.summaries().length === 1, 'the new instance\'s first pass');
    expect(daemon.summaries()[0]).toMatchObject({ mode: 'apply', instance: '987654321' });
    expect(readlinkSync(path.join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    await stopDaemon(daemon);
    expect(readFileSync(path.join(root, 'etc/timezone'), 'utf8')).toBe('Etc/UTC\n');
  });
});
