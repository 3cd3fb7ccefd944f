import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { sandboxRoot } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';

describe('hostname in a UTS namespace', () => {
  it('with --live sets the kernel hostname inside the namespace only', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const outside = hostname();
    const result = await runCli(['apply', '--root', root, '--metadata-host', host, '--only', 'hostname', '--live'], {
      prefix: ['unshare', '--uts', '--', 'sh', '-c', '"$@" && echo "namespace-hostname=$(cat /proc/sys/kernel/hostname)"', 'sh'],
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('namespace-hostname=demo-vm');
    expect(hostname()).toBe(outside);
  });

  it('without --live under a sandbox root leaves the kernel alone and does not report it', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const result = await runCli(['apply', '--root', root, '--metadata-host', host, '--only', 'hostname', '--json'], {
      prefix: ['unshare', '--uts', '--', 'sh', '-c', '"$@"; echo; echo "namespace-hostname=$(cat /proc/sys/kernel/hostname)"', 'sh'],
    });
    expect(result.stdout).toContain(`namespace-hostname=${hostname()}`);
    expect(result.stdout).not.toContain('kernel hostname');
  });
});
