import path from 'node:path';
import type { Host } from '../../host/host.js';
import { hasGlob, includeGlobMatcher } from './include-glob.js';

/** One keyword line of an sshd_config/ssh_config file. */
export interface Directive {
  keyword: string;
  value: string;
  file: string;
  line: number;
}

/** `Keyword value` or `Keyword=value`; comments and blank lines are not directives. */
export function parseDirective(raw: string): { keyword: string; value: string } | undefined {
  const line = raw.replace(/\r$/, '').trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const match = /^([A-Za-z0-9]+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  return match ? { keyword: match[1]!.toLowerCase(), value: match[2]!.trim() } : undefined;
}

export interface WalkOptions {
  /** Relative Include paths resolve against this directory (/etc/ssh). */
  baseDir: string;
  /** Whether a line opens a conditional section (Match, or Host other than *): the rest of that file no longer applies to everyone. */
  opensSection(keyword: string, value: string): boolean;
  /** File contents to use instead of what is on disk (a candidate not written yet). */
  overrides?: ReadonlyMap<string, string>;
}

/** An Include's paths: whitespace-separated, a double-quoted one may hold blanks. */
export function includeTokens(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).filter(Boolean);
}

/** The guest path an Include token means: relative to /etc/ssh, `~` being root's home. */
export function includePath(token: string, baseDir: string): string {
  if (token === '~' || token.startsWith('~/')) return path.posix.join('/root', token.slice(1));
  return path.posix.isAbsolute(token) ? path.posix.normalize(token) : path.posix.join(baseDir, token);
}

/** The files an Include token names, sorted as sshd sorts glob results; only the last path part may hold wildcards. */
export async function expandInclude(host: Host, token: string, baseDir: string, overrides?: ReadonlyMap<string, string>): Promise<string[]> {
  const full = includePath(token, baseDir);
  const dir = path.posix.dirname(full);
  const pattern = path.posix.basename(full);
  if (!hasGlob(pattern)) return [full];
  const matches = includeGlobMatcher(pattern);
  const names = new Set((await host.readDir(dir)).filter(matches));
  for (const candidate of overrides?.keys() ?? []) {
    if (path.posix.dirname(candidate) === dir && matches(path.posix.basename(candidate))) names.add(path.posix.basename(candidate));
  }
  return [...names].sort().map((name) => path.posix.join(dir, name));
}

/**
 * Every directive that applies to all connections, in the order sshd/ssh read them (Include
 * expanded in place). Both use the first value they see for a keyword.
 */
export async function walkConfig(host: Host, file: string, options: WalkOptions, depth = 0): Promise<Directive[]> {
  const text = options.overrides?.get(file) ?? (await host.readText(file));
  if (text === undefined || depth > 8) return [];
  const found: Directive[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const directive = parseDirective(raw);
    if (!directive) continue;
    if (options.opensSection(directive.keyword, directive.value)) break;
    if (directive.keyword === 'include') {
      for (const token of includeTokens(directive.value)) {
        for (const included of await expandInclude(host, token, options.baseDir, options.overrides)) {
          found.push(...(await walkConfig(host, included, options, depth + 1)));
        }
      }
      continue;
    }
    found.push({ ...directive, file, line: index + 1 });
  }
  return found;
}

/** Whether the file includes `dir/*.conf` where it applies to everyone (before any section). */
export function includesDropIns(text: string, dropInDir: string, options: Pick<WalkOptions, 'baseDir' | 'opensSection'>): boolean {
  for (const raw of text.split('\n')) {
    const directive = parseDirective(raw);
    if (!directive) continue;
    if (options.opensSection(directive.keyword, directive.value)) return false;
    if (directive.keyword !== 'include') continue;
    const tokens = includeTokens(directive.value).map((token) => includePath(token, options.baseDir));
    if (tokens.includes(`${dropInDir}/*.conf`)) return true;
  }
  return false;
}
