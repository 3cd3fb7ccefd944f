import { createHash } from 'node:crypto';

/**
 * `ssh-keygen -l` for a host key, computed here instead of spawned: under emulation each
 * process the agent starts costs it a large part of a second, and the early stage, which sshd
 * waits for, reads every key twice. Only OpenSSH's own private key format with a matching .pub
 * is handled; anything else returns undefined and the caller asks ssh-keygen.
 */
export interface KeyFingerprint {
  /** SHA256:... (base64, unpadded, as ssh-keygen prints it) */
  fingerprint: string;
  /** The line `ssh-keygen -l -f KEY` prints: bits, fingerprint, comment, (TYPE). */
  line: string;
}

/** SSH wire format: uint32 lengths, length-prefixed strings. Throws past the end. */
class WireReader {
  constructor(
    private readonly buffer: Buffer,
    private offset = 0,
  ) {}

  uint32(): number {
    if (this.offset + 4 > this.buffer.length) throw new RangeError('truncated');
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): Buffer {
    const length = this.uint32();
    if (this.offset + length > this.buffer.length) throw new RangeError('truncated');
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

const PRIVATE_KEY = /-----BEGIN OPENSSH PRIVATE KEY-----([A-Za-z0-9+/=\s]*)-----END OPENSSH PRIVATE KEY-----/;
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const ECDSA_BITS: Record<string, number> = { nistp256: 256, nistp384: 384, nistp521: 521 };

/** The public key blob stored (unencrypted) in an OpenSSH private key file. */
function publicBlobOfPrivateKey(text: string): Buffer | undefined {
  const match = PRIVATE_KEY.exec(text);
  if (!match) return undefined;
  const raw = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  if (!raw.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const reader = new WireReader(raw, MAGIC.length);
  reader.string(); // cipher
  reader.string(); // kdf
  reader.string(); // kdf options
  if (reader.uint32() !== 1) return undefined;
  return reader.string();
}

/** Bits of an SSH mpint (big-endian, a leading zero byte keeps it positive). */
function mpintBits(value: Buffer): number {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  if (start === value.length) return 0;
  return (value.length - start - 1) * 8 + (32 - Math.clz32(value[start]!));
}

/** Key size and ssh-keygen's type label, from the public key blob. */
function sizeAndLabel(blob: Buffer): { bits: number; label: string } | undefined {
  const reader = new WireReader(blob);
  const type = reader.string().toString('latin1');
  if (type === 'ssh-ed25519') return { bits: 256, label: 'ED25519' };
  if (type === 'ssh-rsa') {
    reader.string(); // e
    return { bits: mpintBits(reader.string()), label: 'RSA' };
  }
  if (type === 'ssh-dss') return { bits: mpintBits(reader.string()), label: 'DSA' };
  const curve = /^ecdsa-sha2-(nistp\d+)$/.exec(type)?.[1];
  if (curve && ECDSA_BITS[curve]) return { bits: ECDSA_BITS[curve]!, label: 'ECDSA' };
  return undefined;
}

/**
 * The fingerprint of a private host key and the line ssh-keygen would print for it, taking the
 * comment from the .pub file (ssh-keygen names the .pub file when it has none). undefined when the files are not plainly readable this way (another
 * format, no .pub, a .pub of another key): the caller then asks ssh-keygen.
 */
export function fingerprintOf(privateText: string, publicText: string | undefined, publicPath: string): KeyFingerprint | undefined {
  try {
    const blob = publicBlobOfPrivateKey(privateText);
    if (!blob || publicText === undefined) return undefined;
    const [, base64, comment] = /^\S+\s+(\S+)(?:\s+(.*))?$/.exec(publicText.trim()) ?? [];
    if (!base64 || !Buffer.from(base64, 'base64').equals(blob)) return undefined;
    const described = sizeAndLabel(blob);
    if (!described) return undefined;
    const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    return { fingerprint, line: `${described.bits} ${fingerprint} ${comment || publicPath} (${described.label})` };
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
