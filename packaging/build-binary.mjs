#!/usr/bin/env node
// Builds out/bin/gce-firstboot: one self-contained executable (Node single executable
// application built with pkg's SEA builder), offline.
//
//   1. esbuild bundles src/cli/main.ts (ESM TypeScript) and all dependencies into ONE
//      CommonJS file (SEA on Node 20 only runs a single CommonJS script).
//   2. A stripped copy of the local Node binary is the base (debug info off: -12 MB).
//   3. @yao-pkg/pkg's SEA builder (programmatic API, nodePath = the stripped copy) writes the
//      blob with `node --experimental-sea-config` and injects it with postject.
//   4. pkg swallows injection errors, so the result is checked: it must be larger than the
//      base binary and must answer `--version` with something other than Node's own version.
//
// Usage: node packaging/build-binary.mjs [--out out/bin/gce-firstboot] [--entry src/cli/main.ts]
//        [--no-minify] [--no-code-cache | --snapshot]   (measurements only: bench/RESULTS.md compares the start
//        without the code cache, and with a start-up snapshot built from packaging/snapshot-entry.ts)
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, rmSync, statSync, existsSync, renameSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const snapshot = args.includes('--snapshot');
const entry = resolve(root, opt('--entry', snapshot ? 'packaging/snapshot-entry.ts' : 'src/cli/main.ts'));
const output = resolve(root, opt('--out', 'out/bin/gce-firstboot'));
const work = join(root, 'out', 'build');
const bundle = join(work, 'gce-firstboot.cjs');
const base = join(work, 'node-base');

function fail(msg) {
  console.error(`build-binary: ${msg}`);
  process.exit(1);
}

if (!existsSync(entry)) fail(`entry ${entry} does not exist`);
mkdirSync(work, { recursive: true });
mkdirSync(dirname(output), { recursive: true });

// 1. Bundle. import.meta is empty in CommonJS output; the agent must not rely on it at
// runtime, so any esbuild warning about it is an error here.
const result = await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: bundle,
  legalComments: 'none',
  // Whitespace and comments out, identifiers kept (stack traces stay readable): a smaller source
  // string held by V8 and, with no comment left, an all-ASCII one (one byte per character).
  minifyWhitespace: !args.includes('--no-minify'),
  minifySyntax: !args.includes('--no-minify'),
  logLevel: 'silent',
  metafile: true,
});
for (const w of result.warnings) {
  const where = w.location ? `${w.location.file}:${w.location.line}` : '';
  console.error(`esbuild warning: ${w.text} ${where}`);
}
const importMeta = result.warnings.filter((w) => /import\.meta/.test(w.text));
if (importMeta.length > 0) {
  fail('the bundle uses import.meta, which is empty in the CommonJS bundle (see warnings above)');
}

// The packages that went into the bundle, with their licenses, for the packages' docs.
const bundled = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!m) continue;
  const dir = input.slice(0, m.index + m[0].length);
  if (bundled.has(dir)) continue;
  const pj = JSON.parse(readFileSync(resolve(root, dir, 'package.json'), 'utf8'));
  bundled.set(dir, `${pj.name} ${pj.version} ${typeof pj.license === 'string' ? pj.license : 'see package'}`);
}
writeFileSync(
  join(work, 'THIRD-PARTY'),
  [
    'gce-firstboot is one executable: Node.js (MIT and others, https://github.com/nodejs/node/blob/main/LICENSE)',
    `version ${process.version}, with the agent and these npm packages bundled in (name version license):`,
    '',
    ...[...new Set(bundled.values())].sort(),
    '',
  ].join('\n'),
);

// 2. Base binary: the running Node, stripped. The SEA blob format is tied to the Node
// version, so the blob must be made by this same Node: put its directory first in PATH.
copyFileSync(process.execPath, base);
chmodSync(base, 0o755);
try {
  execFileSync('strip', ['--strip-all', base], { stdio: 'inherit' });
} catch {
  console.error('build-binary: strip not available, using the unstripped Node binary');
}
const baseSize = statSync(base).size;

// 3. pkg's SEA builder. It runs `npx postject` with its cwd in os.tmpdir(); npx only finds
// the local postject (no download) when that directory is inside this project, so TMPDIR
// points into out/build.
const tmp = join(work, 'tmp');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
process.env.TMPDIR = tmp;
process.env.PATH = [dirname(process.execPath), join(root, 'node_modules', '.bin'), process.env.PATH].join(':');
process.env.npm_config_yes = 'false'; // never let npx fetch postject from the registry
const require = createRequire(import.meta.url);
const sea = require('@yao-pkg/pkg/lib-es5/sea').default;
const staging = `${output}.new`;
rmSync(staging, { force: true });
await sea(bundle, {
  targets: [{ nodeRange: `node${process.versions.node.split('.')[0]}`, platform: 'linux', arch: process.arch, output: staging }],
  nodePath: base,
  // V8's compiled code for the bundle goes into the blob: the start skips compiling 1.2 MB
  // of JavaScript, which under emulation (TCG) is a large part of a start.
  // Node 20 takes either a snapshot or a code cache, not both.
  seaConfig: snapshot ? { useSnapshot: true } : { useCodeCache: !args.includes('--no-code-cache') },
});
rmSync(tmp, { recursive: true, force: true });

// 4. Verify.
if (!existsSync(staging)) fail('pkg produced no executable');
if (statSync(staging).size <= baseSize) fail('the SEA blob was not injected (pkg swallows postject errors)');
let version = '';
try {
  version = execFileSync(staging, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
} catch (e) {
  fail(`the executable does not run: ${e.message}`);
}
if (version === process.version) fail('the executable is plain Node (blob not injected)');
renameSync(staging, output);
rmSync(base, { force: true });
console.log(`build-binary: ${output} (${(statSync(output).size / 1e6).toFixed(1)} MB) --version: ${version}`);
