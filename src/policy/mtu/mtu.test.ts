import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_ROOTS, sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { startEmulator } from '../../../test/helpers/emulator.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const HOOK = 'etc/dhcp/dhclient-enter-hooks.d/gce-firstboot-mtu';
const NETWORKD = 'etc/systemd/network/90-dhcp.network.d/60-gce-firstboot-mtu.conf';
const NM = 'etc/NetworkManager/conf.d/60-gce-firstboot-mtu.conf';
const run = (command: string, root: string, host: string, ...rest: string[]) => runCli([command, '--root', root, '--metadata-host', host, '--only', 'mtu', '--json', ...rest]);
const read = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8');
const put = (root: string, file: string, content: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
};
const nic = (mtu?: unknown) => [{ ip: '10.128.0.2', mac: '42:01:0a:80:00:02', ...(mtu === undefined ? {} : { mtu }) }];
const findingsOf = (result: Parameters<typeof reportOf>[0]) => reportOf(result).modules[0]!.findings;

describe('mtu module on fixture roots', () => {
  it('Debian 12 (ifupdown + dhclient): writes a dhclient enter hook, then is compliant and idempotent', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const before = await run('check', root, host);
    expect(before.exitCode).toBe(1);
    expect(findingsOf(before).find((f) => f.key === 'source')?.expected).toBe('1460 from metadata instance/network-interfaces/0/mtu');
    expect(findingsOf(before).find((f) => f.key === `/${HOOK}`)).toMatchObject({ actual: '(absent)' });

    const applied = await run('apply', root, host);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const hook = read(root, HOOK);
    expect(hook).toContain('if [ "$interface" = "ens4" ]; then\n\tnew_interface_mtu=1460\nfi\n');
    // The vendor files are not touched.
    expect(read(root, 'etc/dhcp/dhclient.conf')).toBe(read(path.join(FIXTURE_ROOTS, 'debian-12'), 'etc/dhcp/dhclient.conf'));
    expect((await run('check', root, host)).exitCode).toBe(0);
    expect(reportOf(await run('apply', root, host)).summary.changes).toBe(0);
    expect(read(root, HOOK)).toBe(hook);
  });

  it('the hook is valid sh that sets new_interface_mtu for the primary NIC only', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    await run('apply', root, host);
    const { execa } = await import('execa');
    const source = (iface: string) => execa('sh', ['-ec', `interface=${iface}; . "$1"; echo "mtu=\${new_interface_mtu:-unset}"`, 'sh', path.join(root, HOOK)]);
    expect((await source('ens4')).stdout).toBe('mtu=1460');
    expect((await source('ens5')).stdout).toBe('mtu=unset');
  });

  it('takes MTU 8896 from metadata', async () => {
    const root = sandboxRoot();
    const { host, emulator } = await startEmulator();
    emulator.set('instance/network-interfaces', nic(8896));
    expect((await run('apply', root, host)).exitCode).toBe(0);
    expect(read(root, HOOK)).toContain('new_interface_mtu=8896\n');
  });

  it('uses the config value (default 1460) when metadata gives no MTU', async () => {
    const root = sandboxRoot();
    const { host, emulator } = await startEmulator();
    emulator.set('instance/network-interfaces', nic());
    const result = await run('apply', root, host);
    expect(findingsOf(result).find((f) => f.key === 'source')?.expected).toContain('1460 from config mtu = 1460 (metadata instance/network-interfaces/0/mtu absent)');
    expect(read(root, HOOK)).toContain('new_interface_mtu=1460\n');

    const config = path.join(tempDir(), 'gce-firstboot.conf');
    writeFileSync(config, '[mtu]\nmtu = 1500\n');
    expect((await run('apply', root, host, '--config', config)).exitCode).toBe(0);
    expect(read(root, HOOK)).toContain('new_interface_mtu=1500\n');
  });

  it.each([[9000], [1299], ['abc'], ['1460; reboot']])('falls back from the bad metadata MTU %j and says why', async (bad) => {
    const root = sandboxRoot();
    const { host, emulator } = await startEmulator();
    emulator.set('instance/network-interfaces', nic(bad));
    const result = await run('apply', root, host);
    expect(result.exitCode, result.stderr).toBe(0);
    const warning = findingsOf(result).find((f) => f.key === 'metadata mtu');
    expect(warning?.severity).toBe('warning');
    expect(warning?.actual).toContain('not a VPC MTU (1300-8896); using config mtu = 1460');
    expect(read(root, HOOK)).toContain('new_interface_mtu=1460\n');
  });

  it('refuses a config mtu outside the VPC range (exit 2)', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const config = path.join(tempDir(), 'gce-firstboot.conf');
    writeFileSync(config, '[mtu]\nmtu = 9000\n');
    const result = await run('apply', root, host, '--config', config);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('[mtu] mtu: must be at most 8896');
  });

  it('systemd-networkd: a drop-in for the .network file that matches, vendor files untouched; a later drop-in is the cause', async () => {
    const root = sandboxRoot('debian-12-networkd');
    const { host, emulator } = await startEmulator();
    emulator.set('instance/network-interfaces', nic(8896));
    const vendor = read(root, 'lib/systemd/network/80-container-host0.network');
    expect((await run('apply', root, host)).exitCode).toBe(0);
    expect(read(root, NETWORKD)).toMatch(/\n\[Link\]\nMTUBytes=8896\n$/);
    expect(read(root, 'etc/systemd/network/90-dhcp.network')).toBe('[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n');
    expect(read(root, 'lib/systemd/network/80-container-host0.network')).toBe(vendor);
    expect((await run('check', root, host)).exitCode).toBe(0);

    put(root, 'etc/systemd/network/90-dhcp.network.d/99-local.conf', '[Link]\nMTUBytes=1500\n');
    const drift = await run('apply', root, host);
    expect(drift.exitCode).toBe(1);
    const conflict = findingsOf(drift).find((f) => f.key === 'systemd-networkd MTU');
    expect(conflict?.cause).toContain('/etc/systemd/network/90-dhcp.network.d/99-local.conf:2 sets MTUBytes=1500');
    expect(read(root, 'etc/systemd/network/90-dhcp.network.d/99-local.conf')).toBe('[Link]\nMTUBytes=1500\n');
  });

  it('systemd-networkd: a vendor .network in /lib gets its drop-in under /etc', async () => {
    const root = sandboxRoot('debian-12-networkd');
    rmSync(path.join(root, 'etc/systemd/network/90-dhcp.network'));
    put(root, 'lib/systemd/network/50-cloud.network', '[Match]\nType=ether\nName=!veth*\n\n[Network]\nDHCP=yes\n');
    const { host } = await startEmulator();
    expect((await run('apply', root, host)).exitCode).toBe(0);
    expect(read(root, 'etc/systemd/network/50-cloud.network.d/60-gce-firstboot-mtu.conf')).toContain('MTUBytes=1460\n');
  });

  it('NetworkManager (RHEL-like root): a conf.d default for the NIC; a profile with its own mtu is the cause', async () => {
    const root = sandboxRoot('rhel-9');
    put(root, 'etc/NetworkManager/system-connections/ens4.nmconnection', '[connection]\nid=ens4\ntype=ethernet\ninterface-name=ens4\n\n[ipv4]\nmethod=auto\n');
    const { host } = await startEmulator();
    expect((await run('apply', root, host)).exitCode).toBe(0);
    expect(read(root, NM)).toMatch(/\n\[connection-gce-firstboot-mtu\]\nmatch-device=interface-name:ens4\nethernet\.mtu=1460\n$/);
    expect((await run('check', root, host)).exitCode).toBe(0);

    const profile = '[connection]\nid=ens4\ntype=ethernet\ninterface-name=ens4\n\n[ethernet]\nmtu=1500\n';
    put(root, 'etc/NetworkManager/system-connections/ens4.nmconnection', profile);
    const drift = await run('apply', root, host);
    expect(drift.exitCode).toBe(1);
    expect(findingsOf(drift).find((f) => f.key === 'NetworkManager MTU')?.cause).toContain('ens4.nmconnection:7 sets mtu=1500');
    expect(read(root, 'etc/NetworkManager/system-connections/ens4.nmconnection')).toBe(profile);
  });

  it.each([
    ['an ifupdown stanza', 'debian-12', 'etc/network/interfaces', 'auto lo\niface lo inet loopback\niface ens4$(touch${IFS}/tmp/pwned) inet dhcp\n'],
    ['a NetworkManager profile', 'rhel-9', 'etc/NetworkManager/system-connections/evil.nmconnection', '[connection]\nid=evil\ninterface-name=ens4"\n'],
    ['an ifupdown stanza, too long', 'debian-12', 'etc/network/interfaces', 'iface averyveryverylongname0 inet dhcp\n'],
  ])('an interface name with shell or quote characters in %s is refused before it reaches a hook', async (_where, fixture, file, content) => {
    const root = sandboxRoot(fixture);
    put(root, file, content);
    const { host } = await startEmulator();
    const result = await run('apply', root, host);
    expect(result.exitCode).toBe(0);
    const finding = findingsOf(result).find((f) => f.key === 'primary NIC name');
    expect(finding).toMatchObject({ severity: 'warning', fixable: false });
    expect(finding?.actual).toMatch(/^refused: ".*" (holds characters other than|is \d+ characters)/);
    expect(() => read(root, HOOK)).toThrow();
    expect(() => read(root, NM)).toThrow();
    expect(reportOf(result).summary.changes).toBe(0);
  });

  it('a .network file whose Name= glob has a backwards range ([z-a]) is named in a warning, not a crash', async () => {
    const root = sandboxRoot('debian-12-networkd');
    put(root, 'etc/systemd/network/10-odd.network', '[Match]\nName=[z-a]*\n\n[Network]\nDHCP=yes\n');
    const { host } = await startEmulator();
    const result = await run('apply', root, host);
    expect(result.exitCode, result.stderr).toBe(0);
    const note = findingsOf(result).find((f) => f.key === 'network config');
    expect(note).toMatchObject({ severity: 'warning' });
    expect(note?.actual).toContain('/etc/systemd/network/10-odd.network: [Match] Name= pattern not understood (range z-a is backwards)');
    // The next matching file still gets the MTU.
    expect(read(root, NETWORKD)).toContain('MTUBytes=1460\n');
  });

  it('reports a root with no supported network stack as a warning, not a failure', async () => {
    const root = sandboxRoot('debian-12-networkd');
    rmSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/systemd-networkd.service'));
    const { host } = await startEmulator();
    const result = await run('apply', root, host);
    expect(result.exitCode).toBe(0);
    expect(findingsOf(result).find((f) => f.key === 'persistence')).toMatchObject({ severity: 'warning' });
  });
});
