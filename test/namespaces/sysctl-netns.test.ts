import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { PUBLISHED_SYSCTLS } from '../../src/policy/sysctl/published.js';

const NET_KEYS = PUBLISHED_SYSCTLS.filter(([key]) => key.startsWith('net.'));
// Global keys are never written on this machine: the namespace test skips them (fake /proc/sys covers them).
const GLOBAL_KEYS = PUBLISHED_SYSCTLS.filter(([key]) => !key.startsWith('net.')).map(([key]) => key);
const procPath = (key: string) => path.join('/proc/sys', ...key.split('.'));
const readHost = (key: string): string | undefined => {
  try {
    return readFileSync(procPath(key), 'utf8').trim();
  } catch {
    return undefined;
  }
};

describe('sysctl net.* keys in a fresh network namespace (--live, the real /proc/sys)', () => {
  it('sets them inside the namespace only, and a second pass finds nothing to do', async () => {
    const root = sandboxRoot();
    const config = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
    writeFileSync(config, `[sysctl]\nskip_keys = ${GLOBAL_KEYS.join(', ')}\n`);
    const hostBefore = Object.fromEntries(PUBLISHED_SYSCTLS.map(([key]) => [key, readHost(key)]));
    const dump = NET_KEYS.map(([key]) => `echo "${key}=$(cat ${procPath(key)})"`).join('; ');
    const script = `"$@" --json > "$OUT/first.json"; echo "first=$?"; "$@" --json > "$OUT/second.json"; echo "second=$?"; ${dump}`;
    const out = tempDir('gfb-out-');
    const result = await runCli(['apply', '--root', root, '--only', 'sysctl', '--stage', 'early', '--live', '--config', config], {
      prefix: ['unshare', '--net', '--', 'sh', '-c', script, 'sh'],
      env: { OUT: out },
    });
    expect(result.stdout, result.stderr).toContain('first=0');
    expect(result.stdout).toContain('second=0');
    const first = reportOf({ ...result, stdout: readFileSync(path.join(out, 'first.json'), 'utf8') });
    // A fresh namespace starts with the kernel's defaults: some net keys differ and are set.
    expect(first.modules[0]!.changes.map((c) => c.key)).toContain('net.ipv4.conf.all.rp_filter');
    const second = reportOf({ ...result, stdout: readFileSync(path.join(out, 'second.json'), 'utf8') });
    expect(second.summary.changes).toBe(0);
    const lines = result.stdout.split('\n');
    for (const [key, value] of NET_KEYS) expect(lines).toContain(`${key}=${value}`);
    // Nothing outside the namespace changed, globals included.
    expect(Object.fromEntries(PUBLISHED_SYSCTLS.map(([key]) => [key, readHost(key)]))).toEqual(hostBefore);
  });

  it('one apply converges when forwarding was on: turning it off does not undo accept_redirects', async () => {
    const root = sandboxRoot();
    const config = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
    writeFileSync(config, `[sysctl]\nskip_keys = ${GLOBAL_KEYS.join(', ')}\n`);
    // The kernel sets every interface's accept_redirects to !ip_forward whenever ip_forward changes.
    const script = `echo 1 > ${procPath('net.ipv4.ip_forward')}; "$@"; echo "apply=$?"; echo "redirects=$(cat ${procPath('net.ipv4.conf.all.accept_redirects')})"`;
    const result = await runCli(['apply', '--root', root, '--only', 'sysctl', '--stage', 'early', '--live', '--config', config], {
      prefix: ['unshare', '--net', '--', 'sh', '-c', script, 'sh'],
    });
    expect(result.stdout, result.stderr).toContain('apply=0');
    expect(result.stdout).toContain('redirects=0');
  });
});
