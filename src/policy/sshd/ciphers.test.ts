import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const SERVER_DROP_IN = 'etc/ssh/sshd_config.d/10-gce-firstboot.conf';
const CLIENT_DROP_IN = 'etc/ssh/ssh_config.d/10-gce-firstboot.conf';
const WEAK = /-cbc|3des|arcfour|rc4/i;
const CRYPTO_KEYWORDS = /^\s*(Ciphers|MACs|KexAlgorithms|HostKeyAlgorithms|PubkeyAcceptedAlgorithms|CASignatureAlgorithms)\b/im;

function config(text: string): string {
  const file = path.join(tempDir(), 'gce-firstboot.conf');
  writeFileSync(file, text);
  return file;
}

const run = (command: 'check' | 'apply', root: string, ...rest: string[]) => runCli([command, '--root', root, '--stage', 'early', '--only', 'sshd', '--json', ...rest]);

/** Every file below `dir`. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => path.join(dir, name)).filter((file) => statSync(file).isFile());
}

/**
 * What the real ssh/sshd (the host's, or those on `bin`) would use for a root's configuration:
 * a copy of its /etc with every /etc path pointed into the copy (crypto-policies back-ends too).
 */
async function effective(root: string, side: 'client' | 'server', bin?: string): Promise<Map<string, string>> {
  const copy = tempDir('gfb-effective-');
  for (const dir of ['etc/ssh', 'etc/crypto-policies'].filter((d) => existsSync(path.join(root, d)))) cpSync(path.join(root, dir), path.join(copy, dir), { recursive: true });
  for (const file of filesBelow(path.join(copy, 'etc'))) writeFileSync(file, readFileSync(file, 'utf8').replace(/(^|\s)\/etc\//gm, `$1${copy}/etc/`));
  const env = bin ? { PATH: `${bin}:${process.env.PATH}` } : {};
  const settings = new Map<string, string>();
  if (side === 'client') {
    const result = await execa('ssh', ['-G', '-F', path.join(copy, 'etc/ssh/ssh_config'), 'gfb-target'], { env });
    for (const line of result.stdout.split('\n')) {
      const [key, ...value] = line.split(' ');
      if (key && !settings.has(key)) settings.set(key, value.join(' '));
    }
    return settings;
  }
  const hostKey = path.join(copy, 'hostkey');
  await execa('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', hostKey, '-C', ''], { env });
  const result = await execa('unshare', ['--mount', '--propagation', 'private', process.execPath, path.join(REPO, 'test/reliability/sshd-effective.mjs'), hostKey, path.join(copy, 'etc/ssh/sshd_config')], { env });
  const parsed = JSON.parse(result.stdout) as { exitCode: number; stderr: string; settings: Record<string, string> };
  expect(parsed.exitCode, parsed.stderr).toBe(0);
  return new Map(Object.entries(parsed.settings));
}

/** OpenSSH's own cipher list (an empty config) for the ssh on `bin` or the host's. */
async function opensshDefaultCiphers(bin?: string): Promise<string> {
  const empty = path.join(tempDir(), 'empty');
  writeFileSync(empty, '');
  const result = await execa('ssh', ['-G', '-F', empty, 'gfb-target'], { env: bin ? { PATH: `${bin}:${process.env.PATH}` } : {} });
  return /^ciphers (\S+)$/m.exec(result.stdout)![1]!;
}

describe('never weaker than the distribution: ciphers (issue 19)', () => {
  let openssh10: string;
  beforeAll(async () => {
    openssh10 = path.join((await execa('bash', [path.join(REPO, 'test/setup/debian13-openssh.sh')])).stdout.trim(), 'bin');
  }, 300_000);

  it('a fresh Debian 12 image: no Ciphers line, ssh keeps OpenSSH\'s own ciphers, no warning', async () => {
    const root = sandboxRoot('debian-12');
    const applied = await run('apply', root);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(reportOf(applied).modules[0]!.findings).toEqual([]);
    expect(readFileSync(path.join(root, CLIENT_DROP_IN), 'utf8')).not.toMatch(CRYPTO_KEYWORDS);
    expect(readFileSync(path.join(root, SERVER_DROP_IN), 'utf8')).not.toMatch(CRYPTO_KEYWORDS);
    const ciphers = (await effective(root, 'client')).get('ciphers')!;
    expect(ciphers).toBe(await opensshDefaultCiphers());
    expect(ciphers).not.toMatch(WEAK);
  });

  it('a fresh Debian 13 image read by OpenSSH 10 (sshd-session split, no DSA): every setting takes effect, ciphers stay OpenSSH 10\'s', async () => {
    const root = sandboxRoot('debian-13');
    const env = { PATH: `${openssh10}:${process.env.PATH}` };
    expect((await execa('ssh', ['-V'], { env })).stderr).toMatch(/^OpenSSH_10\./);
    // The agent itself validates with OpenSSH 10's sshd -t and ssh -G here.
    const applied = await runCli(['apply', '--root', root, '--stage', 'early', '--only', 'sshd', '--json'], { env });
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect((await runCli(['check', '--root', root, '--stage', 'early', '--only', 'sshd'], { env })).exitCode).toBe(0);
    const server = await effective(root, 'server', openssh10);
    expect(Object.fromEntries(['passwordauthentication', 'permitrootlogin', 'permittunnel', 'x11forwarding', 'hostbasedauthentication', 'clientaliveinterval', 'allowtcpforwarding'].map((k) => [k, server.get(k)]))).toEqual({
      passwordauthentication: 'no',
      permitrootlogin: 'no',
      permittunnel: 'no',
      x11forwarding: 'no',
      hostbasedauthentication: 'no',
      clientaliveinterval: '420',
      allowtcpforwarding: 'yes',
    });
    expect(server.get('ciphers')).not.toMatch(WEAK);
    const client = await effective(root, 'client', openssh10);
    expect(client.get('forwardagent')).toBe('no');
    expect(client.get('serveraliveinterval')).toBe('420');
    expect(client.get('ciphers')).toBe(await opensshDefaultCiphers(openssh10));
  });

  it('an image builder configures the seed\'s cipher list: one line naming the weak ones, exit 4, nothing written', async () => {
    const root = sandboxRoot('debian-12');
    const seed = config('[sshd]\nclient_ciphers = aes128-ctr, aes192-ctr, aes256-ctr, arcfour256, arcfour128, aes128-cbc, 3des-cbc\n');
    const applied = await run('apply', root, '--config', seed);
    expect(applied.exitCode).toBe(4);
    const reason = reportOf(applied).modules[0]!.reason!;
    expect(reason).toContain('weak ciphers refused: arcfour256, arcfour128, aes128-cbc, 3des-cbc');
    expect(reason).not.toContain('\n');
    expect(existsSync(path.join(root, SERVER_DROP_IN))).toBe(false);
    expect(existsSync(path.join(root, CLIENT_DROP_IN))).toBe(false);
  });

  it('a strong configured list is written as given; a name this OpenSSH lacks is refused by name', async () => {
    const root = sandboxRoot('debian-12');
    const applied = await run('apply', root, '--config', config('[sshd]\nclient_ciphers = aes256-gcm@openssh.com, aes256-ctr\n'));
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(readFileSync(path.join(root, CLIENT_DROP_IN), 'utf8')).toContain('\nCiphers aes256-gcm@openssh.com,aes256-ctr\n');
    expect((await effective(root, 'client')).get('ciphers')).toBe('aes256-gcm@openssh.com,aes256-ctr');

    const unknown = await run('apply', sandboxRoot('debian-12'), '--config', config('[sshd]\nclient_ciphers = aes256-ctr, aes512-ctr\n'));
    expect(unknown.exitCode).toBe(4);
    expect(reportOf(unknown).modules[0]!.reason).toContain('not supported by this OpenSSH (ssh -Q cipher): aes512-ctr');
  });

  it('RHEL 9: the system-wide crypto policy decides ciphers even with client_ciphers set; our drop-ins carry no crypto keyword', async () => {
    const root = sandboxRoot('rhel-9');
    const policy = readFileSync(path.join(root, 'etc/crypto-policies/back-ends/openssh.config'), 'utf8');
    const policyCiphers = /^Ciphers (\S+)$/m.exec(policy)![1]!;
    const applied = await run('apply', root, '--config', config('[sshd]\nclient_ciphers = aes256-ctr\n'));
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(reportOf(applied).modules[0]!.findings).toEqual([
      expect.objectContaining({ key: 'ssh_config Ciphers', expected: 'aes256-ctr', severity: 'info', actual: expect.stringContaining('crypto policy DEFAULT decides ciphers') }),
    ]);
    expect(readFileSync(path.join(root, CLIENT_DROP_IN), 'utf8')).not.toMatch(CRYPTO_KEYWORDS);
    expect(readFileSync(path.join(root, SERVER_DROP_IN), 'utf8')).not.toMatch(CRYPTO_KEYWORDS);
    expect(readFileSync(path.join(root, 'etc/crypto-policies/back-ends/openssh.config'), 'utf8')).toBe(policy);
    expect((await effective(root, 'client')).get('ciphers')).toBe(policyCiphers);
    const server = await effective(root, 'server');
    expect(server.get('ciphers')).toBe(/^Ciphers (\S+)$/m.exec(readFileSync(path.join(root, 'etc/crypto-policies/back-ends/opensshserver.config'), 'utf8'))![1]);
    expect(server.get('x11forwarding')).toBe('no');
  });

  it('RHEL 9 switched to the LEGACY policy (CBC allowed): check names the policy as drift, apply leaves the policy alone', async () => {
    const root = sandboxRoot('rhel-9');
    writeFileSync(path.join(root, 'etc/crypto-policies/config'), 'LEGACY\n');
    for (const backEnd of ['openssh.config', 'opensshserver.config']) {
      const file = path.join(root, 'etc/crypto-policies/back-ends', backEnd);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^Ciphers (\S+)$/m, 'Ciphers $1,aes256-cbc,aes128-cbc'));
    }
    const checked = await run('check', root);
    expect(checked.exitCode).toBe(1);
    const policyFindings = reportOf(checked).modules[0]!.findings.filter((f) => f.key.startsWith('/etc/crypto-policies/'));
    expect(policyFindings.map((f) => [f.key, f.actual])).toEqual([
      ['/etc/crypto-policies/back-ends/openssh.config Ciphers', 'aes256-cbc,aes128-cbc'],
      ['/etc/crypto-policies/back-ends/opensshserver.config Ciphers', 'aes256-cbc,aes128-cbc'],
    ]);
    expect(policyFindings[0]!.cause).toContain('crypto policy LEGACY');
    // Only the sides the module manages: with the client off, the server back-end alone.
    const serverOnly = await run('check', root, '--config', config('[sshd]\nclient = false\n'));
    expect(reportOf(serverOnly).modules[0]!.findings.filter((f) => f.key.startsWith('/etc/crypto-policies/')).map((f) => f.key)).toEqual(['/etc/crypto-policies/back-ends/opensshserver.config Ciphers']);
    const applied = await run('apply', root);
    expect(applied.exitCode).toBe(1);
    expect(readFileSync(path.join(root, CLIENT_DROP_IN), 'utf8')).not.toMatch(CRYPTO_KEYWORDS);
    expect(readFileSync(path.join(root, 'etc/crypto-policies/config'), 'utf8')).toBe('LEGACY\n');
  });
});

describe('the running system\'s effective client ciphers (ssh -G), in a mount namespace over /etc/ssh', () => {
  /** `check --root /` with /etc/ssh replaced by `sshDir` and /var/lib by a tmpfs, seen only by that process. */
  async function checkRunningSystem(sshDir: string) {
    const conf = config(`[core]\nserial_port = ${path.join(tempDir(), 'ttyS0')}\n`);
    const script = 'mount --bind "$0" /etc/ssh && mount -t tmpfs gfb-var-lib /var/lib && exec "$@"';
    return runCli(['check', '--root', '/', '--stage', 'early', '--only', 'sshd', '--json', '--config', conf], { prefix: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, sshDir] });
  }

  it('an admin put Ciphers aes128-cbc,3des-cbc in /etc/ssh/ssh_config: check reports the weak ones as drift', async () => {
    const etcSsh = path.join(sandboxRoot('debian-12'), 'etc/ssh');
    const main = path.join(etcSsh, 'ssh_config');
    const sentinels = tempDir('gfb-sentinels-');
    writeFileSync(main, `Ciphers aes128-ctr,aes128-cbc,3des-cbc\n${readFileSync(main, 'utf8')}Match exec "touch ${sentinels}/exec"\n  ForwardX11 no\n`);
    const checked = await checkRunningSystem(etcSsh);
    expect(readdirSync(sentinels)).toEqual([]);
    const finding = reportOf(checked).modules[0]!.findings.find((f) => f.key === 'ssh -G ciphers');
    expect(finding).toMatchObject({ actual: 'aes128-cbc,3des-cbc', expected: 'no CBC, 3DES, RC4 or arcfour cipher' });
    expect(finding!.severity ?? 'drift').toBe('drift');
    expect(checked.exitCode).toBe(1);
  });

  it('a stock Debian 12 /etc/ssh on the running system: no cipher drift; the same weak file in a --root image is not "the running system"', async () => {
    const stock = await checkRunningSystem(path.join(sandboxRoot('debian-12'), 'etc/ssh'));
    expect(reportOf(stock).modules[0]!.findings.filter((f) => f.key === 'ssh -G ciphers')).toEqual([]);
    const image = sandboxRoot('debian-12');
    writeFileSync(path.join(image, 'etc/ssh/ssh_config'), `Ciphers aes128-cbc\n${readFileSync(path.join(image, 'etc/ssh/ssh_config'), 'utf8')}`);
    expect(reportOf(await run('check', image)).modules[0]!.findings.filter((f) => f.key === 'ssh -G ciphers')).toEqual([]);
  });
});
