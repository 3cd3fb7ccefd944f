/**
 * glob(3)'s reading of one path part, as sshd/ssh expand an Include (OpenSSH's own BSD glob):
 * `*`, `?`, `[...]` with `!` negation (`^` is a plain member) and ranges. A range written
 * backwards (`[z-a]`) matches nothing, an unclosed `[` is a literal, and a leading dot is never
 * matched by a wildcard. Checked against ssh's own Include in include-glob.test.ts.
 */
export function includeGlobMatcher(pattern: string): (name: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const bracket = bracketClass(pattern, i);
      if (bracket) {
        source += bracket.source;
        i = bracket.end;
      } else source += '\\[';
    } else source += escapeChar(char);
  }
  const regex = new RegExp(`^${source}$`);
  return (name) => !(name.startsWith('.') && !pattern.startsWith('.')) && regex.test(name);
}

export function hasGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

function escapeChar(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** `[...]` starting at `start`: a regex class (never an invalid one), or undefined when unclosed. */
function bracketClass(pattern: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  const negate = pattern[i] === '!';
  if (negate) i++;
  const members: string[] = [];
  // A ']' right after the opening (or the negation) is a member, as in glob(3).
  let first = true;
  for (; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === ']' && !first) {
      const body = members.join('');
      if (body === '') return { source: negate ? '[^/]' : '(?!)', end: i };
      return { source: negate ? `[^/${body}]` : `[${body}]`, end: i };
    }
    first = false;
    const next = pattern[i + 1];
    const last = pattern[i + 2];
    if (next === '-' && last !== undefined && last !== ']') {
      // Compare code points: a backwards range is empty rather than an error.
      if (char.codePointAt(0)! <= last.codePointAt(0)!) members.push(`${escapeChar(char)}-${escapeChar(last)}`);
      i += 2;
    } else members.push(escapeChar(char));
  }
  return undefined;
}
