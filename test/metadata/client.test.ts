import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MetadataClient } from '../../src/metadata/client.js';
import { MetadataResponseError, MetadataUnreachableError } from '../../src/metadata/errors.js';
import { startEmulator } from '../helpers/emulator.js';

const servers: http.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A port on loopback that nothing listens on (a server bound then closed). */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('metadata client against the emulator', () => {
  it('sends Metadata-Flavor, reads text and recursive JSON, and treats 404 as absent', async () => {
    const { host } = await startEmulator();
    const client = new MetadataClient({ host });
    expect(await client.getText('instance/hostname')).toBe('demo-vm.us-central1-a.c.demo-project.internal');
    expect(await client.getText('instance/attributes/absent')).toBeUndefined();
    const interfaces = (await client.getJson('instance/network-interfaces/')) as { mtu: number }[];
    expect(interfaces[0]!.mtu).toBe(1460);
  });

  it('the emulator refuses a request without the header, like the real server', async () => {
    const { host } = await startEmulator();
    const response = await fetch(`http://${host}/computeMetadata/v1/instance/id`);
    expect(response.status).toBe(403);
  });

  it('long-polls: returns at once for a stale ETag, blocks until a change for the current one', async () => {
    const { host, emulator } = await startEmulator();
    const client = new MetadataClient({ host });
    const first = await client.watch('instance/attributes/', 'NONE', 5);
    expect(first?.value).toEqual({});
    const started = Date.now();
    const pending = client.watch('instance/attributes/', first!.etag, 5);
    setTimeout(() => emulator.set('instance/attributes/gce-firstboot-mode', 'enforce'), 300);
    const changed = await pending;
    expect(changed?.value).toEqual({ 'gce-firstboot-mode': 'enforce' });
    expect(changed?.etag).not.toBe(first!.etag);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('long-poll returns the unchanged value when timeout_sec passes', async () => {
    const { host } = await startEmulator();
    const client = new MetadataClient({ host });
    const first = await client.watch('instance/id', 'NONE', 1);
    const again = await client.watch('instance/id', first!.etag, 1);
    expect(again?.etag).toBe(first!.etag);
  });

  it('guest-attribute PUT is stored and does not wake long-polls on the tree', async () => {
    const { host, emulator } = await startEmulator();
    const client = new MetadataClient({ host });
    expect(await client.putGuestAttribute('hostkeys/ssh-ed25519', 'AAAA')).toBe(true);
    expect(emulator.guestAttribute('hostkeys/ssh-ed25519')).toBe('AAAA');
    const first = await client.watch('instance/', 'NONE', 1);
    await client.putGuestAttribute('gce-firstboot/status', 'compliant');
    const again = await client.watch('instance/', first!.etag, 1);
    expect(again?.etag).toBe(first!.etag);
  });

  it('retries 5xx within the budget and succeeds', async () => {
    const { host, emulator } = await startEmulator();
    emulator.faults = { serverErrors: 3 };
    const client = new MetadataClient({ host, retryBudgetMs: 10_000 });
    expect(await client.getText('instance/id')).toBe('4520031799277581759');
    expect(emulator.requests.length).toBe(4);
  });

  it('gives up with MetadataUnreachableError when the budget runs out', async () => {
    const port = await deadPort();
    const client = new MetadataClient({ host: `127.0.0.1:${port}`, retryBudgetMs: 600 });
    const started = Date.now();
    await expect(client.getText('instance/id')).rejects.toBeInstanceOf(MetadataUnreachableError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('says once that it is waiting, when the first request fails; not when the server answers', async () => {
    const told: string[] = [];
    const port = await deadPort();
    const silent = new MetadataClient({ host: `127.0.0.1:${port}`, retryBudgetMs: 400, onRetrying: (problem) => told.push(problem) });
    await expect(silent.getText('instance/id')).rejects.toBeInstanceOf(MetadataUnreachableError);
    await expect(silent.getText('instance/hostname')).rejects.toBeInstanceOf(MetadataUnreachableError);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/ECONNREFUSED/);
    const { host } = await startEmulator();
    const answering = new MetadataClient({ host, retryBudgetMs: 400, onRetrying: (problem) => told.push(problem) });
    expect(await answering.getText('instance/id')).toBe('4520031799277581759');
    expect(told).toHaveLength(1);
  });

  it('reaches a server that comes up during the retry budget', async () => {
    const port = await deadPort();
    const client = new MetadataClient({ host: `127.0.0.1:${port}`, retryBudgetMs: 10_000 });
    const pending = client.getText('instance/id');
    const { emulator } = await startEmulator();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await emulator.stop();
    const late = await startEmulatorOn(port);
    expect(await pending).toBe('4520031799277581759');
    await late.stop();
  });

  it('times out a response slower than the request timeout', async () => {
    const { host, emulator } = await startEmulator();
    emulator.faults = { delayMs: 2_000 };
    const client = new MetadataClient({ host, requestTimeoutMs: 300 });
    await expect(client.getText('instance/id')).rejects.toBeInstanceOf(MetadataUnreachableError);
  });

  it.each([
    ['a response without Metadata-Flavor', { noFlavorHeader: true }, /not the metadata server/],
    ['a redirect', { redirectTo: 'http://example.invalid/' }, /redirect .* refused/],
    ['a body over the size cap', { oversizeBytes: 2 * 1024 * 1024 }, /larger than/],
    ['bytes that are not UTF-8', { nonUtf8: true }, /not valid UTF-8/],
  ])('refuses %s', async (_, faults, message) => {
    const { host, emulator } = await startEmulator();
    emulator.faults = faults;
    const client = new MetadataClient({ host, retryBudgetMs: 2_000 });
    const error = await client.getText('instance/hostname').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MetadataResponseError);
    expect((error as Error).message).toMatch(message);
  });

  it('does not accept a truncated body', async () => {
    const { host, emulator } = await startEmulator();
    emulator.faults = { truncate: true };
    const client = new MetadataClient({ host, retryBudgetMs: 300 });
    await expect(client.getText('instance/hostname')).rejects.toThrow();
  });

  it('defaults to the link-local IP, so no DNS lookup is on the boot path', () => {
    const saved = process.env.GCE_METADATA_HOST;
    delete process.env.GCE_METADATA_HOST;
    try {
      expect(new MetadataClient().host).toBe('169.254.169.254');
      process.env.GCE_METADATA_HOST = '127.0.0.1:8080';
      expect(new MetadataClient().host).toBe('127.0.0.1:8080');
      expect(new MetadataClient({ host: '10.0.0.1' }).host).toBe('10.0.0.1');
    } finally {
      if (saved === undefined) delete process.env.GCE_METADATA_HOST;
      else process.env.GCE_METADATA_HOST = saved;
    }
  });
});

async function startEmulatorOn(port: number) {
  const { MetadataEmulator } = await import('../../src/emulator/server.js');
  const { defaultInstanceTree } = await import('../../src/emulator/default-tree.js');
  const emulator = new MetadataEmulator(defaultInstanceTree());
  await emulator.start(port);
  return emulator;
}
