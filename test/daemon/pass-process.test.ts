import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import { alive, notifySocket, passPid, startDaemon, stopDaemon, waitFor } from './harness.js';
import { RunLock } from '../../src/state/run-lock.js';
import { Host } from '../../src/host/host.js';

/** Each daemon pass runs in a process of its own (watch --one-pass); these are the events of that process. */
describe('the daemon and its pass processes', () => {
  it('a pass process killed mid-pass (say, by the OOM killer) is reported as a failed pass, and the next pass runs', async () => {
    const { emulator, host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    await waitFor(() => emulator.requests.some((r) => r.url.includes('wait_for_change=true') && !r.url.includes('last_etag=NONE')), 'the long-poll');
    // Hold the run lock as a shell's apply does, so that the next pass waits where it can be caught.
    const lock = await RunLock.acquire(new Host({ root: daemon.root, live: false }), 30_000);
    emulator.set('instance/attributes/nudge', '1');
    const pid = await waitFor(() => passPid(daemon), 'the pass process');
    process.kill(pid, 'SIGKILL');
    await waitFor(() => daemon.summaries().length === 2, 'the failed pass on the serial console');
    expect(daemon.summaries()[1]).toMatchObject({ action: 'failed: watch', summary: { compliant: false, failed: 1 } });
    const error = daemon.serialEvents().find((event) => event.event === 'error' && event.module === 'watch');
    expect(error?.actual).toBe('the pass process was killed by SIGKILL');
    await waitFor(() => emulator.guestAttribute('gce-firstboot/status') === 'error', 'status error in guest attributes');
    expect(daemon.stderr()).toContain('pass failed: the pass process was killed by SIGKILL');
    await lock.release();
    emulator.set('instance/attributes/nudge', '2');
    await waitFor(() => daemon.summaries().length === 3, 'the next pass');
    expect(daemon.summaries()[2]).toMatchObject({ summary: { compliant: true } });
    await waitFor(() => emulator.guestAttribute('gce-firstboot/status') === 'compliant', 'status compliant again');
    expect((await stopDaemon(daemon)).exitCode).toBe(0);
  });

  // The budget must let a normal pass finish on a loaded machine (the pass after the hang).
  it('a pass that hangs on a silent metadata server past --pass-budget is stopped and reported; READY still comes, and the next pass runs', { timeout: 60_000 }, async () => {
    const { emulator, host } = await startEmulator();
    emulator.faults = { drop: true };
    const socket = await notifySocket();
    const daemon = startDaemon({ metadataHost: host, config: 'boot_deadline_sec = 600\n', args: ['--pass-budget', '6'], env: { NOTIFY_SOCKET: socket.path } });
    writeFileSync(path.join(daemon.root, 'etc/hostname'), 'template\n');
    const ready = await waitFor(() => socket.messages().find((message) => message.split('\n').includes('READY=1')), 'READY=1');
    expect(ready.split('\n')).toContain('STATUS=failed: watch');
    expect(daemon.summaries()).toHaveLength(1);
    const error = daemon.serialEvents().find((event) => event.event === 'error' && event.module === 'watch');
    expect(error?.actual).toBe('the pass took longer than 6 s and was stopped');
    // Stopped at SIGTERM, the pass wrote nothing and left no lock behind.
    expect(readFileSync(path.join(daemon.root, 'etc/hostname'), 'utf8')).toBe('template\n');
    emulator.faults = {};
    daemon.child.kill('SIGHUP');
    await waitFor(() => daemon.summaries().length === 2, 'the pass after the metadata server came back');
    expect(daemon.summaries()[1]).toMatchObject({ summary: { compliant: true } });
    expect(readFileSync(path.join(daemon.root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
    expect((await stopDaemon(daemon)).exitCode).toBe(0);
  });

  it('SIGTERM during a pass stops the pass process too: no pass outlives the daemon', async () => {
    const { emulator, host } = await startEmulator();
    emulator.faults = { drop: true };
    const daemon = startDaemon({ metadataHost: host, config: 'boot_deadline_sec = 600\n' });
    await waitFor(() => emulator.requests.length >= 2, 'the pass to be asking the metadata server');
    const pid = await waitFor(() => passPid(daemon), 'the pass process');
    const { exitCode, ms } = await stopDaemon(daemon);
    expect(exitCode).toBe(0);
    expect(ms).toBeLessThan(5_000);
    expect(alive(pid)).toBe(false);
    expect(daemon.summaries()).toEqual([]);
  });

  it('a broken configuration at SIGHUP is logged, and the pass runs with the configuration kept', async () => {
    const { host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host });
    await waitFor(() => daemon.summaries().length === 1, 'the first pass');
    writeFileSync(daemon.configPath, '[core]\ncheck_interval_sec = often\n');
    daemon.child.kill('SIGHUP');
    await waitFor(() => daemon.summaries().length === 2, 'a pass after the failed reload');
    expect(daemon.stderr()).toContain('reload failed, keeping the previous configuration');
    expect(daemon.stderr()).toMatch(/check_interval_sec/);
    // The kept configuration still writes to the root's serial port, and the pass is whole.
    expect(daemon.summaries()[1]).toMatchObject({ summary: { compliant: true } });
    expect((await stopDaemon(daemon)).exitCode).toBe(0);
  });
});
