// `npm run bench:vm` (issue 7 item 6): the same Debian image (12 or 13) booted four ways under the
// same QEMU settings (test/vm's harness), timed from kernel start to "hostname set to the
// metadata hostname and sshd up with fresh keys". Measurements, not tests.
//
//   node dist/bench/vm-boot.js [--suite bookworm|trixie] [--ways baseline,cloud-init,google-guest-agent,gce-firstboot]
//        [--boots N] [--build | --rebuild] [--deb out/gce-firstboot_0.1.0_amd64.deb] [--report]
//
// --suite picks the Debian release (bookworm = 12, the default; trixie = 13): its images are in
// out/vm/bench (12) or out/vm/bench-trixie (13), its results in bench/vm-results.json or
// bench/vm-results-trixie.json. Boots are interleaved: round 1 boots each way once, then round 2...
//
// --build builds the missing images, --rebuild all the selected ones (a rebuilt image drops
// its earlier boots from the results). Boots run one at a time and are appended to
// bench/vm-results.json, so ways can be booted in separate runs; --report only prints.
// Needs root (image build). Before anything else it installs the VM test's tools as `npm test`
// does (bench/vm-setup.ts: socat relays the metadata server); a boot whose guest could not read
// instance/id from the metadata server stops the bench with an error and is not recorded.
// Env: GCE_FIRSTBOOT_VM_TIMEOUT (s, default 900), the harness's GCE_FIRSTBOOT_VM_* (ACCEL, CPU,
// SMP) apply to every way alike.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { bootImage, defaultMetadata, chooseAccel } from '../test/vm/boot.js';
import { WAYS, buildImage, imageDir, readImageMeta, type BuildPaths, type ImageMeta, type WayName } from './vm/ways.js';
import { bootFacts, keysSec, sshdWithKeysSec, type BootFacts } from './vm/facts.js';
import { summarize } from './stats.js';
import { ensureVmTools, metadataProblem } from './vm-setup.js';

const repo = resolve(import.meta.dirname, '..', '..');
const SUITES = ['bookworm', 'trixie'] as const;
type Suite = (typeof SUITES)[number];
let paths: BuildPaths;
let resultsFile: string;

function useSuite(suite: Suite): void {
  const tail = suite === 'bookworm' ? '' : `-${suite}`;
  paths = {
    repo,
    benchVmDir: join(repo, 'bench/vm'),
    cache: process.env.GCE_FIRSTBOOT_VM_CACHE ?? '/var/cache/gce-firstboot-vm-bench',
    imagesDir: join(repo, `out/vm/bench${tail}`),
    release: suite,
  };
  resultsFile = join(repo, `bench/vm-results${tail}.json`);
}

interface BootRecord {
  at: string;
  image: ImageMeta;
  serialLog: string;
  loadavgBefore: number[];
  reportComplete: boolean;
  timedOut: boolean;
  host: { kernelFirstLineSec?: number; qemuExitSec: number };
  facts: BootFacts;
}
interface Results { suite?: Suite; machine: Record<string, unknown>; qemu: Record<string, unknown>; ways: Partial<Record<WayName, BootRecord[]>> }

function parseArgs(argv: string[]) {
  const o = { suite: 'bookworm' as Suite, ways: WAYS.map((w) => w.name) as WayName[], boots: 1, build: false, rebuild: false, report: false,
    deb: join(repo, 'out/gce-firstboot_0.1.0_amd64.deb') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--ways') {
      o.ways = next().split(',') as WayName[];
      for (const w of o.ways) if (!WAYS.some((x) => x.name === w)) throw new Error(`unknown way ${w}`);
    } else if (a === '--suite') {
      const suite = next();
      if (!(SUITES as readonly string[]).includes(suite)) throw new Error(`--suite: expected ${SUITES.join(' or ')}, got ${suite}`);
      o.suite = suite as Suite;
    } else if (a === '--boots') o.boots = Number(next());
    else if (a === '--build') o.build = true;
    else if (a === '--rebuild') o.rebuild = true;
    else if (a === '--report') o.report = true;
    else if (a === '--deb') o.deb = resolve(next());
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function loadResults(): Results {
  if (existsSync(resultsFile)) return JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
  return { machine: {}, qemu: {}, ways: {} };
}

const fmt = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));
function cell(values: (number | undefined)[], never: string): string {
  const got = values.filter((v): v is number => v !== undefined);
  if (got.length === 0) return never;
  const s = summarize(got);
  const missing = values.length - got.length;
  const base = got.length === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  return missing ? `${base}; ${never} in ${missing}/${values.length}` : base;
}

function table(results: Results): string {
  const rows = [
    '| way | boots | hostname = metadata hostname | 3 host keys exist | sshd active | **ready** (hostname + sshd with keys) | final state | ssh restarts |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const way of WAYS) {
    const boots = results.ways[way.name] ?? [];
    if (boots.length === 0) { rows.push(`| ${way.name} | 0 | not booted | | | | | |`); continue; }
    const f = boots.map((b) => b.facts);
    const threeKeys = f.map((x) => (Object.keys(x.keySec).length === 3 ? keysSec(x) : undefined));
    const ready = f.map((x) => (x.hostnameSetSec === undefined ? undefined : x.readySec));
    const sshdReady = f.map(sshdWithKeysSec);
    rows.push(`| ${way.name} | ${boots.length} | ${cell(f.map((x) => x.hostnameSetSec), 'never')} | ${cell(threeKeys, 'not all 3')} | ` +
      `${cell(f.map((x) => x.sshdActiveSec), 'never')} | ${ready.some((r) => r !== undefined) ? cell(ready, 'never') : `never (sshd with keys: ${cell(sshdReady, 'never')})`} | ` +
      `${[...new Set(f.map((x) => x.state ?? '?'))].join(', ')} | ${f.map((x) => x.sshRestarts ?? '?').join(', ')} |`);
  }
  return rows.join('\n');
}

function details(results: Results): string {
  const rows = [
    '| way | boot | host load (1 min) before | hostname | keys (types) | sshd active | ready | startup finished | QEMU exit (host s) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const way of WAYS) {
    (results.ways[way.name] ?? []).forEach((b, i) => {
      const f = b.facts;
      rows.push(`| ${way.name} | ${i + 1} | ${b.loadavgBefore[0]?.toFixed(1)} | ${f.hostnameSetSec === undefined ? 'never' : fmt(f.hostnameSetSec)} | ` +
        `${fmt(keysSec(f))} (${Object.keys(f.keySec).join(',') || 'none'}) | ${f.sshdActiveSec === undefined ? 'never' : fmt(f.sshdActiveSec)} | ` +
        `${f.readySec === undefined ? 'never' : fmt(f.readySec)} | ${f.startupFinished?.replace(/^Startup finished in /, '') ?? '-'} | ${b.host.qemuExitSec.toFixed(0)} |`);
    });
  }
  return rows.join('\n');
}

async function bootOnce(way: WayName, index: number, meta: ImageMeta): Promise<BootRecord> {
  const dir = imageDir(paths, way);
  const serialLog = join(dir, `serial-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const uuid = crypto.randomUUID();
  const metadata = defaultMetadata(uuid);
  const loadavgBefore = loadavg();
  console.error(`bench:vm: booting ${way} #${index + 1} (load ${loadavgBefore.map((l) => l.toFixed(1)).join(' ')}), log ${serialLog}`);
  const r = await bootImage({
    disk: join(dir, 'disk.raw'), uuid, metadata, serialLog,
    timeoutMs: Number(process.env.GCE_FIRSTBOOT_VM_TIMEOUT ?? 900) * 1000,
  });
  const unreachable = metadataProblem(r.sections, String(metadata.instance.id));
  if (unreachable) throw new Error(`${way} boot #${index + 1} is not a result: ${unreachable} (serial log ${serialLog})`);
  const facts = bootFacts(r.sections, String(metadata.instance.hostname));
  console.error(`bench:vm: ${way} #${index + 1}: hostname ${fmt(facts.hostnameSetSec)} s, keys ${fmt(keysSec(facts))} s, ` +
    `sshd ${fmt(facts.sshdActiveSec)} s, ready ${fmt(facts.readySec)} s, state ${facts.state}, qemu exit ${r.timings.qemuExit.toFixed(0)} s`);
  return {
    at: new Date().toISOString(), image: meta, serialLog, loadavgBefore,
    reportComplete: r.reportComplete, timedOut: r.timedOut,
    host: { kernelFirstLineSec: r.timings.kernelFirstLine, qemuExitSec: r.timings.qemuExit },
    facts,
  };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  useSuite(o.suite);
  const results = loadResults();
  results.suite = o.suite;
  if (!o.report) {
    ensureVmTools(repo);
    let baselineRootfs = readImageMeta(paths, 'baseline')?.rootfs;
    const images = new Map<WayName, { meta: ImageMeta; kept: BootRecord[] }>();
    for (const name of o.ways) {
      const way = WAYS.find((w) => w.name === name)!;
      let meta = readImageMeta(paths, name);
      if (o.rebuild || (o.build && !meta)) {
        console.error(`bench:vm: building the ${name} image`);
        // Ours on exactly the baseline's root: the two images differ only by the .deb.
        const root = name === 'gce-firstboot' && baselineRootfs && existsSync(baselineRootfs) ? baselineRootfs : undefined;
        meta = buildImage(paths, way, o.deb, root);
        if (name === 'baseline') baselineRootfs = meta.rootfs;
        results.ways[name] = [];
      }
      if (!meta) throw new Error(`no ${name} image in ${imageDir(paths, name)} (use --build)`);
      const kept = (results.ways[name] ?? []).filter((b) => b.image.builtAt === meta!.builtAt);
      results.ways[name] = kept;
      images.set(name, { meta, kept });
    }
    // Interleaved: the host's load drifts, so each round boots every way once.
    for (let i = 0; i < o.boots; i++) {
      for (const [name, { meta, kept }] of images) {
        kept.push(await bootOnce(name, kept.length, meta));
        results.machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version };
        results.qemu = { accel: chooseAccel(), cpu: process.env.GCE_FIRSTBOOT_VM_CPU ?? 'max', smp: process.env.GCE_FIRSTBOOT_VM_SMP ?? '1', memoryMiB: 1024 };
        writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
      }
    }
  }
  console.log(`Debian ${o.suite}. Guest seconds since kernel start; median (min–max) over the boots.\n`);
  console.log(table(results));
  console.log('\nPer boot:\n');
  console.log(details(results));
  console.log('\n' + JSON.stringify(Object.fromEntries(Object.entries(results.ways).map(([w, boots]) => [w,
    boots!.map((b) => ({ hostnameSetSec: b.facts.hostnameSetSec, keysSec: keysSec(b.facts), sshdActiveSec: b.facts.sshdActiveSec,
      readySec: b.facts.readySec, state: b.facts.state, failed: b.facts.failed }))]))));
}

main().catch((error: unknown) => {
  console.error(`bench:vm: ${(error as Error).message}`);
  process.exitCode = 1;
});
