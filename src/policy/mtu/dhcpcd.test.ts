import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../test/helpers/emulator.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';
import { debian13DhcpcdRoot, runDhcpcdEvents, type DhcpcdEvent } from '../../../test/helpers/dhcpcd-run-hooks.js';

const ENTER_HOOK = 'etc/dhcpcd.enter-hook';
const run = (command: string, root: string, host: string) => runCli([command, '--root', root, '--metadata-host', host, '--only', 'mtu', '--json']);
const findingsOf = (result: Parameters<typeof reportOf>[0]) => reportOf(result).modules[0]!.findings;

/** Compute Engine's lease: MTU 1460 as option 26 (dhcpcd passes it as new_interface_mtu). */
const LEASE = { new_ip_address: '10.128.0.2', new_subnet_mask: '255.255.255.255', new_routers: '10.128.0.1', new_interface_mtu: '1460' };
/** dhcpcd starting on ens4 at boot (the link at the kernel's 1500), its lease, then a renewal after someone set 1500 again. */
const BOOT_AND_RENEWAL: DhcpcdEvent[] = [
  { reason: 'PREINIT' },
  { reason: 'BOUND', lease: LEASE },
  { reason: 'RENEW', lease: LEASE, linkMtuBefore: 1500 },
];

describe('mtu on a Debian 13 ifupdown image (dhcpcd-base, the real dhcpcd-run-hooks)', () => {
  beforeAll(async () => {
    await debian13DhcpcdRoot();
  }, 300_000);

  it('a boot and a DHCP renewal on a Debian 13 ifupdown image keep MTU 1460', async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();

    // Without us, Debian 13's dhcpcd leaves the link MTU alone (it puts the lease's MTU on routes only).
    const without = await runDhcpcdEvents(root, { hostname: 'vm1', mtu: 1500 }, BOOT_AND_RENEWAL);
    expect(without.map((e) => e.mtu)).toEqual([1500, 1500, 1500]);

    const applied = await run('apply', root, host);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(reportOf(applied).modules[0]!.changes.map((c) => (c as { action: string }).action)).toContain('persisted MTU 1460 for ens4 (ifupdown/dhcpcd)');

    const withUs = await runDhcpcdEvents(root, { hostname: 'vm1', mtu: 1500 }, BOOT_AND_RENEWAL);
    expect(withUs.map((e) => `${e.reason} ${e.mtu}`)).toEqual(['PREINIT 1460', 'BOUND 1460', 'RENEW 1460']);
    expect((await run('check', root, host)).exitCode).toBe(0);
  });

  it('the block is for the primary NIC only: a lease on another interface changes nothing on ens4', async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();
    expect((await run('apply', root, host)).exitCode).toBe(0);
    const { execa } = await import('execa');
    const source = (iface: string) => execa('sh', ['-c', `interface=${iface} reason=BOUND; ip() { echo "ip $*"; }; . "$1"; echo "mtu=\${new_interface_mtu:-unset}"`, 'sh', path.join(root, ENTER_HOOK)]);
    expect((await source('ens5')).stdout).toBe('mtu=unset');
    expect((await source('ens4')).stdout).toContain('mtu=1460');
  });

  it("an admin's own /etc/dhcpcd.enter-hook keeps its bytes, mode and effect; ours goes in a marked block at the top", async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();
    const admin = '# site hook\necho "admin hook saw $reason"\n';
    writeFileSync(path.join(root, ENTER_HOOK), admin);
    chmodSync(path.join(root, ENTER_HOOK), 0o600);
    expect((await run('apply', root, host)).exitCode).toBe(0);
    const text = readFileSync(path.join(root, ENTER_HOOK), 'utf8');
    expect(text.startsWith('# BEGIN gce-firstboot mtu (do not edit between these lines)\n')).toBe(true);
    expect(text.endsWith(`# END gce-firstboot mtu\n${admin}`)).toBe(true);
    expect(statSync(path.join(root, ENTER_HOOK)).mode & 0o777).toBe(0o600);

    const events = await runDhcpcdEvents(root, { hostname: 'vm1', mtu: 1500 }, [{ reason: 'BOUND', lease: LEASE }]);
    expect(events[0]!.mtu).toBe(1460);
    expect(events[0]!.output).toContain('admin hook saw BOUND');

    // A new MTU from metadata rewrites our block only.
    const jumbo = await startEmulator();
    jumbo.emulator.set('instance/network-interfaces', [{ ip: '10.128.0.2', mac: '42:01:0a:80:00:02', mtu: 8896 }]);
    expect((await run('apply', root, jumbo.host)).exitCode).toBe(0);
    const rewritten = readFileSync(path.join(root, ENTER_HOOK), 'utf8');
    expect(rewritten).toContain('\tnew_interface_mtu=8896\n');
    expect(rewritten).not.toContain('1460');
    expect(rewritten.endsWith(`# END gce-firstboot mtu\n${admin}`)).toBe(true);
  });

  it('a block an admin cut in half (BEGIN without END) is reported and left untouched', async () => {
    const root = await debian13DhcpcdRoot();
    const { host } = await startEmulator();
    const cut = '# BEGIN gce-firstboot mtu (do not edit between these lines)\nnew_interface_mtu=1500\necho mine\n';
    writeFileSync(path.join(root, ENTER_HOOK), cut);
    const result = await run('apply', root, host);
    expect(result.exitCode).toBe(1);
    expect(findingsOf(result).find((f) => f.key === `/${ENTER_HOOK}`)?.actual).toBe('one gce-firstboot mtu marker without the other: file left untouched');
    expect(readFileSync(path.join(root, ENTER_HOOK), 'utf8')).toBe(cut);
  });

  it('with isc-dhcp-client installed too, ifupdown runs dhclient: the dhclient hook is written, not the dhcpcd block', async () => {
    const root = await debian13DhcpcdRoot();
    writeFileSync(path.join(root, 'usr/sbin/dhclient'), '');
    const { host } = await startEmulator();
    const result = await run('apply', root, host);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(path.join(root, 'etc/dhcp/dhclient-enter-hooks.d/gce-firstboot-mtu'), 'utf8')).toContain('new_interface_mtu=1460');
    expect(() => readFileSync(path.join(root, ENTER_HOOK))).toThrow();
  });
});
