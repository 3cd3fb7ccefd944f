/** One socket bound for incoming traffic, from /proc/net/{tcp,tcp6,udp,udp6}. */
export interface Listener {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
  loopback: boolean;
}

export interface ParsedSockets {
  listeners: Listener[];
  badLines: number[];
}

const TCP_LISTEN = '0A';
/** An unconnected UDP socket shows as TCP_CLOSE (07); a connected one (01) is a client. */
const UDP_UNCONNECTED = '07';

function wordsLittleEndian(hex: string): number[] {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(chunk.slice(i, i + 2), 16));
  }
  return bytes;
}

function decodeAddress(hex: string): { address: string; loopback: boolean } | undefined {
  if (!/^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32})$/.test(hex)) return undefined;
  const bytes = wordsLittleEndian(hex);
  if (bytes.length === 4) return { address: bytes.join('.'), loopback: bytes[0] === 127 };
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  const mappedV4 = groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff';
  const loopback = (groups.slice(0, 7).every((g) => g === '0') && groups[7] === '1') || (mappedV4 && bytes[12] === 127);
  const address = mappedV4 ? `::ffff:${bytes.slice(12).join('.')}` : `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
  return { address, loopback };
}

/** Parses one /proc/net/{tcp,udp}[6] table into its listening sockets. */
export function parseSocketTable(text: string, protocol: 'tcp' | 'udp'): ParsedSockets {
  const listeners: Listener[] = [];
  const badLines: number[] = [];
  const lines = text.split('\n');
  if (!/^\s*sl\s+local_address/.test(lines[0] ?? '')) return { listeners, badLines: [1] };
  lines.slice(1).forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = line.trim().split(/\s+/);
    const [local, , state] = fields.slice(1, 4);
    const [addressHex, portHex] = (local ?? '').split(':');
    const decoded = decodeAddress(addressHex ?? '');
    if (fields.length < 4 || !decoded || !/^[0-9A-Fa-f]{4}$/.test(portHex ?? '') || !/^[0-9A-Fa-f]{2}$/.test(state ?? '')) {
      badLines.push(index + 2);
      return;
    }
    if (state!.toUpperCase() !== (protocol === 'tcp' ? TCP_LISTEN : UDP_UNCONNECTED)) return;
    listeners.push({ protocol, port: parseInt(portHex!, 16), ...decoded });
  });
  return { listeners, badLines };
}

/** sshd, the DHCP clients and NTP may listen on any address; everything else only on loopback. */
const ALLOWED = new Set(['tcp/22', 'udp/68', 'udp/546', 'udp/123']);

export function isAllowed(listener: Listener): boolean {
  return listener.loopback || ALLOWED.has(`${listener.protocol}/${listener.port}`);
}
