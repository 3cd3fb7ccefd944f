// The RHEL 9 image the .rpm goes into: the RHEL 9 fixture root, with what an RHEL 9 install has
// that the fixture leaves out (accounts, PAM, SELinux enforcing in /etc/selinux/config) and every
// entry labelled as RHEL's targeted policy labels it, passes `apply` then `check` against the
// metadata emulator. Labels are the real security.selinux attribute (this kernel has no SELinux
// loaded, but chcon and stat -c %C read and write the attribute): every entry that was there keeps
// its label, every new one carries its directory's (src/host/README.md says why).
import { lstatSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startEmulator } from '../helpers/emulator.js';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { ensureTools } from './helpers.js';

/** Labels RHEL 9's targeted policy gives these paths (file_contexts); the rest of /etc is etc_t. */
const RHEL_LABELS: Record<string, string> = {
  '': 'root_t',
  etc: 'etc_t',
  'etc/passwd': 'passwd_file_t',
  'etc/group': 'passwd_file_t',
  'etc/shadow': 'shadow_t',
  'etc/chrony.conf': 'chronyd_conf_t',
  'etc/default/grub': 'bootloader_etc_t',
  'etc/NetworkManager': 'NetworkManager_etc_t',
  'etc/NetworkManager/NetworkManager.conf': 'NetworkManager_etc_t',
  'etc/NetworkManager/system-connections': 'NetworkManager_etc_rw_t',
  'etc/selinux': 'selinux_config_t',
  'etc/selinux/config': 'selinux_config_t',
  'etc/systemd/system': 'systemd_unit_file_t',
  'etc/systemd/system/multi-user.target.wants': 'systemd_unit_file_t',
  'etc/systemd/system/multi-user.target.wants/NetworkManager.service': 'systemd_unit_file_t',
  var: 'var_t',
  'var/lib': 'var_lib_t',
};
const context = (type: string) => `system_u:object_r:${type}:s0`;

/** What an RHEL 9 minimal install has and the fixture (kept small for the module tests) lacks. */
function completeRhel9(root: string): void {
  const put = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\ndaemon:x:2:2:daemon:/sbin:/sbin/nologin\nsshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:/sbin/nologin\nchrony:x:994:991:chrony system user:/var/lib/chrony:/sbin/nologin\n');
  put('etc/group', 'root:x:0:\nbin:x:1:\ndaemon:x:2:\nsshd:x:74:\nchrony:x:991:\n');
  put('etc/shadow', 'root:!!:19800:0:99999:7:::\nbin:*:19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\nsshd:!!:19800::::::\nchrony:!!:19800::::::\n');
  put('etc/login.defs', 'MAIL_DIR\t/var/spool/mail\nPASS_MAX_DAYS\t99999\nUMASK\t\t022\nENCRYPT_METHOD SHA512\n');
  const pam = [
    'auth        required      pam_env.so',
    'auth        required      pam_faillock.so preauth silent',
    'auth        sufficient    pam_unix.so nullok',
    'auth        required      pam_faillock.so authfail',
    'auth        required      pam_deny.so',
    'account     required      pam_unix.so',
    'password    requisite     pam_pwquality.so local_users_only',
    'password    sufficient    pam_unix.so sha512 shadow nullok use_authtok',
    'password    required      pam_deny.so',
    'session     required      pam_unix.so',
    '',
  ].join('\n');
  put('etc/pam.d/system-auth', pam);
  put('etc/pam.d/password-auth', pam);
  put('etc/selinux/config', 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
}

/** Every entry below the root (and the root itself, as ''), not following links. */
function entries(root: string, dir = ''): string[] {
  const found = dir === '' ? [''] : [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    found.push(rel);
    if (lstatSync(join(root, rel)).isDirectory()) found.push(...entries(root, rel));
  }
  return found;
}

/** security.selinux of each entry (the entry itself), 'none' where it has none; one stat for all. */
async function labels(root: string, paths: string[]): Promise<Map<string, string>> {
  const { stdout } = await execa('stat', ['-c', '%C', '--', ...paths.map((p) => join(root, p))], { reject: false, env: { LC_ALL: 'C' } });
  // stat prints nothing for an entry without a label (and complains on stderr): ask those one by one.
  const lines = stdout.split('\n');
  if (lines.length - 1 === paths.length) return new Map(paths.map((p, i) => [p, lines[i]!]));
  const result = new Map<string, string>();
  for (const p of paths) {
    const one = await execa('stat', ['-c', '%C', '--', join(root, p)], { reject: false, env: { LC_ALL: 'C' } });
    result.set(p, one.exitCode === 0 ? one.stdout.trim() : 'none');
  }
  return result;
}

const digest = (root: string, path: string) => {
  const stats = lstatSync(join(root, path));
  return stats.isFile() ? createHash('sha256').update(readFileSync(join(root, path))).digest('hex') : `${stats.mode}`;
};

describe('an RHEL 9 image with SELinux enforcing, prepared on a machine without SELinux', () => {
  it('apply then check: compliant, every entry that was there keeps its label, every new one has its directory\'s', async () => {
    await ensureTools('ssh-keygen', 'chcon', 'stat');
    const root = sandboxRoot('rhel-9');
    completeRhel9(root);
    const before = entries(root);
    for (const path of before) {
      await execa('chcon', ['-h', context(RHEL_LABELS[path] ?? (path.startsWith('etc') ? 'etc_t' : 'usr_t')), '--', join(root, path)]);
    }
    const labelsBefore = await labels(root, before);
    const contentBefore = new Map(before.map((p) => [p, digest(root, p)]));
    const { host } = await startEmulator();
    const procSys = tempDir('gfb-procsys-');

    const apply = await runCli(['apply', '--root', root, '--metadata-host', host, '--proc-sys', procSys]);
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    const check = await runCli(['check', '--root', root, '--metadata-host', host, '--proc-sys', procSys]);
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);

    const after = entries(root);
    const labelsAfter = await labels(root, after);
    const kept = before.filter((p) => after.includes(p));
    const replaced = kept.filter((p) => lstatSync(join(root, p)).isFile() && digest(root, p) !== contentBefore.get(p));
    // The apply did replace files of the fixture (else this proves nothing).
    expect(replaced).toEqual(expect.arrayContaining(['etc/chrony.conf', 'etc/default/grub']));
    for (const p of kept) expect(labelsAfter.get(p), `/${p}`).toBe(labelsBefore.get(p));
    const made = after.filter((p) => !before.includes(p));
    expect(made).toEqual(expect.arrayContaining(['etc/hostname', 'etc/ssh/ssh_host_ed25519_key', 'etc/sysctl.d/60-gce-firstboot.conf']));
    for (const p of made) {
      const dir = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
      expect(labelsAfter.get(p), `/${p}`).toBe(labelsAfter.get(dir));
    }
    expect(labelsAfter.get('etc/NetworkManager/conf.d/60-gce-firstboot-mtu.conf')).toBe(context('NetworkManager_etc_t'));
  }, 240_000);
});
