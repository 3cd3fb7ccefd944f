import type { Host } from '../host/host.js';
import { profileOf } from './distro.js';
import type { LineDaemon } from './profiles.js';

/** systemd-timesyncd is named and laid out alike everywhere (/lib on Debian 12, /usr/lib on merged-/usr systems). */
export const TIMESYNCD = {
  units: ['systemd-timesyncd.service'],
  markers: ['/etc/systemd/timesyncd.conf', '/lib/systemd/systemd-timesyncd', '/usr/lib/systemd/systemd-timesyncd'],
} as const;

/** Daemon binaries that say a time service is installed even when its config file is missing. */
export const DAEMON_BINARIES = ['/usr/sbin/chronyd', '/usr/sbin/ntpd'];

const UNIT_DIRS = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

/** The line-configured NTP daemons this root's distribution ships, with its config paths and unit names. */
export async function lineDaemons(host: Host): Promise<readonly LineDaemon[]> {
  return (await profileOf(host)).ntp.daemons;
}

/** The unit name this root uses of several (chrony.service on Debian, chronyd.service on RHEL): the first installed, else the first. */
export async function unitName(host: Host, units: readonly string[]): Promise<string> {
  for (const unit of units) {
    for (const dir of UNIT_DIRS) if (await host.exists(`${dir}/${unit}`)) return unit;
  }
  return units[0]!;
}
