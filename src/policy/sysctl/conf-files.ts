import path from 'node:path';
import type { Host } from '../../host/host.js';
import { searchPathFiles } from '../../edit/search-path.js';
import { normalizeKey, normalizeValue } from './syntax.js';

/** Directories systemd-sysctl reads, highest priority first: a name in an earlier one masks the rest. */
export const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];
/** Read last by `sysctl --system` (procps); Debian also links it in as /etc/sysctl.d/99-sysctl.conf. */
export const SYSCTL_CONF = '/etc/sysctl.conf';

export interface Assignment {
  key: string;
  value: string;
  /** Where it is, as "path:line" (the path a reader opens, after symlinks). */
  where: string;
}

export interface ConfFile {
  /** The path in the sysctl.d directory (or /etc/sysctl.conf). */
  path: string;
  /** The file actually read, after symlinks inside the root. */
  target: string;
  assignments: Assignment[];
}

/** Follows symlinks inside the root (absolute targets are inside the root too). */
async function resolveInRoot(host: Host, guestPath: string): Promise<string> {
  let current = guestPath;
  for (let hops = 0; hops < 16; hops++) {
    const link = await host.readLink(current);
    if (link === undefined) return current;
    current = path.posix.resolve(path.posix.dirname(current), link);
  }
  return current;
}

/** systemd-sysctl's reading of one file: `key = value`, # and ; comments, "-" = ignore failure, globs skipped. */
export function parseAssignments(text: string, where: string): Assignment[] {
  const assignments: Assignment[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const equals = line.indexOf('=');
    if (equals < 0) return;
    const key = normalizeKey(line.slice(0, equals).trim().replace(/^-/, ''));
    // A glob never overrides an explicit key (systemd skips keys set explicitly anywhere).
    if (key === '' || /[*?[]/.test(key)) return;
    assignments.push({ key, value: normalizeValue(line.slice(equals + 1)), where: `${where}:${index + 1}` });
  });
  return assignments;
}

/**
 * Every sysctl config file in the order they are applied at boot: sysctl.d files by file name
 * (an /etc name masking /run and lib ones, a link to /dev/null masking outright), then
 * /etc/sysctl.conf unless a sysctl.d link already brought it in.
 */
export async function bootOrder(host: Host): Promise<ConfFile[]> {
  const files: ConfFile[] = [];
  const seen = new Set<string>();
  for (const guestPath of [...(await searchPathFiles(host, SYSCTL_DIRS, '.conf')), SYSCTL_CONF]) {
    const target = await resolveInRoot(host, guestPath);
    if (target === '/dev/null' || seen.has(target)) continue;
    const text = await host.readText(target);
    if (text === undefined) continue;
    seen.add(target);
    files.push({ path: guestPath, target, assignments: parseAssignments(text, target) });
  }
  return files;
}
