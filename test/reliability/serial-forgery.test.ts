import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarize, type ModuleResult, type Report } from '../../src/report/model.js';
import { encodeLine, serialLines } from '../../src/report/serial-protocol.js';
import { parseSerialLog } from '../../src/report/serial-parse.js';

// Real logs are made by the agent's own writer (serialLines); forged lines are what other programs
// put on the same console. Whatever the forger adds, `report parse` never says "compliant" where
// the agent's own latest pass did not.

const RUNS = Number(process.env.RUNS ?? 400);
const INSTANCES = ['4520031799277581759', '99', undefined] as const;
const MODULE_IDS = ['hostname', 'sysctl', 'sshd', 'mtu', 'ntp', 'timezone', 'ssh-host-keys'];
const value = fc.string({ unit: 'binary', maxLength: 30 });

const moduleOf = (id: string) =>
  fc.oneof(
    fc.constant<ModuleResult>({ id, title: id, status: 'compliant', findings: [], changes: [] }),
    fc.array(fc.tuple(value, value, value), { minLength: 1, maxLength: 3 }).map(
      (items): ModuleResult => ({ id, title: id, status: 'drift', findings: items.map(([key, expected, actual]) => ({ module: id, key, expected, actual })), changes: [] }),
    ),
    fc.tuple(fc.array(value, { minLength: 1, maxLength: 2 }), fc.boolean()).map(
      ([keys, warn]): ModuleResult => ({
        id,
        title: id,
        status: 'applied',
        findings: warn ? [{ module: id, key: 'owner', expected: 'us', actual: 'a hook', severity: 'warning' }] : [],
        changes: keys.map((key) => ({ module: id, key, action: 'set', path: `/etc/${key}` })),
      }),
    ),
    value.map((reason): ModuleResult => ({ id, title: id, status: 'failed', findings: [], changes: [], reason })),
    value.map((reason): ModuleResult => ({ id, title: id, status: 'skipped', findings: [], changes: [], reason, metadataUnreachable: true })),
    fc.constant<ModuleResult>({ id, title: id, status: 'skipped', findings: [], changes: [], reason: 'not in this stage' }),
  );

const modules = fc.subarray(MODULE_IDS, { minLength: 1 }).chain((ids) => fc.tuple(...ids.map(moduleOf)));
const time = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }).map((ms) => new Date(ms).toISOString());

function reportOf(instanceId: string | undefined, at: string, results: ModuleResult[], mode: Report['mode'] = 'check'): Report {
  return { version: 1, mode, time: at, ...(instanceId === undefined ? {} : { instanceId }), modules: results, summary: summarize(results) };
}

const realPass = fc.record({ instance: fc.constantFrom(...INSTANCES), time, modules, mode: fc.constantFrom<Report['mode'][]>('check', 'apply') }).map((p) => reportOf(p.instance, p.time, p.modules, p.mode));

/** Passes with distinct (instance, time): the agent never writes two passes with one key. */
const realPasses = fc.uniqueArray(realPass, { minLength: 1, maxLength: 5, selector: (r) => `${r.instanceId}|${r.time}` });

const noise = fc.oneof(
  fc.constantFrom('[    0.000000] Linux version 6.1.0-27-cloud-amd64', '[  OK  ] Started ssh.service - OpenBSD Secure Shell server.', ''),
  fc.string({ maxLength: 40 }).filter((line) => !line.includes('\n') && !line.includes('gce-firstboot/')),
);

/** A compliant pass as a forger would write it, for any instance and time (often newer than any real one). */
const forgedPassLines = fc.record({ instance: fc.constantFrom(...INSTANCES), time }).map((p) => serialLines(reportOf(p.instance, p.time, [])));

/** What sits in front of a forged line that is not where the agent writes. */
const forgerHeader = fc.oneof(
  // journald's console forwarding: [printk time] identifier[pid]: (the identifier is the sender's choice)
  fc.tuple(fc.option(fc.float({ min: 0, max: 99999, noNaN: true })), fc.string({ unit: 'binary', maxLength: 20 }), fc.nat(4194304)).map(
    ([ts, ident, pid]) => `${ts === null ? '' : `[${ts.toFixed(6).padStart(12)}] `}${ident}[${pid}]: `,
  ),
  // a syslog daemon's console line: date host tag[pid]:
  fc.tuple(fc.string({ maxLength: 12 }), fc.nat(99999)).map(([host, pid]) => `Dec  2 15:00:00 ${host} mallory[${pid}]: `),
  // a header, then text and a CR that a terminal would show as a new line
  fc.tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.nat(99999)).map(([text, pid]) => `mallory[${pid}]: ${text}\r`),
  // any other text that is not a kernel message in front of the line
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((prefix) => !prefix.includes('\n') && !prefix.startsWith('[')),
);

const wrappedForgeries = fc.array(fc.tuple(forgerHeader, forgedPassLines, fc.nat()), { maxLength: 6 }).map((items) =>
  items.flatMap(([header, lines, pick]) => (pick % 2 ? lines.map((line) => header + line) : [header + lines[pick % lines.length]!])),
);

/** Inserts each forged line at a position chosen by the generator, keeping the real lines' order. */
function interleave(real: readonly string[], forged: readonly string[], positions: readonly number[]): string[] {
  const out = [...real];
  forged.forEach((line, index) => out.splice((positions[index] ?? 0) % (out.length + 1), 0, line));
  return out;
}

function logOf(passes: readonly Report[], noiseLines: readonly string[]): string[] {
  return interleave(passes.flatMap((report) => serialLines(report)), noiseLines, noiseLines.map((_, i) => i * 7));
}

function truth(passes: readonly Report[]): Map<string, Report> {
  const latest = new Map<string, Report>();
  for (const report of passes) {
    const key = report.instanceId ?? '';
    const seen = latest.get(key);
    if (!seen || Date.parse(report.time) > Date.parse(seen.time)) latest.set(key, report);
  }
  return latest;
}

describe('property: forged serial lines never make report parse say compliant', () => {
  it("protocol lines inside other programs' lines change nothing, and each is reported", () => {
    fc.assert(
      fc.property(realPasses, fc.array(noise, { maxLength: 8 }), wrappedForgeries, fc.array(fc.nat(), { maxLength: 60 }), (passes, noiseLines, forged, positions) => {
        const real = logOf(passes, noiseLines);
        const clean = parseSerialLog(real.join('\r\n'));
        const attacked = parseSerialLog(interleave(real, forged, positions).join('\r\n'));
        expect(attacked.instances).toEqual(clean.instances);
        expect(attacked.rejected.length).toBe(forged.length);
        for (const [instance, report] of truth(passes)) {
          expect(attacked.instances.get(instance)?.time).toBe(report.time);
          expect(attacked.instances.get(instance)?.compliant).toBe(report.summary.compliant);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('lines at a line start that contradict the real passes (summaries, older passes, second starts, any sequence number) never win', () => {
    const lineStartForgery = (passes: Report[]) =>
      fc.array(
        fc.tuple(fc.constantFrom(...passes), fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom('summary', 'older pass', 'start', 'numbered line'), fc.nat(20)).map(([target, back, kind, seq]) => {
          const compliantClaim = serialLines(reportOf(target.instanceId, target.time, [], target.mode));
          if (kind === 'summary') return [compliantClaim.at(-1)!];
          if (kind === 'numbered line') {
            // A harmless-looking change line with any sequence number, for a real pass.
            return [encodeLine({ v: 1, event: 'change', seq, time: target.time, instance: target.instanceId, module: 'timezone', key: '/etc/localtime', action: 'set' })];
          }
          if (kind === 'start') return [serialLines(reportOf(target.instanceId, target.time, [], target.mode === 'check' ? 'apply' : 'check'))[0]!];
          const latest = truth(passes).get(target.instanceId ?? '')!;
          return serialLines(reportOf(target.instanceId, new Date(Date.parse(latest.time) - back).toISOString(), []));
        }),
        { minLength: 1, maxLength: 4 },
      );
    fc.assert(
      fc.property(
        realPasses.chain((passes) => fc.tuple(fc.constant(passes), lineStartForgery(passes), fc.array(fc.nat(), { maxLength: 40 }), fc.array(noise, { maxLength: 6 }))),
        ([passes, forgeries, positions, noiseLines]) => {
          const log = interleave(logOf(passes, noiseLines), forgeries.flat(), positions);
          const parsed = parseSerialLog(log.join('\n'));
          for (const [instance, pass] of parsed.instances) {
            if (!pass.compliant) continue;
            const real = truth(passes).get(instance);
            expect(real?.summary.compliant).toBe(true);
            expect(pass.time).toBe(real!.time);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
