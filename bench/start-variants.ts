// `node dist/bench/start-variants.js BIN...` (issue 18 items 2 and 4): start-up of several builds
// of the executable (e.g. `build-binary.mjs --no-code-cache --out out/variants/X`), interleaved
// with bare node: `--version` and `apply --stage early` on a fresh root, wall and peak RSS.
// Env: BENCH_RUNS (default 9).
import { rmSync, statSync } from 'node:fs';
import { runTimed, type Sample } from './timed.js';
import { summarize } from './stats.js';
import { freshRoot } from './early-stage.js';

const runs = Number(process.env.BENCH_RUNS ?? 9);
const binaries = process.argv.slice(2);
if (binaries.length === 0) throw new Error('usage: start-variants.js BIN...');

async function early(bin: string): Promise<Sample> {
  const root = freshRoot();
  try {
    return await runTimed(bin, ['apply', '--stage', 'early', '--root', root]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const rows = new Map<string, Sample[]>();
const add = (name: string, sample: Sample, round: number): void => {
  if (round > 0) rows.set(name, [...(rows.get(name) ?? []), sample]);
};
for (let round = 0; round <= runs; round++) {
  add('node -e 0', await runTimed('node', ['-e', '0']), round);
  for (const bin of binaries) {
    add(`${bin} --version`, await runTimed(bin, ['--version']), round);
    add(`${bin} apply --stage early`, await early(bin), round);
  }
}
const bare = summarize(rows.get('node -e 0')!.map((s) => s.wallSec)).median;
const bareCpu = summarize(rows.get('node -e 0')!.map((s) => s.cpuSec!)).median;
console.log(`${runs} interleaved rounds; median (min–max)\n\n| run | size MB | wall s | wall ratio to node -e 0 | CPU s (user+sys) | CPU ratio | peak RSS MB |\n|---|---|---|---|---|---|---|`);
for (const [name, samples] of rows) {
  const wall = summarize(samples.map((s) => s.wallSec));
  const cpu = summarize(samples.map((s) => s.cpuSec!));
  const rss = summarize(samples.map((s) => s.maxRssKb / 1024));
  const bin = binaries.find((b) => name.startsWith(`${b} `));
  const size = bin ? (statSync(bin).size / 1e6).toFixed(1) : '';
  console.log(`| ${name} | ${size} | ${wall.median.toFixed(3)} (${wall.min.toFixed(3)}–${wall.max.toFixed(3)}) | ${(wall.median / bare).toFixed(2)} | ${cpu.median.toFixed(2)} | ${(cpu.median / bareCpu).toFixed(2)} | ${rss.median.toFixed(1)} |`);
}
