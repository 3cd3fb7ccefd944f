import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** cpuSec = user + system CPU: on a loaded shared machine far steadier than the wall time. */
export interface Sample { wallSec: number; maxRssKb: number; voluntarySwitches: number; exitCode: number; cpuSec?: number }

/** Runs cmd under GNU time (/usr/bin/time): wall seconds, peak RSS, voluntary switches, CPU seconds. */
export function runTimed(cmd: string, args: string[], prefix: string[] = []): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-time-'));
  const out = join(dir, 'time');
  return new Promise((resolveSample, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M %w %x %U %S', '-o', out, ...prefix, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', () => {
      const last = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
      rmSync(dir, { recursive: true, force: true });
      const [wall, rss, vol, code, user, sys] = last.split(' ').map(Number);
      if (code !== 0 && code !== 1) console.error(`bench: ${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
      resolveSample({ wallSec: wall ?? NaN, maxRssKb: rss ?? NaN, voluntarySwitches: vol ?? NaN, exitCode: code ?? NaN, cpuSec: (user ?? NaN) + (sys ?? NaN) });
    });
  });
}

/** One warm-up run (discarded: page cache, JIT of nothing), then n measured runs in sequence. */
export async function measure(n: number, once: () => Promise<Sample>): Promise<Sample[]> {
  await once();
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) samples.push(await once());
  return samples;
}
