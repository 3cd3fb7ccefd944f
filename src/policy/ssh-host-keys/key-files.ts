import type { Host } from '../../host/host.js';
import { fingerprintOf } from './fingerprint.js';

export const SSH_DIR = '/etc/ssh';
/** The files `rm /etc/ssh/ssh_host_*_key*` removes (the seed's way of unsealing an image). */
const HOST_KEY_FILE = /^ssh_host_.*_key/;
const PRIVATE_KEY_FILE = /^ssh_host_(.+)_key$/;

export interface KeyFile {
  /** ssh_host_ed25519_key */
  name: string;
  /** ed25519, from the file name */
  type: string;
  privateMode: number;
  publicMode?: number;
  /** SHA256:..., undefined when the file is empty or ssh-keygen cannot read it as a key */
  fingerprint?: string;
  /** The whole `ssh-keygen -l` line, for the serial console. */
  fingerprintLine?: string;
}

export function keyPath(name: string): string {
  return `${SSH_DIR}/${name}`;
}

/** Host.scratchDir's name for the directory new keys are made in. */
export const SCRATCH_NAME = 'ssh_host_keys';

/** Scratch directories a killed run left in /etc/ssh (names only). */
export async function scratchLeftovers(host: Host): Promise<string[]> {
  return (await host.readDir(SSH_DIR)).filter((name) => name.startsWith(`.${SCRATCH_NAME}.gce-firstboot-`));
}

/** Every file the seed's `rm /etc/ssh/ssh_host_*_key*` would remove. */
export async function hostKeyFiles(host: Host): Promise<string[]> {
  return (await host.readDir(SSH_DIR)).filter((name) => HOST_KEY_FILE.test(name));
}

/** The key's fingerprint; none when the file is empty or cannot be read as a key (it then counts as missing). */
async function fingerprint(host: Host, name: string): Promise<{ fingerprint?: string; fingerprintLine?: string }> {
  const privateText = await host.readText(keyPath(name)).catch(() => undefined);
  if (!privateText?.trim()) return {};
  const publicText = await host.readText(`${keyPath(name)}.pub`).catch(() => undefined);
  const computed = fingerprintOf(privateText, publicText, `${keyPath(name)}.pub`);
  if (computed) return { fingerprint: computed.fingerprint, fingerprintLine: computed.line };
  const result = await host.run('ssh-keygen', ['-l', '-f', host.resolve(keyPath(name))]);
  const line = result.stdout.trim();
  const match = /^\d+ (\S+) /.exec(line);
  return result.exitCode === 0 && match ? { fingerprint: match[1], fingerprintLine: line } : {};
}

/** The private host keys on disk with their modes and fingerprints (read in parallel). */
export async function readKeyFiles(host: Host): Promise<KeyFile[]> {
  const names = (await hostKeyFiles(host)).filter((name) => PRIVATE_KEY_FILE.test(name));
  return Promise.all(
    names.map(async (name) => {
      const privateStats = await host.lstat(keyPath(name));
      const publicStats = await host.lstat(`${keyPath(name)}.pub`);
      return {
        name,
        type: PRIVATE_KEY_FILE.exec(name)![1]!,
        privateMode: (privateStats?.mode ?? 0) & 0o7777,
        ...(publicStats ? { publicMode: publicStats.mode & 0o7777 } : {}),
        ...(await fingerprint(host, name)),
      };
    }),
  );
}

/**
 * Makes a key with the real ssh-keygen in `scratch` (a Host.scratchDir in /etc/ssh: the same
 * filesystem, so the later rename is atomic). ssh-keygen creates the private file 0600 itself;
 * that is checked, never assumed. Returns the key's path.
 */
export async function generateKey(host: Host, scratch: string, type: string): Promise<string> {
  const file = `${scratch}/ssh_host_${type}_key`;
  const result = await host.run('ssh-keygen', ['-q', '-N', '', '-t', type, '-f', host.resolve(file), '-C', ''], { timeoutMs: 300_000 });
  if (result.exitCode !== 0) throw new Error(`ssh-keygen -t ${type} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  const privateMode = ((await host.lstat(file))?.mode ?? 0o777) & 0o777;
  if (privateMode & 0o077) {
    throw new Error(`ssh-keygen made a ${type} private key readable by others (mode ${privateMode.toString(8)}); removed`);
  }
  await host.chmod(`${file}.pub`, 0o644);
  return file;
}

/** Moves a generated key (public first, then private) into place under its final name. */
export async function installKey(host: Host, generated: string, name: string): Promise<void> {
  await host.rename(`${generated}.pub`, `${keyPath(name)}.pub`);
  await host.rename(generated, keyPath(name));
}

/** The public key as guest agents publish it: algorithm (ssh-ed25519) and base64 blob. */
export async function publicKey(host: Host, name: string): Promise<{ algorithm: string; blob: string } | undefined> {
  const [algorithm, blob] = ((await host.readText(`${keyPath(name)}.pub`)) ?? '').trim().split(/\s+/);
  return algorithm && blob ? { algorithm, blob } : undefined;
}
