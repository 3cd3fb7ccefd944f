import type { Host } from '../host/host.js';

/**
 * Where each network stack keeps what the agent reads or writes. A distribution may carry any of
 * them (a Debian image can have ifupdown, networkd, netplan-generated networkd or NetworkManager),
 * so which one is present is probed here, not assumed from the profile.
 */
export const IFUPDOWN = { interfaces: '/etc/network/interfaces', interfacesD: '/etc/network/interfaces.d' } as const;

export const DHCLIENT = {
  conf: '/etc/dhcp/dhclient.conf',
  /** /sbin on Debian 12 (unmerged /usr possible), /usr/sbin on merged-/usr systems and the RHEL family. */
  scripts: ['/sbin/dhclient-script', '/usr/sbin/dhclient-script'],
  enterHooks: '/etc/dhcp/dhclient-enter-hooks.d',
  exitHooks: '/etc/dhcp/dhclient-exit-hooks.d',
} as const;

export const DHCPCD = {
  /** dhcpcd-run-hooks: Debian's path (dhcpcd-base 9 and 10), then upstream's default. */
  runHooks: ['/usr/lib/dhcpcd/dhcpcd-run-hooks', '/usr/libexec/dhcpcd-run-hooks'],
  hooksDirs: ['/usr/lib/dhcpcd/dhcpcd-hooks', '/usr/libexec/dhcpcd-hooks'],
  /** Sourced by dhcpcd-run-hooks before its hooks, on every event; one file, no .d directory. */
  enterHook: '/etc/dhcpcd.enter-hook',
} as const;

/** systemd-networkd's search path, highest priority first (/lib only where /usr is not merged). */
export const NETWORKD_DIRS = ['/etc/systemd/network', '/run/systemd/network', '/usr/local/lib/systemd/network', '/usr/lib/systemd/network', '/lib/systemd/network'] as const;

export const NETWORK_MANAGER = {
  binary: '/usr/sbin/NetworkManager',
  conf: '/etc/NetworkManager/NetworkManager.conf',
  confD: '/etc/NetworkManager/conf.d',
  connections: '/etc/NetworkManager/system-connections',
} as const;

/** Lease files of dhclient (Debian's and RHEL's paths), NetworkManager, dhcpcd and systemd-networkd. */
export const LEASE_DIRS: readonly { dir: string; what: string; matches: (name: string) => boolean }[] = [
  { dir: '/var/lib/dhcp', what: 'dhclient lease', matches: (name) => /\.leases?$/.test(name) },
  { dir: '/var/lib/dhclient', what: 'dhclient lease', matches: (name) => /\.leases?$/.test(name) },
  { dir: '/var/lib/NetworkManager', what: 'NetworkManager lease', matches: (name) => /\.lease$/.test(name) },
  { dir: '/var/lib/dhcpcd', what: 'dhcpcd lease', matches: (name) => /\.lease6?$/.test(name) },
  // networkd keeps leases on /run (tmpfs); a root captured from a chroot or a mounted disk may still hold some.
  { dir: '/run/systemd/netif/leases', what: 'systemd-networkd lease', matches: () => true },
];

/** Where `systemctl enable` links a network unit. */
const wants = (unit: string): string[] => ['multi-user.target.wants', 'sysinit.target.wants', 'network-online.target.wants'].map((dir) => `/etc/systemd/system/${dir}/${unit}`);

async function anyExists(host: Host, paths: readonly string[]): Promise<boolean> {
  for (const file of paths) if (await host.exists(file)) return true;
  return false;
}

/** dhclient-script is installed (isc-dhcp-client): it acts on every lease. */
export function dhclientInstalled(host: Host): Promise<boolean> {
  return anyExists(host, DHCLIENT.scripts);
}

/** dhclient is there to be configured: its script or its config file. */
export function dhclientPresent(host: Host): Promise<boolean> {
  return anyExists(host, [DHCLIENT.conf, ...DHCLIENT.scripts]);
}

/**
 * The DHCP client ifupdown's `inet dhcp` method runs: the first of dhclient, udhcpc and dhcpcd
 * found on its PATH, the order of precedence in ifupdown 0.8's inet.defn (Debian 12's 0.8.41 and
 * 13's 0.8.44). So Debian 13's default dhcpcd-base serves ifupdown only while isc-dhcp-client is
 * not installed. A root without any of the programs (a root holding only configuration) is taken
 * as dhclient's when dhclient's files are there, as before this was asked.
 */
export type IfupdownDhcpClient = 'dhclient' | 'udhcpc' | 'dhcpcd';
const IFUPDOWN_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export async function ifupdownDhcpClient(host: Host): Promise<IfupdownDhcpClient | undefined> {
  for (const client of ['dhclient', 'udhcpc', 'dhcpcd'] as const) {
    if (await anyExists(host, IFUPDOWN_PATH.map((dir) => `${dir}/${client}`))) return client;
  }
  return (await dhclientPresent(host)) ? 'dhclient' : undefined;
}

/** dhcpcd-run-hooks is installed: it sources /etc/dhcpcd.enter-hook on every dhcpcd event. */
export function dhcpcdRunHooksInstalled(host: Host): Promise<boolean> {
  return anyExists(host, DHCPCD.runHooks);
}

/** dhcpcd's hook that sets the host name from the lease, where installed. */
export async function dhcpcdHostnameHook(host: Host): Promise<string | undefined> {
  if (!(await dhcpcdRunHooksInstalled(host))) return undefined;
  for (const dir of DHCPCD.hooksDirs) {
    const hook = `${dir}/30-hostname`;
    if (await host.exists(hook)) return hook;
  }
  return undefined;
}

/** systemd-networkd is enabled (its service or socket linked by systemctl enable). */
export function networkdEnabled(host: Host): Promise<boolean> {
  return anyExists(host, [...wants('systemd-networkd.service'), '/etc/systemd/system/sockets.target.wants/systemd-networkd.socket']);
}

/** NetworkManager is installed: its daemon or its main config file. */
export function networkManagerInstalled(host: Host): Promise<boolean> {
  return anyExists(host, [NETWORK_MANAGER.binary, NETWORK_MANAGER.conf]);
}

/** NetworkManager is enabled, or at least configured (its main config file). */
export function networkManagerEnabled(host: Host): Promise<boolean> {
  return anyExists(host, [...wants('NetworkManager.service'), NETWORK_MANAGER.conf]);
}
