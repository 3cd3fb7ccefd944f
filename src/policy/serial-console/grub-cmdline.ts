import { appendLines } from '../../edit/disabled-lines.js';

/**
 * GRUB_CMDLINE_LINUX in /etc/default/grub and its drop-ins: shell files we do not run. We read
 * the plain forms ("...", '...', a bare word, and "$GRUB_CMDLINE_LINUX ..." in drop-ins) and
 * call anything else (command substitution, other variables, escapes) unparseable.
 */
const ASSIGNMENT = /^(\s*(?:export\s+)?GRUB_CMDLINE_LINUX=)(.*)$/;
const SELF_REFERENCE = /\$\{GRUB_CMDLINE_LINUX\}|\$GRUB_CMDLINE_LINUX\b/g;

interface ValueSpan {
  /** Offset in the line where the value's text starts and ends (inside quotes, if any). */
  start: number;
  end: number;
  quote: '"' | "'" | '';
}

function valueSpan(line: string, prefixLength: number): ValueSpan | string {
  const rest = line.slice(prefixLength);
  const quote = rest[0] === '"' || rest[0] === "'" ? rest[0] : '';
  const close = quote ? rest.indexOf(quote, 1) : rest.search(/\s|$/);
  if (quote && close < 0) return 'unterminated quote';
  const end = prefixLength + close;
  const after = line.slice(end + (quote ? 1 : 0));
  if (!/^\s*(#.*)?$/.test(after)) return `unexpected text after the value: ${JSON.stringify(after.trim().slice(0, 40))}`;
  return { start: prefixLength + (quote ? 1 : 0), end, quote };
}

/** The value this file leaves GRUB_CMDLINE_LINUX with, given the value before it; or why we cannot tell. */
export function evaluateCmdline(text: string, inherited: string): { value: string } | { error: string } {
  let value = inherited;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    const match = ASSIGNMENT.exec(line);
    if (!match) continue;
    const span = valueSpan(line, match[1]!.length);
    if (typeof span === 'string') return { error: `line ${index + 1}: ${span}` };
    const literal = line.slice(span.start, span.end);
    if (span.quote === "'") {
      value = literal;
      continue;
    }
    const expanded = literal.replace(SELF_REFERENCE, () => value);
    if (/[$`\\]/.test(literal.replace(SELF_REFERENCE, '')) || (span.quote === '' && /[;&|<>()"']/.test(literal))) {
      return { error: `line ${index + 1}: shell syntax we do not evaluate: ${JSON.stringify(literal.slice(0, 60))}` };
    }
    value = expanded;
  }
  return { value };
}

/**
 * The file with the value of its last GRUB_CMDLINE_LINUX assignment rewritten by `edit` (every
 * other byte kept), or an assignment appended when there is none. Call only on parseable text.
 */
export function editCmdline(text: string, edit: (value: string) => string): string {
  const lines = text.split('\n');
  let last = -1;
  lines.forEach((raw, index) => {
    if (ASSIGNMENT.test(raw.replace(/\r$/, ''))) last = index;
  });
  if (last < 0) {
    return appendLines(text, [`GRUB_CMDLINE_LINUX="${edit('')}"`]);
  }
  const line = lines[last]!;
  const span = valueSpan(line.replace(/\r$/, ''), ASSIGNMENT.exec(line.replace(/\r$/, ''))![1]!.length) as ValueSpan;
  const edited = edit(line.slice(span.start, span.end));
  const value = span.quote ? edited : `"${edited}"`;
  lines[last] = line.slice(0, span.start) + value + line.slice(span.end);
  return lines.join('\n');
}
