import { usesCrlf } from './line-endings.js';

/**
 * Edits a text file by owning only the lines that carry our mark. Every other line keeps its
 * bytes (comments, spacing, CRLF); ours are rewritten at the end of the file.
 */
export const MARK = '# managed by gce-firstboot';

function isOurs(line: string, mark: string): boolean {
  return line.replace(/\r$/, '').trimEnd().endsWith(mark);
}

/** Our lines' content, without the mark. */
export function markedLines(text: string, mark = MARK): string[] {
  return text
    .split('\n')
    .filter((line) => isOurs(line, mark))
    .map((line) => line.replace(/\r$/, '').trimEnd().slice(0, -mark.length).trimEnd());
}

/** The file with our lines replaced by `wanted` (each given without the mark). */
export function replaceMarkedLines(text: string, wanted: readonly string[], mark = MARK): string {
  const eol = usesCrlf(text) ? '\r\n' : '\n';
  const pieces = text.split('\n');
  const kept: string[] = [];
  pieces.forEach((piece, index) => {
    const isLast = index === pieces.length - 1;
    if (isOurs(piece, mark)) return;
    if (isLast && piece === '') return;
    kept.push(isLast ? piece : `${piece}\n`);
  });
  let result = kept.join('');
  if (result !== '' && !result.endsWith('\n')) result += eol;
  return result + wanted.map((line) => `${line}  ${mark}${eol}`).join('');
}
