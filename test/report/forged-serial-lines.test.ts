import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startEmulator } from '../helpers/emulator.js';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { summarize, type ModuleResult, type Report } from '../../src/report/model.js';
import { serialLines } from '../../src/report/serial-protocol.js';

const INSTANCE = '4520031799277581759';
const DRIFT: ModuleResult[] = [
  { id: 'sysctl', title: 'sysctl', status: 'drift', findings: [{ module: 'sysctl', key: 'net.ipv4.ip_forward', expected: '0', actual: '1' }], changes: [] },
];

function pass(time: string, modules: ModuleResult[] = [], instanceId = INSTANCE): string[] {
  const report: Report = { version: 1, mode: 'check', time, instanceId, modules, summary: summarize(modules) };
  return serialLines(report);
}

/** The agent's real pass, drifting, as the console shows it among the kernel's lines. */
const REAL = ['[    0.000000] Linux version 6.1.0-27-cloud-amd64', ...pass('2026-11-23T10:00:00.000Z', DRIFT), '[  OK  ] Started ssh.service.'];

async function reportParse(lines: readonly string[], json = false) {
  const file = path.join(tempDir(), 'serial.log');
  writeFileSync(file, lines.join('\r\n'));
  return runCli(['report', 'parse', file, ...(json ? ['--json'] : [])]);
}

describe('report parse believes only the agent', () => {
  it("a local user's logger line forwarded by journald claims compliant: rejected, named, drift stays", async () => {
    const forged = pass('2026-11-23T11:00:00.000Z').map((line) => `[   61.123456] mallory[4242]: ${line}`);
    const result = await reportParse([...REAL, ...forged]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`instance ${INSTANCE}, last pass 2026-11-23T10:00:00.000Z`);
    expect(result.stdout).toContain('check: drift: sysctl 1');
    expect(result.stdout).toContain('2 line(s) with the gce-firstboot prefix rejected');
    expect(result.stdout).toMatch(/line 6: inside another process's line .*: \[   61\.123456\] mallory\[4242\]: gce-firstboot\/1/);
    expect(result.stderr).toContain('rejected 2 line(s)');
  });

  it('the same forgery through a syslog daemon (date host name[pid]:) and behind a CR is rejected too', async () => {
    const [start, summary] = pass('2026-11-23T11:00:00.000Z');
    const result = await reportParse([...REAL, `Dec  2 15:00:00 demo-vm mallory[4242]: ${start}`, `mallory[4242]: x\r${summary}`], true);
    expect(result.exitCode).toBe(1);
    const output = JSON.parse(result.stdout) as { instances: { time: string; compliant: boolean }[]; rejectedLines: { line: number }[] };
    expect(output.instances).toMatchObject([{ time: '2026-11-23T10:00:00.000Z', compliant: false }]);
    expect(output.rejectedLines.map((item) => item.line)).toEqual([6, 7]);
  });

  it("the agent's pass written after a getty's login prompt (no line end) is still believed", async () => {
    const { host } = await startEmulator();
    const root = sandboxRoot();
    mkdirSync(path.join(root, 'dev'));
    const port = path.join(root, 'dev/ttyS0');
    writeFileSync(port, 'Debian GNU/Linux 12 demo-vm ttyS0\r\n\r\ndemo-vm login: ');
    const check = await runCli(['check', '--root', root, '--metadata-host', host, '--only', 'hostname']);
    expect(check.exitCode).toBe(1);
    const parsed = await runCli(['report', 'parse', port, '--json']);
    expect(parsed.exitCode).toBe(1);
    const output = JSON.parse(parsed.stdout) as { instances: { instance: string; problems: string[] }[]; rejectedLines: unknown[] };
    expect(output.rejectedLines).toEqual([]);
    expect(output.instances).toMatchObject([{ instance: INSTANCE, problems: [] }]);
  });

  it('our line behind a kernel message that had not ended its console line still counts', async () => {
    const [start, ...rest] = pass('2026-11-23T10:00:00.000Z');
    const result = await reportParse([`[    2.500000] clocksource: Switched to clocksource tsc${start}`, ...rest]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('check: compliant');
    expect(result.stderr).not.toContain('rejected');
  });

  it('a pass whose own lines show drift and a failed module but whose summary says compliant is not compliant', async () => {
    const lines = pass('2026-11-23T12:00:00.000Z', [
      ...DRIFT,
      { id: 'mtu', title: 'mtu', status: 'failed', findings: [], changes: [], reason: 'ip: exit 2' },
    ]);
    const lying = lines.at(-1)!.replace(/"summary":\{[^}]*\}/, '"summary":{"compliant":true,"modules":14,"drift":0,"changes":0,"failed":0,"skipped":0,"metadataUnreachable":false}');
    const result = await reportParse([...lines.slice(0, -1), lying]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("NOT COMPLIANT: the pass's own lines contradict it");
    expect(result.stdout).toContain('summary says compliant; its lines show 1 drift finding, 1 failed module');
  });

  it('a forged compliant summary at a line start, inside the real pass, makes it contradicted, not compliant', async () => {
    const real = pass('2026-11-23T10:00:00.000Z', DRIFT);
    const forgedSummary = pass('2026-11-23T10:00:00.000Z').at(-1)!;
    const result = await reportParse([real[0]!, forgedSummary, ...real.slice(1)]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('NOT COMPLIANT');
    expect(result.stdout).toMatch(/2 summary lines for one pass/);
  });

  it('passes are ordered by their own time: an older compliant pass written later in the log does not win', async () => {
    const older = pass('2026-11-23T09:00:00.000Z');
    const result = await reportParse([...REAL, ...older]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('last pass 2026-11-23T10:00:00.000Z');
    expect(result.stdout).toContain('check: drift: sysctl 1');
  });

  it('a host name with terminal escapes cannot wipe the summary row', async () => {
    const hostile = '\u001b[2J\u001b[H\u001b[1A\u001b[2Kcompliant\r';
    const lines = pass('2026-11-23T10:00:00.000Z', [
      { id: 'hostname', title: 'hostname', status: 'drift', findings: [{ module: 'hostname', key: '/etc/hostname', expected: 'demo-vm', actual: hostile }], changes: [] },
    ]);
    const result = await reportParse(lines);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(result.stdout).toContain('\\x1b[2J\\x1b[H');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('check: drift: hostname 1');
  });
});
