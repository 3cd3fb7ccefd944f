import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/sandbox.js';
import { Host } from './host.js';

function image(): { root: string; outside: string; host: Host } {
  const dir = tempDir('gfb-host-');
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  return { root, outside, host: new Host({ root, live: false }) };
}

function put(file: string, content: string, mode: number, uid = 0, gid = 0): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
  chownSync(file, uid, gid);
}

async function labelOf(file: string): Promise<string> {
  const result = await execa('python3', ['-c', 'import os,sys\ntry: print(os.getxattr(sys.argv[1], "security.selinux").rstrip(b"\\0").decode())\nexcept OSError: print("none")', file]);
  return result.stdout.trim();
}

describe('a replaced file keeps what protects it', () => {
  it('/etc/shadow linked (absolutely) to a 0640 root:shadow file: written through, the link and the mode stay', async () => {
    const { root, host } = image();
    put(path.join(root, 'usr/share/base/shadow'), 'root:$6$hash:19000:0:99999:7:::\n', 0o640, 0, 42);
    symlinkSync('/usr/share/base/shadow', path.join(root, 'etc/shadow'));
    await host.writeText('/etc/shadow', 'root:!$6$hash:19000:0:99999:7:::\n');
    expect(readlinkSync(path.join(root, 'etc/shadow'))).toBe('/usr/share/base/shadow');
    const target = statSync(path.join(root, 'usr/share/base/shadow'));
    expect([target.mode & 0o7777, target.uid, target.gid]).toEqual([0o640, 0, 42]);
    expect(readFileSync(path.join(root, 'usr/share/base/shadow'), 'utf8')).toBe('root:!$6$hash:19000:0:99999:7:::\n');
  });

  it('/etc/hosts linked relatively to a 0600 file owned by a user keeps mode and owner', async () => {
    const { root, host } = image();
    put(path.join(root, 'etc/hosts.real'), '127.0.0.1 localhost\n', 0o600, 1234, 5678);
    symlinkSync('hosts.real', path.join(root, 'etc/hosts'));
    await host.writeText('/etc/hosts', '127.0.0.1 localhost\n10.0.0.2 vm\n');
    expect(lstatSync(path.join(root, 'etc/hosts')).isSymbolicLink()).toBe(true);
    const target = statSync(path.join(root, 'etc/hosts.real'));
    expect([target.mode & 0o7777, target.uid, target.gid]).toEqual([0o600, 1234, 5678]);
  });

  it('a managed file linked outside the image is written inside it, the outside file untouched', async () => {
    const { root, outside, host } = image();
    put(path.join(outside, 'hosts'), 'outside\n', 0o600);
    symlinkSync(path.join(outside, 'hosts'), path.join(root, 'etc/hosts'));
    await host.writeText('/etc/hosts', 'inside\n');
    expect(readFileSync(path.join(outside, 'hosts'), 'utf8')).toBe('outside\n');
    expect(readFileSync(path.join(root, outside, 'hosts'), 'utf8')).toBe('inside\n');
  });

  it('a directory where a file is to be written is refused with one line naming it', async () => {
    const { root, host } = image();
    mkdirSync(path.join(root, 'etc/hostname'));
    await expect(host.writeText('/etc/hostname', 'x\n')).rejects.toThrow(/^\/etc\/hostname: a directory, not a regular file; not replaced$/);
  });

  it('a FIFO planted where a config file is read is refused at once instead of hanging the agent', async () => {
    const { root, host } = image();
    await execa('mkfifo', [path.join(root, 'etc/sshd_config')]);
    await expect(host.readText('/etc/sshd_config')).rejects.toThrow(/a FIFO, not a regular file; not read/);
  });

  it('chmod of a key that is a symlink is refused; the file it points to keeps its mode', async () => {
    const { root, outside, host } = image();
    put(path.join(outside, 'key'), 'secret', 0o600);
    symlinkSync(path.join(outside, 'key'), path.join(root, 'etc/key'));
    symlinkSync('/etc/key.real', path.join(root, 'etc/key2'));
    put(path.join(root, 'etc/key.real'), 'secret', 0o600);
    await expect(host.chmod('/etc/key', 0o644)).rejects.toThrow('/etc/key: is a symbolic link; its mode is not changed');
    await expect(host.chmod('/etc/key2', 0o644)).rejects.toThrow(/symbolic link/);
    expect(statSync(path.join(outside, 'key')).mode & 0o7777).toBe(0o600);
    expect(statSync(path.join(root, 'etc/key.real')).mode & 0o7777).toBe(0o600);
  });

  it('removing a managed file that is a link removes the link, not its target', async () => {
    const { root, outside, host } = image();
    put(path.join(outside, 'rules'), 'keep', 0o644);
    symlinkSync(path.join(outside, 'rules'), path.join(root, 'etc/rules'));
    expect(await host.remove('/etc/rules', { backup: false })).toBe(true);
    expect(readFileSync(path.join(outside, 'rules'), 'utf8')).toBe('keep');
  });

  it('on a root with SELinux enforcing, the replaced file keeps its label', async () => {
    const { root, host } = image();
    put(path.join(root, 'etc/selinux/config'), 'SELINUX=enforcing\nSELINUXTYPE=targeted\n', 0o644);
    put(path.join(root, 'etc/shadow'), 'root:x:1::::::\n', 0o000);
    await execa('chcon', ['system_u:object_r:shadow_t:s0', path.join(root, 'etc/shadow')]);
    await host.writeText('/etc/shadow', 'root:!x:1::::::\n');
    expect(await labelOf(path.join(root, 'etc/shadow'))).toBe('system_u:object_r:shadow_t:s0');
    expect(statSync(path.join(root, 'etc/shadow')).mode & 0o7777).toBe(0o000);
  });

  it('on a root with SELinux, a file without a label is replaced without one', async () => {
    const { root, host } = image();
    put(path.join(root, 'etc/selinux/config'), 'SELINUX=permissive\n', 0o644);
    put(path.join(root, 'etc/hosts'), 'a\n', 0o644);
    await host.writeText('/etc/hosts', 'b\n');
    expect(readFileSync(path.join(root, 'etc/hosts'), 'utf8')).toBe('b\n');
    expect(await labelOf(path.join(root, 'etc/hosts'))).toBe('none');
  });

  it('on a root without SELinux no label is copied (no process per write)', async () => {
    const { root, host } = image();
    put(path.join(root, 'etc/hosts'), 'a\n', 0o644);
    await execa('chcon', ['system_u:object_r:net_conf_t:s0', path.join(root, 'etc/hosts')]);
    await host.writeText('/etc/hosts', 'b\n');
    expect(await labelOf(path.join(root, 'etc/hosts'))).toBe('none');
  });
});

describe('an image link to /etc is re-anchored at the image root (read only)', () => {
  it('reading through srv/conf -> /etc reads the image /etc, never the build host', async () => {
    const { root, host } = image();
    put(path.join(root, 'etc/hostname'), 'image-name-7f3a\n', 0o644);
    mkdirSync(path.join(root, 'srv'));
    symlinkSync('/etc', path.join(root, 'srv/conf'));
    expect(await host.readText('/srv/conf/hostname')).toBe('image-name-7f3a\n');
    expect(await host.readDir('/srv/conf')).toEqual(['hostname']);
    expect(host.resolve('/srv/conf/hostname')).toBe(path.join(root, 'etc/hostname'));
  });
});
