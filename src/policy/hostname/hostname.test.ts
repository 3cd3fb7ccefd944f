import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot } from '../../../test/helpers/sandbox.js';
import { startEmulator } from '../../../test/helpers/emulator.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const args = (root: string, host: string, ...rest: string[]) => [...rest, '--root', root, '--metadata-host', host, '--only', 'hostname', '--json'];

describe('hostname module', () => {
  it('drifts on a fresh image, applies, is then compliant, and a second apply changes nothing', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const before = await runCli(args(root, host, 'check'));
    expect(before.exitCode).toBe(1);
    expect(reportOf(before).modules[0]!.findings.map((f) => f.key)).toEqual(['/etc/hostname', '/etc/hosts']);

    const applied = await runCli(args(root, host, 'apply'));
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
    const hosts = readFileSync(path.join(root, 'etc/hosts'), 'utf8');
    expect(hosts.startsWith('127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n')).toBe(true);
    expect(hosts).toContain('169.254.169.254 metadata.google.internal  # managed by gce-firstboot\n');
    expect(hosts).toContain('10.128.0.2 demo-vm.us-central1-a.c.demo-project.internal demo-vm  # managed by gce-firstboot\n');

    expect((await runCli(args(root, host, 'check'))).exitCode).toBe(0);
    const again = await runCli(args(root, host, 'apply'));
    expect(reportOf(again).summary.changes).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hosts'), 'utf8')).toBe(hosts);
  });

  it('keeps the short name for the kernel when the FQDN is longer than 64 bytes', async () => {
    const root = sandboxRoot();
    const fqdn = `node-7.${'a'.repeat(60)}.c.project-with-long-name.internal`;
    const { host, emulator } = await startEmulator();
    emulator.set('instance/hostname', fqdn);
    expect(fqdn.length).toBeGreaterThan(90);
    expect((await runCli(args(root, host, 'apply'))).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('node-7\n');
    expect(readFileSync(path.join(root, 'etc/hosts'), 'utf8')).toContain(`10.128.0.2 ${fqdn} node-7  #`);
  });

  it.each([
    ['metadata.google.internal', "metadata server's own name"],
    ['bad_label.example', 'not RFC 1123'],
    ['-lead.example', 'not RFC 1123'],
    ['host\nname', 'control characters'],
    ['.example', 'empty first label'],
    [`${'x'.repeat(64)}.example`, 'at most 63'],
    [`${'abcdefghi.'.repeat(26)}com`, 'at most 253'],
    ['hôte.example', 'non-ASCII'],
    ['a;rm -rf /', 'not RFC 1123'],
    ['localhost.corp.example.com', 'reserved: "localhost"'],
    ['LocalHost', 'reserved: "localhost"'],
    ['vm1.localhost', 'reserved: "localhost"'],
    ['10.0.0.1', 'all digits (an IP address?)'],
    ['42.example.com', 'short name "42" is all digits'],
    ['vm.example.123', 'top-level label "123" is all digits'],
  ])('refuses %j, writes nothing, and says why', async (bad, reason) => {
    const root = sandboxRoot();
    const { host, emulator } = await startEmulator();
    emulator.set('instance/hostname', bad);
    const result = await runCli(args(root, host, 'apply'));
    expect(result.exitCode).toBe(1);
    const finding = reportOf(result).modules[0]!.findings[0]!;
    expect(finding.cause).toContain(reason);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('debian\n');
  });

  it('falls back to 127.0.1.1 when the metadata server has no primary IP', async () => {
    const root = sandboxRoot();
    const { host, emulator } = await startEmulator();
    emulator.set('instance/network-interfaces', undefined);
    expect((await runCli(args(root, host, 'apply'))).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hosts'), 'utf8')).toContain('127.0.1.1 demo-vm.us-central1-a.c.demo-project.internal demo-vm  #');
  });
});

describe('hostname stays put across DHCP renewals', () => {
  const vendorFiles = new Map<string, string>();
  const put = (root: string, file: string, content: string) => {
    vendorFiles.set(path.join(root, file), content);
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  };

  it.each([
    [
      'dhclient with a hostname exit hook',
      (root: string) => {
        put(root, 'sbin/dhclient-script', '#!/bin/sh\n');
        put(root, 'etc/dhcp/dhclient-exit-hooks.d/google_set_hostname', 'hostname "$new_host_name"\n');
      },
      'dhcp: dhclient',
      'etc/dhcp/dhclient-enter-hooks.d/gce-firstboot-keep-hostname',
      /unset new_host_name/,
      /exit hook \/etc\/dhcp\/dhclient-exit-hooks.d\/google_set_hostname/,
    ],
    [
      'NetworkManager',
      (root: string) => put(root, 'etc/NetworkManager/NetworkManager.conf', '[main]\nplugins=ifupdown,keyfile\n'),
      'dhcp: NetworkManager',
      'etc/NetworkManager/conf.d/60-gce-firstboot-hostname.conf',
      /\[main\]\nhostname-mode=none/,
      /hostname-mode=default/,
    ],
    [
      'systemd-networkd',
      (root: string) => put(root, 'etc/systemd/network/10-ens4.network', '[Match]\nName=ens4\n\n[Network]\nDHCP=yes\n'),
      'dhcp: systemd-networkd 10-ens4.network',
      'etc/systemd/network/10-ens4.network.d/60-gce-firstboot-hostname.conf',
      /\[DHCPv4\]\nUseHostname=false/,
      /UseHostname= on by default/,
    ],
  ])('%s: check names it as the cause of drift, apply switches it off by drop-in only', async (_, setUp, key, dropIn, content, evidence) => {
    const root = sandboxRoot();
    setUp(root);
    const { host } = await startEmulator();
    expect((await runCli(args(root, host, 'apply'))).exitCode).toBe(0);
    expect(readFileSync(path.join(root, dropIn), 'utf8')).toMatch(content);
    writeFileSync(path.join(root, 'etc/hostname'), 'dhcp-given-name\n');
    rmSync(path.join(root, dropIn));
    const drifted = reportOf(await runCli(args(root, host, 'check'))).modules[0]!.findings;
    expect(drifted.find((f) => f.key === '/etc/hostname')!.cause).toMatch(evidence);
    expect(drifted.find((f) => f.key === key)!.actual).toMatch(evidence);
    expect((await runCli(args(root, host, 'apply'))).exitCode).toBe(0);
    for (const [file, original] of vendorFiles) if (file.startsWith(root)) expect(readFileSync(file, 'utf8')).toBe(original);
    expect(reportOf(await runCli(args(root, host, 'apply'))).summary.changes).toBe(0);
  });
});
