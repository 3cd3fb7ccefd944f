import type { Host } from '../host/host.js';
import { filesByName } from './config-dirs.js';

const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];

/** The files applied at boot, in order: sysctl.d/*.conf by name, then /etc/sysctl.conf (procps reads it last). */
export async function sysctlFiles(host: Host): Promise<string[]> {
  const files = await filesByName(host, SYSCTL_DIRS, '.conf');
  return (await host.exists('/etc/sysctl.conf')) ? [...files, '/etc/sysctl.conf'] : files;
}

/** `key = value` settings of a sysctl file; keys written with '/' are given with '.'. */
export function sysctlSettings(text: string): { key: string; value: string }[] {
  const settings: { key: string; value: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const match = /^-?([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (match) settings.push({ key: match[1]!.replace(/\//g, '.'), value: match[2]!.trim() });
  }
  return settings;
}
