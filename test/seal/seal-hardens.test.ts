import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { CLI, runCli } from '../helpers/cli.js';
import { hashTree } from '../helpers/tree-hash.js';
import { FLOOR_KEYS, PUBLISHED_SYSCTLS } from '../../src/policy/sysctl/published.js';

const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/10-gce-firstboot.conf';
const SSH_DROP_IN = '/etc/ssh/ssh_config.d/10-gce-firstboot.conf';
const SYSCTL_FILE = '/etc/sysctl.d/60-gce-firstboot.conf';
const STATE_DIR = '/var/lib/gce-firstboot';
const OPENSSH_10 = path.join(REPO, 'test/setup/debian13-openssh.sh');

/** What sshd must use from its first start on a sealed image (sshd -T prints keywords in lower case). */
const HARDENED = { passwordauthentication: 'no', permitrootlogin: 'no', permittunnel: 'no', x11forwarding: 'no', hostbasedauthentication: 'no', clientaliveinterval: '420' };

function put(root: string, guestPath: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, guestPath)), { recursive: true });
  writeFileSync(path.join(root, guestPath), content);
}

let hostKey: string;
// Not a tempDir(): those go after each test, and the key serves every test of the file.
beforeAll(async () => {
  hostKey = path.join(mkdtempSync(path.join(os.tmpdir(), 'gfb-sshd-T-')), 'hostkey');
  await execa('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', hostKey]);
});
afterAll(() => rmSync(path.dirname(hostKey), { recursive: true, force: true }));

/**
 * What the real sshd of the image would use: `sshd -T` on the image's own /etc/ssh, bind-mounted
 * over /etc/ssh in a private mount namespace, so that its absolute Include paths
 * (/etc/ssh/sshd_config.d/*.conf) read the image's files, as on its first boot. `env` picks the
 * OpenSSH (PATH).
 */
async function sshdSettings(root: string, env: Record<string, string> = {}): Promise<Record<string, string>> {
  const result = await execa('unshare', [
    '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1/etc/ssh" /etc/ssh && shift && exec "$@"', 'sh',
    root, process.execPath, path.join(REPO, 'test/reliability/sshd-effective.mjs'), hostKey, '/etc/ssh/sshd_config',
  ], { env });
  const { exitCode, stderr, settings } = JSON.parse(result.stdout) as { exitCode: number; stderr: string; settings: Record<string, string> };
  expect(exitCode, stderr).toBe(0);
  return settings;
}

const pick = (settings: Record<string, string>) => Object.fromEntries(Object.keys(HARDENED).map((keyword) => [keyword, settings[keyword]]));

/** An image as mmdebstrap leaves it after installing openssh-server: its own host keys, never booted. */
async function builtImage(fixture = 'debian-12'): Promise<string> {
  const root = sandboxRoot(fixture);
  await execa('ssh-keygen', ['-A', '-f', root]);
  put(root, '/etc/machine-id', '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99\n');
  return root;
}

const ours = (root: string) => [...hashTree(root).keys()].filter((guestPath) => guestPath === STATE_DIR || guestPath.startsWith(`${STATE_DIR}/`));

function sysctlFile(root: string): Map<string, string> {
  const lines = readFileSync(path.join(root, SYSCTL_FILE), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
  return new Map(lines.map((line) => line.split(' = ') as [string, string]));
}

describe('seal writes the early stage files into the image', () => {
  // Debian 13: its own OpenSSH 10 validates (seal inside the image's chroot) and reads the result.
  it.each(['debian-12', 'debian-13'])('an image built offline and sealed boots with sshd hardened from its first start (%s)', async (fixture) => {
    const env = fixture === 'debian-13' ? { PATH: `${path.join((await execa('bash', [OPENSSH_10])).stdout.trim(), 'bin')}:${process.env.PATH}` } : {};
    const root = await builtImage(fixture);
    // The Debian image's own configuration: what sshd's first start would read without us.
    expect((await sshdSettings(root, env)).passwordauthentication).toBe('yes');

    const result = await runCli(['seal', '--root', root], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `wrote        ${SSHD_DROP_IN}  (sshd hardening: PasswordAuthentication no, PermitRootLogin no, PermitTunnel no, X11Forwarding no, HostbasedAuthentication no, ClientAliveInterval 420)`,
      `wrote        ${SSH_DROP_IN}  (ssh client defaults: ForwardAgent no, ForwardX11 no, HostbasedAuthentication no, ServerAliveInterval 420, Tunnel no)`,
      `wrote        ${SYSCTL_FILE}  (kernel security settings, applied by systemd-sysctl at boot)`,
    ]);
    expect(result.stdout).toMatch(/^removed {6}\/etc\/ssh\/ssh_host_ed25519_key {2}\(SSH host key\)$/m);
    // The state and backups the pass wrote were ours, not the image's: removed, not listed.
    expect(result.stdout).not.toContain(STATE_DIR);

    expect(pick(await sshdSettings(root, env))).toEqual(HARDENED);
    // Floors are left to the booted kernel (a stricter default stays); every other value is the published one.
    expect(sysctlFile(root)).toEqual(new Map(PUBLISHED_SYSCTLS.filter(([key]) => !FLOOR_KEYS.has(key)).map(([key, value]) => [key, value])));
    expect(ours(root)).toEqual([]);
    expect(readdirSync(path.join(root, 'etc/ssh')).filter((name) => name.startsWith('ssh_host_'))).toEqual([]);

    const sealed = hashTree(root);
    const again = await runCli(['seal', '--root', root]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe('nothing to do: already sealed');
    expect(hashTree(root)).toEqual(sealed);
  });

  it('an image where the agent already ran keeps its state out, and lists only what was the image\'s', async () => {
    const root = await builtImage();
    put(root, `${STATE_DIR}/state.json`, '{"version":1,"instanceId":"1234","modules":{}}\n');
    const result = await runCli(['seal', '--root', root, '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const entries = JSON.parse(result.stdout) as { action: string; path: string }[];
    expect(entries.filter((entry) => entry.action === 'write').map((entry) => entry.path)).toEqual([SSHD_DROP_IN, SSH_DROP_IN, SYSCTL_FILE]);
    // state.json was the image's; the backup directory and scratch the pass made are not listed.
    expect(entries.filter((entry) => entry.path.startsWith(STATE_DIR)).map((entry) => entry.path)).toEqual([`${STATE_DIR}/state.json`]);
    expect(ours(root)).toEqual([STATE_DIR]);
  });

  it('--dry-run says what it would write, writes nothing, and lists what the real seal then does', async () => {
    const root = await builtImage();
    const before = hashTree(root);
    const dry = await runCli(['seal', '--root', root, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^would write  ${SSHD_DROP_IN}  \\(sshd hardening: PasswordAuthentication no, `, 'm'));
    expect(dry.stdout).toMatch(new RegExp(`^would write  ${SYSCTL_FILE}  `, 'm'));
    expect(hashTree(root)).toEqual(before);
    const dryJson = await runCli(['seal', '--root', root, '--dry-run', '--json']);
    expect(hashTree(root)).toEqual(before);
    const real = await runCli(['seal', '--root', root, '--json']);
    expect(JSON.parse(real.stdout)).toEqual(JSON.parse(dryJson.stdout));
  });

  it('--no-harden: a builder who manages sshd himself gets the seal alone', async () => {
    const root = await builtImage();
    const result = await runCli(['seal', '--root', root, '--no-harden']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('wrote');
    for (const file of [SSHD_DROP_IN, SSH_DROP_IN, SYSCTL_FILE]) expect(existsSync(path.join(root, file)), file).toBe(false);
    expect((await sshdSettings(root)).passwordauthentication).toBe('yes');
    expect(ours(root)).toEqual([]);
  });

  it("an image author's config: [sshd] enabled = false is left out, [sysctl] values are written", async () => {
    const root = await builtImage();
    put(root, '/etc/gce-firstboot/gce-firstboot.conf', '[sshd]\nenabled = false\n\n[sysctl]\nnet.ipv4.ip_forward = 1\nskip_keys = fs.protected_hardlinks\n');
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('_config.d/');
    expect(existsSync(path.join(root, SSHD_DROP_IN))).toBe(false);
    expect((await sshdSettings(root)).passwordauthentication).toBe('yes');
    const written = sysctlFile(root);
    expect(written.get('net.ipv4.ip_forward')).toBe('1');
    expect(written.has('fs.protected_hardlinks')).toBe(false);
    expect(written.get('net.ipv4.tcp_syncookies')).toBe('1');
  });

  it("an image author's bad config: one line naming it, exit 2, nothing written or removed", async () => {
    const root = await builtImage();
    put(root, '/etc/gce-firstboot/gce-firstboot.conf', '[sshd]\nenabled = maybe\n');
    const before = hashTree(root);
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('gce-firstboot.conf');
    expect(hashTree(root)).toEqual(before);
  });

  it("an author's sshd drop-in that sorts first, a sysctl file read after ours: one override line each, ours written, the seal goes on", async () => {
    const root = await builtImage();
    put(root, '/etc/ssh/sshd_config.d/05-admin.conf', 'PasswordAuthentication yes\n');
    put(root, '/etc/sysctl.d/99-docker.conf', 'net.ipv4.ip_forward = 1\n');
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode, result.stderr).toBe(0);
    const overrides = result.stdout.split('\n').filter((line) => line.startsWith('override'));
    expect(overrides).toEqual([
      "override     /etc/ssh/sshd_config.d/05-admin.conf:1  (PasswordAuthentication yes, not no: the image's own setting, left alone)",
      "override     /etc/sysctl.d/99-docker.conf:1  (net.ipv4.ip_forward 1, not 0: the image's own setting, left alone)",
    ]);
    expect(result.stdout).toContain(`wrote        ${SYSCTL_FILE}`);
    expect(readFileSync(path.join(root, 'etc/sysctl.d/99-docker.conf'), 'utf8')).toBe('net.ipv4.ip_forward = 1\n');
    expect(result.stdout).toContain(`wrote        ${SSHD_DROP_IN}`);
    expect(result.stdout).toMatch(/^removed {6}\/etc\/ssh\/ssh_host_rsa_key /m);
    expect(pick(await sshdSettings(root))).toEqual({ ...HARDENED, passwordauthentication: 'yes' });
  });

  it('an image whose sshd_config sshd rejects: our drop-in is not written, said on one line, the rest is sealed', async () => {
    const root = await builtImage();
    put(root, '/etc/ssh/sshd_config', `${readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8')}NoSuchKeyword yes\n`);
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^not written  ${SSHD_DROP_IN}  \\(sshd -t rejects the server configuration with our settings \\([^\\n]*NoSuchKeyword[^\\n]*\\)$`, 'm'));
    expect(existsSync(path.join(root, SSHD_DROP_IN))).toBe(false);
    expect(result.stdout).toContain(`wrote        ${SYSCTL_FILE}`);
    expect(result.stdout).toMatch(/^emptied {6}\/etc\/machine-id/m);
    expect(ours(root)).toEqual([]);
  });

  it('links in the image pointing out of it (sshd_config.d, sysctl.d) never lead to a write outside the root', async () => {
    const root = await builtImage();
    const outside = tempDir('gfb-outside-');
    put(outside, '/sshd/keep.conf', 'Port 22\n');
    mkdirSync(path.join(outside, 'sysctl'));
    const outsideBefore = hashTree(outside);
    symlinkSync(path.join(outside, 'sshd'), path.join(root, 'etc/ssh/sshd_config.d'));
    rmSync(path.join(root, 'etc/sysctl.d'), { recursive: true, force: true });
    symlinkSync(path.join(outside, 'sysctl'), path.join(root, 'etc/sysctl.d'));
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(hashTree(outside)).toEqual(outsideBefore);
    // Inside the image the absolute links lead to the same path below its root, where its sshd will look.
    expect(existsSync(path.join(root, outside, 'sshd/10-gce-firstboot.conf'))).toBe(true);
    expect(existsSync(path.join(root, outside, 'sysctl/60-gce-firstboot.conf'))).toBe(true);
  });

  it('a read-only image: exit 4, the failure on one line, nothing removed', async () => {
    const root = await builtImage();
    const before = hashTree(root);
    const readOnly = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', root];
    const result = await runCli(['seal', '--root', root], { prefix: readOnly });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/^gce-firstboot: seal stopped while writing the sshd and sysctl files \(sshd: EROFS: [^\n]*\); nothing removed$/);
    expect(result.stdout).toBe('');
    expect(hashTree(root)).toEqual(before);
  });
});

describe('seal --yes on the running system', () => {
  /**
   * The running system is this machine's own /, seen through an overlay in a private mount, UTS
   * and network namespace (writes land in a tmpfs; /proc is mounted read-only): the seal runs
   * chrooted there, where / is the running root, as in a Packer build VM or a mmdebstrap chroot.
   */
  it('writes the files only: nothing set at runtime, sshd not reloaded, the hostname kept', async () => {
    const dir = tempDir('gfb-running-');
    for (const sub of ['merged', 'rw']) mkdirSync(path.join(dir, sub));
    const script = [
      'set -e; d=$1; shift',
      'mount -t tmpfs gfb-upper "$d/rw"; mkdir "$d/rw/upper" "$d/rw/work"',
      'mount -t overlay overlay -o "lowerdir=/,upperdir=$d/rw/upper,workdir=$d/rw/work" "$d/merged"',
      'mount -t proc -o ro proc "$d/merged/proc"; mount --rbind /dev "$d/merged/dev"',
      'hostname gfb-running; sysctl -qw net.ipv4.conf.all.accept_redirects=1',
      'chroot "$d/merged" "$@" > "$d/out" 2> "$d/err" || echo "exit $?" >> "$d/err"',
      'echo "hostname $(hostname) accept_redirects $(sysctl -n net.ipv4.conf.all.accept_redirects)"',
      'cat "$d/merged/etc/ssh/sshd_config.d/10-gce-firstboot.conf" "$d/merged/etc/sysctl.d/60-gce-firstboot.conf" > "$d/written"',
      'cat "$d/out" >&2; cat "$d/err" >&2',
    ].join('\n');
    const result = await execa('unshare', ['--mount', '--uts', '--net', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', dir, process.execPath, CLI, 'seal', '--yes'], { reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'err'), 'utf8')).toBe('');
    const out = readFileSync(path.join(dir, 'out'), 'utf8');
    expect(out).toMatch(/^wrote {8}\/etc\/ssh\/sshd_config\.d\/10-gce-firstboot\.conf {2}\(sshd hardening: /m);
    expect(out).toMatch(/^wrote {8}\/etc\/sysctl\.d\/60-gce-firstboot\.conf /m);
    expect(out).toMatch(/^reset {8}\/etc\/hostname {2}\(hostname, to localhost\)$/m);
    // The namespace's running values are what they were: the seal set no sysctl and no hostname.
    expect(result.stdout.trim()).toBe('hostname gfb-running accept_redirects 1');
    expect(readFileSync(path.join(dir, 'written'), 'utf8')).toContain('PasswordAuthentication no');
  });
});
