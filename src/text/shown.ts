/**
 * Text from outside (metadata values, config values, serial lines, file contents) made safe to put
 * in a message or on a terminal: control characters (C0, DEL, C1, bidi overrides, line separators)
 * become visible escapes, so a value with terminal escapes cannot rewrite what is around it.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Longest value an error message repeats: enough to recognise it, never a whole file. */
export const SHOWN_MAX = 80;

/** A value as a message shows it: escaped, and cut to `max` characters with an ellipsis and its length. */
export function shown(text: string, max = SHOWN_MAX): string {
  if (text.length <= max) return printable(text);
  return `${printable(text.slice(0, max))}… (${text.length} characters)`;
}
