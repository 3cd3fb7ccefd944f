import type { Host } from '../../host/host.js';

export interface Nic {
  name: string;
  mtu: number | undefined;
  /** Its MAC address (a networkd [Match] may name it, as netplan's `match: macaddress` does). */
  mac: string | undefined;
  /** How it was chosen, for the report. */
  how: string;
}

async function ipJson(host: Host, args: string[]): Promise<unknown[]> {
  const result = await host.run('ip', ['-j', ...args]);
  if (result.exitCode !== 0) throw new Error(`ip -j ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  const parsed: unknown = JSON.parse(result.stdout || '[]');
  return Array.isArray(parsed) ? parsed : [];
}

/** The running primary NIC: the configured one, else the default route's interface, else the first non-loopback link. */
export async function primaryNic(host: Host, configured: string): Promise<Nic | undefined> {
  const links = (await ipJson(host, ['link', 'show'])) as { ifname?: string; mtu?: number; link_type?: string; address?: string }[];
  const nic = (name: string, how: string): Nic => {
    const link = links.find((candidate) => candidate.ifname === name);
    return { name, mtu: link?.mtu, mac: link?.address, how };
  };
  if (configured) return links.some((link) => link.ifname === configured) ? nic(configured, '[mtu] interface') : undefined;
  const routes = (await ipJson(host, ['route', 'show', 'default'])) as { dev?: string }[];
  const routed = routes.find((route) => typeof route.dev === 'string')?.dev;
  if (routed) return nic(routed, 'default route');
  const first = links.find((link) => link.ifname && link.ifname !== 'lo' && link.link_type !== 'loopback');
  return first?.ifname ? nic(first.ifname, 'first non-loopback link (no default route)') : undefined;
}
