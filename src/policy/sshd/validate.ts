import path from 'node:path';
import type { Host } from '../../host/host.js';
import { parseDirective } from './config-walk.js';
import type { Target } from './targets.js';

/**
 * sshd -t checks this directory only after the config parsed cleanly (a parse error exits first);
 * before ssh.service has run it is absent, which says nothing about the config.
 */
const PRIVSEP_MISSING = /^Missing privilege separation directory/;

/**
 * Rewrites the paths a config names so that a copy under `tempDir` reads the root's files: the
 * drop-in glob points at the copied drop-ins, other absolute Include/HostKey paths into the root.
 */
function rewritePaths(host: Host, text: string, target: Target, tempDir: string): string {
  return text
    .split('\n')
    .map((raw) => {
      const directive = parseDirective(raw);
      if (!directive || (directive.keyword !== 'include' && directive.keyword !== 'hostkey')) return raw;
      const tokens = directive.value.split(/\s+/).map((token) => {
        const full = path.posix.isAbsolute(token) ? token : path.posix.join('/etc/ssh', token);
        return full === `${target.dropInDir}/*.conf` ? host.resolve(`${tempDir}/d/*.conf`) : host.resolve(full);
      });
      return `${raw.trim().split(/[\s=]/)[0]} ${tokens.join(' ')}`;
    })
    .join('\n');
}

/**
 * Checks a candidate configuration with the real parser (`sshd -t` / `ssh -G`) on copies under
 * the state directory, never on the live files. Returns the parser's complaint, or undefined.
 */
export async function validateConfig(host: Host, target: Target, overrides: ReadonlyMap<string, string>): Promise<string | undefined> {
  // A fresh directory per run: an ssh-keygen a killed run left would otherwise re-create our throwaway key.
  const tempDir = await host.scratchDir(path.posix.join(host.stateDir, 'tmp'), `${target.side}-check`);
  const write = async (guestPath: string, text: string): Promise<void> => {
    await host.writeText(guestPath, text, { mode: 0o600 });
  };
  const read = async (guestPath: string): Promise<string | undefined> => overrides.get(guestPath) ?? (await host.readText(guestPath));
  try {
    await write(`${tempDir}/main`, rewritePaths(host, (await read(target.main)) ?? '', target, tempDir));
    const dropIns = new Set([...(await host.readDir(target.dropInDir)).map((n) => `${target.dropInDir}/${n}`), ...overrides.keys()]);
    for (const file of dropIns) {
      if (path.posix.dirname(file) !== target.dropInDir || !file.endsWith('.conf')) continue;
      const text = await read(file);
      if (text !== undefined) await write(`${tempDir}/d/${path.posix.basename(file)}`, rewritePaths(host, text, target, tempDir));
    }
    const result = target.side === 'server' ? await runSshdTest(host, tempDir) : await host.run('ssh', ['-G', '-F', host.resolve(`${tempDir}/main`), 'gce-firstboot-check']);
    const lines = result.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
    if (result.exitCode === 0 || lines.some((line) => PRIVSEP_MISSING.test(line))) return undefined;
    const complaints = lines
      .map((line) => line.replaceAll(host.resolve(`${tempDir}/d`), target.dropInDir).replaceAll(host.resolve(`${tempDir}/main`), target.main));
    return complaints.join('; ') || `exit ${result.exitCode}`;
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
async function runSshdTest(host: Host, tempDir: string): Promise<{ exitCode: number; stderr: string }> {
  const sshdTest = (hostKey: string) => host.run('sshd', ['-t', '-f', host.resolve(`${tempDir}/main`), '-o', `HostKey=${host.resolve(hostKey)}`]);
  for (const candidate of ROOT_HOST_KEYS) {
    if (!(await host.lstat(candidate))?.isFile()) continue;
    const result = await sshdTest(candidate);
    if (!/no hostkeys available/.test(result.stderr)) return result;
    break;
  }
  const hostKey = `${tempDir}/hostkey`;
  const keygen = await host.run('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', host.resolve(hostKey), '-C', '']);
  if (keygen.exitCode !== 0) throw new Error(`ssh-keygen for the sshd -t check failed: ${keygen.stderr.trim()}`);
  return sshdTest(hostKey);
}
