// Prints `sshd -T` (the settings the real sshd would use) for each config file given, as JSON
// lines. sshd -T insists on /run/sshd: run this inside `unshare --mount`, where a tmpfs on /run
// supplies it without touching the machine's /run.
// Usage: unshare --mount --propagation private node sshd-effective.mjs HOSTKEY FILE...
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const [hostKey, ...files] = process.argv.slice(2);
const mounted = spawnSync('mount', ['-t', 'tmpfs', 'gfb-run', '/run'], { encoding: 'utf8' });
if (mounted.status !== 0) throw new Error(`mount tmpfs on /run: ${mounted.stderr}`);
mkdirSync('/run/sshd', { mode: 0o755 });
for (const file of files) {
  const result = spawnSync('sshd', ['-T', '-f', file, '-o', `HostKey=${hostKey}`], { encoding: 'utf8' });
  const settings = {};
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) settings[line.slice(0, space)] ??= line.slice(space + 1);
  }
  process.stdout.write(`${JSON.stringify({ file, exitCode: result.status, stderr: result.stderr.trim(), settings })}\n`);
}
