import { describe, expect, it } from 'vitest';
import { summarize, type ModuleResult, type Report } from './model.js';
import { MAX_LINE_BYTES, SERIAL_PREFIX, TRUNCATED_MARK, encodeLine, serialLines, serialView } from './serial-protocol.js';
import { parseSerialLog } from './serial-parse.js';

function reportOf(modules: ModuleResult[], extra: Partial<Report> = {}): Report {
  return { version: 1, mode: 'apply', time: '2026-11-23T10:00:00.000Z', instanceId: '4520031799277581759', modules, summary: summarize(modules), ...extra };
}

const MIXED: ModuleResult[] = [
  { id: 'timezone', title: 'Time zone', status: 'compliant', findings: [], changes: [] },
  {
    id: 'hostname',
    title: 'Host name',
    status: 'applied',
    findings: [{ module: 'hostname', key: 'owner', expected: 'gce-firstboot', actual: 'dhclient hook', severity: 'warning', cause: 'dhclient exit hook' }],
    changes: [{ module: 'hostname', key: '/etc/hostname', action: 'set to demo-vm', path: '/etc/hostname' }],
  },
  {
    id: 'sysctl',
    title: 'Kernel settings',
    status: 'drift',
    findings: [
      { module: 'sysctl', key: 'net.ipv4.ip_forward', expected: '0', actual: '1' },
      { module: 'sysctl', key: 'kernel.kexec', expected: 'off', actual: 'on', fixable: false },
    ],
    changes: [],
  },
  { id: 'ntp', title: 'NTP', status: 'skipped', findings: [], changes: [], reason: 'metadata server 127.0.0.1:9 unreachable (ECONNREFUSED)', metadataUnreachable: true },
  { id: 'mtu', title: 'MTU', status: 'failed', findings: [], changes: [], reason: 'ip: exit 2' },
  { id: 'sshd', title: 'sshd', status: 'skipped', findings: [], changes: [], reason: 'needs the metadata server; not consulted in this stage' },
];

describe('serial protocol', () => {
  it('writes one prefixed JSON line per event, start first and summary last', () => {
    const lines = serialLines(reportOf(MIXED));
    expect(lines.every((line) => line.startsWith(SERIAL_PREFIX))).toBe(true);
    const events = lines.map((line) => JSON.parse(line.slice(SERIAL_PREFIX.length)) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['start', 'change', 'finding', 'finding', 'finding', 'error', 'error', 'summary']);
    expect(events[0]).toEqual({ v: 1, event: 'start', seq: 0, time: '2026-11-23T10:00:00.000Z', instance: '4520031799277581759', mode: 'apply' });
    expect(events.find((e) => e.module === 'ntp')).toMatchObject({ event: 'error', key: 'metadata', action: 'metadata unreachable' });
    expect(events.at(-1)!.action).toBe('drift: sysctl 2; failed: mtu; metadata unreachable');
  });

  it('parses back to the same report, with kernel lines, CRLF and garbage around it', () => {
    const report = reportOf(MIXED);
    const older = reportOf([], { time: '2026-11-23T09:00:00.000Z', mode: 'check' });
    const other = reportOf([MIXED[2]!], { instanceId: '99', mode: 'check' });
    const log = [
      '[    0.000000] Linux version 6.1.0-27-cloud-amd64',
      ...serialLines(older),
      '[  OK  ] Started ssh.service - OpenBSD Secure Shell server.',
      ...serialLines(other),
      `${SERIAL_PREFIX}{"v":1,"event":"finding","time":"x","mod`,
      '\u0000\u00ff garbage',
      // A kernel message without its line end, then our line behind it on the same console line.
      `[   12.500000] clocksource: Switched to clocksource tsc${serialLines(report)[0]}`,
      ...serialLines(report).slice(1),
      `${SERIAL_PREFIX}{"v":1,"event":"start","time":"2026-11-23T11:00:00Z","instance":"4520031799277581759"}`,
    ].join('\r\n');
    const state = parseSerialLog(log);
    const trusted = { complete: true, compliant: false, problems: [] };
    expect(state.instances.get('4520031799277581759')).toEqual({ ...serialView(report), ...trusted });
    expect(state.instances.get('99')).toEqual({ ...serialView(other), ...trusted });
    expect(state.unreadable).toBe(1);
    expect(state.rejected).toEqual([]);
  });

  it('keeps every line under the limit, cutting long values with a marker', () => {
    const long = 'x'.repeat(5000);
    const unicode = 'ü'.repeat(900);
    const lines = serialLines(reportOf([{ id: 'sshd', title: 'sshd', status: 'drift', findings: [{ module: 'sshd', key: 'Ciphers', expected: long, actual: unicode }], changes: [] }]));
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    const finding = JSON.parse(lines[1]!.slice(SERIAL_PREFIX.length)) as { expected: string; actual: string; key: string };
    expect(finding.key).toBe('Ciphers');
    expect(finding.expected.endsWith(TRUNCATED_MARK)).toBe(true);
    expect(finding.actual.endsWith(TRUNCATED_MARK)).toBe(true);
    expect(finding.actual.startsWith('üü')).toBe(true);
    expect(/^[\x20-\x7e]+$/.test(lines[1]!)).toBe(true);
  });

  it('leaves a short line alone and escapes control characters', () => {
    const line = encodeLine({ v: 1, event: 'finding', time: 't', module: 'm', key: 'k', expected: 'a\nb', actual: '' });
    expect(line).toBe(`${SERIAL_PREFIX}{"v":1,"event":"finding","time":"t","module":"m","key":"k","expected":"a\\nb"}`);
  });

  it('marks a pass whose lines were garbled as incomplete', () => {
    const lines = serialLines(reportOf(MIXED));
    const state = parseSerialLog(lines.filter((line) => !line.includes('net.ipv4.ip_forward')).join('\n'));
    expect(state.instances.get('4520031799277581759')?.complete).toBe(false);
  });
});
