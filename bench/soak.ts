// `node dist/bench/soak.js` after `npm run build` (issue 18 item 1): the real daemon (`watch`, the binary when it is built)
// against the real metadata emulator on loopback, on a sandbox root, driven through N passes by
// changing an instance attribute N times. Its RSS is sampled between passes; memory that keeps
// growing after the warm-up fails the soak (exit 1, with the numbers).
//
// Env: SOAK_PASSES (default 1000), SOAK_CLI (node's arguments instead of the binary: "[FLAGS] main.js"),
// SOAK_STDOUT (a file for the daemon's stdout, e.g. with SOAK_CLI="--trace-gc dist/src/cli/main.js"),
// SOAK_MAX_GROWTH_MB (default 4: allowed growth of the anonymous RSS from the warm-up to the end),
// SOAK_NODE_OPTIONS (NODE_OPTIONS for the daemon only, e.g. V8 heap limits; the SEA binary honours it).
import { existsSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { startEmulatorProcess } from './emulator-process.js';
import { evictFromPageCache, mb, readMemory, sleep, type Memory } from './proc-memory.js';
import { executableIdle } from './idle.js';
import { summarize } from './stats.js';
import { childPids, daemonRoot, summaryCounter, waitForCount } from './daemon-root.js';

const repo = resolve(import.meta.dirname, '..', '..');
const passes = Number(process.env.SOAK_PASSES ?? 1000);
const maxGrowthKb = Number(process.env.SOAK_MAX_GROWTH_MB ?? 4) * 1024;
const binary = join(repo, 'out/bin/gce-firstboot');
const [cmd, ...cmdArgs] = process.env.SOAK_CLI ? ['node', ...process.env.SOAK_CLI.split(' ')] : existsSync(binary) ? [binary] : ['node', join(repo, 'dist/src/cli/main.js')];
const PASS_TIMEOUT_MS = 120_000;

async function setAttribute(address: string, value: string): Promise<void> {
  const response = await fetch(`http://${address}/emulator/value?path=instance/attributes/soak`, { method: 'PUT', body: JSON.stringify(value) });
  if (!response.ok) throw new Error(`emulator control: HTTP ${response.status}`);
}

async function main(): Promise<number> {
  const { root, config, serial } = daemonRoot(repo, 'bench-soak-');
  const emulator = await startEmulatorProcess(repo);
  evictFromPageCache(cmd!);
  // JOURNAL_STREAM as under systemd: the logger the daemon really uses.
  const daemon = spawn(cmd!, [...cmdArgs, 'watch', '--root', root, '--metadata-host', emulator.address, '--config', config],
    { stdio: ['ignore', process.env.SOAK_STDOUT ? openSync(process.env.SOAK_STDOUT, 'w') : 'ignore', 'pipe'], env: { ...process.env, JOURNAL_STREAM: '8:1', NOTIFY_SOCKET: '', NODE_OPTIONS: process.env.SOAK_NODE_OPTIONS ?? '' } });
  let stderr = '';
  daemon.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  let exited = false;
  daemon.on('exit', () => { exited = true; });
  const count = summaryCounter(serial);
  const samples: { pass: number; memory: Memory }[] = [];
  // Each pass runs in a process of its own: its peak is the pass's footprint, not the daemon's.
  let passPeakKb = 0;
  const samplePass = (): void => {
    for (const pid of childPids(daemon.pid!)) passPeakKb = Math.max(passPeakKb, readMemory(pid)?.rssKb || 0);
  };
  try {
    await waitForCount(count, 1, () => exited, PASS_TIMEOUT_MS);
    await sleep(3000);
    const idle = readMemory(daemon.pid!)!;
    const bare = await executableIdle(cmd === 'node' ? ['node'] : [cmd!]);
    console.log(`idle after the first pass: daemon ${mb(idle.rssKb)} MB (anon ${mb(idle.anonKb)}, file ${mb(idle.fileKb)}), ` +
      `${bare.label} ${mb(bare.memory.rssKb)} MB (anon ${mb(bare.memory.anonKb)}, file ${mb(bare.memory.fileKb)}): ratio ${(idle.rssKb / bare.memory.rssKb).toFixed(2)} (target <= 1.15)`);
    const started = Date.now();
    for (let pass = 1; pass <= passes; pass++) {
      await setAttribute(emulator.address, String(pass));
      await waitForCount(count, pass + 1, () => exited, PASS_TIMEOUT_MS, samplePass);
      if (pass % 10 === 0) samples.push({ pass, memory: readMemory(daemon.pid!)! });
      if (pass % 100 === 0) console.error(`soak: ${pass} passes, RSS ${mb(samples.at(-1)!.memory.rssKb)} MB, ${((Date.now() - started) / pass).toFixed(0)} ms/pass`);
    }
  } catch (error) {
    console.error(`soak: ${(error as Error).message}\n--- daemon stderr (tail) ---\n${stderr}`);
    return 2;
  } finally {
    daemon.kill('SIGTERM');
    emulator.stop();
    rmSync(root, { recursive: true, force: true });
  }
  console.log(`pass processes: peak RSS ${mb(passPeakKb)} MB (sampled every 20 ms)`);
  return verdict(samples);
}

/** Warm-up = the samples of the first 20 % of passes after the first 10 %; end = the last 10 %. */
function verdict(samples: { pass: number; memory: Memory }[]): number {
  const window = (from: number, to: number, key: keyof Memory): number =>
    summarize(samples.filter((s) => s.pass > passes * from && s.pass <= passes * to).map((s) => s.memory[key])).median;
  const lines: string[] = [`soak: ${passes} passes, RSS sampled every 10 passes (median of each window, MB)`,
    '| | after warm-up (10–30 %) | end (90–100 %) | growth |', '|---|---|---|---|'];
  let leak = false;
  for (const key of ['rssKb', 'anonKb', 'fileKb'] as const) {
    const warm = window(0.1, 0.3, key);
    const end = window(0.9, 1, key);
    lines.push(`| ${key.replace('Kb', '')} | ${mb(warm)} | ${mb(end)} | ${mb(end - warm)} |`);
    if (key === 'anonKb' && end - warm > maxGrowthKb) leak = true;
  }
  const peak = Math.max(...samples.map((s) => s.memory.rssKb));
  lines.push(`peak RSS ${mb(peak)} MB; leak threshold: anonymous growth > ${mb(maxGrowthKb)} MB`);
  lines.push(leak ? 'soak: FAIL: the daemon\'s memory keeps growing' : 'soak: ok, no growth');
  console.log(lines.join('\n'));
  return leak ? 1 : 0;
}

process.exitCode = await main();
