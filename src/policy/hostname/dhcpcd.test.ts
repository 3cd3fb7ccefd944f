import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../test/helpers/emulator.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';
import { debian13DhcpcdRoot, runDhcpcdEvents, type DhcpcdEvent } from '../../../test/helpers/dhcpcd-run-hooks.js';

const ENTER_HOOK = 'etc/dhcpcd.enter-hook';
const apply = (root: string, host: string, only = 'hostname') => runCli(['apply', '--root', root, '--metadata-host', host, '--only', only, '--json']);

/** A renewal whose lease names the VM otherwise than the one before, which named it as the metadata server does. */
const RENAMING_RENEWAL: DhcpcdEvent = {
  reason: 'RENEW',
  lease: { new_ip_address: '10.128.0.2', old_ip_address: '10.128.0.2', old_host_name: 'demo-vm', new_host_name: 'dhcp-renamed' },
};
/** A boot's first lease while the kernel still has the image's name (localhost). */
const FIRST_LEASE: DhcpcdEvent = { reason: 'BOUND', lease: { new_ip_address: '10.128.0.2', new_host_name: 'dhcp-named', new_domain_name: 'c.proj.internal' } };

describe('hostname on a Debian 13 ifupdown image (dhcpcd-base, the real dhcpcd-run-hooks)', () => {
  beforeAll(async () => {
    await debian13DhcpcdRoot();
  }, 300_000);

  it('a DHCP renewal that hands out another host name on a Debian 13 ifupdown image keeps demo-vm', async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();

    // Without us, dhcpcd's 30-hostname follows the lease: the name was the previous lease's.
    const without = await runDhcpcdEvents(root, { hostname: 'demo-vm', mtu: 1500 }, [RENAMING_RENEWAL]);
    expect(without[0]!.hostname).toBe('dhcp-renamed');

    const check = reportOf(await runCli(['check', '--root', root, '--metadata-host', host, '--only', 'hostname', '--json'])).modules[0]!.findings;
    expect(check.find((f) => f.key === 'dhcp: dhcpcd')?.actual).toBe(
      "/usr/lib/dhcpcd/dhcpcd-hooks/30-hostname sets it from the lease when the current name is empty, localhost or the previous lease's",
    );
    const applied = await apply(root, host);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(reportOf(applied).modules[0]!.changes.map((c) => c.key)).toContain('dhcp: dhcpcd');

    const withUs = await runDhcpcdEvents(root, { hostname: 'demo-vm', mtu: 1500 }, [RENAMING_RENEWAL]);
    expect(withUs[0]!.hostname).toBe('demo-vm');
    expect(reportOf(await apply(root, host)).summary.changes).toBe(0);
  });

  it("a boot's first lease on a Debian 13 ifupdown image leaves the name to the metadata server", async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();
    const without = await runDhcpcdEvents(root, { hostname: 'localhost', mtu: 1500 }, [FIRST_LEASE]);
    expect(without[0]!.hostname).toBe('dhcp-named.c.proj.internal');

    expect((await apply(root, host)).exitCode).toBe(0);
    const withUs = await runDhcpcdEvents(root, { hostname: 'localhost', mtu: 1500 }, [FIRST_LEASE]);
    expect(withUs[0]!.hostname).toBe('localhost');
  });

  it('mtu and hostname share the enter hook, each in its own block, and both act on one renewal', async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();
    const admin = 'echo "admin hook saw $reason"\n';
    writeFileSync(path.join(root, ENTER_HOOK), admin);
    expect((await apply(root, host, 'mtu')).exitCode).toBe(0);
    expect((await apply(root, host)).exitCode).toBe(0);
    const text = readFileSync(path.join(root, ENTER_HOOK), 'utf8');
    expect(text.match(/^# (BEGIN|END) gce-firstboot \w+/gm)).toEqual([
      '# BEGIN gce-firstboot hostname', '# END gce-firstboot hostname', '# BEGIN gce-firstboot mtu', '# END gce-firstboot mtu',
    ]);
    expect(text.endsWith(`# END gce-firstboot mtu\n${admin}`)).toBe(true);

    const [after] = await runDhcpcdEvents(root, { hostname: 'demo-vm', mtu: 1500 }, [{ ...RENAMING_RENEWAL, lease: { ...RENAMING_RENEWAL.lease, new_interface_mtu: '1460' } }]);
    expect(after).toMatchObject({ mtu: 1460, hostname: 'demo-vm' });
    expect(after!.output).toContain('admin hook saw RENEW');
    // Each module finds its own block in place.
    expect(reportOf(await apply(root, host, 'mtu')).summary.changes).toBe(0);
    expect(reportOf(await apply(root, host)).summary.changes).toBe(0);
  });

  it('a hostname block an admin cut in half is reported as not fixable and left byte for byte', async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();
    const cut = '# BEGIN gce-firstboot hostname (do not edit between these lines)\nunset new_host_name\necho mine\n';
    writeFileSync(path.join(root, ENTER_HOOK), cut);
    const applied = await apply(root, host);
    expect(applied.exitCode).toBe(1);
    const finding = reportOf(applied).modules[0]!.findings.find((f) => f.key === 'dhcp: dhcpcd');
    expect(finding).toMatchObject({ fixable: false });
    expect(finding!.actual).toContain('one gce-firstboot hostname marker without the other: left untouched');
    expect(reportOf(applied).modules[0]!.changes.map((c) => c.key)).not.toContain('dhcp: dhcpcd');
    expect(readFileSync(path.join(root, ENTER_HOOK), 'utf8')).toBe(cut);
  });
});
