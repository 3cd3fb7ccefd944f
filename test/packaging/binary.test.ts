// The single executable: built by npm run build:binary, runs without Node installed beside it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { BINARY, BUILD_TIMEOUT, VERSION, ensureBuilt, ensureTools, out, run } from './helpers.js';

beforeAll(async () => {
  await ensureBuilt();
}, BUILD_TIMEOUT);

describe('out/bin/gce-firstboot', () => {
  it('is an executable ELF file', async () => {
    const st = statSync(BINARY);
    expect(st.mode & 0o111).toBe(0o111);
    expect(await out('file', ['-b', BINARY])).toMatch(/^ELF 64-bit LSB/);
  });

  it('carries the agent (a Node SEA blob), not just Node', () => {
    // postject adds a NODE_SEA_BLOB note; pkg swallows injection errors, so look for it.
    expect(readFileSync(BINARY).includes('NODE_SEA_BLOB')).toBe(true);
  });

  it('runs --version with an empty environment and no node on PATH', async () => {
    const r = await run(BINARY, ['--version'], { env: { PATH: '/nonexistent' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(VERSION);
    expect(r.stdout.trim()).not.toBe(process.version);
  }, 30_000);
});

// The same kind of run as test/pass with node, on the single executable: a full apply of a
// sandbox root against the metadata emulator, and the early stage that never asks metadata.
describe('the executable does real work', () => {
  it('apply on a sandbox root against the emulator: exit 0, the machine changed, state private', async () => {
    await ensureTools('ssh-keygen');
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const r = await run(BINARY, ['apply', '--root', root, '--metadata-host', host, '--proc-sys', tempDir(), '--json']);
    const report = JSON.parse(r.stdout) as { summary: { compliant: boolean }; modules: { id: string; status: string }[] };
    expect(r.status, r.stderr).toBe(0);
    expect(report.summary.compliant).toBe(true);
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
    expect(statSync(join(root, 'var/lib/gce-firstboot')).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('apply --stage early (what gce-firstboot-early.service runs) never asks the metadata server', async () => {
    const root = sandboxRoot();
    const { host, emulator } = await startEmulator();
    const r = await run(BINARY, ['apply', '--stage', 'early', '--root', root, '--metadata-host', host, '--proc-sys', tempDir(), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(emulator.requests).toEqual([]);
  }, 120_000);
});
