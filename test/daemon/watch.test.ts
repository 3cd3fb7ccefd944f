import { readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';
import { sandboxRoot } from '../helpers/sandbox.js';
import { notifySocket, startDaemon, stopDaemon, waitFor } from './harness.js';
import { serialView } from '../../src/report/serial-protocol.js';
import { RunLock } from '../../src/state/run-lock.js';
import { Host } from '../../src/host/host.js';
import type { Report } from '../../src/report/model.js';

function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesBelow(full) : [full];
  });
}

describe('gce-firstboot watch', () => {
  it('tells systemd READY with a STATUS after the first pass, pets the watchdog, and says STOPPING', async () => {
    const { host } = await startEmulator();
    const socket = await notifySocket();
    const daemon = startDaemon({ metadataHost: host, env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000' } });
    const ready = await waitFor(() => socket.messages().find((message) => message.split('\n').includes('READY=1')), 'READY=1');
    expect(ready.split('\n')).toContain(`MAINPID=${daemon.child.pid}`);
    expect(ready.split('\n')).toContainEqual(expect.stringMatching(/^STATUS=compliant, \d+ modules, 2 changes made$/));
    // The first pass was written before READY.
    expect(daemon.summaries()).toHaveLength(1);
    await waitFor(() => socket.messages().filter((message) => message.split('\n').includes('WATCHDOG=1')).length >= 3, 'three WATCHDOG=1');
    const { exitCode } = await stopDaemon(daemon);
    expect(exitCode).toBe(0);
    await waitFor(() => socket.messages().some((message) => message.split('\n').includes('STOPPING=1')), 'STOPPING=1');
  });

  it('sends nothing and fails nothing without NOTIFY_SOCKET', async () => {
    const { host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host, env: { WATCHDOG_USEC: '400000' } });
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(daemon.stderr()).not.toMatch(/systemd-notify|error/i);
    expect((await stopDaemon(daemon)).exitCode).toBe(0);
  });

  it('runs a pass when instance attributes change (interval one hour), and publishes guest attributes', async () => {
    const { emulator, host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    await waitFor(() => emulator.guestAttribute('gce-firstboot/last-pass'), 'guest attributes');
    expect(emulator.guestAttribute('gce-firstboot/status')).toBe('compliant');
    expect(emulator.guestAttribute('gce-firstboot/drift')).toBe('0');
    expect(emulator.guestAttribute('gce-firstboot/last-pass')).toBe(daemon.summaries()[0]!.time);
    // The long-poll is in place once the emulator holds a wait_for_change request.
    await waitFor(() => emulator.requests.some((r) => r.url.includes('wait_for_change=true') && !r.url.includes('last_etag=NONE')), 'the long-poll');
    emulator.set('instance/attributes/team', 'payments');
    await waitFor(() => daemon.summaries().length === 2, 'a pass after the attribute change', 10_000);
    expect(daemon.stderr()).toContain('pass (attributes)');
    const longPolls = emulator.requests.filter((r) => r.url.includes('wait_for_change=true'));
    expect(longPolls.length).toBeLessThanOrEqual(4);
    await stopDaemon(daemon);
  });

  it('backs off when the long-poll fails instead of looping', async () => {
    const { emulator, host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    await waitFor(() => emulator.requests.some((r) => r.url.includes('wait_for_change=true') && !r.url.includes('last_etag=NONE')), 'the long-poll');
    emulator.faults = { serverErrors: 100_000 };
    emulator.set('instance/attributes/nudge', '1');
    const longPolls = (): number => emulator.requests.filter((r) => r.url.includes('wait_for_change=true')).length;
    const before = longPolls();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Backoff 0.5-1 s, then 1-2 s, ...: a handful of attempts, not hundreds.
    expect(longPolls() - before).toBeGreaterThanOrEqual(1);
    expect(longPolls() - before).toBeLessThanOrEqual(5);
    expect(daemon.stderr().match(/watching instance attributes: /g)).toHaveLength(1);
    emulator.faults = {};
    expect((await stopDaemon(daemon)).exitCode).toBe(0);
  });

  it('reports drift injected in the root as finding lines, fixes it on remediation and in enforce mode', async () => {
    const { emulator, host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    const hostnameFile = path.join(daemon.root, 'etc/hostname');
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    // First boot work (hostname is per-boot) was applied even in report mode.
    expect(readFileSync(hostnameFile, 'utf8')).toBe('demo-vm\n');
    await waitFor(() => emulator.requests.some((r) => r.url.includes('wait_for_change=true') && !r.url.includes('last_etag=NONE')), 'the long-poll');

    writeFileSync(hostnameFile, 'edited-by-hand\n');
    emulator.set('instance/attributes/nudge', '1');
    await waitFor(() => daemon.summaries().length === 2, 'the report pass');
    const drift = daemon.serialEvents().filter((e) => e.event === 'finding' && e.key === '/etc/hostname');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ module: 'hostname', expected: 'demo-vm', actual: 'edited-by-hand', instance: '4520031799277581759' });
    expect(readFileSync(hostnameFile, 'utf8')).toBe('edited-by-hand\n');
    expect(daemon.summaries()[1]!.action).toBe('drift: hostname 1');
    await waitFor(() => emulator.guestAttribute('gce-firstboot/status') === 'drift', 'status drift in guest attributes');

    emulator.set('instance/attributes/gce-firstboot-remediate', '2026-11-23 run 1');
    await waitFor(() => daemon.summaries().length === 3, 'the remediation pass');
    expect(readFileSync(hostnameFile, 'utf8')).toBe('demo-vm\n');
    expect(daemon.summaries()[2]).toMatchObject({ mode: 'apply', action: expect.stringMatching(/^compliant, \d+ modules, 1 changes made$/) });

    writeFileSync(hostnameFile, 'edited-again\n');
    emulator.set('instance/attributes/gce-firstboot-mode', 'bogus');
    await waitFor(() => daemon.summaries().length === 4, 'a pass with a bad mode');
    const warning = daemon.serialEvents().find((e) => e.event === 'finding' && e.module === 'watch');
    expect(warning).toMatchObject({ severity: 'warning', key: 'attribute gce-firstboot-mode', actual: 'bogus' });
    expect(readFileSync(hostnameFile, 'utf8')).toBe('edited-again\n');

    emulator.set('instance/attributes/gce-firstboot-mode', 'enforce');
    await waitFor(() => daemon.summaries().length === 5, 'the enforce pass');
    expect(readFileSync(hostnameFile, 'utf8')).toBe('demo-vm\n');
    expect(daemon.summaries()[4]).toMatchObject({ mode: 'apply', summary: { compliant: true } });
    await stopDaemon(daemon);
  });

  it('in report mode, applies the settings enforced every boot once per boot, then only reports their drift', async () => {
    const { emulator, host } = await startEmulator();
    const root = sandboxRoot();
    const localtime = path.join(root, 'etc/localtime');
    const setZone = (zone: string): void => {
      rmSync(localtime);
      symlinkSync(`/usr/share/zoneinfo/${zone}`, localtime);
      writeFileSync(path.join(root, 'etc/timezone'), `${zone}\n`);
    };
    setZone('Europe/Paris');
    const daemon = startDaemon({ metadataHost: host, root, only: 'timezone' });
    await waitFor(() => daemon.summaries().length === 1, 'the boot pass');
    expect(readlinkSync(localtime)).toBe('/usr/share/zoneinfo/UTC');
    expect(daemon.summaries()[0]).toMatchObject({ mode: 'apply', summary: { compliant: true } });
    await waitFor(() => emulator.requests.some((r) => r.url.includes('wait_for_change=true') && !r.url.includes('last_etag=NONE')), 'the long-poll');

    setZone('Asia/Tokyo');
    emulator.set('instance/attributes/nudge', '1');
    await waitFor(() => daemon.summaries().length === 2, 'the report pass');
    expect(daemon.summaries()[1]).toMatchObject({ mode: 'check', summary: { compliant: false } });
    expect(readlinkSync(localtime)).toBe('/usr/share/zoneinfo/Asia/Tokyo');
    await stopDaemon(daemon);

    // A restart within the same boot is not a new boot: it reports, it does not apply.
    // (The harness gives the restarted daemon a fresh serial file.)
    const again = startDaemon({ metadataHost: host, root, only: 'timezone' });
    await waitFor(() => again.summaries().length === 1, 'the pass after a restart');
    expect(again.summaries()[0]).toMatchObject({ mode: 'check', summary: { compliant: false } });
    expect(readlinkSync(localtime)).toBe('/usr/share/zoneinfo/Asia/Tokyo');
    await stopDaemon(again);
  });

  it('what the daemon writes parses back with `report parse` to the report it saved', async () => {
    const { host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    writeFileSync(path.join(daemon.root, 'etc/hosts'), '127.0.0.1 localhost\n');
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    await stopDaemon(daemon);
    const saved = JSON.parse(readFileSync(path.join(daemon.root, 'var/lib/gce-firstboot/last-report.json'), 'utf8')) as Report;
    // A capture as get-serial-port-output gives it: CRLF, kernel lines around ours.
    const capture = path.join(daemon.root, 'capture.txt');
    writeFileSync(capture, `[    1.2] Linux version 6.1\r\n${readFileSync(daemon.serialPath, 'utf8').replace(/\n/g, '\r\n')}[  OK  ] Reached target multi-user.target\r\n`);
    const parsed = await runCli(['report', 'parse', capture, '--json']);
    expect(parsed.exitCode).toBe(0);
    expect(JSON.parse(parsed.stdout)).toEqual({ instances: [{ ...serialView(saved), complete: true, compliant: true, problems: [] }], unreadableLines: 0, rejectedLines: [] });
    const table = await runCli(['report', 'parse', capture]);
    expect(table.stdout).toContain('instance 4520031799277581759');
    expect(table.stdout).toMatch(/hostname\s+\/etc\/hosts\s+wrote 2 managed lines/);
  });

  it('stops within 5 s of SIGTERM while a pass waits on a silent metadata server, leaving no partial files', async () => {
    const { emulator, host } = await startEmulator();
    emulator.faults = { drop: true };
    const daemon = startDaemon({ metadataHost: host, config: 'boot_deadline_sec = 60\n' });
    writeFileSync(path.join(daemon.root, 'etc/hostname'), 'template\n');
    await waitFor(() => daemon.stderr().includes('pass (start)'), 'the first pass to begin');
    await waitFor(() => emulator.requests.length >= 2, 'the pass to be asking the metadata server');
    const { exitCode, ms } = await stopDaemon(daemon);
    expect(exitCode).toBe(0);
    expect(ms).toBeLessThan(5_000);
    expect(daemon.stderr()).not.toContain('stop took too long');
    expect(filesBelow(daemon.root).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(path.join(daemon.root, 'etc/hostname'), 'utf8')).toBe('template\n');
    expect(filesBelow(daemon.root).some((file) => file.endsWith('run.lock'))).toBe(false);
  });

  it('waits for an apply from a shell (the run lock); the next pass reflects its fix', async () => {
    const { emulator, host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    const hostnameFile = path.join(daemon.root, 'etc/hostname');
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    await waitFor(() => emulator.requests.some((r) => r.url.includes('wait_for_change=true') && !r.url.includes('last_etag=NONE')), 'the long-poll');
    writeFileSync(hostnameFile, 'drifted\n');
    // Hold the run lock as a shell's apply does (the real lock, taken the same way).
    const lock = await RunLock.acquire(new Host({ root: daemon.root, live: false }), 30_000);
    const before = daemon.summaries().length;
    emulator.set('instance/attributes/nudge', '1');
    await waitFor(() => daemon.stderr().includes('pass (attributes)'), 'the daemon to start waiting');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(daemon.summaries(), daemon.stderr()).toHaveLength(before);
    // Let go; a real apply from a shell now competes with the waiting daemon pass for the lock.
    await lock.release();
    const apply = await runCli(['apply', '--root', daemon.root, '--metadata-host', host, '--config', daemon.configPath, '--only', 'hostname']);
    expect(apply.exitCode).toBe(0);
    await waitFor(() => daemon.summaries().length === before + 2, 'the apply and the daemon pass');
    emulator.set('instance/attributes/nudge', '2');
    await waitFor(() => daemon.summaries().length === before + 3, 'the next daemon pass');
    expect(daemon.summaries().at(-1)).toMatchObject({ mode: 'check', summary: { compliant: true, drift: 0 } });
    expect(readFileSync(hostnameFile, 'utf8')).toBe('demo-vm\n');
    await stopDaemon(daemon);
  });

  it('logs a missing serial port once and goes on', async () => {
    const { emulator, host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host, serialPort: '/dev/ttyS9' });
    await waitFor(() => /compliant, \d+ modules/.test(daemon.stderr()), 'the first pass');
    await waitFor(() => emulator.requests.some((r) => r.url.includes('wait_for_change=true') && !r.url.includes('last_etag=NONE')), 'the long-poll');
    emulator.set('instance/attributes/nudge', '1');
    await waitFor(() => daemon.stderr().includes('pass (attributes)') && daemon.stderr().split(/compliant, \d+ modules/).length >= 3, 'a second pass');
    expect(daemon.stderr().match(/serial console unavailable/g)).toHaveLength(1);
    expect(daemon.stderr()).toContain('dev/ttyS9');
    expect((await stopDaemon(daemon)).exitCode).toBe(0);
  });

  it('reloads its configuration on SIGHUP', async () => {
    const { host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    const hostnameFile = path.join(daemon.root, 'etc/hostname');
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    writeFileSync(hostnameFile, 'drifted\n');
    writeFileSync(daemon.configPath, readFileSync(daemon.configPath, 'utf8').replace('[core]\n', '[core]\nmode = enforce\n'));
    daemon.child.kill('SIGHUP');
    await waitFor(() => daemon.summaries().length === 2, 'a pass after the reload');
    expect(daemon.stderr()).toContain('configuration reloaded');
    expect(readFileSync(hostnameFile, 'utf8')).toBe('demo-vm\n');
    await stopDaemon(daemon);
  });
});
