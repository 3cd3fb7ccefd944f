import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

function put(root: string, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
}

function config(text: string): string {
  const file = path.join(tempDir(), 'gce-firstboot.conf');
  writeFileSync(file, text);
  return file;
}
const takeOverConfig = () => config('[coexistence]\ntake_over = host-keys, hostname\n');
const yieldConfig = () => config('[coexistence]\ntake_over =\n');

const GUEST_AGENT_CFG = '# Local overrides\n[InstanceSetup]\nset_boto_config = false\nset_host_keys = true\n\n[Accounts]\ndeprovision_remove = true\n';

describe('coexistence module', () => {
  it('a root with neither agent is compliant', async () => {
    expect((await runCli(['check', '--root', sandboxRoot(), '--only', 'coexistence'])).exitCode).toBe(0);
  });

  it('says in check who makes the host keys: gce-firstboot alone, or cloud-init (which runs before our early stage)', async () => {
    const alone = await runCli(['check', '--root', sandboxRoot(), '--only', 'coexistence', '--json']);
    expect(reportOf(alone).modules[0]!.findings.find((f) => f.key === 'host keys made by')!.actual).toBe('gce-firstboot (no other agent makes host keys)');
    const root = sandboxRoot();
    put(root, 'usr/bin/cloud-init', '');
    put(root, 'etc/cloud/cloud.cfg', 'preserve_hostname: false\n');
    const result = await runCli(['check', '--root', root, '--only', 'coexistence', '--json']);
    expect(result.exitCode).toBe(0);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings.find((f) => f.key === 'host keys made by')!.actual).toMatch(/^cloud-init \(cloud-init: ssh_deletekeys = true/);
    expect(findings.find((f) => f.key === 'host-keys: cloud-init')).toMatchObject({ severity: 'info' });
    expect(findings.find((f) => f.key === 'host-keys: cloud-init')!.cause).toContain('ssh_genkeytypes: []');
    // The hostname duty is not taken over by default: a warning naming the switch.
    expect(findings.find((f) => f.key === 'hostname: cloud-init')).toMatchObject({ severity: 'warning' });
    // An image built with cloud-init's own switches off leaves the keys to us.
    put(root, 'etc/cloud/cloud.cfg.d/50-keys.cfg', 'ssh_deletekeys: false\nssh_genkeytypes: []\n');
    const off = reportOf(await runCli(['check', '--root', root, '--only', 'coexistence', '--json'])).modules[0]!.findings;
    expect(off.find((f) => f.key === 'host keys made by')!.actual).toMatch(/^gce-firstboot/);
  });

  it("takes the guest agent's host-key duty by default, and reports it as a warning when told to yield", async () => {
    const root = sandboxRoot();
    put(root, 'usr/bin/google_guest_agent', '');
    const check = await runCli(['check', '--root', root, '--only', 'coexistence', '--json']);
    expect(check.exitCode).toBe(1);
    const findings = reportOf(check).modules[0]!.findings;
    expect(findings.find((f) => f.key === 'host-keys: google-guest-agent')!.severity).toBeUndefined();
    expect(findings.find((f) => f.key === 'host-keys: google-guest-agent')!.expected).toContain('[InstanceSetup] set_host_keys');
    expect(findings.find((f) => f.key === 'host keys made by')!.actual).toBe('google-guest-agent (google-guest-agent: [InstanceSetup] set_host_keys = true)');
    const yielding = reportOf(await runCli(['check', '--root', root, '--only', 'coexistence', '--json', '--config', yieldConfig()])).modules[0]!.findings;
    expect(yielding.filter((f) => f.key.startsWith('host-keys:')).map((f) => f.severity)).toEqual(['warning']);
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
    // cloud-init's host-key duty is never switched at runtime (it has already acted by then).
    const dropIn = readFileSync(path.join(root, 'etc/cloud/cloud.cfg.d/99-gce-firstboot.cfg'), 'utf8');
    expect(dropIn).not.toMatch(/ssh_/);
    expect(dropIn).toMatch(/^preserve_hostname: true$/m);
    const again = await runCli(['apply', '--root', root, '--only', 'coexistence', '--config', config, '--json']);
    expect(reportOf(again).summary.changes).toBe(0);
    expect(readFileSync(path.join(root, 'etc/default/instance_configs.cfg'), 'utf8')).toBe(cfg);
  });

  it('with take_over empty apply leaves the other agents alone', async () => {
    const root = sandboxRoot();
    put(root, 'usr/bin/google_guest_agent', '');
    put(root, 'etc/default/instance_configs.cfg', GUEST_AGENT_CFG);
    expect((await runCli(['apply', '--root', root, '--only', 'coexistence', '--config', yieldConfig()])).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/default/instance_configs.cfg'), 'utf8')).toBe(GUEST_AGENT_CFG);
  });
});
