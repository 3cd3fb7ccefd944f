import { MARK } from './marked-lines.js';
import { usesCrlf } from './line-endings.js';

/**
 * Sets `key = value` in `[section]` of another program's INI file, owning only what it adds:
 * a competing line is commented out behind our mark (so it can be restored), ours is marked.
 */
export function setIniSwitch(text: string, section: string, key: string, value: string): string {
  const cr = usesCrlf(text) ? '\r' : '';
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  // A last line without its newline gets one now: CR LF in a CR LF file, so that the file stays
  // all CR LF and the next run reads the same line ending (and changes nothing).
  if (cr && !text.endsWith('\n') && lines.length) lines[lines.length - 1] += cr;
  const ours = `${key} = ${value}  ${MARK}${cr}`;
  let inSection = false;
  let sectionEnd = -1;
  let headerFound = false;
  const out: string[] = [];
  for (const line of lines) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      if (inSection) sectionEnd = out.length;
      inSection = header[1]!.trim() === section;
      headerFound ||= inSection;
      out.push(line);
      continue;
    }
    if (inSection && line.trimEnd().endsWith(MARK) && new RegExp(`^\\s*${key}\\s*[=:]`).test(line)) continue;
    if (inSection && new RegExp(`^\\s*${key}\\s*[=:]`).test(line)) {
      out.push(`# ${line.replace(/\r$/, '')}  ${MARK}: replaced${cr}`);
      continue;
    }
    out.push(line);
  }
  if (inSection) sectionEnd = out.length;
  if (!headerFound) out.push(...(out.length ? [cr] : []), `[${section}]${cr}`, ours);
  else out.splice(sectionEnd, 0, ours);
  return out.join('\n') + '\n';
}

/** The value of `key` in `[section]`, as the owning program would read it (last one wins). */
export function readIniSwitch(text: string, section: string, key: string): string | undefined {
  let inSection = false;
  let value: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      inSection = header[1]!.trim() === section;
      continue;
    }
    const match = inSection ? new RegExp(`^\\s*${key}\\s*[=:]\\s*(.*?)\\s*(#.*)?$`).exec(line) : null;
    if (match) value = match[1];
  }
  return value;
}
