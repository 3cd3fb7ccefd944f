export interface SerialPortInfo {
  line: number;
  uart: string;
  irq: number;
}

const LINE = /^(\d+): uart:(\S+) port:[0-9A-Fa-f]+ irq:(\d+)/;

/** Parses /proc/tty/driver/serial; undefined when it does not look like that file. */
export function parseSerialDriver(text: string): SerialPortInfo[] | undefined {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (!lines[0]?.startsWith('serinfo:')) return undefined;
  const ports: SerialPortInfo[] = [];
  for (const line of lines.slice(1)) {
    const match = LINE.exec(line);
    if (!match) return undefined;
    ports.push({ line: Number(match[1]), uart: match[2]!, irq: Number(match[3]) });
  }
  return ports;
}
