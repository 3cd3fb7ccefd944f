import type { Host } from '../../host/host.js';
import { parseSystemdConf, systemdConfFiles } from '../../edit/systemd-conf.js';
import { baseName } from '../../edit/config-dirs.js';
import { METADATA_SERVER } from './line-config.js';
// The metadata server's link-local address, where the client talks to it by default.
import { DEFAULT_METADATA_HOST } from '../../metadata/host.js';

export const TIMESYNCD_DROPIN = '/etc/systemd/timesyncd.conf.d/60-gce-firstboot.conf';

/** `NTP=` first: timesyncd adds up NTP= lines across files, and an empty one drops the earlier ones. */
export const TIMESYNCD_DROPIN_TEXT = [
  '# managed by gce-firstboot: the metadata server is the only time source.',
  '# Empty NTP= drops servers set earlier (e.g. by the dhclient hook); empty FallbackNTP= drops the',
  "# compiled-in pool. Google advises against mixing in external sources.",
  '[Time]',
  'NTP=',
  `NTP=${METADATA_SERVER}`,
  'FallbackNTP=',
  '',
].join('\n');

export interface TimesyncdConfig {
  /** Servers timesyncd will use, in order. */
  servers: string[];
  /** Fallback servers; undefined = never set, so the compiled-in default pool applies. */
  fallback: string[] | undefined;
  dropinText: string | undefined;
  /** Files sorting after ours that add servers back. */
  overriddenBy: string[];
  problems: string[];
}

/** What timesyncd makes of its main file and drop-ins, replayed in its own order. */
export async function readTimesyncd(host: Host): Promise<TimesyncdConfig> {
  const config: TimesyncdConfig = { servers: [], fallback: undefined, dropinText: await host.readText(TIMESYNCD_DROPIN), overriddenBy: [], problems: [] };
  const files = await systemdConfFiles(host, 'timesyncd');
  for (const file of files) {
    const parsed = parseSystemdConf((await host.readText(file)) ?? '', file);
    if ('error' in parsed) {
      config.problems.push(parsed.error);
      continue;
    }
    const afterOurs = file !== TIMESYNCD_DROPIN && file.includes('.conf.d/') && baseName(file) > baseName(TIMESYNCD_DROPIN);
    for (const { section, key, value } of parsed.assignments) {
      if (section !== 'Time' || (key !== 'NTP' && key !== 'FallbackNTP')) continue;
      const names = value.split(/\s+/).filter(Boolean);
      if (key === 'NTP') config.servers = names.length === 0 ? [] : [...config.servers, ...names];
      else config.fallback = names.length === 0 ? [] : [...(config.fallback ?? []), ...names];
      const addsAnotherServer = names.some((name) => !isMetadataServer(name));
      if (afterOurs && addsAnotherServer && !config.overriddenBy.includes(file)) config.overriddenBy.push(file);
    }
  }
  return config;
}

/**
 * The metadata server by its name or its address. On Compute Engine the DHCP server hands out
 * 169.254.169.254 as the NTP server, and dhcpcd's 50-timesyncd.conf hook writes it to
 * /run/systemd/timesyncd.conf.d/dhcpcd-IFACE.conf, which sorts after our drop-in: the same server.
 */
export function isMetadataServer(name: string): boolean {
  // A trailing dot makes a name absolute; after an address it is no address at all.
  return name.toLowerCase().replace(/\.$/, '') === METADATA_SERVER || name === DEFAULT_METADATA_HOST;
}

export function timesyncdCompliant(config: TimesyncdConfig): boolean {
  return config.servers[0] === METADATA_SERVER && config.servers.every(isMetadataServer) && config.fallback !== undefined && config.fallback.length === 0;
}
