import type { Host } from '../host/host.js';
import { filesByName } from './config-dirs.js';

/** One `Key=Value` line of a systemd-style config file (journald.conf, timesyncd.conf, ...). */
export interface Assignment {
  file: string;
  section: string;
  key: string;
  value: string;
}

export type ParsedConf = { assignments: Assignment[] } | { error: string };

/**
 * Reads a systemd-style INI file. Anything we do not understand (line continuations, text
 * outside `[Section]` / `Key=Value` / comments) makes the whole file unparseable, so that we
 * report it instead of guessing what systemd would make of it.
 */
export function parseSystemdConf(text: string, file: string): ParsedConf {
  const assignments: Assignment[] = [];
  let section = '';
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const where = `${file}:${index + 1}`;
    if (line.endsWith('\\')) return { error: `${where}: line continuation not supported` };
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const assignment = /^([A-Za-z0-9_-]+)\s*=(.*)$/.exec(line);
    if (!assignment) return { error: `${where}: not a [Section] or Key=Value line: ${JSON.stringify(line.slice(0, 60))}` };
    assignments.push({ file, section, key: assignment[1]!, value: assignment[2]!.trim() });
  }
  return { assignments };
}

/** Where drop-ins for /etc/systemd/NAME.conf live, the directory that wins a name clash first. */
const DROPIN_PARENTS = ['/etc/systemd', '/run/systemd', '/usr/local/lib/systemd', '/usr/lib/systemd', '/lib/systemd'];

/**
 * The files systemd reads for NAME.conf, in the order it applies them: the main file, then every
 * NAME.conf.d/*.conf sorted by file name (a name in /etc hides the same name in /run or /usr/lib).
 */
export async function systemdConfFiles(host: Host, name: string): Promise<string[]> {
  const main = `/etc/systemd/${name}.conf`;
  const dropins = await filesByName(host, DROPIN_PARENTS.map((parent) => `${parent}/${name}.conf.d`), '.conf');
  return [...((await host.exists(main)) ? [main] : []), ...dropins];
}
