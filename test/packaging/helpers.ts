// Shared by the packaging tests: tools, one build of out/ for all test files, small runners.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(ROOT, 'out');
export const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
export const BINARY = join(OUT, 'bin', 'gce-firstboot');
export const UNITS = ['gce-firstboot-host-keys.service', 'gce-firstboot-early.service', 'gce-firstboot.service'] as const;

/** A build from scratch (binary + xz .deb + .rpm) takes a few minutes on a busy machine. */
export const BUILD_TIMEOUT = 15 * 60_000;

/** Installs missing command-line tools with test/setup/ensure-tools.sh (apt-get). */
export async function ensureTools(...tools: string[]): Promise<void> {
  await out('bash', [join(ROOT, 'test/setup/ensure-tools.sh'), ...tools]);
}

/**
 * Builds out/ (executable, .deb, .rpm) unless every artifact is newer than its inputs.
 * Test files run in parallel workers: they serialise on a lock file with flock(1), so the
 * build happens once and the others find it fresh.
 */
export async function ensureBuilt(): Promise<{ deb: string; rpm: string }> {
  await ensureTools('dpkg-deb', 'dpkg-shlibdeps', 'rpmbuild', 'strip', 'flock', 'file');
  mkdirSync(OUT, { recursive: true });
  // gzip instead of xz when the tests have to build the .deb: same contents, a minute less.
  await out('flock', [join(OUT, '.package.lock'), 'bash', join(ROOT, 'packaging/package.sh'), '--if-stale'], {
    cwd: ROOT,
    timeout: BUILD_TIMEOUT,
    env: { ...process.env, DEB_COMPRESS: process.env.DEB_COMPRESS ?? 'gzip' },
  });
  const files = readdirSync(OUT);
  const deb = files.find((f) => f === `gce-firstboot_${VERSION}_amd64.deb`);
  const rpm = files.find((f) => f.startsWith(`gce-firstboot-${VERSION}-`) && f.endsWith('.x86_64.rpm'));
  if (!deb || !rpm) throw new Error(`out/ lacks the packages: ${files.join(' ')}`);
  return { deb: join(OUT, deb), rpm: join(OUT, rpm) };
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeout?: number;
}
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command asynchronously (a long synchronous child would starve vitest's worker RPC);
 * never throws for a non-zero exit: returns status and output for the assertions.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        if (error.code === 'ENOENT' || error.killed) return reject(error);
      }
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolvePromise({ status, stdout, stderr });
    });
  });
}

/** Runs a command and returns stdout; throws with stderr when it fails. */
export async function out(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Parses a systemd unit file into section -> key -> values (repeated keys accumulate). */
export function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unexpected line in unit: ${raw}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}
