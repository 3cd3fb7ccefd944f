import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';
import { PUBLISHED_SYSCTLS } from './published.js';

// Global keys are never written on this machine: only net.* keys, inside a fresh network namespace.
const GLOBAL_KEYS = PUBLISHED_SYSCTLS.filter(([key]) => !key.startsWith('net.')).map(([key]) => key);
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

describe("author-override: an image author's later sysctl.d file (real network namespace, --live)", () => {
  it('ip_forward = 1 in /etc/sysctl.d/99-docker.conf: reported once as an override with file:line, the runtime value left at 1', async () => {
    const root = sandboxRoot();
    mkdirSync(path.join(root, 'etc/sysctl.d'), { recursive: true });
    const authorFile = '# Docker needs forwarding\nnet.ipv4.ip_forward = 1\n';
    writeFileSync(path.join(root, 'etc/sysctl.d/99-docker.conf'), authorFile);
    const config = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
    writeFileSync(config, `[sysctl]\nskip_keys = ${GLOBAL_KEYS.join(', ')}\n`);
    const out = tempDir('gfb-out-');
    // As at boot: systemd-sysctl has applied the author's file (ip_forward = 1) before the agent runs.
    const script = `echo 1 > ${IP_FORWARD}; "$@" --json > "$OUT/apply.json"; echo "apply=$?"; echo "forward=$(cat ${IP_FORWARD})"`;
    const result = await runCli(['apply', '--root', root, '--only', 'sysctl', '--stage', 'early', '--live', '--config', config], {
      prefix: ['unshare', '--net', '--', 'sh', '-c', script, 'sh'],
      env: { OUT: out },
    });
    expect(result.stdout, result.stderr).toContain('apply=0');
    expect(result.stdout).toContain('forward=1');
    const report = reportOf({ ...result, stdout: readFileSync(path.join(out, 'apply.json'), 'utf8') });
    const sysctl = report.modules[0]!;
    const forwarding = sysctl.findings.filter((f) => f.key.startsWith('net.ipv4.ip_forward'));
    expect(forwarding).toEqual([
      expect.objectContaining({ key: 'net.ipv4.ip_forward at boot', actual: '1', severity: 'warning', cause: expect.stringContaining('/etc/sysctl.d/99-docker.conf:2') }),
    ]);
    expect(sysctl.changes.map((change) => change.key)).not.toContain('net.ipv4.ip_forward');
    expect(readFileSync(path.join(root, 'etc/sysctl.d/99-docker.conf'), 'utf8')).toBe(authorFile);
  });
});
