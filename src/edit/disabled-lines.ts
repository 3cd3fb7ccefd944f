import { usesCrlf } from './line-endings.js';

/**
 * Turns lines of a config file into comments without losing them: each picked line gets a prefix
 * and keeps its own bytes after it (CR included), so removing the prefix restores the original.
 * Every other byte of the file is kept.
 */
export const DISABLED_PREFIX = '#gce-firstboot-disabled# ';

/** The line without a trailing CR, as a parser would see it. */
function content(piece: string): string {
  return piece.replace(/\r$/, '');
}

/** The file with the picked lines commented out, and the lines that were (without CR). */
export function disableLines(text: string, pick: (line: string) => boolean, prefix = DISABLED_PREFIX): { text: string; disabled: string[] } {
  const disabled: string[] = [];
  const pieces = text.split('\n').map((piece) => {
    if (!pick(content(piece))) return piece;
    disabled.push(content(piece));
    return `${prefix}${piece}`;
  });
  return { text: pieces.join('\n'), disabled };
}

/** The file with `lines` added at its end (CRLF only in an all-CRLF file); a missing final newline is added first. */
export function appendLines(text: string, lines: readonly string[]): string {
  const eol = usesCrlf(text) ? '\r\n' : '\n';
  const head = text === '' || text.endsWith('\n') ? text : text + eol;
  return head + lines.map((line) => line + eol).join('');
}

/** Lines of a file as a parser sees them (CR removed), with their 1-based numbers. */
export function numberedLines(text: string): { number: number; line: string }[] {
  return text.split('\n').map((piece, index) => ({ number: index + 1, line: content(piece) }));
}
