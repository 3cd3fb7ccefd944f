import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startEmulator } from '../helpers/emulator.js';
import { FIXTURE_ROOTS, sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { SERIAL_PREFIX, type SerialEvent } from '../../src/report/serial-protocol.js';

function machine(extraCore = ''): { root: string; config: string; serial: () => SerialEvent[] } {
  const root = sandboxRoot();
  mkdirSync(path.join(root, 'dev'));
  writeFileSync(path.join(root, 'dev/ttyS0'), '');
  const config = path.join(tempDir(), 'gce-firstboot.conf');
  writeFileSync(config, `[core]\n${extraCore}`);
  const serial = (): SerialEvent[] =>
    readFileSync(path.join(root, 'dev/ttyS0'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(SERIAL_PREFIX))
      .map((line) => JSON.parse(line.slice(SERIAL_PREFIX.length)) as SerialEvent);
  return { root, config, serial };
}

describe('apply and check write their pass to the serial console', () => {
  it('check writes its findings and summary, and leaves no lock behind', async () => {
    const { host } = await startEmulator();
    const { root, config, serial } = machine();
    const result = await runCli(['check', '--root', root, '--metadata-host', host, '--config', config, '--only', 'hostname']);
    expect(result.exitCode).toBe(1);
    const events = serial();
    expect(events.map((e) => e.event)).toEqual(['start', 'finding', 'finding', 'summary']);
    expect(events[1]).toMatchObject({ module: 'hostname', key: '/etc/hostname', expected: 'demo-vm', instance: '4520031799277581759' });
    expect(events.at(-1)).toMatchObject({ mode: 'check', action: 'drift: hostname 2', summary: { compliant: false, drift: 2 } });
    expect(existsSync(path.join(root, 'var/lib/gce-firstboot/run.lock'))).toBe(false);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe(readFileSync(path.join(FIXTURE_ROOTS, 'debian-12/etc/hostname'), 'utf8'));
  });

  it('the early stage writes start, changes and summary without asking the metadata server', async () => {
    const { root, config, serial } = machine();
    const result = await runCli(['apply', '--stage', 'early', '--root', root, '--config', config]);
    expect(result.exitCode).toBe(0);
    const events = serial();
    expect(events[0]).toMatchObject({ event: 'start', mode: 'apply' });
    expect(events.at(-1)).toMatchObject({ event: 'summary', mode: 'apply' });
    expect(events.some((e) => e.event === 'error')).toBe(false);
  });

  it('an unreachable metadata server shows as "metadata unreachable" error lines', async () => {
    const { emulator, host } = await startEmulator();
    emulator.faults = { drop: true };
    const { root, config, serial } = machine('boot_deadline_sec = 1\n');
    const result = await runCli(['apply', '--root', root, '--metadata-host', host, '--config', config]);
    expect(result.exitCode).toBe(3);
    const errors = serial().filter((e) => e.event === 'error');
    expect(errors).toContainEqual(expect.objectContaining({ module: 'hostname', key: 'metadata', action: 'metadata unreachable' }));
    expect(serial().at(-1)!.action).toContain('metadata unreachable');
    // Said once, when the waiting begins, not only in the summary after the budget ran out.
    const waiting = result.stderr.split('\n').filter((line) => line.includes('not answering'));
    expect(waiting, result.stderr).toHaveLength(1);
    expect(waiting[0]).toMatch(new RegExp(`warn: metadata server ${host.replaceAll('.', '\\.')} not answering \\(.+\\); retrying for up to 1 s \\(\\[core\\] boot_deadline_sec; --offline does without it\\)$`));
  });

  it('apply --dry-run writes nothing', async () => {
    const { host } = await startEmulator();
    const { root, config, serial } = machine();
    await runCli(['apply', '--dry-run', '--root', root, '--metadata-host', host, '--config', config]);
    expect(serial()).toEqual([]);
  });
});

describe('report parse', () => {
  it('reads standard input and says when no pass is there', async () => {
    const { execa } = await import('execa');
    const { CLI } = await import('../helpers/cli.js');
    const log = [
      '[    0.1] Linux version 6.1',
      `${SERIAL_PREFIX}{"v":1,"event":"start","time":"2026-11-23T10:00:00.000Z","instance":"7","mode":"check"}`,
      `${SERIAL_PREFIX}{"v":1,"event":"finding","time":"2026-11-23T10:00:00.000Z","instance":"7","module":"sysctl","key":"net.ipv4.ip_forward","expected":"0","actual":"1"}`,
      `${SERIAL_PREFIX}{"v":1,"event":"summary","time":"2026-11-23T10:00:00.000Z","instance":"7","mode":"check","action":"drift: sysctl 1","summary":{"compliant":false,"modules":3,"drift":1,"changes":0,"failed":0,"skipped":0,"metadataUnreachable":false}}`,
    ].join('\r\n');
    const parsed = await execa(process.execPath, [CLI, 'report', 'parse', '-'], { input: log, reject: false });
    expect(parsed.exitCode).toBe(1);
    expect(parsed.stdout).toContain('instance 7, last pass 2026-11-23T10:00:00.000Z');
    expect(parsed.stdout).toMatch(/sysctl\s+net\.ipv4\.ip_forward\s+0\s+1\s+drift/);
    expect(parsed.stdout).toContain('check: drift: sysctl 1');
    const empty = await execa(process.execPath, [CLI, 'report', 'parse', '-'], { input: '[  OK  ] Started foo.\n', reject: false });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain('no gce-firstboot pass found');
    const usage = await execa(process.execPath, [CLI, 'report', 'frobnicate'], { reject: false });
    expect(usage.exitCode).toBe(2);
  });
});
