import type { Host } from '../../host/host.js';
import { parseSystemdConf, systemdConfFiles } from '../../edit/systemd-conf.js';
import { baseName } from '../../edit/config-dirs.js';

export const JOURNALD_DROPIN = '/etc/systemd/journald.conf.d/60-gce-firstboot-console.conf';
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export function wantedJournald(level: string): Record<string, string> {
  return { ForwardToConsole: 'yes', TTYPath: '/dev/ttyS0', MaxLevelConsole: level };
}

export function journaldDropinText(level: string): string {
  return [
    '# managed by gce-firstboot: journal (syslog) messages to the serial console, for',
    '# `gcloud compute instances get-serial-port-output`. Level: [serial-console] console_max_level.',
    '[Journal]',
    ...Object.entries(wantedJournald(level)).map(([key, value]) => `${key}=${value}`),
    '',
  ].join('\n');
}

export interface JournaldConfig {
  /** The last value of each key we care about, across journald.conf and its drop-ins. */
  effective: Record<string, string>;
  dropinText: string | undefined;
  overriddenBy: string[];
  problems: string[];
}

/** The same value as journald would read it (yes/true/1/on; a level by name or number). */
function sameValue(key: string, a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  if (key === 'ForwardToConsole') return /^(yes|true|1|on)$/i.test(a) === /^(yes|true|1|on)$/i.test(b);
  if (key === 'MaxLevelConsole') return a === b || LOG_LEVELS[Number(a)] === b;
  return a === b;
}

export async function readJournald(host: Host, level: string): Promise<JournaldConfig> {
  const wanted = wantedJournald(level);
  const config: JournaldConfig = { effective: {}, dropinText: await host.readText(JOURNALD_DROPIN), overriddenBy: [], problems: [] };
  for (const file of await systemdConfFiles(host, 'journald')) {
    const parsed = parseSystemdConf((await host.readText(file)) ?? '', file);
    if ('error' in parsed) {
      config.problems.push(parsed.error);
      continue;
    }
    const later = file.includes('.conf.d/') && baseName(file) > baseName(JOURNALD_DROPIN);
    for (const { section, key, value } of parsed.assignments) {
      if (section !== 'Journal' || !(key in wanted)) continue;
      config.effective[key] = value;
      if (later && !sameValue(key, value, wanted[key]!) && !config.overriddenBy.includes(file)) config.overriddenBy.push(file);
    }
  }
  return config;
}

/** Keys whose effective value is not the wanted one, as "Key=value" (or "Key unset"). */
export function journaldDifferences(config: JournaldConfig, level: string): string[] {
  return Object.entries(wantedJournald(level))
    .filter(([key, value]) => !sameValue(key, config.effective[key], value))
    .map(([key]) => (config.effective[key] === undefined ? `${key} unset` : `${key}=${config.effective[key]}`));
}
