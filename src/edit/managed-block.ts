/**
 * A block of lines we own, between BEGIN/END marker comments, kept at the top of a file (for
 * first-value-wins formats such as sshd_config). Every line outside the block keeps its bytes.
 */
const BEGIN = '# BEGIN gce-firstboot managed block (do not edit between these lines)';
const END = '# END gce-firstboot managed block';

export interface BlockSearch {
  /** Our lines, without the markers; undefined when there is no block. */
  lines?: string[];
  /** A BEGIN without END (or the reverse): the file is not ours to rewrite. */
  broken: boolean;
}

function bare(line: string): string {
  return line.replace(/\r$/, '').trim();
}

function markerIndexes(pieces: readonly string[]): { begin: number; end: number } {
  return { begin: pieces.findIndex((line) => bare(line) === BEGIN), end: pieces.findIndex((line) => bare(line) === END) };
}

export function findManagedBlock(text: string): BlockSearch {
  const pieces = text.split('\n');
  const { begin, end } = markerIndexes(pieces);
  if (begin === -1 && end === -1) return { broken: false };
  if (begin === -1 || end === -1 || end < begin) return { broken: true };
  return { lines: pieces.slice(begin + 1, end).map((line) => line.replace(/\r$/, '')), broken: false };
}

/** The file with our block (re)placed at its very top; the rest byte for byte. */
export function placeManagedBlockAtTop(text: string, lines: readonly string[]): string {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const pieces = text.split('\n');
  const { begin, end } = markerIndexes(pieces);
  const rest = begin !== -1 && end > begin ? [...pieces.slice(0, begin), ...pieces.slice(end + 1)].join('\n') : text;
  return [BEGIN, ...lines, END].map((line) => `${line}${eol}`).join('') + rest;
}
