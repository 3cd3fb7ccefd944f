import type { Host } from '../../host/host.js';

/** What "weak" means for an SSH cipher here: any CBC mode, 3DES, RC4/arcfour. */
export const WEAK_CIPHERS_TEXT = 'no CBC, 3DES, RC4 or arcfour cipher';

export function isWeakCipher(name: string): boolean {
  const cipher = name.toLowerCase();
  return /-cbc(@|$)/.test(cipher) || cipher.startsWith('3des') || /arcfour|rc4/.test(cipher);
}

/** The Ciphers values of a `Ciphers a,b` or `-oCiphers=a,b` (RHEL 8's back-end format) line. */
export function ciphersIn(text: string): string[] | undefined {
  const match = /(?:^|\s|-o)ciphers(?:\s*=\s*|\s+)([^\s'"]+)/im.exec(text);
  return match ? match[1]!.split(',').filter(Boolean) : undefined;
}

/**
 * A configured client cipher list, checked: every name known to this OpenSSH (`ssh -Q cipher`)
 * and none weak. An empty list means no Ciphers line at all (OpenSSH's and the crypto policy's
 * choice stand). Throws a one-line error naming the refused ones.
 */
export async function checkedCipherList(host: Host, configured: readonly string[]): Promise<string[]> {
  if (!configured.length) return [];
  const malformed = configured.filter((cipher) => !/^[a-z0-9][a-z0-9@.-]*$/i.test(cipher));
  if (malformed.length) throw new Error(`[sshd] client_ciphers: not cipher names (no +/-/^ forms): ${malformed.join(', ')}`);
  const weak = configured.filter(isWeakCipher);
  if (weak.length) {
    throw new Error(`[sshd] client_ciphers: weak ciphers refused: ${weak.join(', ')} (${WEAK_CIPHERS_TEXT} is ever written; leave client_ciphers empty for OpenSSH's defaults)`);
  }
  const query = await host.run('ssh', ['-Q', 'cipher']);
  if (query.exitCode !== 0) throw new Error(`[sshd] client_ciphers: ssh -Q cipher failed: ${query.stderr.trim()}`);
  const known = new Set(query.stdout.split('\n').map((line) => line.trim().toLowerCase()));
  const unknown = configured.filter((cipher) => !known.has(cipher.toLowerCase()));
  if (unknown.length) throw new Error(`[sshd] client_ciphers: not supported by this OpenSSH (ssh -Q cipher): ${unknown.join(', ')}`);
  return [...configured];
}
