import type { Host } from '../../host/host.js';
import type { LineFlavour } from './line-config.js';

interface LineDaemon {
  flavour: LineFlavour;
  /** Debian's path first, then RHEL's. */
  configs: readonly string[];
  units: readonly string[];
}

export const LINE_DAEMONS: readonly LineDaemon[] = [
  { flavour: 'chrony', configs: ['/etc/chrony/chrony.conf', '/etc/chrony.conf'], units: ['chrony.service', 'chronyd.service'] },
  { flavour: 'ntpsec', configs: ['/etc/ntpsec/ntp.conf'], units: ['ntpsec.service'] },
  { flavour: 'ntp', configs: ['/etc/ntp.conf'], units: ['ntp.service', 'ntpd.service'] },
];

export const TIMESYNCD_UNITS = ['systemd-timesyncd.service'];
export const TIMESYNCD_MARKERS = ['/etc/systemd/timesyncd.conf', '/lib/systemd/systemd-timesyncd', '/usr/lib/systemd/systemd-timesyncd'];

/** Daemon binaries that say a time service is installed even when its config file is missing. */
export const DAEMON_BINARIES = ['/usr/sbin/chronyd', '/usr/sbin/ntpd'];

const UNIT_DIRS = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

/** The first existing path of several, if any. */
export async function firstExisting(host: Host, paths: readonly string[]): Promise<string | undefined> {
  for (const candidate of paths) if (await host.exists(candidate)) return candidate;
  return undefined;
}

/** The unit name this root uses (chrony.service on Debian, chronyd.service on RHEL). */
export async function unitName(host: Host, units: readonly string[]): Promise<string> {
  for (const unit of units) {
    if (await firstExisting(host, UNIT_DIRS.map((dir) => `${dir}/${unit}`))) return unit;
  }
  return units[0]!;
}

/**
 * Restarts a unit so it reads its new configuration, only on the running system (root /) and only
 * if it was running (try-restart). Returns what happened, for the change record.
 */
export async function restartUnit(host: Host, unit: string): Promise<{ restarted: boolean; note: string }> {
  if (host.root !== '/') return { restarted: false, note: `${unit} not restarted: --root is not the running system` };
  if (!(await host.hasCommand('systemctl'))) return { restarted: false, note: `${unit} not restarted: no systemctl` };
  const result = await host.run('systemctl', ['try-restart', unit], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) return { restarted: false, note: `systemctl try-restart ${unit} failed: ${result.stderr.trim().split('\n')[0]}` };
  return { restarted: true, note: `${unit} restarted (if it was running)` };
}
