import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { evictFromPageCache, readMemory, sleep, type Memory } from './proc-memory.js';
import { childPids, daemonRoot, summaryCounter, waitForCount } from './daemon-root.js';

export interface IdleResult { seconds: number; rssKb: number; cpuSec: number; wakeups: number; note: string }

interface ProcSample { rssKb: number; cpuTicks: number; voluntary: number }

function readProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" closing comm: utime is field 14, stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const num = (re: RegExp): number => Number(re.exec(status)?.[1] ?? NaN);
    return { rssKb: num(/^VmRSS:\s+(\d+)/m), cpuTicks: Number(fields[11]) + Number(fields[12]),
      voluntary: num(/^voluntary_ctxt_switches:\s+(\d+)/m) };
  } catch {
    return undefined;
  }
}

const ticksPerSec = 100; // USER_HZ on Linux x86-64

/** Starts the daemon, lets it settle 3 s, then measures CPU and wakeups over `seconds`. */
export async function sampleIdle(cmd: string, args: string[], seconds: number, env: NodeJS.ProcessEnv = process.env): Promise<IdleResult> {
  evictFromPageCache(cmd);
  const child = spawn(cmd, args, { stdio: 'ignore', env });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(3000);
  const start = readProc(child.pid!);
  if (!start || exited) {
    return { seconds: 0, rssKb: 0, cpuSec: 0, wakeups: 0,
      note: 'watch exited within 3 s: this branch\'s watch is one check pass (the daemon is not merged)' };
  }
  const begun = Date.now();
  let last = start;
  while (Date.now() - begun < seconds * 1000 && !exited) {
    await sleep(1000);
    last = readProc(child.pid!) ?? last;
  }
  const observed = (Date.now() - begun) / 1000;
  const note = exited ? `watch exited after ${observed.toFixed(1)} s` : 'nothing changing';
  child.kill('SIGTERM');
  return { seconds: Math.round(observed), rssKb: last.rssKb, cpuSec: (last.cpuTicks - start.cpuTicks) / ticksPerSec,
    wakeups: last.voluntary - start.voluntary, note };
}

/**
 * The reference for a resident daemon: the same executable started and doing nothing. For node,
 * `node -e` with a timer; for the SEA binary, its `--version` kept alive by a timer preloaded
 * through NODE_OPTIONS --require (the binary honours it): Node, the binary's own pages and its bundle
 * loaded, nothing of ours run beyond --version.
 */
export async function executableIdle(cmd: readonly string[], settleMs = 3000): Promise<{ label: string; memory: Memory }> {
  const keepAlive = 'setInterval(() => {}, 1e9);\n';
  const isNode = cmd.length === 1 && cmd[0] === 'node';
  // The SEA binary runs a --require preload (not an --import one); the path has no spaces (NODE_OPTIONS splits on them).
  const preload = join(mkdtempSync(join(tmpdir(), 'bench-keepalive-')), 'keep-alive.cjs');
  writeFileSync(preload, keepAlive);
  evictFromPageCache(cmd[0]!);
  const child = isNode
    ? spawn('node', ['-e', keepAlive], { stdio: 'ignore' })
    : spawn(cmd[0]!, [...cmd.slice(1), '--version'], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: `--require=${preload}` } });
  await sleep(settleMs);
  const memory = readMemory(child.pid!);
  child.kill('SIGTERM');
  rmSync(dirname(preload), { recursive: true, force: true });
  if (!memory) throw new Error(`${cmd.join(' ')} exited before it was measured`);
  return { label: isNode ? 'bare `node -e` idle' : 'the binary\'s own idle (`--version` kept alive)', memory };
}

export interface DaemonIdleVariant {
  label: string;
  /** The executable: ['node', main.js] or [binary]. */
  cmd: string[];
  /** NODE_OPTIONS for the daemon (and so its passes). */
  nodeOptions?: string;
}

export interface DaemonIdleRow {
  label: string;
  daemon: Memory;
  reference: Memory;
  referenceLabel: string;
  /** Bare `node -e` doing nothing, measured in the same rounds: issue 18's reference for every row. */
  bareNode: Memory;
  /** Highest RSS of a pass process seen during the first pass. */
  passPeakKb: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const medianMemory = (list: Memory[]): Memory => ({
  rssKb: median(list.map((m) => m.rssKb)),
  anonKb: median(list.map((m) => m.anonKb)),
  fileKb: median(list.map((m) => m.fileKb)),
});

/** One daemon (`watch` on a fresh sandbox root, as systemd runs it): its RSS `settleMs` after the first pass. */
async function daemonIdleOnce(repo: string, variant: DaemonIdleVariant, metadataHost: string, settleMs: number): Promise<{ memory: Memory; passPeakKb: number }> {
  const { root, config, serial } = daemonRoot(repo, 'bench-idle-');
  evictFromPageCache(variant.cmd[0]!);
  const child = spawn(variant.cmd[0]!, [...variant.cmd.slice(1), 'watch', '--root', root, '--metadata-host', metadataHost, '--config', config], {
    stdio: 'ignore',
    env: { ...process.env, JOURNAL_STREAM: '8:1', NOTIFY_SOCKET: '', NODE_OPTIONS: variant.nodeOptions ?? '' },
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  let passPeakKb = 0;
  try {
    await waitForCount(summaryCounter(serial), 1, () => exited, 120_000, () => {
      for (const pid of childPids(child.pid!)) passPeakKb = Math.max(passPeakKb, readMemory(pid)?.rssKb || 0);
    });
    await sleep(settleMs);
    const memory = readMemory(child.pid!);
    if (!memory) throw new Error(`${variant.label}: the daemon exited while idle`);
    return { memory, passPeakKb };
  } finally {
    child.kill('SIGTERM');
    if (!exited) await new Promise((resolve) => child.once('exit', resolve));
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Daemon idle against its executable's own idle, interleaved round by round (the machine is
 * shared: compare the ratio within a round, not figures across runs). Medians over `rounds`.
 */
export async function daemonIdleVsOwn(repo: string, variants: DaemonIdleVariant[], rounds: number, metadataHost: string, settleMs = 5000): Promise<DaemonIdleRow[]> {
  const samples = variants.map(() => ({ daemon: [] as Memory[], reference: [] as Memory[], passPeak: [] as number[], referenceLabel: '' }));
  const bareNode: Memory[] = [];
  for (let round = 0; round < rounds; round++) {
    bareNode.push((await executableIdle(['node'], settleMs)).memory);
    for (const [i, variant] of variants.entries()) {
      const once = await daemonIdleOnce(repo, variant, metadataHost, settleMs);
      const reference = await executableIdle(variant.cmd[0] === 'node' ? ['node'] : variant.cmd, settleMs);
      samples[i]!.daemon.push(once.memory);
      samples[i]!.passPeak.push(once.passPeakKb);
      samples[i]!.reference.push(reference.memory);
      samples[i]!.referenceLabel = reference.label;
    }
  }
  return variants.map((variant, i) => ({
    label: variant.label,
    daemon: medianMemory(samples[i]!.daemon),
    reference: medianMemory(samples[i]!.reference),
    referenceLabel: samples[i]!.referenceLabel,
    bareNode: medianMemory(bareNode),
    passPeakKb: median(samples[i]!.passPeak),
  }));
}
