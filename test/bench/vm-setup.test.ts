import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { metadataProblem } from '../../bench/vm-setup.js';
import { defaultMetadata, parseSerial } from '../vm/boot.js';
import { MetadataEmulator } from '../../src/emulator/server.js';
import type { Tree } from '../../src/emulator/tree.js';

const run = promisify(execFile);

/** What the guest's report unit prints: curl's answer for instance/id, as VMTEST metadata lines. */
async function guestCurl(address: string): Promise<Record<string, string[]>> {
  const out = await run('curl', ['-sS', '-m', '5', '-H', 'Metadata-Flavor: Google', `http://${address}/computeMetadata/v1/instance/id`])
    .then((r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
  const lines = ['VMTEST-BEGIN', ...out.trim().split('\n').map((line) => `VMTEST metadata ${line}`), 'VMTEST-END'];
  return parseSerial(lines.map((line, i) => ({ t: i, line }))).sections;
}

describe('bench:vm refuses boots that could not reach the metadata server', () => {
  const metadata = defaultMetadata('0e9a7b2c-0000-4000-8000-000000000001');
  const id = String(metadata.instance.id);

  it('socat missing on the host: the relay resets every connection, and the boot is an error', async () => {
    const server = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const sections = await guestCurl(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
      // curl says (56) connection reset, or (7) could not connect when the reset lands during the handshake.
      expect(metadataProblem(sections, id)).toMatch(/could not read instance\/id from the metadata server: curl: \((56|7)\)/);
    } finally {
      server.close();
    }
  });

  it('the guest read its instance id from the emulator: the boot counts', async () => {
    const emulator = new MetadataEmulator(metadata as unknown as Tree);
    const address = await emulator.start(0, '127.0.0.1');
    try {
      expect(metadataProblem(await guestCurl(address), id)).toBeUndefined();
    } finally {
      await emulator.stop();
    }
  });

  it('a boot that never printed the report (it hung or timed out) is an error too', () => {
    expect(metadataProblem(parseSerial([{ t: 0, line: 'VMTEST-BEGIN' }]).sections, id)).toMatch(/no VMTEST metadata line/);
  });
});
