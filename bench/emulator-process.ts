import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface EmulatorProcess { address: string; stop(): void }

/** Spawns the metadata emulator (a separate process, so its CPU is not counted in ours). */
export function startEmulatorProcess(repo: string, listen = '127.0.0.1:0', prefix: string[] = []): Promise<EmulatorProcess> {
  const [cmd, ...rest] = [...prefix, 'node', join(repo, 'dist/src/emulator/main.js'), '--listen', listen];
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveEmu, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`emulator exited ${code}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on http:\/\/(\S+)/.exec(out);
      if (match) resolveEmu({ address: match[1]!, stop: () => child.kill('SIGTERM') });
    });
  });
}
