// `node dist/bench/daemon-idle.js` (issue 18 item 1): the resident daemon's idle RSS against its
// executable's own idle, interleaved, for node + dist and the binary, with and without V8 heap
// flags. Env: IDLE_ROUNDS (default 3), IDLE_SETTLE_MS (default 30000: V8's memory reducer gives back
// the first pass's garbage after ~10-20 s idle), IDLE_HEAP_FLAGS (the flags tried; empty: none).
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { daemonIdleVsOwn, type DaemonIdleRow, type DaemonIdleVariant } from './idle.js';
import { startEmulatorProcess } from './emulator-process.js';
import { mb } from './proc-memory.js';

const repo = resolve(import.meta.dirname, '..', '..');
const rounds = Number(process.env.IDLE_ROUNDS ?? 3);
const settleMs = Number(process.env.IDLE_SETTLE_MS ?? 30_000);
const heapFlags = process.env.IDLE_HEAP_FLAGS ?? '--max-semi-space-size=1 --max-old-space-size=32';
const binary = join(repo, 'out/bin/gce-firstboot');
const node: DaemonIdleVariant = { label: 'node dist/src/cli/main.js watch', cmd: ['node', join(repo, 'dist/src/cli/main.js')] };

export function idleTable(rows: DaemonIdleRow[]): string[] {
  return [
    '| daemon | idle RSS after the first pass (anon / file) | its own executable idle (anon / file) | ratio | bare `node -e` idle, same rounds | ratio (target <= 1.15) | first pass process, peak RSS |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) =>
      `| ${row.label} | ${mb(row.daemon.rssKb)} MB (${mb(row.daemon.anonKb)} / ${mb(row.daemon.fileKb)}) | ${row.referenceLabel}: ${mb(row.reference.rssKb)} MB (${mb(row.reference.anonKb)} / ${mb(row.reference.fileKb)}) | ` +
      `${(row.daemon.rssKb / row.reference.rssKb).toFixed(2)} | ${mb(row.bareNode.rssKb)} MB | ${(row.daemon.rssKb / row.bareNode.rssKb).toFixed(2)} | ${mb(row.passPeakKb)} MB |`),
  ];
}

async function main(): Promise<void> {
  const bin: DaemonIdleVariant = { label: 'out/bin/gce-firstboot watch', cmd: [binary] };
  const withFlags = (variant: DaemonIdleVariant): DaemonIdleVariant[] => (heapFlags ? [{ ...variant, label: `${variant.label}, NODE_OPTIONS=${heapFlags}`, nodeOptions: heapFlags }] : []);
  const variants = [node, ...withFlags(node), ...(existsSync(binary) ? [bin, ...withFlags(bin)] : [])];
  const emulator = await startEmulatorProcess(repo);
  const load = loadavg()[0]!.toFixed(1);
  try {
    const rows = await daemonIdleVsOwn(repo, variants, rounds, emulator.address, settleMs);
    console.log([`${rounds} interleaved rounds, ${settleMs / 1000} s after the first pass; medians; load average ${load} → ${loadavg()[0]!.toFixed(1)}`, '', ...idleTable(rows)].join('\n'));
  } finally {
    emulator.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.dirname, 'daemon-idle.js')) await main();
