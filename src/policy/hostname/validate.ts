export interface HostName {
  fqdn: string;
  short: string;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** The name the metadata server itself answers to; taking it would let a DHCP spoof capture us. */
const FORBIDDEN = 'metadata.google.internal';

/** RFC 1123 host name check; returns the FQDN and its first label, or throws the reason. */
export function parseHostName(raw: string): HostName {
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new Error('contains control characters or newlines');
  if (/[^\x20-\x7e]/.test(raw)) throw new Error('contains non-ASCII characters (use the punycode form)');
  if (raw !== raw.trim() || raw === '') throw new Error(raw === '' ? 'is empty' : 'has leading or trailing spaces');
  const fqdn = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (fqdn.length > 253) throw new Error(`is ${fqdn.length} bytes; an FQDN holds at most 253`);
  if (fqdn.toLowerCase() === FORBIDDEN) throw new Error(`is ${FORBIDDEN}, the metadata server's own name`);
  const labels = fqdn.split('.');
  for (const [index, label] of labels.entries()) {
    if (label === '') throw new Error(index === 0 ? 'has an empty first label' : 'has an empty label');
    if (label.length > 63) throw new Error(`label "${label.slice(0, 20)}…" is ${label.length} bytes; a label holds at most 63`);
    if (!LABEL.test(label)) throw new Error(`label "${label}" is not RFC 1123 (letters, digits, inner hyphens only)`);
  }
  refuseReserved(fqdn, labels);
  return { fqdn, short: labels[0]! };
}

const DIGITS = /^\d+$/;

/**
 * Names that are valid labels but not a name for this VM: localhost (RFC 6761; systemd treats it
 * as "no host name") and all-digit names, which resolvers and tools read as an address
 * (RFC 1123 2.1: the top label is alphabetic; `ping 10` goes to 0.0.0.10).
 */
function refuseReserved(fqdn: string, labels: readonly string[]): void {
  const lower = fqdn.toLowerCase();
  if (labels[0]!.toLowerCase() === 'localhost' || lower.endsWith('.localhost') || lower === 'localhost.localdomain') {
    throw new Error(`is reserved: "localhost" names the loopback host (RFC 6761), not this VM`);
  }
  if (labels.every((label) => DIGITS.test(label))) throw new Error('is all digits (an IP address?), not a host name');
  if (DIGITS.test(labels[0]!)) throw new Error(`short name "${labels[0]}" is all digits; tools would read it as an address`);
  if (DIGITS.test(labels.at(-1)!)) throw new Error(`top-level label "${labels.at(-1)}" is all digits (RFC 1123 2.1 wants it alphabetic)`);
}
