import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './sandbox.js';

/** A fake /proc/sys tree (for --proc-sys): one file per key, holding the value and a newline. */
export function fakeProcSys(values: Record<string, string>): string {
  const dir = tempDir('gfb-procsys-');
  for (const [key, value] of Object.entries(values)) {
    const file = path.join(dir, ...key.split('.'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${value}\n`);
  }
  return dir;
}

export function readFakeSysctl(dir: string, key: string): string {
  return readFileSync(path.join(dir, ...key.split('.')), 'utf8').trim();
}
