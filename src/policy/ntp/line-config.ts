import path from 'node:path';
import type { Host } from '../../host/host.js';
import { numberedLines } from '../../edit/disabled-lines.js';

/** The daemons configured by `server`/`pool` lines (chrony, ntpsec, classic ntp). */
import type { LineFlavour } from '../../distro/profiles.js';

export type { LineFlavour };

export const METADATA_SERVER = 'metadata.google.internal';
export const WANTED_SOURCE = `server ${METADATA_SERVER} iburst`;

/** Directives that add a time source. chrony's `sourcedir` reads server lines from files that DHCP hooks write. */
const SOURCE_DIRECTIVES: Record<LineFlavour, readonly string[]> = {
  chrony: ['server', 'pool', 'peer', 'refclock', 'sourcedir'],
  ntpsec: ['server', 'pool', 'peer', 'refclock', 'broadcastclient', 'manycastclient', 'multicastclient'],
  ntp: ['server', 'pool', 'peer', 'broadcastclient', 'manycastclient', 'multicastclient'],
};
const NEEDS_ADDRESS = ['server', 'pool', 'peer', 'sourcedir'];
const MAX_FILES = 64;

export interface SourceLine {
  file: string;
  number: number;
  line: string;
}

export interface LineConfig {
  flavour: LineFlavour;
  main: string;
  /** Every file that is part of the configuration (main first), with its text. */
  texts: Map<string, string>;
  wanted: SourceLine[];
  /** Other sources in the main file (the distribution's defaults): replaced by ours. */
  unwanted: SourceLine[];
  /**
   * Other sources in files the main file includes (conf.d, include): placed there on purpose by
   * the image's author or admin, so an override that is reported and kept.
   */
  authored: SourceLine[];
  /** Why we cannot be sure what the daemon reads: such a configuration is reported, never edited. */
  problems: string[];
}

/** The words of a line, comments removed: chrony only knows whole-line comments, ntp cuts at '#'. */
export function wordsOf(flavour: LineFlavour, line: string): string[] {
  const trimmed = line.trim();
  if (flavour === 'chrony') return /^[!;#%]/.test(trimmed) ? [] : trimmed.split(/\s+/).filter(Boolean);
  return trimmed.replace(/#.*$/, '').split(/\s+/).filter(Boolean);
}

export function isWantedSource(words: readonly string[]): boolean {
  return words[0] === 'server' && words[1]?.toLowerCase() === METADATA_SERVER && words.slice(2).includes('iburst');
}

export function isSource(flavour: LineFlavour, words: readonly string[]): boolean {
  return words.length > 0 && SOURCE_DIRECTIVES[flavour].includes(words[0]!);
}

const GLOB_CHARS = /[*?[\]]/;

/** Files a `include`/`confdir`/`includefile` line names; a reason string when we cannot tell. */
async function includedFiles(host: Host, flavour: LineFlavour, words: readonly string[]): Promise<string[] | string> {
  const [directive, ...args] = words;
  if (flavour === 'chrony' && directive === 'confdir') {
    const files: string[] = [];
    for (const dir of args) {
      if (!dir.startsWith('/') || GLOB_CHARS.test(dir)) return `cannot follow "confdir ${dir}"`;
      for (const entry of await host.readDir(dir)) if (entry.endsWith('.conf')) files.push(path.posix.join(dir, entry));
    }
    return files;
  }
  if ((flavour === 'chrony' && directive === 'include') || (flavour !== 'chrony' && directive === 'includefile')) {
    const pattern = args[0];
    if (!pattern || !pattern.startsWith('/') || args.length > 1) return `cannot follow "${words.join(' ')}"`;
    const dir = path.posix.dirname(pattern);
    const base = path.posix.basename(pattern);
    if (GLOB_CHARS.test(dir) || /[[\]]/.test(base)) return `cannot follow "${words.join(' ')}"`;
    if (!GLOB_CHARS.test(base)) return (await host.exists(pattern)) ? [pattern] : [];
    const matcher = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    return (await host.readDir(dir)).filter((entry) => matcher.test(entry)).map((entry) => path.posix.join(dir, entry));
  }
  return [];
}

/** Reads a daemon's configuration with the files it includes, and sorts its time sources. */
export async function readLineConfig(host: Host, flavour: LineFlavour, main: string): Promise<LineConfig> {
  const config: LineConfig = { flavour, main, texts: new Map(), wanted: [], unwanted: [], authored: [], problems: [] };
  const queue = [main];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (config.texts.has(file)) continue;
    if (config.texts.size >= MAX_FILES) {
      config.problems.push(`more than ${MAX_FILES} included files`);
      break;
    }
    const text = await host.readText(file);
    if (text === undefined) continue;
    config.texts.set(file, text);
    if (text.includes('\0') || text.includes('\uFFFD')) {
      config.problems.push(`${file}: not a text file`);
      continue;
    }
    for (const { number, line } of numberedLines(text)) {
      const words = wordsOf(flavour, line);
      if (words.length === 0) continue;
      if (isSource(flavour, words)) {
        if (NEEDS_ADDRESS.includes(words[0]!) && words.length < 2) config.problems.push(`${file}:${number}: "${words[0]}" without an address`);
        else (isWantedSource(words) ? config.wanted : file === main ? config.unwanted : config.authored).push({ file, number, line });
        continue;
      }
      const included = await includedFiles(host, flavour, words);
      if (typeof included === 'string') config.problems.push(`${file}:${number}: ${included}`);
      else queue.push(...included);
    }
  }
  return config;
}
