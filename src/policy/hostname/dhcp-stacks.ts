import path from 'node:path';
import type { ModuleContext } from '../types.js';
import { DHCLIENT, DHCPCD, dhclientInstalled, dhcpcdHostnameHook, NETWORK_MANAGER, NETWORKD_DIRS, networkManagerInstalled } from '../../distro/network-stacks.js';
import { ownedState, type OwnedText } from '../../edit/owned-text.js';

/** A DHCP client that may set the host name on a lease renewal, and the drop-in that stops it. */
export interface HostnameSetter {
  /** The stack, and for networkd the .network file: one finding each. */
  id: string;
  stack: 'dhclient' | 'dhcpcd' | 'NetworkManager' | 'systemd-networkd';
  evidence: string;
  /** Our drop-in, or for dhcpcd our block in its enter hook. */
  dropIn: OwnedText;
  switchedOff: boolean;
  /** Our block has one marker without the other: not ours to rewrite, so not fixable. */
  broken?: boolean;
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

/**
 * dhcpcd-run-hooks sources /etc/dhcpcd.enter-hook before its hooks, which see only the variables
 * it leaves: 30-hostname then has no lease name to set, nor a previous one to claim the current
 * name by. For every interface, as for dhclient: the host name is the machine's, not one NIC's.
 */
const DHCPCD_BLOCK: OwnedText = {
  path: DHCPCD.enterHook,
  block: 'hostname',
  content: `${HEADER}unset new_host_name new_fqdn new_dhcp6_fqdn old_host_name old_fqdn old_dhcp6_fqdn\n`,
};

async function hasContent(ctx: ModuleContext, owned: OwnedText): Promise<boolean> {
  return (await ownedState(ctx.host, owned)) === 'in place';
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

async function dhcpcd(ctx: ModuleContext): Promise<HostnameSetter | undefined> {
  const hook = await dhcpcdHostnameHook(ctx.host);
  if (!hook) return undefined;
  const state = await ownedState(ctx.host, DHCPCD_BLOCK);
  const broken = state === 'broken' ? ` (${DHCPCD.enterHook} has one gce-firstboot hostname marker without the other: left untouched)` : '';
  return {
    id: 'dhcpcd',
    stack: 'dhcpcd',
    evidence: `${hook} sets it from the lease when the current name is empty, localhost or the previous lease's${broken}`,
    dropIn: DHCPCD_BLOCK,
    switchedOff: state === 'in place',
    broken: state === 'broken',
  };
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
  const found = [await dhclient(ctx), await dhcpcd(ctx), await networkManager(ctx), ...(await networkd(ctx))];
  return found.filter((setter): setter is HostnameSetter => setter !== undefined);
}
