import path from 'node:path';
import type { Host } from '../../host/host.js';
import { expandInclude, includePath, includeTokens, parseDirective } from './config-walk.js';
import { hasGlob } from './include-glob.js';
import type { Target } from './targets.js';

/** A copy of a root's whole ssh configuration that the host's sshd/ssh can read without running anything from it. */
export interface ConfigMirror {
  /** Host path of the copied main file (for `-f` / `-F`). */
  main: string;
  /** Guest path and line of each `Match … exec` that was not run. */
  execNotRun: string[];
  /** Puts guest paths back into a parser's message. */
  toGuest(text: string): string;
}

/** The user name a `Match exec` becomes in the copy: never a local user, so the block applies to no one. */
const NO_EXEC_USER = 'gce-firstboot-exec-not-run';

/**
 * ssh evaluates `Match exec` (also negated, also with `=`, also behind `final`) while it parses,
 * `ssh -G` included. Read the line the way its tokenizer could: the first word, quotes and
 * backslashes dropped, leading blanks and `=` skipped, is Match, and "exec" appears anywhere
 * after it.
 */
export function isMatchExec(raw: string): boolean {
  // ssh skips blanks and '=' before the keyword too (`=Match exec …` runs).
  const bare = raw.replace(/["'\\]/g, '').replace(/^[\s=]+/, '');
  const keyword = /^([^\s=]*)/.exec(bare)![1]!.toLowerCase();
  return keyword === 'match' && /exec/i.test(bare.slice(keyword.length));
}

/**
 * Copies the main file and every file it Includes (recursively, drop-ins with the candidate's
 * contents) to numbered files under `tempDir`, each Include pointing at the copies and HostKey
 * paths into the root, so the parser reads the root's configuration and nothing on the host.
 * Line numbers stay the same. On the client side each `Match … exec` line becomes a Match that
 * applies to no one: the block is still parsed, its command is never run (sshd has no exec:
 * `sshd -t` runs none of AuthorizedKeysCommand, AuthorizedPrincipalsCommand, ForceCommand).
 */
export async function mirrorConfig(host: Host, target: Target, overrides: ReadonlyMap<string, string>, tempDir: string): Promise<ConfigMirror> {
  const { mirror, texts } = await planMirror(host, target, overrides, tempDir);
  for (const [copy, text] of texts) await host.writeText(copy, text, { mode: 0o600 });
  return mirror;
}

/** The copies mirrorConfig would write (guest path → text), read but not yet written. */
export async function planMirror(host: Host, target: Target, overrides: ReadonlyMap<string, string>, tempDir: string): Promise<{ mirror: ConfigMirror; texts: Map<string, string> }> {
  const texts = new Map<string, string>();
  const copies = new Map<string, string>();
  const execNotRun: string[] = [];
  const copyOf = (guestPath: string): string => {
    if (!copies.has(guestPath)) copies.set(guestPath, `${tempDir}/f/${copies.size}`);
    return copies.get(guestPath)!;
  };
  const queue = [target.main];
  copyOf(target.main);
  for (let next = 0; next < queue.length && next < 256; next++) {
    const file = queue[next]!;
    const text = overrides.get(file) ?? (await host.readText(file));
    if (text === undefined) continue;
    const lines: string[] = [];
    for (const [index, raw] of text.split('\n').entries()) {
      if (target.side === 'client' && isMatchExec(raw)) {
        execNotRun.push(`${file}:${index + 1}`);
        lines.push(`Match localuser ${NO_EXEC_USER}`);
        continue;
      }
      const directive = parseDirective(raw);
      if (directive?.keyword === 'include') {
        const paths: string[] = [];
        for (const token of includeTokens(directive.value)) {
          const files = await expandInclude(host, token, '/etc/ssh', overrides);
          // A glob matching nothing stays one (matches nothing in the copy either).
          if (!files.length && hasGlob(token)) paths.push(quoted(host.resolve(`${tempDir}/none/*`)));
          for (const included of files) {
            if (!copies.has(included)) queue.push(included);
            paths.push(quoted(host.resolve(copyOf(included))));
          }
        }
        lines.push(`Include ${paths.join(' ')}`);
      } else if (directive?.keyword === 'hostkey' && target.side === 'server') {
        lines.push(`HostKey ${quoted(host.resolve(includePath(includeTokens(directive.value)[0] ?? '', '/etc/ssh')))}`);
      } else lines.push(raw);
    }
    texts.set(copyOf(file), lines.join('\n'));
  }
  // Longest first: f/12 before f/1.
  const hostPaths = [...copies].map(([guest, copy]) => [host.resolve(copy), guest] as const).sort(([a], [b]) => b.length - a.length);
  return {
    mirror: {
      main: host.resolve(copyOf(target.main)),
      execNotRun,
      toGuest: (message) => hostPaths.reduce((text, [copy, guest]) => text.replaceAll(copy, guest), message),
    },
    texts,
  };
}

/** A path as one token (a root's path may hold blanks). */
function quoted(hostPath: string): string {
  return /\s/.test(hostPath) ? `"${hostPath}"` : hostPath;
}
