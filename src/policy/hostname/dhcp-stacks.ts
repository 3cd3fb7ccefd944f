import path from 'node:path';
import type { ModuleContext } from '../types.js';
import { DHCLIENT, dhclientInstalled, NETWORK_MANAGER, NETWORKD_DIRS, networkManagerInstalled } from '../../distro/network-stacks.js';

/** A DHCP client that may set the host name on a lease renewal, and the drop-in that stops it. */
export interface HostnameSetter {
  /** The stack, and for networkd the .network file: one finding each. */
  id: string;
  stack: 'dhclient' | 'NetworkManager' | 'systemd-networkd';
  evidence: string;
  dropIn: { path: string; content: string };
  switchedOff: boolean;
}

const HEADER = '# Written by gce-firstboot: the host name comes from the metadata server, not DHCP.\n';

/** dhclient-script sources enter hooks before it (and exit hooks) act on the lease's host name. */
const DHCLIENT_HOOK = {
  path: `${DHCLIENT.enterHooks}/gce-firstboot-keep-hostname`,
  content: `${HEADER}unset new_host_name\n`,
};

const NM_DROP_IN = {
  path: `${NETWORK_MANAGER.confD}/60-gce-firstboot-hostname.conf`,
  content: `${HEADER}[main]\nhostname-mode=none\n`,
};

async function hasContent(ctx: ModuleContext, file: { path: string; content: string }): Promise<boolean> {
  return (await ctx.host.readText(file.path)) === file.content;
}

async function dhclient(ctx: ModuleContext): Promise<HostnameSetter | undefined> {
  if (!(await dhclientInstalled(ctx.host))) return undefined;
  const hooks = [];
  for (const name of await ctx.host.readDir(DHCLIENT.exitHooks)) {
    const text = (await ctx.host.readText(`${DHCLIENT.exitHooks}/${name}`)) ?? '';
    if (/\bhostname(ctl)?\b|new_host_name/.test(text)) hooks.push(`${DHCLIENT.exitHooks}/${name}`);
  }
  const evidence = hooks.length ? `exit hook ${hooks.join(', ')} sets it from the lease` : "dhclient-script sets it from the lease's host-name option";
  return { id: 'dhclient', stack: 'dhclient', evidence, dropIn: DHCLIENT_HOOK, switchedOff: await hasContent(ctx, DHCLIENT_HOOK) };
}

async function networkManager(ctx: ModuleContext): Promise<HostnameSetter | undefined> {
  if (!(await networkManagerInstalled(ctx.host))) return undefined;
  const files = [NETWORK_MANAGER.conf, ...(await ctx.host.readDir(NETWORK_MANAGER.confD)).map((name) => `${NETWORK_MANAGER.confD}/${name}`)];
  let mode = 'default';
  for (const file of files) {
    const match = /^\s*hostname-mode\s*=\s*(\S+)/m.exec((await ctx.host.readText(file)) ?? '');
    if (match) mode = match[1]!;
  }
  return {
    id: 'NetworkManager',
    stack: 'NetworkManager',
    evidence: `hostname-mode=${mode} lets it take the host name from DHCP`,
    dropIn: NM_DROP_IN,
    switchedOff: mode === 'none',
  };
}

async function networkd(ctx: ModuleContext): Promise<HostnameSetter[]> {
  const seen = new Set<string>();
  const setters: HostnameSetter[] = [];
  for (const dir of NETWORKD_DIRS) {
    for (const name of await ctx.host.readDir(dir)) {
      if (!name.endsWith('.network') || seen.has(name)) continue;
      seen.add(name);
      const text = (await ctx.host.readText(path.posix.join(dir, name))) ?? '';
      if (!/^\s*DHCP\s*=\s*(yes|true|ipv4|1)\s*$/im.test(text)) continue;
      const dropIn = {
        path: `${NETWORKD_DIRS[0]}/${name}.d/60-gce-firstboot-hostname.conf`,
        content: `${HEADER}[DHCPv4]\nUseHostname=false\n`,
      };
      setters.push({
        id: `systemd-networkd ${name}`,
        stack: 'systemd-networkd',
        evidence: `${path.posix.join(dir, name)} uses DHCP with UseHostname= on by default`,
        dropIn,
        switchedOff: /^\s*UseHostname\s*=\s*(no|false|0)\s*$/im.test(text) || (await hasContent(ctx, dropIn)),
      });
    }
  }
  return setters;
}

/** Every DHCP stack in the root that could change the host name behind our back. */
export async function hostnameSetters(ctx: ModuleContext): Promise<HostnameSetter[]> {
  const found = [await dhclient(ctx), await networkManager(ctx), ...(await networkd(ctx))];
  return found.filter((setter): setter is HostnameSetter => setter !== undefined);
}
