import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/sandbox.js';
import { fingerprintOf } from './fingerprint.js';

/** A key made by the real ssh-keygen, and what the real `ssh-keygen -l` says about it. */
async function realKey(args: string[], comment: string): Promise<{ privateText: string; publicText: string; publicPath: string; line: string }> {
  const file = path.join(tempDir('gfb-fp-'), 'key');
  await execa('ssh-keygen', ['-q', '-N', '', '-f', file, '-C', comment, ...args]);
  const { stdout } = await execa('ssh-keygen', ['-l', '-f', file]);
  return { privateText: readFileSync(file, 'utf8'), publicText: readFileSync(`${file}.pub`, 'utf8'), publicPath: `${file}.pub`, line: stdout.trim() };
}

describe('host key fingerprints without spawning ssh-keygen', () => {
  const cases: [string, string[], string][] = [
    ['ed25519, no comment', ['-t', 'ed25519'], ''],
    ['ed25519 with a comment with spaces', ['-t', 'ed25519'], 'root@build  vm 1'],
    ['ecdsa 256', ['-t', 'ecdsa', '-b', '256'], ''],
    ['ecdsa 384', ['-t', 'ecdsa', '-b', '384'], 'x'],
    ['ecdsa 521', ['-t', 'ecdsa', '-b', '521'], ''],
    ['rsa 3072', ['-t', 'rsa', '-b', '3072'], 'root@localhost'],
    ['rsa 1025 (a modulus that is not a whole number of bytes)', ['-t', 'rsa', '-b', '1025'], ''],
  ];
  it.each(cases)('prints what ssh-keygen -l prints: %s', async (_name, args, comment) => {
    const key = await realKey(args, comment);
    const computed = fingerprintOf(key.privateText, key.publicText, key.publicPath);
    expect(computed?.line).toBe(key.line);
    expect(computed?.fingerprint).toBe(key.line.split(' ')[1]);
  });

  it('gives up (so the caller asks ssh-keygen) on a missing or mismatched .pub, a PEM key, or garbage', async () => {
    const a = await realKey(['-t', 'ed25519'], '');
    const b = await realKey(['-t', 'ed25519'], '');
    expect(fingerprintOf(a.privateText, a.publicText, a.publicPath)).toBeDefined();
    expect(fingerprintOf(a.privateText, undefined, a.publicPath)).toBeUndefined();
    expect(fingerprintOf(a.privateText, b.publicText, a.publicPath)).toBeUndefined();
    const pemFile = path.join(tempDir('gfb-fp-'), 'pem');
    await execa('ssh-keygen', ['-q', '-N', '', '-t', 'rsa', '-b', '1024', '-m', 'PEM', '-f', pemFile]);
    expect(fingerprintOf(readFileSync(pemFile, 'utf8'), readFileSync(`${pemFile}.pub`, 'utf8'), `${pemFile}.pub`)).toBeUndefined();
    const [begin, firstLine] = a.privateText.split('\n');
    const truncated = `${begin}\n${firstLine}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expect(fingerprintOf(truncated, a.publicText, a.publicPath)).toBeUndefined();
    expect(fingerprintOf('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', a.publicText, a.publicPath)).toBeUndefined();
  });
});
