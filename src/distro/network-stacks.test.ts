import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Host } from '../host/host.js';
import { sandboxRoot } from '../../test/helpers/sandbox.js';
import { dhcpcdHostnameHook, ifupdownDhcpClient } from './network-stacks.js';

const put = (root: string, file: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), '');
};
const clientOf = (root: string) => ifupdownDhcpClient(new Host({ root, live: false }));

describe("which DHCP client ifupdown runs (ifupdown 0.8's order: dhclient, udhcpc, dhcpcd)", () => {
  it('Debian 13 with only dhcpcd-base: dhcpcd', async () => {
    const root = sandboxRoot('debian-13');
    put(root, 'usr/sbin/dhcpcd');
    expect(await clientOf(root)).toBe('dhcpcd');
  });

  it('isc-dhcp-client installed beside dhcpcd-base: dhclient wins, also through a merged-/usr /sbin link', async () => {
    const root = sandboxRoot('debian-13');
    put(root, 'usr/sbin/dhcpcd');
    put(root, 'usr/sbin/dhclient');
    symlinkSync('usr/sbin', path.join(root, 'sbin'));
    expect(await clientOf(root)).toBe('dhclient');
  });

  it('busybox udhcpc comes before dhcpcd', async () => {
    const root = sandboxRoot('debian-13');
    put(root, 'usr/sbin/dhcpcd');
    put(root, 'usr/bin/udhcpc');
    expect(await clientOf(root)).toBe('udhcpc');
  });

  it("a root with no client program but dhclient's configuration is dhclient's (configuration-only roots); an empty one has none", async () => {
    expect(await clientOf(sandboxRoot('debian-12'))).toBe('dhclient');
    expect(await clientOf(sandboxRoot('debian-13'))).toBeUndefined();
  });

  it("dhcpcd's 30-hostname counts only where dhcpcd-run-hooks is installed to run it", async () => {
    const root = sandboxRoot('debian-13');
    put(root, 'usr/lib/dhcpcd/dhcpcd-hooks/30-hostname');
    const host = new Host({ root, live: false });
    expect(await dhcpcdHostnameHook(host)).toBeUndefined();
    put(root, 'usr/lib/dhcpcd/dhcpcd-run-hooks');
    expect(await dhcpcdHostnameHook(host)).toBe('/usr/lib/dhcpcd/dhcpcd-hooks/30-hostname');
  });
});
