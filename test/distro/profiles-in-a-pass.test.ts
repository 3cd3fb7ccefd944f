import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot } from '../helpers/sandbox.js';
import { readRooted, writeRooted } from '../helpers/offline-module.js';
import { reportOf, runCli } from '../helpers/cli.js';

type Report = ReturnType<typeof reportOf>;

async function applyOffline(root: string, only: string): Promise<Report> {
  const result = await runCli(['apply', '--root', root, '--offline', '--only', only, '--json']);
  expect(result.exitCode, result.stdout + result.stderr).toBe(0);
  return reportOf(result);
}

/** "key | action" of every change a module made. */
function changesOf(report: Report, id: string): string[] {
  return (report.modules.find((module) => module.id === id)?.changes ?? []).map((change) => `${change.key} | ${(change as { action?: string }).action}`);
}

const GRUB_CFG = "menuentry 'Linux' {\n\tlinux /vmlinuz root=UUID=abc ro\n}\n";
const CHRONY_DEBIAN = readFileSync(path.join(import.meta.dirname, '../fixtures/roots/debian-12/etc/chrony/chrony.conf'), 'utf8');

/** A Debian 13 root with chrony at Debian's path and, beside it, a stray file at RHEL's path. */
function debian13WithStrayChrony(): string {
  const root = sandboxRoot('debian-13');
  writeRooted(root, '/etc/chrony/chrony.conf', CHRONY_DEBIAN);
  writeRooted(root, '/etc/chrony.conf', 'pool 2.rhel.pool.ntp.org iburst\n');
  return root;
}

/** The same root, its os-release naming a distribution no profile knows. */
function asUnknownDistribution(root: string): string {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) writeRooted(root, file, 'NAME="Test Linux"\nID=testlinux\nVERSION_ID=1\n');
  return root;
}

/** A system-wide crypto policy that allows CBC ciphers, as RHEL's LEGACY does. */
function plantLegacyCryptoPolicy(root: string): void {
  writeRooted(root, '/etc/crypto-policies/config', 'LEGACY\n');
  writeRooted(root, '/etc/crypto-policies/back-ends/opensshserver.config', 'Ciphers aes256-gcm@openssh.com,aes256-cbc\n');
}

describe('a pass uses the profile of the root it works on', () => {
  it("an RHEL 9 image: chronyd's /etc/chrony.conf and chronyd.service, sshd.service, grub2-mkconfig for /boot/grub2/grub.cfg (no GRUB tool in the image)", async () => {
    const root = sandboxRoot('rhel-9');
    writeRooted(root, '/boot/grub2/grub.cfg', GRUB_CFG);
    const report = await applyOffline(root, 'ntp,sshd,serial-console');
    expect(changesOf(report, 'ntp')).toEqual([expect.stringMatching(/^\/etc\/chrony\.conf \| .*; chronyd\.service not restarted: --root is not the running system$/)]);
    expect(readRooted(root, '/etc/chrony.conf')).toContain('\nserver metadata.google.internal iburst\n');
    expect(changesOf(report, 'sshd')[0]).toBe('/etc/ssh/sshd_config.d/10-gce-firstboot.conf | wrote drop-in; sshd.service not reloaded: --root is not the running system');
    expect(changesOf(report, 'serial-console')).toContain('bootloader config | not regenerated (--root is not the running system): run grub2-mkconfig -o /boot/grub2/grub.cfg in the image');
  });

  it('a Debian 13 image: ssh.service; only /etc/chrony/chrony.conf (chrony.service) is edited, a stray /etc/chrony.conf left alone; update-grub', async () => {
    const root = debian13WithStrayChrony();
    writeRooted(root, '/etc/default/grub', 'GRUB_CMDLINE_LINUX=""\n');
    writeRooted(root, '/boot/grub/grub.cfg', GRUB_CFG);
    const report = await applyOffline(root, 'ntp,sshd,serial-console');
    expect(changesOf(report, 'serial-console')).toContain('bootloader config | not regenerated (--root is not the running system): run update-grub in the image');
    expect(changesOf(report, 'sshd')[0]).toBe('/etc/ssh/sshd_config.d/10-gce-firstboot.conf | wrote drop-in; ssh.service not reloaded: --root is not the running system');
    expect(changesOf(report, 'ntp')).toEqual([expect.stringMatching(/^\/etc\/chrony\/chrony\.conf \| .*; chrony\.service not restarted: --root is not the running system$/)]);
    expect(readRooted(root, '/etc/chrony.conf')).toBe('pool 2.rhel.pool.ntp.org iburst\n');
  });

  it("an RHEL 9 image with a leftover /etc/chrony/chrony.conf: the profile edits /etc/chrony.conf, the file chronyd reads; an unknown os-release probes Debian's path first and names both GRUB commands, as before profiles", async () => {
    const withLeftover = (): string => {
      const root = sandboxRoot('rhel-9');
      writeRooted(root, '/etc/chrony/chrony.conf', CHRONY_DEBIAN);
      return root;
    };
    const keysOf = (report: Report): string[] => changesOf(report, 'ntp').map((change) => change.split(' | ')[0]!);
    expect(keysOf(await applyOffline(withLeftover(), 'ntp'))).toEqual(['/etc/chrony.conf']);
    const unknown = asUnknownDistribution(withLeftover());
    writeRooted(unknown, '/boot/grub2/grub.cfg', GRUB_CFG);
    const report = await applyOffline(unknown, 'ntp,sshd,serial-console');
    expect(changesOf(report, 'serial-console')).toContain(
      'bootloader config | not regenerated (--root is not the running system): run update-grub (Debian), or grub2-mkconfig -o /boot/grub2/grub.cfg (RHEL; BLS entries: grubby --update-kernel=ALL --args=console=ttyS0,38400n8) in the image',
    );
    expect(keysOf(report)).toEqual(['/etc/chrony/chrony.conf']);
    expect(changesOf(report, 'sshd')[0]).toBe('/etc/ssh/sshd_config.d/10-gce-firstboot.conf | wrote drop-in; ssh.service or sshd.service not reloaded: --root is not the running system');
  });

  it("a crypto policy file in a Debian 13 image is not Debian's OpenSSH's: no finding; under an unknown os-release it is read and named", async () => {
    const debian = sandboxRoot('debian-13');
    plantLegacyCryptoPolicy(debian);
    const onDebian = await applyOffline(debian, 'sshd');
    expect(onDebian.modules[0]!.findings.filter((finding) => finding.key.startsWith('/etc/crypto-policies/'))).toEqual([]);

    const unknown = asUnknownDistribution(sandboxRoot('debian-13'));
    plantLegacyCryptoPolicy(unknown);
    const result = await runCli(['check', '--root', unknown, '--offline', '--only', 'sshd', '--json']);
    expect(reportOf(result).modules[0]!.findings.map((finding) => [finding.key, finding.actual])).toContainEqual(['/etc/crypto-policies/back-ends/opensshserver.config Ciphers', 'aes256-cbc']);
  });
});
