import { chmodSync, cpSync, mkdtempSync, rmSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { hashTree } from '../helpers/tree-hash.js';

function put(root: string, guestPath: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, guestPath)), { recursive: true });
  writeFileSync(path.join(root, guestPath), content);
}

/** What seal must clear, by default and with --history / --cloud-init. */
const DEFAULT_ARTEFACTS = [
  '/etc/udev/rules.d/70-persistent-net.rules',
  '/var/lib/dhcp/dhclient.eth0.leases',
  '/var/lib/dhclient/dhclient--ens4.lease',
  '/var/lib/NetworkManager/internal-6c4b1a7e-2f1d-4e9a-9b7e-0d2c1f3a5b6c-ens4.lease',
  '/run/systemd/netif/leases/2',
  '/var/lib/dbus/machine-id',
  '/var/lib/gce-firstboot/state.json',
  '/var/lib/gce-firstboot/last-report.json',
  '/var/lib/gce-firstboot/run.lock',
  '/var/lib/gce-firstboot/backup',
];
const HISTORIES = ['/root/.bash_history', '/home/alice/.bash_history', '/home/alice/.zsh_history', '/home/alice/.local/share/fish/fish_history'];
const CLOUD_STATE = ['/var/lib/cloud/instances', '/var/lib/cloud/instance', '/var/lib/cloud/data', '/var/lib/cloud/sem'];
/** Files next to the artefacts that seal must leave byte for byte. */
const UNRELATED = ['/etc/ssh/sshd_config', '/etc/udev/rules.d/99-local.rules', '/var/lib/dhcp/README', '/home/alice/notes.txt', '/etc/cloud/cloud.cfg'];

let keyTemplate: string | undefined;
/** Real host keys from ssh-keygen -A, made once per file (RSA generation is slow) and copied into each root. */
async function hostKeyTemplate(): Promise<string> {
  if (keyTemplate) return keyTemplate;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gfb-hostkeys-'));
  mkdirSync(path.join(dir, 'etc/ssh'), { recursive: true });
  const keygen = await execa('ssh-keygen', ['-A', '-f', dir], { reject: false });
  expect(keygen.exitCode, keygen.stderr).toBe(0);
  keyTemplate = dir;
  return dir;
}
afterAll(() => {
  if (keyTemplate) rmSync(keyTemplate, { recursive: true, force: true });
});

/** A Debian 12 root as a builder leaves it: real host keys, leases, our state with backups of the keys. */
async function usedRoot(): Promise<{ root: string; hostKeys: string[] }> {
  const root = sandboxRoot('debian-12');
  cpSync(await hostKeyTemplate(), root, { recursive: true });
  const hostKeys = readdirHostKeys(root);
  expect(hostKeys.length).toBeGreaterThanOrEqual(6);
  put(root, '/etc/ssh/sshd_config', 'PermitRootLogin no\n');
  put(root, '/etc/udev/rules.d/70-persistent-net.rules', 'SUBSYSTEM=="net", ATTR{address}=="42:01:0a:80:00:02", NAME="eth0"\n');
  put(root, '/etc/udev/rules.d/99-local.rules', '# local\n');
  put(root, '/var/lib/dhcp/dhclient.eth0.leases', 'lease {\n  fixed-address 10.128.0.2;\n}\n');
  put(root, '/var/lib/dhcp/README', 'not a lease\n');
  put(root, '/var/lib/dhclient/dhclient--ens4.lease', 'lease {}\n');
  put(root, '/var/lib/NetworkManager/internal-6c4b1a7e-2f1d-4e9a-9b7e-0d2c1f3a5b6c-ens4.lease', 'ADDRESS=10.128.0.2\n');
  put(root, '/run/systemd/netif/leases/2', 'ADDRESS=10.128.0.2\n');
  put(root, '/etc/machine-id', '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99\n');
  put(root, '/var/lib/dbus/machine-id', '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99\n');
  put(root, '/etc/hostname', 'builder-vm\n');
  put(root, '/var/lib/gce-firstboot/state.json', '{"version":1,"instanceId":"1234","modules":{}}\n');
  put(root, '/var/lib/gce-firstboot/last-report.json', '{}\n');
  put(root, '/var/lib/gce-firstboot/run.lock', '');
  const privateKey = readFileSync(path.join(root, 'etc/ssh/ssh_host_ed25519_key'));
  put(root, '/var/lib/gce-firstboot/backup/etc/ssh/ssh_host_ed25519_key', privateKey.toString());
  for (const history of HISTORIES) put(root, history, 'sudo reboot\n');
  put(root, '/home/alice/notes.txt', 'keep me\n');
  put(root, '/usr/bin/cloud-init', '#!/usr/bin/python3\n');
  put(root, '/etc/cloud/cloud.cfg', 'datasource_list: [ GCE ]\n');
  put(root, '/var/lib/cloud/instances/1234/obj.pkl', 'x');
  symlinkSync('/var/lib/cloud/instances/1234', path.join(root, 'var/lib/cloud/instance'));
  put(root, '/var/lib/cloud/data/instance-id', '1234\n');
  put(root, '/var/lib/cloud/sem/config_ssh.once', '');
  return { root, hostKeys };
}

function readdirHostKeys(root: string): string[] {
  return hashTreeKeys(root).filter((guestPath) => guestPath.startsWith('/etc/ssh/ssh_host_'));
}

function hashTreeKeys(root: string): string[] {
  return [...hashTree(root).keys()];
}

/**
 * A safety net should the refusal ever break: the CLI runs in its own mount namespace where / is
 * read-only, so a broken check fails on EROFS instead of sealing the machine running the tests.
 */
const READ_ONLY_SLASH = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -o remount,bind,ro / && exec "$@"', 'sh'];

const under = (guestPath: string, removed: readonly string[]) => removed.some((gone) => guestPath === gone || guestPath.startsWith(`${gone}/`));

describe('gce-firstboot seal', () => {
  // --no-harden: the files the hardening writes are seal-hardens.test.ts's; here, the removals alone.
  it('removes every artefact, empties machine-id, resets the hostname, keeps everything else byte for byte', async () => {
    const { root, hostKeys } = await usedRoot();
    const before = hashTree(root);
    const result = await runCli(['seal', '--root', root, '--history', '--cloud-init', '--json', '--no-harden']);
    expect(result.exitCode, result.stderr).toBe(0);
    const actions = JSON.parse(result.stdout) as { action: string; path: string }[];
    const removed = [...hostKeys, ...DEFAULT_ARTEFACTS, ...HISTORIES, ...CLOUD_STATE];
    expect(actions.filter((a) => a.action === 'remove').map((a) => a.path).sort()).toEqual([...removed].sort());
    expect(actions.filter((a) => a.action !== 'remove').map((a) => `${a.action} ${a.path}`)).toEqual(['empty /etc/machine-id', 'reset /etc/hostname']);
    // The backups go last: they hold copies of what came before.
    expect(actions.at(-1)!.path).toBe('/var/lib/gce-firstboot/backup');

    const after = hashTree(root);
    for (const gone of removed) expect(after.has(gone), gone).toBe(false);
    expect(readFileSync(path.join(root, 'etc/machine-id'), 'utf8')).toBe('');
    expect(statSync(path.join(root, 'etc/machine-id')).mode & 0o777).toBe(0o444);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('localhost\n');
    const changed = new Set(['/etc/machine-id', '/etc/hostname']);
    for (const [guestPath, digest] of before) {
      if (under(guestPath, removed) || changed.has(guestPath)) continue;
      // Directories that lost entries keep their mode: the digest covers mode and content only.
      expect(after.get(guestPath), guestPath).toBe(digest);
    }
    expect([...after.keys()].filter((guestPath) => !before.has(guestPath))).toEqual([]);
    for (const unrelated of UNRELATED) expect(after.has(unrelated), unrelated).toBe(true);
    // Nothing anywhere still holds the private host key (no backup was left behind).
    expect(hashTreeKeys(root).filter((guestPath) => guestPath.startsWith('/var/lib/gce-firstboot/'))).toEqual([]);
    expect(after.has('/var/lib/gce-firstboot')).toBe(true);

    const again = await runCli(['seal', '--root', root, '--history', '--cloud-init', '--no-harden']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe('nothing to do: already sealed');
    expect(hashTree(root)).toEqual(after);
  });

  it('--dry-run lists the same things and changes nothing', async () => {
    const { root } = await usedRoot();
    const before = hashTree(root);
    const dry = await runCli(['seal', '--root', root, '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(hashTree(root)).toEqual(before);
    const human = await runCli(['seal', '--root', root, '--dry-run']);
    expect(human.stdout).toMatch(/^would remove \/etc\/ssh\/ssh_host_ecdsa_key {2}\(SSH host key\)$/m);
    const real = await runCli(['seal', '--root', root, '--json']);
    expect(JSON.parse(real.stdout)).toEqual(JSON.parse(dry.stdout));
  });

  it('leaves histories and cloud-init state alone without the opt-in flags', async () => {
    const { root } = await usedRoot();
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode, result.stderr).toBe(0);
    const after = hashTree(root);
    for (const kept of [...HISTORIES, ...CLOUD_STATE]) expect(after.has(kept), kept).toBe(true);
    expect(result.stdout).toContain('removed      /var/lib/gce-firstboot/state.json  (gce-firstboot state)');
  });

  it('keeps /var/lib/dbus/machine-id when it links to /etc/machine-id, and skips cloud-init when not installed', async () => {
    const root = sandboxRoot('debian-12');
    put(root, '/etc/machine-id', '');
    chmodSync(path.join(root, 'etc/machine-id'), 0o444);
    mkdirSync(path.join(root, 'var/lib/dbus'), { recursive: true });
    symlinkSync('/etc/machine-id', path.join(root, 'var/lib/dbus/machine-id'));
    put(root, '/etc/hostname', 'localhost\n');
    put(root, '/var/lib/cloud/data/instance-id', '1\n');
    const result = await runCli(['seal', '--root', root, '--cloud-init', '--json', '--no-harden']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
    expect(readlinkSync(path.join(root, 'var/lib/dbus/machine-id'))).toBe('/etc/machine-id');
    expect(readFileSync(path.join(root, 'var/lib/cloud/data/instance-id'), 'utf8')).toBe('1\n');
  });

  it('leaves no backup behind when our state directory did not exist before', async () => {
    const root = sandboxRoot('debian-12');
    cpSync(await hostKeyTemplate(), root, { recursive: true });
    put(root, '/etc/machine-id', '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99\n');
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readdirHostKeys(root)).toEqual([]);
    expect(hashTreeKeys(root).filter((guestPath) => guestPath.startsWith('/var/lib/gce-firstboot'))).toEqual([]);
  });

  it('refuses the running root without --yes, before touching anything, also through a symlink to /', async () => {
    const watched = ['/etc/machine-id', '/etc/hostname'];
    const snapshot = () => watched.map((file) => { try { return readFileSync(file, 'utf8'); } catch { return undefined; } });
    const before = snapshot();
    const link = path.join(tempDir(), 'slash');
    symlinkSync('/', link);
    for (const root of ['/', link]) {
      const result = await runCli(['seal', '--root', root], { prefix: READ_ONLY_SLASH });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/refusing to seal the running system \(--root \/\) without --yes/);
      expect(result.stdout).toBe('');
    }
    expect(snapshot()).toEqual(before);
    expect((await runCli(['seal', '--root', '/nonexistent-root'])).exitCode).toBe(2);
  });
});

describe('seal on a root that is not what it should be', () => {
  it('an empty directory or a plain file as --root: usage error, nothing created', async () => {
    const empty = tempDir();
    const result = await runCli(['seal', '--root', empty]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`gce-firstboot: --root ${empty}: not an installed system (no /etc/os-release or /usr/lib/os-release); nothing sealed`);
    expect(hashTree(empty).size).toBe(0);
    const file = path.join(tempDir(), 'disk.img');
    writeFileSync(file, '');
    const onFile = await runCli(['seal', '--root', file]);
    expect(onFile.exitCode).toBe(2);
    expect(onFile.stderr).toContain('not a directory');
  });

  it('a filesystem refusing a removal after machine-id was emptied: what was done, then the failure on one line, exit 4', async () => {
    const { root } = await usedRoot();
    const stateDir = path.join(root, 'var/lib/gce-firstboot');
    // An immutable directory: its entries cannot be removed (EPERM), as on a half read-only image.
    await execa('chattr', ['+i', stateDir]);
    try {
      // --no-harden: with hardening the pass's first write into the state directory is refused
      // already (seal-hardens.test.ts has that failure); here the removal fails.
      const result = await runCli(['seal', '--root', root, '--no-harden']);
      expect(result.exitCode).toBe(4);
      expect(result.stderr).toMatch(/^gce-firstboot: seal stopped at \/var\/lib\/gce-firstboot\/\S+ \(gce-firstboot state\): EPERM[^\n]*$/);
      expect(result.stdout).toMatch(/^emptied {6}\/etc\/machine-id {2}\(machine id\)$/m);
      expect(result.stdout).toMatch(/^reset {8}\/etc\/hostname/m);
      expect(result.stdout).not.toContain('gce-firstboot state');
    } finally {
      await execa('chattr', ['-i', stateDir]);
    }
  });

  it('an /etc/hostname that is a directory is refused before anything is cleared', async () => {
    const { root } = await usedRoot();
    rmSync(path.join(root, 'etc/hostname'));
    mkdirSync(path.join(root, 'etc/hostname'));
    const before = hashTree(root);
    const result = await runCli(['seal', '--root', root]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toBe('gce-firstboot: /etc/hostname: a directory, not a regular file; not read');
    expect(hashTree(root)).toEqual(before);
  });
});
