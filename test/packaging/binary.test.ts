// The single executable: built by npm run build:binary, runs without Node installed beside it.
import { readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BINARY, BUILD_TIMEOUT, VERSION, ensureBuilt, out, run } from './helpers.js';

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
