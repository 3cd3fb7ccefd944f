import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

function put(root: string, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
}

function takeOverConfig(): string {
  const file = path.join(tempDir(), 'take-over.conf');
  writeFileSync(file, '[coexistence]\ntake_over = true\n');
  return file;
}

const GUEST_AGENT_CFG = '# Local overrides\n[InstanceSetup]\nset_boto_config = false\nset_host_keys = true\n\n[Accounts]\ndeprovision_remove = true\n';

describe('coexistence module', () => {
  it('a root with neither agent is compliant', async () => {
    expect((await runCli(['check', '--root', sandboxRoot(), '--only', 'coexistence'])).exitCode).toBe(0);
  });

  it('reports google-guest-agent and cloud-init duties as warnings naming their switches', async () => {
    const root = sandboxRoot();
    put(root, 'usr/bin/google_guest_agent', '');
    put(root, 'usr/bin/cloud-init', '');
    put(root, 'etc/cloud/cloud.cfg', 'preserve_hostname: false\nssh_deletekeys: true\n');
    const result = await runCli(['check', '--root', root, '--only', 'coexistence', '--json']);
    expect(result.exitCode).toBe(0);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.map((f) => f.key).sort()).toEqual(['host-keys: cloud-init', 'host-keys: google-guest-agent', 'hostname: cloud-init', 'hostname: google-guest-agent']);
    expect(findings.every((f) => f.severity === 'warning')).toBe(true);
    expect(findings.find((f) => f.key === 'host-keys: google-guest-agent')!.expected).toContain('[InstanceSetup] set_host_keys');
    expect(findings.find((f) => f.key === 'hostname: cloud-init')!.actual).toContain('preserve_hostname = false');
  });

  it('with take_over, apply flips only the switches, keeps the rest byte for byte, and a second apply changes nothing', async () => {
    const root = sandboxRoot();
    put(root, 'lib/systemd/system/google-guest-agent.service', '[Unit]\n');
    put(root, 'etc/default/instance_configs.cfg', GUEST_AGENT_CFG);
    put(root, 'usr/bin/cloud-init', '');
    put(root, 'etc/cloud/cloud.cfg', 'preserve_hostname: false\n');
    const config = takeOverConfig();
    expect((await runCli(['check', '--root', root, '--only', 'coexistence', '--config', config])).exitCode).toBe(1);
    const applied = await runCli(['apply', '--root', root, '--only', 'coexistence', '--config', config, '--json']);
    expect(applied.exitCode, applied.stdout).toBe(0);
    const cfg = readFileSync(path.join(root, 'etc/default/instance_configs.cfg'), 'utf8');
    expect(cfg).toContain('# Local overrides\n[InstanceSetup]\nset_boto_config = false\n# set_host_keys = true  # managed by gce-firstboot: replaced\n');
    expect(cfg).toContain('set_host_keys = false  # managed by gce-firstboot');
    expect(cfg).toContain('[Accounts]\ndeprovision_remove = true\n');
    expect(cfg).toMatch(/\[Unstable\]\nset_hostname = false {2}# managed by gce-firstboot\n$/);
    expect(readFileSync(path.join(root, 'etc/cloud/cloud.cfg'), 'utf8')).toBe('preserve_hostname: false\n');
    const dropIn = readFileSync(path.join(root, 'etc/cloud/cloud.cfg.d/99-gce-firstboot.cfg'), 'utf8');
    expect(dropIn).toMatch(/^ssh_deletekeys: false$/m);
    expect(dropIn).toMatch(/^preserve_hostname: true$/m);
    const again = await runCli(['apply', '--root', root, '--only', 'coexistence', '--config', config, '--json']);
    expect(reportOf(again).summary.changes).toBe(0);
    expect(readFileSync(path.join(root, 'etc/default/instance_configs.cfg'), 'utf8')).toBe(cfg);
  });

  it('without take_over apply leaves the other agents alone', async () => {
    const root = sandboxRoot();
    put(root, 'usr/bin/google_guest_agent', '');
    put(root, 'etc/default/instance_configs.cfg', GUEST_AGENT_CFG);
    expect((await runCli(['apply', '--root', root, '--only', 'coexistence'])).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/default/instance_configs.cfg'), 'utf8')).toBe(GUEST_AGENT_CFG);
  });
});
