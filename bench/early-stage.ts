// `node dist/bench/early-stage.js` after `npm run build` (issue 18 item 3): sshd's path on this
// machine. Since the host keys are made before sshd by packaging/make-host-keys (the
// gce-firstboot-host-keys unit), that helper on a fresh root is sshd's path, against `ssh-keygen -A`
// on a fresh root of the same kind, interleaved; beside them `apply --stage early` (the agent's
// early stage, now run beside sshd) on a fresh root where it makes the keys itself, as before; then
// one early run under strace to show where its time goes.
// Env: BENCH_RUNS (default 7), BENCH_BINARY (default out/bin/gce-firstboot; dist's main.js when missing).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTimed, type Sample } from './timed.js';
import { ratioOfMeansInterval, summarize, type Summary } from './stats.js';
import { describeFixedCost, estimatedRatio, fixedCost, type FixedCost } from './sshd-path.js';

const repo = resolve(import.meta.dirname, '..', '..');
const runs = Number(process.env.BENCH_RUNS ?? 7);
const binary = process.env.BENCH_BINARY ?? join(repo, 'out/bin/gce-firstboot');
const agent = existsSync(binary) ? [binary] : ['node', join(repo, 'dist/src/cli/main.js')];

export function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'bench-early-'));
  cpSync(join(repo, 'test/fixtures/roots/debian-12'), root, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'etc/ssh'), { recursive: true });
  return root;
}

const earlyArgs = (root: string): string[] => [...agent.slice(1), 'apply', '--stage', 'early', '--root', root];

async function onFreshRoot(run: (root: string) => Promise<Sample>): Promise<Sample> {
  const root = freshRoot();
  try {
    return await run(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export interface Timings { helper: Summary; early: Summary; keygen: Summary; version: Summary; bareNode: Summary; earlyRssKb: Summary; versionRssKb: Summary; bareNodeRssKb: Summary; agent: string[];
  /** 90 % bootstrap interval of mean(helper) / mean(keygen): how far RSA luck lets the direct ratio move. */
  helperToKeygenMeans90: [number, number];
  /** make-host-keys' cost beyond the key making, measured without RSA (bench/sshd-path.ts). */
  fixed: FixedCost;
  /** (mean of ssh-keygen -A + fixed cost) / mean of ssh-keygen -A: the ratio without RSA luck. */
  estimatedRatio: number;
  /** user+sys CPU seconds, children included: steadier than wall time on a loaded machine. */
  cpu: { helper: Summary; early: Summary; keygen: Summary; version: Summary; bareNode: Summary } }

const helperPath = join(repo, 'packaging/make-host-keys');

/** Interleaved: make-host-keys, early apply, ssh-keygen -A, the agent's --version, node -e 0; one discarded warm-up round. */
export async function earlyVsKeygen(n: number, fixedRounds = Math.max(30, n * 5)): Promise<Timings> {
  const helper: Sample[] = [];
  const early: Sample[] = [];
  const keygen: Sample[] = [];
  const version: Sample[] = [];
  const bare: Sample[] = [];
  for (let i = 0; i <= n; i++) {
    const round = [
      await onFreshRoot((root) => runTimed('sh', [helperPath], ['env', `GCE_FIRSTBOOT_ROOT=${root}`])),
      await onFreshRoot((root) => runTimed(agent[0]!, earlyArgs(root))),
      await onFreshRoot((root) => runTimed('ssh-keygen', ['-A', '-f', root])),
      await runTimed(agent[0]!, [...agent.slice(1), '--version']),
      await runTimed('node', ['-e', '0']),
    ];
    if (i === 0) continue;
    helper.push(round[0]!);
    early.push(round[1]!);
    keygen.push(round[2]!);
    version.push(round[3]!);
    bare.push(round[4]!);
  }
  const wall = (samples: Sample[]): Summary => summarize(samples.map((s) => s.wallSec));
  const rss = (samples: Sample[]): Summary => summarize(samples.map((s) => s.maxRssKb));
  const cpu = (samples: Sample[]): Summary => summarize(samples.map((s) => s.cpuSec ?? NaN));
  const fixed = await fixedCost(helperPath, fixedRounds);
  const keygenWall = wall(keygen);
  return { helper: wall(helper), early: wall(early), keygen: keygenWall, version: wall(version), bareNode: wall(bare),
    helperToKeygenMeans90: ratioOfMeansInterval(helper.map((s) => s.wallSec), keygen.map((s) => s.wallSec)),
    fixed, estimatedRatio: estimatedRatio(fixed, keygenWall),
    earlyRssKb: rss(early), versionRssKb: rss(version), bareNodeRssKb: rss(bare), agent,
    cpu: { helper: cpu(helper), early: cpu(early), keygen: cpu(keygen), version: cpu(version), bareNode: cpu(bare) } };
}

interface Spawn { pid: string; what: string; start: number; end?: number }

/** One early apply under `strace -f`: when each process was exec'd and when it exited. */
export function traceEarly(): { total: number; firstSpawn: number; spawns: Spawn[]; afterLast: number } {
  const root = freshRoot();
  const log = join(root, 'strace.log');
  try {
    execFileSync('strace', ['-f', '-ttt', '-q', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, agent[0]!, ...earlyArgs(root)], { stdio: 'ignore' });
    const procs = new Map<string, Spawn>();
    let first: Spawn | undefined;
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const exec = /^(\d+)\s+([\d.]+) execve\("[^"]*", \[(.*?)\](?:, 0x[0-9a-f]+)?.*\) = 0$/.exec(line);
      if (exec) {
        const argv = [...exec[3]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
        const spawn: Spawn = { pid: exec[1]!, what: argv.slice(0, 6).join(' ').replaceAll(root, 'ROOT').slice(0, 70), start: Number(exec[2]) };
        if (!procs.has(exec[1]!)) procs.set(exec[1]!, spawn);
        first ??= spawn;
        continue;
      }
      const exit = /^(\d+)\s+([\d.]+) \+\+\+ (?:exited|killed)/.exec(line);
      if (exit && procs.has(exit[1]!)) procs.get(exit[1]!)!.end = Number(exit[2]);
    }
    if (!first) throw new Error('strace saw no execve');
    const spawns = [...procs.values()].filter((p) => p !== first).map((p) => ({ ...p, start: p.start - first!.start, end: (p.end ?? p.start) - first!.start }));
    const total = (first.end ?? first.start) - first.start;
    const lastEnd = Math.max(0, ...spawns.map((s) => s.end!));
    return { total, firstSpawn: spawns[0]?.start ?? total, spawns, afterLast: total - lastEnd };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The ratio of sshd's path: the estimate without RSA luck, then the direct ratios with the interval of the means'. */
export function sshdPathRatio(t: Timings): string {
  const [low, high] = t.helperToKeygenMeans90;
  return `**${t.estimatedRatio.toFixed(3)}** without RSA luck (fixed cost ${(t.fixed.seconds * 1000).toFixed(1)} ms on a mean of ${t.keygen.mean.toFixed(3)} s; target <= 1.1); direct: medians ${(t.helper.median / t.keygen.median).toFixed(2)}, means ${(t.helper.mean / t.keygen.mean).toFixed(2)} (90 % interval ${low.toFixed(2)}–${high.toFixed(2)})`;
}

const f = (s: Summary): string => `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;

async function main(): Promise<void> {
  console.error(`bench: early stage with ${agent.join(' ')}, ${runs} interleaved rounds`);
  const t = await earlyVsKeygen(runs);
  const lines = [`sshd's path: ${runs} interleaved rounds, wall s median (min–max); each round makes one RSA 3072 key per way, whose time is heavy-tailed luck: a fixed cost shows in the ratio of the means`, '',
    '| measurement | wall s | reference | ratio |', '|---|---|---|---|',
    `| **sshd's path**: make-host-keys, fresh root (3 keys) | ${f(t.helper)}, mean ${t.helper.mean.toFixed(3)} | ssh-keygen -A, fresh root: ${f(t.keygen)}, mean ${t.keygen.mean.toFixed(3)} | ${sshdPathRatio(t)}; CPU medians ${t.cpu.helper.median.toFixed(2)} / ${t.cpu.keygen.median.toFixed(2)} s = ${(t.cpu.helper.median / t.cpu.keygen.median).toFixed(2)}, means ${(t.cpu.helper.mean / t.cpu.keygen.mean).toFixed(2)} |`,
    `| apply --stage early (beside sshd now), fresh root (3 keys), peak RSS ${(t.earlyRssKb.median / 1024).toFixed(1)} MB | ${f(t.early)} | ssh-keygen -A, fresh root: ${f(t.keygen)} | ${(t.early.median / t.keygen.median).toFixed(2)} (not on sshd's path: no target); CPU ${t.cpu.early.median.toFixed(2)} / ${t.cpu.keygen.median.toFixed(2)} s = ${(t.cpu.early.median / t.cpu.keygen.median).toFixed(2)} |`,
    `| --version (start of the executable) | ${f(t.version)} | node -e 0: ${f(t.bareNode)} | ${(t.version.median / t.bareNode.median).toFixed(2)}; CPU ${t.cpu.version.median.toFixed(2)} / ${t.cpu.bareNode.median.toFixed(2)} s |`];
  const trace = traceEarly();
  lines.push('', `sshd's path, ${describeFixedCost(t.fixed)}`,
    '', `One early apply under strace -f (slower than without; read the shares): ${trace.total.toFixed(3)} s in all`,
    `- exec to the first spawn (Node start, module loading, config, state): ${trace.firstSpawn.toFixed(3)} s`,
    ...trace.spawns.map((s) => `- ${s.what}: ${s.start.toFixed(3)} → ${s.end!.toFixed(3)} s (${(s.end! - s.start).toFixed(3)} s)`),
    `- after the last spawn ended until exit (report, state, serial): ${trace.afterLast.toFixed(3)} s`);
  console.log(lines.join('\n'));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.dirname, 'early-stage.js')) await main();
