// `npm run bench`: measurements, not tests. Prints a table and writes bench/results.json.
// Env: BENCH_RUNS (default 5), BENCH_IDLE_SEC (default 60), BENCH_WATCH_CLI (main.js for watch;
// default: the binary when built, as the unit runs it, else dist's main.js).
// The first table puts each figure of issue 18 beside its reference measured in the same run.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { measure, runTimed, type Sample } from './timed.js';
import { daemonIdleVsOwn, sampleIdle, type DaemonIdleRow, type IdleResult } from './idle.js';
import { startEmulatorProcess } from './emulator-process.js';
import { summarize, type Summary } from './stats.js';
import { earlyVsKeygen, sshdPathRatio, type Timings } from './early-stage.js';
import { describeFixedCost } from './sshd-path.js';
import { mb } from './proc-memory.js';

const repo = resolve(import.meta.dirname, '..', '..');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const idleSec = Number(process.env.BENCH_IDLE_SEC ?? 60);
const cli = join(repo, 'dist/src/cli/main.js');
const binary = join(repo, 'out/bin/gce-firstboot');
const fixture = join(repo, 'test/fixtures/roots/debian-12');

interface Row { name: string; wall: Summary; rssKb?: Summary; note?: string }
const rows: Row[] = [];
const loadAtStart = loadavg();

function addRow(name: string, samples: Sample[], note?: string): void {
  rows.push({ name, wall: summarize(samples.map((s) => s.wallSec)), rssKb: summarize(samples.map((s) => s.maxRssKb)), note });
  console.error(`bench: ${name} done`);
}

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'bench-root-'));
  cpSync(fixture, root, { recursive: true });
  return root;
}

/** ssh-keygen for the three host key types at once, as the host key module does. */
async function sshKeygenParallel(): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-keys-'));
  const started = process.hrtime.bigint();
  const results = await Promise.all(['rsa', 'ecdsa', 'ed25519'].map((type) =>
    runTimed('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(dir, `ssh_host_${type}_key`)])));
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  return { wallSec, maxRssKb: Math.max(...results.map((r) => r.maxRssKb)), voluntarySwitches: 0, exitCode: 0 };
}

async function main(): Promise<void> {
  // (a) cold start
  if (existsSync(binary)) addRow('cold start: binary --version', await measure(runs, () => runTimed(binary, ['--version'])));
  else rows.push({ name: 'cold start: binary --version', wall: summarize([]), note: 'out/bin/gce-firstboot missing (npm run build:binary)' });
  addRow('cold start: node dist --version', await measure(runs, () => runTimed('node', [cli, '--version'])));
  addRow('node -e 0', await measure(runs, () => runTimed('node', ['-e', '0'])), 'the reference for a start');

  const emulator = await startEmulatorProcess(repo);
  const mh = ['--metadata-host', emulator.address];
  try {
    // (b) first-boot apply on a fresh root, every applying module
    const roots: string[] = [];
    addRow('first-boot apply (fresh root)', await measure(runs, () => {
      const root = freshRoot();
      roots.push(root);
      return runTimed('node', [cli, 'apply', '--root', root, ...mh]);
    }));
    if (existsSync(binary)) {
      addRow('first-boot apply, binary', await measure(runs, () => {
        const root = freshRoot();
        roots.push(root);
        return runTimed(binary, ['apply', '--root', root, ...mh]);
      }));
    }
    addRow('ssh-keygen rsa+ecdsa+ed25519 in parallel', await measure(runs, sshKeygenParallel),
      'shown apart: the key work any agent pays');
    // (c) check on the compliant root
    const compliant = roots[0] ?? freshRoot();
    addRow('check pass (compliant root)', await measure(runs, () => runTimed('node', [cli, 'check', '--root', compliant, ...mh])));
    if (existsSync(binary)) addRow('check pass, binary', await measure(runs, () => runTimed(binary, ['check', '--root', compliant, ...mh])));
    // (d) daemon idle, as systemd runs it (JOURNAL_STREAM: the journal logger)
    const watch = process.env.BENCH_WATCH_CLI ? ['node', process.env.BENCH_WATCH_CLI] : existsSync(binary) ? [binary] : ['node', cli];
    const idle: IdleResult = await sampleIdle(watch[0]!, [...watch.slice(1), 'watch', '--root', compliant, ...mh], idleSec,
      { ...process.env, JOURNAL_STREAM: '8:1', NOTIFY_SOCKET: '' });
    idle.note += ` (${watch.join(' ')})`;
    // (d') the figure of issue 18: daemon idle against its executable's own idle and bare node, interleaved
    const daemonIdle = await daemonIdleVsOwn(repo, [
      { label: 'node dist', cmd: ['node', cli] },
      ...(existsSync(binary) ? [{ label: 'binary', cmd: [binary] }] : []),
    ], Math.min(runs, 3), emulator.address, idleSec * 1000);
    console.error('bench: daemon idle against its reference done');
    for (const root of roots) rmSync(root, { recursive: true, force: true });
    // (e) sshd's path: the early stage against ssh-keygen -A, interleaved
    const early = await earlyVsKeygen(runs);
    report(idle, daemonIdle, early);
  } finally {
    emulator.stop();
  }
}

function fmt(s: Summary, digits: number, scale = 1): string {
  if (s.n === 0) return 'n/a';
  return `${(s.median * scale).toFixed(digits)} (${(s.min * scale).toFixed(digits)}–${(s.max * scale).toFixed(digits)})`;
}

const agentName = (t: Timings): string => (t.agent.length === 1 ? 'the binary' : 'node dist (no binary built)');

/** Issue 18's table: each figure beside its reference from this run. */
function footprint(daemonIdle: DaemonIdleRow[], early: Timings): string[] {
  const size = existsSync(binary) ? statSync(binary).size / 1e6 : NaN;
  const r = (a: number, b: number): string => (a / b).toFixed(2);
  const lines = ['| what | gce-firstboot | reference in the same run | ratio | target |', '|---|---|---|---|---|'];
  for (const row of daemonIdle) {
    // Against its own executable doing nothing; the binary also against bare node (the same rounds).
    const alsoBare = row.referenceLabel.startsWith('bare') ? '' : `; bare \`node -e\` idle ${mb(row.bareNode.rssKb)} MB: ${r(row.daemon.rssKb, row.bareNode.rssKb)}`;
    lines.push(`| daemon idle RSS (watch, ${row.label}, after the first pass; pass process peak ${mb(row.passPeakKb)} MB) | ${mb(row.daemon.rssKb)} MB | ${row.referenceLabel}: ${mb(row.reference.rssKb)} MB | ${r(row.daemon.rssKb, row.reference.rssKb)}${alsoBare} | <= 1.15 |`);
  }
  // From the interleaved rounds of the early-stage comparison: the same load for both.
  lines.push(`| \`--version\` of ${agentName(early)} | ${early.version.median.toFixed(3)} s, ${(early.versionRssKb.median / 1024).toFixed(1)} MB | \`node -e 0\`: ${early.bareNode.median.toFixed(3)} s, ${(early.bareNodeRssKb.median / 1024).toFixed(1)} MB | ${r(early.version.median, early.bareNode.median)} (RSS ${r(early.versionRssKb.median, early.bareNodeRssKb.median)}; CPU ${early.cpu.version.median.toFixed(2)} / ${early.cpu.bareNode.median.toFixed(2)} s) | |`);
  lines.push(`| sshd's path: make-host-keys, fresh root (3 keys) | ${early.helper.median.toFixed(3)} s (mean ${early.helper.mean.toFixed(3)}) | \`ssh-keygen -A\`, fresh root: ${early.keygen.median.toFixed(3)} s (mean ${early.keygen.mean.toFixed(3)}) | ${sshdPathRatio(early)} (CPU means ${r(early.cpu.helper.mean, early.cpu.keygen.mean)}) | <= 1.1 |`,
    `| \`apply --stage early\` (beside sshd, not on its path), fresh root (3 keys) | ${early.early.median.toFixed(3)} s, ${(early.earlyRssKb.median / 1024).toFixed(1)} MB | \`ssh-keygen -A\`, fresh root: ${early.keygen.median.toFixed(3)} s | ${r(early.early.median, early.keygen.median)} (CPU ${early.cpu.early.median.toFixed(2)} / ${early.cpu.keygen.median.toFixed(2)} s) | |`,
    `| binary size | ${size.toFixed(1)} MB | Google's agent ~10 MB (issue 18, not measured here) | | <= 60 MB |`);
  return lines;
}

function report(idle: IdleResult, daemonIdle: DaemonIdleRow[], early: Timings): void {
  const lines = [...footprint(daemonIdle, early), '', `sshd's path, ${describeFixedCost(early.fixed)}`, '', `runs per row: ${runs}; median (min–max)`, '',
    `| measurement | wall s | peak RSS MB | note |`, `|---|---|---|---|`];
  for (const r of rows) lines.push(`| ${r.name} | ${fmt(r.wall, 3)} | ${r.rssKb ? fmt(r.rssKb, 1, 1 / 1024) : ''} | ${r.note ?? ''} |`);
  const byName = (n: string): Summary | undefined => rows.find((r) => r.name === n)?.wall;
  const bin = byName('cold start: binary --version');
  const node = byName('cold start: node dist --version');
  if (bin && node && bin.n > 0) lines.push('', `ratio cold start node/binary: ${(node.median / bin.median).toFixed(2)}`);
  const apply = byName('first-boot apply (fresh root)');
  const keys = byName('ssh-keygen rsa+ecdsa+ed25519 in parallel');
  if (apply && keys) lines.push(`ratio ssh-keygen/apply: ${(keys.median / apply.median).toFixed(2)}`);
  lines.push('', `daemon idle (watch, ${idle.seconds} s observed): ${idle.note}`,
    `  RSS ${(idle.rssKb / 1024).toFixed(1)} MB, CPU ${idle.cpuSec.toFixed(2)} s, voluntary context switches (wakeups) ${idle.wakeups}` +
    (idle.seconds > 0 ? ` = ${(idle.wakeups / idle.seconds).toFixed(2)}/s` : ''));
  console.log(lines.join('\n'));
  const commit = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const machine = { nproc: cpus().length, cpu: cpuModel(), node: process.version, date: new Date().toISOString(), commit,
    loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg() };
  console.log(`\n${machine.date}, commit ${commit}, 1-min load ${loadAtStart[0]!.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`);
  writeFileSync(join(repo, 'bench/results.json'), JSON.stringify({ machine, runs, rows, idle, daemonIdle, early }, null, 2) + '\n');
  console.error('bench: wrote bench/results.json');
}

function cpuModel(): string {
  const match = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match?.[1] ?? 'unknown';
}

await main();
