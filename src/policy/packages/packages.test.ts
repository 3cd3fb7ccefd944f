import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bareSystemRoot, sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

/** What Debian's unattended-upgrades debconf question writes when answered yes. */
const AUTO_UPGRADES = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';

function put(root: string, file: string, content = ''): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
}

function run(root: string, mode = 'check') {
  return runCli([mode, '--root', root, '--only', 'packages', '--stage', 'network', '--offline', '--json']);
}

function debianWithUpdates(): string {
  const root = sandboxRoot();
  put(root, 'usr/sbin/sshd');
  put(root, 'usr/bin/unattended-upgrade');
  put(root, 'etc/apt/apt.conf.d/20auto-upgrades', AUTO_UPGRADES);
  return root;
}

/** Only the files this module looks at on a RHEL-like system. */
function rhelRoot(): string {
  const root = bareSystemRoot('gfb-rhel-');
  put(root, 'etc/redhat-release', 'Rocky Linux release 9.4 (Blue Onyx)\n');
  put(root, 'usr/sbin/sshd');
  put(root, 'usr/bin/dnf-automatic');
  put(root, 'usr/lib/systemd/system/dnf-automatic.timer', '[Timer]\nOnCalendar=*-*-* 6:00\n');
  return root;
}

describe('packages module', () => {
  it('warns on the stock fixture: no sshd, no unattended-upgrades, apply changes nothing', async () => {
    const root = sandboxRoot();
    const result = await run(root, 'apply');
    expect(result.exitCode).toBe(0);
    const module = reportOf(result).modules[0]!;
    expect(module.changes).toEqual([]);
    expect(module.findings.map((f) => [f.severity, f.key, f.actual])).toEqual([
      ['warning', 'sshd', 'not installed: no SSH access to the VM'],
      ['warning', 'unattended-upgrades', 'not installed'],
      ['warning', 'APT::Periodic::Unattended-Upgrade', 'not set'],
    ]);
  });

  it('is satisfied by Debian with sshd and unattended-upgrades enabled', async () => {
    const result = await run(debianWithUpdates());
    expect(result.exitCode).toBe(0);
    expect(reportOf(result).modules[0]!.findings).toEqual([]);
  });

  it('names the later apt.conf.d file that turns unattended upgrades off', async () => {
    const root = debianWithUpdates();
    put(root, 'etc/apt/apt.conf.d/99-no-upgrades', '// switched off for the build\nAPT::Periodic::Unattended-Upgrade "0";\n');
    const findings = reportOf(await run(root)).modules[0]!.findings;
    expect(findings.map((f) => f.actual)).toEqual(['"0" in /etc/apt/apt.conf.d/99-no-upgrades']);
  });

  it('reports an apt.conf file apt could not parse instead of guessing', async () => {
    const root = debianWithUpdates();
    put(root, 'etc/apt/apt.conf.d/20auto-upgrades', 'APT::Periodic::Unattended-Upgrade "1;\n\u0000garbage {\n');
    const findings = reportOf(await run(root)).modules[0]!.findings;
    expect(findings.map((f) => f.actual)).toEqual([
      '/etc/apt/apt.conf.d/20auto-upgrades: unbalanced quotes or braces: apt cannot parse it',
      'not set',
    ]);
  });

  it('on RHEL wants dnf-automatic installed and its timer enabled', async () => {
    const root = rhelRoot();
    expect(reportOf(await run(root)).modules[0]!.findings.map((f) => [f.key, f.actual])).toEqual([['dnf-automatic.timer', 'not enabled']]);
    mkdirSync(path.join(root, 'etc/systemd/system/timers.target.wants'), { recursive: true });
    symlinkSync('/usr/lib/systemd/system/dnf-automatic.timer', path.join(root, 'etc/systemd/system/timers.target.wants/dnf-automatic.timer'));
    const result = await run(root);
    expect(result.exitCode).toBe(0);
    expect(reportOf(result).modules[0]!.findings).toEqual([]);
  });

  it('says so when it does not know the distribution', async () => {
    const root = bareSystemRoot('gfb-other-');
    put(root, 'usr/sbin/sshd');
    expect(reportOf(await run(root)).modules[0]!.findings).toMatchObject([{ severity: 'info', actual: 'unknown distribution; not checked' }]);
  });
});
