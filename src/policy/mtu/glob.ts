/** A glob this module cannot read (a backwards range such as `[z-a]`): named in a finding. */
export class GlobError extends Error {
  override readonly name = 'GlobError';
}

const escapeOutside = (char: string): string => char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const escapeInside = (char: string): string => char.replace(/[\\\]^[-]/g, '\\$&');

/** `[...]` starting at `start`: its regex source and where it ends; undefined when it never closes (then `[` is literal). */
function bracket(pattern: string, start: number): { source: string; end: number } | undefined {
  let k = start + 1;
  const negate = pattern[k] === '!' || pattern[k] === '^';
  if (negate) k++;
  const first = k;
  const members: string[] = [];
  for (; k < pattern.length; k++) {
    const char = pattern[k]!;
    if (char === ']' && k > first) return { source: `[${negate ? '^' : ''}${members.join('')}]`, end: k };
    const last = pattern[k + 2];
    if (pattern[k + 1] === '-' && last !== undefined && last !== ']') {
      if (char.codePointAt(0)! > last.codePointAt(0)!) throw new GlobError(`range ${char}-${last} is backwards`);
      members.push(`${escapeInside(char)}-${escapeInside(last)}`);
      k += 2;
    } else members.push(escapeInside(char));
  }
  return undefined;
}

/** Shell-style glob (*, ?, [...], [!...], \ escapes) as systemd's Name= matches read it; throws GlobError. */
export function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '\\' && i + 1 < pattern.length) source += escapeOutside(pattern[++i]!);
    else if (char === '[') {
      const set = bracket(pattern, i);
      if (set) {
        source += set.source;
        i = set.end;
      } else source += '\\[';
    } else source += escapeOutside(char);
  }
  return new RegExp(`^${source}$`, 's');
}

export function globMatches(pattern: string, name: string): boolean {
  return globRegExp(pattern).test(name);
}
