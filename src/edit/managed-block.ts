/**
 * A block of lines we own, between BEGIN/END marker comments, kept at the top of a file (for
 * first-value-wins formats such as sshd_config, or a shell file the admin owns too). Every line
 * outside the block keeps its bytes. A `name` gives a file several blocks, one per owner.
 */
const BEGIN = '# BEGIN gce-firstboot managed block (do not edit between these lines)';
const END = '# END gce-firstboot managed block';

export interface BlockSearch {
  /** Our lines, without the markers; undefined when there is no block. */
  lines?: string[];
  /** A BEGIN without END (or the reverse): the file is not ours to rewrite. */
  broken: boolean;
}

function markers(name?: string): { begin: string; end: string } {
  return name ? { begin: `# BEGIN gce-firstboot ${name} (do not edit between these lines)`, end: `# END gce-firstboot ${name}` } : { begin: BEGIN, end: END };
}

function bare(line: string): string {
  return line.replace(/\r$/, '').trim();
}

function markerIndexes(pieces: readonly string[], name?: string): { begin: number; end: number } {
  const { begin, end } = markers(name);
  return { begin: pieces.findIndex((line) => bare(line) === begin), end: pieces.findIndex((line) => bare(line) === end) };
}

export function findManagedBlock(text: string, name?: string): BlockSearch {
  const pieces = text.split('\n');
  const { begin, end } = markerIndexes(pieces, name);
  if (begin === -1 && end === -1) return { broken: false };
  if (begin === -1 || end === -1 || end < begin) return { broken: true };
  return { lines: pieces.slice(begin + 1, end).map((line) => line.replace(/\r$/, '')), broken: false };
}

/** The file with our block (re)placed at its very top; the rest byte for byte. */
export function placeManagedBlockAtTop(text: string, lines: readonly string[], name?: string): string {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const pieces = text.split('\n');
  const { begin, end } = markerIndexes(pieces, name);
  const rest = begin !== -1 && end > begin ? [...pieces.slice(0, begin), ...pieces.slice(end + 1)].join('\n') : text;
  const { begin: first, end: last } = markers(name);
  return [first, ...lines, last].map((line) => `${line}${eol}`).join('') + rest;
}
