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
  return { fqdn, short: labels[0]! };
}
