/** A passwd entry, as far as this module needs it. */
export interface PasswdEntry {
  name: string;
  uid: number;
  shell: string;
}

export function parsePasswd(text: string): { entries: PasswdEntry[]; badLines: number[] } {
  const entries: PasswdEntry[] = [];
  const badLines: number[] = [];
  text.split('\n').forEach((line, index) => {
    const clean = line.replace(/\r$/, '');
    if (clean === '' || clean.startsWith('+') || clean.startsWith('-')) return;
    const fields = clean.split(':');
    if (fields.length !== 7 || !/^\d+$/.test(fields[2]!) || fields[0] === '') badLines.push(index + 1);
    else entries.push({ name: fields[0]!, uid: Number(fields[2]), shell: fields[6]! });
  });
  return { entries, badLines };
}

/** Root's password field in /etc/shadow; undefined when there is no well-formed root line. */
export function rootPasswordField(shadow: string): string | undefined {
  const line = shadow.split('\n').find((l) => l.startsWith('root:'));
  const fields = line?.replace(/\r$/, '').split(':');
  return fields && fields.length === 9 ? fields[1] : undefined;
}

/** Shadow with root's password field prefixed by '!', every other byte kept. */
export function lockRoot(shadow: string): string {
  return shadow.replace(/^root:/m, 'root:!');
}

/** The last ENCRYPT_METHOD in login.defs (the last one wins), undefined when unset. */
export function encryptMethod(loginDefs: string): string | undefined {
  const matches = [...loginDefs.matchAll(/^[ \t]*ENCRYPT_METHOD[ \t]+(\S+)/gm)];
  return matches.at(-1)?.[1];
}

/** Names of the given PAM modules used on non-comment lines of a PAM file. */
export function pamModulesUsed(text: string, modules: readonly string[]): string[] {
  const active = text.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
  return modules.filter((module) => new RegExp(`(^|[\\s/])${module.replace('.', '\\.')}(\\s|$)`, 'm').test(active));
}

/**
 * Whether a System.map lists real kernel symbols. Debian ships a one-line stub ("The real
 * System.map is in the linux-image-<version>-dbg package") that gives nothing away.
 */
export function hasKernelSymbols(systemMap: string): boolean {
  return /^(?!f{16} )[0-9a-f]{8,16} [A-Za-z] \S+$/m.test(systemMap);
}
