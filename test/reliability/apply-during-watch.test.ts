import { existsSync, mkdirSync, readFileSync, readdirSync, lstatSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { CLI, reportOf, runCli } from '../helpers/cli.js';
import { waitFor } from '../daemon/harness.js';
import { SERIAL_PREFIX } from '../../src/report/serial-protocol.js';
import { Host } from '../../src/host/host.js';
import { RunLock } from '../../src/state/run-lock.js';

const daemons: ReturnType<typeof execa>[] = [];
afterEach(async () => {
  for (const child of daemons.splice(0)) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await child.catch(() => undefined);
  }
});

/** `watch` with the hostname module only (it needs the metadata server, which the test slows down), its serial port a file in the root. */
function startWatch(root: string, metadataHost: string): { configPath: string; stderr: () => string; stop: () => Promise<number | undefined> } {
  mkdirSync(path.join(root, 'dev'), { recursive: true });
  writeFileSync(path.join(root, 'dev/ttyS0'), '');
  const configPath = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
  writeFileSync(configPath, '[core]\nserial_port = /dev/ttyS0\ncheck_interval_sec = 3600\nboot_deadline_sec = 60\nrequest_timeout_ms = 10000\n');
  const child = execa(process.execPath, [CLI, 'watch', '--root', root, '--metadata-host', metadataHost, '--config', configPath, '--only', 'hostname'], {
    reject: false,
    env: { JOURNAL_STREAM: '', NOTIFY_SOCKET: '' },
    buffer: false,
  });
  daemons.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  child.stdout!.resume();
  return {
    configPath,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return (await child).exitCode;
    },
  };
}

async function lockHolder(root: string): Promise<number | undefined> {
  return RunLock.holder(new Host({ root, live: false }));
}

/** Temp files and scratch dirs (.NAME.gce-firstboot-...) anywhere below root. */
function litter(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (name.startsWith('.') && name.includes('.gce-firstboot-')) found.push(full);
      else if (lstatSync(full).isDirectory()) walk(full);
    }
  };
  walk(root);
  return found;
}

function serialSummaries(root: string): { mode: string; summary: { changes: number; modules: number } }[] {
  const serial = readFileSync(path.join(root, 'dev/ttyS0'), 'utf8');
  return serial
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith(SERIAL_PREFIX))
    .map((line) => JSON.parse(line.slice(SERIAL_PREFIX.length)) as { event: string; mode: string; summary: { changes: number; modules: number } })
    .filter((event) => event.event === 'summary');
}

describe('apply while watch runs on the same root', () => {
  it("two applies started during watch's pass wait for the run lock, then run one at a time; nothing interleaves or breaks", async () => {
    const { emulator, host } = await startEmulator();
    // Slow answers keep the daemon's first pass (and so its hold on the lock) going for seconds.
    emulator.faults = { delayMs: 700 };
    const root = sandboxRoot();
    const watch = startWatch(root, host);
    const daemonPid = await waitFor(() => lockHolder(root), "the daemon's pass to hold the run lock");
    expect(serialSummaries(root)).toEqual([]);
    // Written only by an apply: the daemon runs the hostname module only.
    const applyOnly = path.join(root, 'etc/sysctl.d/60-gce-firstboot.conf');

    const applies = [0, 1].map(() => runCli(['apply', '--root', root, '--metadata-host', host, '--json']));
    let settled = false;
    void Promise.all(applies).then(() => (settled = true));
    let samplesDuringDaemonPass = 0;
    while (!settled) {
      // The file first, the serial port second: the daemon prints its summary before it lets go of
      // the lock, so no summary yet means it held the lock all along, and no apply may have written.
      // The holder is asked between two reads of the serial port: a summary in the second read
      // means the pass may have ended (and let go) while it was asked.
      const written = existsSync(applyOnly);
      if (serialSummaries(root).length === 0) {
        const holder = await lockHolder(root);
        if (serialSummaries(root).length === 0) {
          samplesDuringDaemonPass++;
          expect(written, 'an apply wrote while the daemon held the run lock').toBe(false);
          expect(holder, 'the run lock left the daemon before its summary').toBe(daemonPid);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(samplesDuringDaemonPass).toBeGreaterThan(0);
    const results = await Promise.all(applies);
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    // One at a time: the daemon's pass first, then each apply; the second apply found nothing to do.
    const summaries = serialSummaries(root);
    expect(summaries.map((event) => event.summary.modules > 1)).toEqual([false, true, true]);
    expect(results.map((result) => reportOf(result).summary.changes).sort((a, b) => a - b)[0]).toBe(0);
    expect(summaries[1]!.summary.changes).toBeGreaterThan(0);
    expect(summaries[2]!.summary.changes).toBe(0);

    emulator.faults = {};
    expect(await watch.stop()).toBe(0);
    expect(await lockHolder(root)).toBeUndefined();
    expect(litter(root)).toEqual([]);
    const check = await runCli(['check', '--root', root, '--metadata-host', host]);
    expect(check.exitCode, check.stdout).toBe(0);
    JSON.parse(readFileSync(path.join(root, 'var/lib/gce-firstboot/state.json'), 'utf8'));
    JSON.parse(readFileSync(path.join(root, 'var/lib/gce-firstboot/last-report.json'), 'utf8'));
    expect(readFileSync(path.join(root, 'dev/ttyS0'), 'utf8').endsWith('\n')).toBe(true);
  }, 240_000);
});
