import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { MetadataEmulator } from '../emulator/server.js';
import { defaultInstanceTree } from '../emulator/default-tree.js';

/**
 * `npm start`: the agent's main job with no VM. A metadata emulator on loopback plays the
 * metadata server, a copy of a fresh Debian 12 root plays the machine; apply, then check.
 */
const FIXTURE = path.resolve('test/fixtures/roots/debian-12');
const CLI = path.resolve('dist/src/cli/main.js');

const emulator = new MetadataEmulator(defaultInstanceTree());
const metadataHost = await emulator.start();
const root = mkdtempSync(path.join(os.tmpdir(), 'gce-firstboot-demo-'));
cpSync(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
// A file stands in for the serial port, so the report lines an operator would read are kept.
mkdirSync(path.join(root, 'dev'), { recursive: true });
writeFileSync(path.join(root, 'dev/ttyS0'), '');
const extra = process.argv.slice(2);

async function step(title: string, args: string[]): Promise<number> {
  process.stdout.write(`\n== ${title}\n$ gce-firstboot ${args.join(' ')}\n`);
  const result = await execa(process.execPath, [CLI, ...args], { stdio: 'inherit', reject: false });
  process.stdout.write(`(exit ${result.exitCode})\n`);
  return result.exitCode ?? 1;
}

process.stdout.write(`metadata emulator: http://${metadataHost}\nsandbox root (a fresh Debian 12 image): ${root}\n`);
const common = ['--root', root, '--metadata-host', metadataHost, ...extra];
await step('first boot: apply', ['apply', ...common]);
const code = await step('afterwards: check', ['check', ...common]);
await emulator.stop();
const serial = readFileSync(path.join(root, 'dev/ttyS0'), 'utf8');
process.stdout.write(`\n== the serial console (what get-serial-port-output shows), last lines:\n${serial.trimEnd().split('\n').slice(-6).join('\n')}\n`);
process.stdout.write(`\nThe sandbox root is left at ${root} to look at.\n`);
process.exitCode = code;
