// Labels on a root that uses SELinux, proven with the real security.selinux attribute (chcon and
// stat -c %C read and write it even where this kernel has no SELinux loaded), and the decision
// when restorecon runs, on this machine's real / (no selinuxfs) and on sysfs trees that have one.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/sandbox.js';
import { Host } from './host.js';
import { labellingFor } from './selinux-labels.js';

const ETC = 'system_u:object_r:etc_t:s0';

async function labelOf(file: string): Promise<string> {
  const result = await execa('stat', ['-c', '%C', '--', file], { reject: false, env: { LC_ALL: 'C' } });
  return result.exitCode === 0 ? result.stdout.trim() : 'none';
}
async function label(file: string, context: string): Promise<void> {
  await execa('chcon', ['-h', context, '--', file]);
}

/** A root whose /etc/selinux/config enables SELinux, /etc labelled etc_t. */
async function selinuxRoot(): Promise<{ root: string; host: Host }> {
  const root = path.join(tempDir('gfb-selinux-'), 'root');
  mkdirSync(path.join(root, 'etc/selinux'), { recursive: true });
  writeFileSync(path.join(root, 'etc/selinux/config'), 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
  await label(path.join(root, 'etc'), ETC);
  return { root, host: new Host({ root, live: false, sysDir: tempDir('gfb-nosys-') }) };
}

describe('an image with SELinux enforcing, built on a machine without it', () => {
  it('a new file gets the label of its directory', async () => {
    const { root, host } = await selinuxRoot();
    mkdirSync(path.join(root, 'etc/sysctl.d'));
    await label(path.join(root, 'etc/sysctl.d'), 'system_u:object_r:system_conf_t:s0');
    await host.writeText('/etc/sysctl.d/60-gce-firstboot.conf', 'kernel.kptr_restrict = 1\n');
    expect(await labelOf(path.join(root, 'etc/sysctl.d/60-gce-firstboot.conf'))).toBe('system_u:object_r:system_conf_t:s0');
  });

  it('directories made for a new file get their parent\'s label, and so does the file', async () => {
    const { root, host } = await selinuxRoot();
    await host.writeText('/etc/systemd/journald.conf.d/60-gce-firstboot-console.conf', '[Journal]\n');
    for (const p of ['etc/systemd', 'etc/systemd/journald.conf.d', 'etc/systemd/journald.conf.d/60-gce-firstboot-console.conf']) {
      expect(await labelOf(path.join(root, p)), p).toBe(ETC);
    }
  });

  it('a replaced symlink keeps its own label (not its target\'s); a new one gets its directory\'s', async () => {
    const { root, host } = await selinuxRoot();
    symlinkSync('../usr/share/zoneinfo/Europe/Paris', path.join(root, 'etc/localtime'));
    await label(path.join(root, 'etc/localtime'), 'system_u:object_r:locale_t:s0');
    await host.symlink('../usr/share/zoneinfo/UTC', '/etc/localtime');
    expect(await labelOf(path.join(root, 'etc/localtime'))).toBe('system_u:object_r:locale_t:s0');
    await host.symlink('/dev/null', '/etc/new-link');
    expect(await labelOf(path.join(root, 'etc/new-link'))).toBe(ETC);
  });

  it('a host key renamed over the old one keeps the old key\'s label; a new key gets its directory\'s', async () => {
    const { root, host } = await selinuxRoot();
    mkdirSync(path.join(root, 'etc/ssh'));
    await label(path.join(root, 'etc/ssh'), ETC);
    writeFileSync(path.join(root, 'etc/ssh/ssh_host_ed25519_key'), 'old');
    await label(path.join(root, 'etc/ssh/ssh_host_ed25519_key'), 'system_u:object_r:sshd_key_t:s0');
    const scratch = await host.scratchDir('/etc/ssh', 'keys');
    writeFileSync(path.join(root, scratch, 'ed'), 'new');
    writeFileSync(path.join(root, scratch, 'rsa'), 'new');
    await host.rename(`${scratch}/ed`, '/etc/ssh/ssh_host_ed25519_key');
    await host.rename(`${scratch}/rsa`, '/etc/ssh/ssh_host_rsa_key');
    expect(await labelOf(path.join(root, 'etc/ssh/ssh_host_ed25519_key'))).toBe('system_u:object_r:sshd_key_t:s0');
    expect(await labelOf(path.join(root, 'etc/ssh/ssh_host_rsa_key'))).toBe(ETC);
  });
});

describe('when restorecon runs', () => {
  const withSelinuxfs = () => {
    const sys = tempDir('gfb-sys-');
    mkdirSync(path.join(sys, 'fs/selinux'), { recursive: true });
    writeFileSync(path.join(sys, 'fs/selinux/enforce'), '1');
    return sys;
  };

  it('this machine\'s real / without selinuxfs: never (labels copied only if its config enables SELinux)', async () => {
    expect(existsSync('/sys/fs/selinux/enforce')).toBe(false);
    const host = new Host({ root: '/', live: false });
    expect(await host.labels.labelling()).not.toBe('restorecon');
  });

  it('/ on a kernel with SELinux enabled: restorecon', async () => {
    expect(await new Host({ root: '/', live: false, sysDir: withSelinuxfs() }).labels.labelling()).toBe('restorecon');
  });

  it('an image root, even on a kernel with SELinux enabled: never; labels copied when the image enables SELinux', async () => {
    const { root } = await selinuxRoot();
    expect(await new Host({ root, live: false, sysDir: withSelinuxfs() }).labels.labelling()).toBe('copy');
    expect(await new Host({ root: tempDir('gfb-plain-'), live: false, sysDir: withSelinuxfs() }).labels.labelling()).toBe('none');
  });

  it('the rule as a table', () => {
    expect(labellingFor({ root: '/', selinuxfs: true, configEnables: false })).toBe('restorecon');
    expect(labellingFor({ root: '/', selinuxfs: false, configEnables: true })).toBe('copy');
    expect(labellingFor({ root: '/', selinuxfs: false, configEnables: false })).toBe('none');
    expect(labellingFor({ root: '/mnt/image', selinuxfs: true, configEnables: true })).toBe('copy');
  });
});
