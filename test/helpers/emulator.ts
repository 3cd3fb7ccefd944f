import { afterEach } from 'vitest';
import { MetadataEmulator } from '../../src/emulator/server.js';
import { defaultInstanceTree } from '../../src/emulator/default-tree.js';
import type { Tree } from '../../src/emulator/tree.js';

const running: MetadataEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
});

/** A metadata emulator on loopback for one test; `host` is what --metadata-host takes. */
export async function startEmulator(tree: Tree = defaultInstanceTree()): Promise<{ emulator: MetadataEmulator; host: string }> {
  const emulator = new MetadataEmulator(tree);
  running.push(emulator);
  const host = await emulator.start();
  return { emulator, host };
}
