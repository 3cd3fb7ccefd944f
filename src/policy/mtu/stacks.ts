import path from 'node:path';
import type { Host } from '../../host/host.js';
import { searchPathFiles } from '../../edit/search-path.js';
import { GlobError, globMatches } from './glob.js';
import { iniLines } from './ini-sections.js';
import type { OwnedText } from '../../edit/owned-text.js';
import { DHCLIENT, DHCPCD, dhcpcdRunHooksInstalled, IFUPDOWN, ifupdownDhcpClient, NETWORK_MANAGER, NETWORKD_DIRS, networkdEnabled, networkManagerEnabled } from '../../distro/network-stacks.js';

export type StackName = 'ifupdown/dhclient' | 'ifupdown/dhcpcd' | 'systemd-networkd' | 'NetworkManager';

/**
 * How the MTU is persisted for the stack that manages the primary NIC: our drop-in (a file we own
 * wholly), or for dhcpcd our block in its enter hook.
 */
export interface Persistence extends OwnedText {
  stack: StackName;
  /** Settings elsewhere that win over ours, as "path:line sets ...". */
  conflicts: string[];
}

const DHCLIENT_HOOK = `${DHCLIENT.enterHooks}/gce-firstboot-mtu`;
const NETWORKD_DROP_IN = '60-gce-firstboot-mtu.conf';
const NM_DROP_IN = `${NETWORK_MANAGER.confD}/60-gce-firstboot-mtu.conf`;
const HEADER = (file: string) => [`# ${file}`, '# Written by gce-firstboot (mtu module) and rewritten by it: do not edit.', '# Change the MTU in /etc/gce-firstboot/gce-firstboot.conf, section [mtu] (or the VPC).'];

/** `iface NAME inet dhcp` stanzas in /etc/network/interfaces and interfaces.d, in order. */
async function ifupdownDhcpInterfaces(host: Host): Promise<string[]> {
  const files = [IFUPDOWN.interfaces, ...(await host.readDir(IFUPDOWN.interfacesD)).map((name) => `${IFUPDOWN.interfacesD}/${name}`)];
  const names: string[] = [];
  for (const file of files) {
    const text = (await host.lstat(file))?.isDirectory() ? undefined : await host.readText(file);
    for (const line of (text ?? '').split('\n')) {
      const stanza = /^\s*iface\s+(\S+)\s+inet\s+dhcp\b/.exec(line);
      if (stanza && stanza[1] !== 'lo') names.push(stanza[1]!);
    }
  }
  return names;
}

/** Keyfile interface names (NetworkManager profiles in /etc), in file order. */
async function keyfileInterfaces(host: Host): Promise<string[]> {
  const names: string[] = [];
  for (const name of await host.readDir(NETWORK_MANAGER.connections)) {
    const lines = iniLines((await host.readText(`${NETWORK_MANAGER.connections}/${name}`)) ?? '');
    const iface = lines.find((line) => line.section === 'connection' && line.key === 'interface-name')?.value;
    if (iface) names.push(iface);
  }
  return names;
}

/**
 * The primary NIC's name when the running system cannot be asked (no --live): the first DHCP
 * interface ifupdown or a NetworkManager profile names, else ens4 — what Compute Engine's
 * virtio-net NIC (PCI slot 4) is called under predictable interface names.
 */
export async function configuredNicName(host: Host): Promise<string> {
  return (await ifupdownDhcpInterfaces(host))[0] ?? (await keyfileInterfaces(host))[0] ?? 'ens4';
}

/**
 * Whether a .network file's [Match] section selects this (physical, VM) interface. MACAddress= and
 * PermanentMACAddress= (netplan's `match: macaddress`, which cloud-init writes) are compared with
 * the running NIC's MAC; without one (no --live) they are not assumed to match.
 */
function networkMatches(text: string, nic: string, mac: string | undefined): boolean {
  const match = iniLines(text).filter((line) => line.section === 'Match');
  return match.every(({ key, value }) => {
    const negated = value.startsWith('!');
    const items = value.replace(/^!/, '').split(/\s+/).filter(Boolean);
    let hit: boolean;
    if (key === 'Name') hit = items.some((pattern) => globMatches(pattern, nic));
    else if (key === 'Type') hit = items.includes('ether');
    else if (key === 'Virtualization') hit = items.some((item) => ['yes', 'true', 'vm', 'kvm'].includes(item));
    else if (key === 'Kind') hit = false;
    else if ((key === 'MACAddress' || key === 'PermanentMACAddress') && mac) hit = items.some((item) => item.toLowerCase() === mac.toLowerCase());
    else return false; // a condition we cannot evaluate here (MAC, driver, path...): not assumed to match
    return negated ? !hit : hit;
  });
}

/** Whether the file matches; a glob it cannot read makes it not match and is noted. */
function networkFileMatches(text: string, nic: string, mac: string | undefined, file: string, notes: string[]): boolean {
  try {
    return networkMatches(text, nic, mac);
  } catch (error) {
    if (!(error instanceof GlobError)) throw error;
    notes.push(`${file}: [Match] Name= pattern not understood (${error.message}); the file is taken as not matching ${nic}`);
    return false;
  }
}

async function networkd(host: Host, nic: string, mac: string | undefined, mtu: number, notes: string[]): Promise<Persistence | undefined> {
  if (!(await networkdEnabled(host))) return undefined;
  for (const file of await searchPathFiles(host, NETWORKD_DIRS, '.network')) {
    if ((await host.readLink(file)) === '/dev/null') continue;
    if (!networkFileMatches((await host.readText(file)) ?? '', nic, mac, file, notes)) continue;
    const name = path.posix.basename(file);
    const dropIn = `${NETWORKD_DIRS[0]}/${name}.d/${NETWORKD_DROP_IN}`;
    const conflicts: string[] = [];
    const dropIns = await searchPathFiles(host, NETWORKD_DIRS.map((dir) => `${dir}/${name}.d`), '.conf');
    for (const other of dropIns.filter((other) => path.posix.basename(other) > NETWORKD_DROP_IN)) {
      for (const line of iniLines((await host.readText(other)) ?? '')) {
        if (line.section === 'Link' && line.key === 'MTUBytes' && line.value !== String(mtu)) conflicts.push(`${other}:${line.line} sets MTUBytes=${line.value}`);
      }
    }
    return { stack: 'systemd-networkd', path: dropIn, content: [...HEADER(dropIn), '[Link]', `MTUBytes=${mtu}`].join('\n') + '\n', conflicts };
  }
  return undefined;
}

function dhclientHook(nic: string, mtu: number): Persistence {
  const content = [
    ...HEADER(DHCLIENT_HOOK),
    '# dhclient-script sources this before it configures a lease and then sets the link MTU from',
    '# new_interface_mtu (BOUND, RENEW, REBIND, REBOOT), so the MTU survives every renewal.',
    `if [ "$interface" = "${nic}" ]; then`,
    `\tnew_interface_mtu=${mtu}`,
    'fi',
  ];
  return { stack: 'ifupdown/dhclient', path: DHCLIENT_HOOK, content: content.join('\n') + '\n', conflicts: [] };
}

/**
 * dhcpcd (10, Debian 13) never sets the link MTU: it puts the lease's MTU on the routes it adds,
 * and Debian's dhcpcd-base ships no MTU hook. dhcpcd-run-hooks sources the enter hook on every
 * event, so our block sets the link MTU when dhcpcd starts on the NIC (PREINIT, before DHCP) and
 * on each lease, and only when it differs (a change of MTU may reset the NIC).
 */
function dhcpcdEnterHook(nic: string, mtu: number): Persistence {
  const content = [
    '# Written by gce-firstboot (mtu module) and rewritten by it. Change the MTU in',
    '# /etc/gce-firstboot/gce-firstboot.conf, section [mtu] (or the VPC), not here.',
    `if [ "$interface" = "${nic}" ]; then`,
    '\tcase "$reason" in',
    '\tPREINIT|CARRIER|BOUND|RENEW|REBIND|REBOOT|INFORM|STATIC|TIMEOUT)',
    `\t\t[ "$(cat /sys/class/net/${nic}/mtu 2>/dev/null)" = ${mtu} ] || ip link set dev ${nic} mtu ${mtu} ;;`,
    '\tesac',
    `\tnew_interface_mtu=${mtu}`,
    'fi',
  ];
  return { stack: 'ifupdown/dhcpcd', path: DHCPCD.enterHook, block: 'mtu', content: content.join('\n') + '\n', conflicts: [] };
}

/** ifupdown's DHCP stanza for the NIC, served by the client ifupdown would run. */
async function ifupdown(host: Host, nic: string, mtu: number): Promise<Persistence | undefined> {
  if (!(await ifupdownDhcpInterfaces(host)).includes(nic)) return undefined;
  const client = await ifupdownDhcpClient(host);
  if (client === 'dhclient') return dhclientHook(nic, mtu);
  if (client === 'dhcpcd' && (await dhcpcdRunHooksInstalled(host))) return dhcpcdEnterHook(nic, mtu);
  return undefined;
}

async function networkManager(host: Host, nic: string, mtu: number): Promise<Persistence | undefined> {
  if (!(await networkManagerEnabled(host))) return undefined;
  const conflicts: string[] = [];
  for (const name of await host.readDir(NETWORK_MANAGER.connections)) {
    const file = `${NETWORK_MANAGER.connections}/${name}`;
    const lines = iniLines((await host.readText(file)) ?? '');
    const iface = lines.find((line) => line.section === 'connection' && line.key === 'interface-name')?.value;
    const profileMtu = lines.find((line) => (line.section === 'ethernet' || line.section === '802-3-ethernet') && line.key === 'mtu');
    if ((iface === undefined || iface === nic) && profileMtu && profileMtu.value !== '0' && profileMtu.value !== String(mtu)) {
      conflicts.push(`${file}:${profileMtu.line} sets mtu=${profileMtu.value} in the connection profile, which wins over conf.d defaults`);
    }
  }
  const content = [...HEADER(NM_DROP_IN), '[connection-gce-firstboot-mtu]', `match-device=interface-name:${nic}`, `ethernet.mtu=${mtu}`];
  return { stack: 'NetworkManager', path: NM_DROP_IN, content: content.join('\n') + '\n', conflicts };
}

/**
 * The stack that manages `nic` in this root (ifupdown's DHCP stanza, then networkd, then
 * NetworkManager). `nic` must have passed interfaceNameProblem(): it is written into a shell hook
 * and a match rule; `mac` is the running NIC's, when known. What could not be read on the way is
 * added to `notes`.
 */
export async function persistenceFor(host: Host, nic: string, mtu: number, notes: string[] = [], mac?: string): Promise<Persistence | undefined> {
  return (await ifupdown(host, nic, mtu)) ?? (await networkd(host, nic, mac, mtu, notes)) ?? (await networkManager(host, nic, mtu));
}
