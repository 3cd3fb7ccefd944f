import path from 'node:path';
import type { Host } from '../../host/host.js';
import { mirrorConfig, type ConfigMirror } from './config-mirror.js';
import type { Target } from './targets.js';

/**
 * sshd -t checks this directory only after the config parsed cleanly (a parse error exits first);
 * before ssh.service has run it is absent, which says nothing about the config.
 */
const PRIVSEP_MISSING = /^Missing privilege separation directory/;

/** What the real parser said about a candidate configuration. */
export interface Validation {
  /** The parser's complaint, or undefined when it accepted the configuration. */
  complaint?: string;
  /** `Match exec` lines (file:line) parsed but whose command was not run. */
  execNotRun: string[];
}

/**
 * Checks a candidate configuration with the real parser (`sshd -t` / `ssh -G`) on a copy under
 * the state directory (see mirrorConfig: nothing from the root is run), never on the live files.
 */
export async function validateConfig(host: Host, target: Target, overrides: ReadonlyMap<string, string>): Promise<Validation> {
  return withMirror(host, target, overrides, async (mirror) => {
    const result = target.side === 'server' ? await runSshdTest(host, mirror.main) : await host.run('ssh', ['-G', '-F', mirror.main, 'gce-firstboot-check']);
    const lines = result.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
    if (result.exitCode === 0 || lines.some((line) => PRIVSEP_MISSING.test(line))) return { execNotRun: mirror.execNotRun };
    return { complaint: lines.map(mirror.toGuest).join('; ') || `exit ${result.exitCode}`, execNotRun: mirror.execNotRun };
  });
}

/** Runs `use` on a fresh mirror of the configuration, removed afterwards. */
export async function withMirror<T>(host: Host, target: Target, overrides: ReadonlyMap<string, string>, use: (mirror: ConfigMirror) => Promise<T>): Promise<T> {
  // A fresh directory per run: an ssh-keygen a killed run left would otherwise re-create our throwaway key.
  const tempDir = await host.scratchDir(path.posix.join(host.stateDir, 'tmp'), `${target.side}-check`);
  try {
    return await use(await mirrorConfig(host, target, overrides, tempDir));
  } finally {
    await host.discard(tempDir);
  }
}

/** The root's own host keys, any of which lets sshd -t run without making a throwaway one. */
const ROOT_HOST_KEYS = ['/etc/ssh/ssh_host_ed25519_key', '/etc/ssh/ssh_host_ecdsa_key', '/etc/ssh/ssh_host_rsa_key'];

/**
 * sshd -t wants a host key: the root's own when it has one (the early stage has just made them,
 * and each process spawned costs under emulation), else, or when sshd cannot load it, a
 * throwaway one.
 */
async function runSshdTest(host: Host, main: string): Promise<{ exitCode: number; stderr: string }> {
  const sshdTest = (hostKeyOnHost: string) => host.run('sshd', ['-t', '-f', main, '-o', `HostKey=${hostKeyOnHost}`]);
  for (const candidate of ROOT_HOST_KEYS) {
    if (!(await host.lstat(candidate))?.isFile()) continue;
    const result = await sshdTest(host.resolve(candidate));
    if (!/no hostkeys available/.test(result.stderr)) return result;
    break;
  }
  // Beside the copied files, in the private scratch directory.
  const hostKey = path.join(path.dirname(main), 'hostkey');
  const keygen = await host.run('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', hostKey, '-C', '']);
  if (keygen.exitCode !== 0) throw new Error(`ssh-keygen for the sshd -t check failed: ${keygen.stderr.trim()}`);
  return sshdTest(hostKey);
}
