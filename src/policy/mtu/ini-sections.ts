/** Key/value lines of systemd unit-style and NetworkManager keyfile-style files, by section. */
export interface IniLine {
  section: string;
  key: string;
  value: string;
  line: number;
}

export function iniLines(text: string): IniLine[] {
  const lines: IniLine[] = [];
  let section = '';
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      return;
    }
    const equals = line.indexOf('=');
    if (equals > 0) lines.push({ section, key: line.slice(0, equals).trim(), value: line.slice(equals + 1).trim(), line: index + 1 });
  });
  return lines;
}
