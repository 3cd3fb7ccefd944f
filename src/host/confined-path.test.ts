import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/sandbox.js';
import { chaseInRoot, MAX_SYMLINKS } from './confined-path.js';
import { Host } from './host.js';

/** A temp dir holding `root` (the image) and `outside` (what a bug would reach). */
function layout(): { root: string; outside: string } {
  const dir = tempDir('gfb-chase-');
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  return { root, outside };
}

describe('paths inside an image resolve inside it', () => {
  it('an image whose /etc/ssh links to a directory on the build host gets its own /…/ssh, not the host one', () => {
    const { root, outside } = layout();
    symlinkSync(path.join(outside, 'ssh'), path.join(root, 'etc/ssh'));
    expect(chaseInRoot(root, '/etc/ssh/ssh_host_ed25519_key', true)).toBe(`${outside}/ssh/ssh_host_ed25519_key`);
    expect(new Host({ root, live: false }).resolve('/etc/ssh/sshd_config')).toBe(path.join(root, outside, 'ssh/sshd_config'));
  });

  it('relative links with more .. than the image is deep stop at the image root', () => {
    const { root } = layout();
    mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    symlinkSync('../../../../../../../../outside/state', path.join(root, 'var/lib/gce-firstboot'));
    expect(chaseInRoot(root, '/var/lib/gce-firstboot/state.json', true)).toBe('/outside/state/state.json');
  });

  it('.. in the requested path itself never climbs above the root', () => {
    const { root } = layout();
    expect(chaseInRoot(root, '/../../../etc/../../etc/hosts', true)).toBe('/etc/hosts');
    expect(new Host({ root, live: false }).resolve('../../etc/hosts')).toBe(path.join(root, 'etc/hosts'));
  });

  it('.. after a link climbs from where the link led, as the kernel would inside a chroot', () => {
    const { root } = layout();
    mkdirSync(path.join(root, 'usr/lib/deep'), { recursive: true });
    symlinkSync('/usr/lib/deep', path.join(root, 'etc/shortcut'));
    expect(chaseInRoot(root, '/etc/shortcut/../os-release', true)).toBe('/usr/lib/os-release');
  });

  it('a link back up to / inside the image is the image root', () => {
    const { root } = layout();
    symlinkSync('/', path.join(root, 'etc/rootlink'));
    expect(chaseInRoot(root, '/etc/rootlink/etc/rootlink/etc/hosts', true)).toBe('/etc/hosts');
  });

  it('the last component is followed only when asked: what is replaced or removed is the link itself', () => {
    const { root, outside } = layout();
    symlinkSync(path.join(outside, 'hosts'), path.join(root, 'etc/hosts'));
    expect(chaseInRoot(root, '/etc/hosts', false)).toBe('/etc/hosts');
    expect(chaseInRoot(root, '/etc/hosts', true)).toBe(`${outside}/hosts`);
  });

  it('a missing directory keeps the rest of the path as written, still checking links after a ..', () => {
    const { root, outside } = layout();
    symlinkSync(outside, path.join(root, 'etc/escape'));
    expect(chaseInRoot(root, '/etc/missing/../escape/x', true)).toBe(`${outside}/x`);
    expect(chaseInRoot(root, '/etc/missing/deeper/file', true)).toBe('/etc/missing/deeper/file');
  });

  it('two links pointing at each other: a one-line ELOOP error naming the path', () => {
    const { root } = layout();
    symlinkSync('/etc/b', path.join(root, 'etc/a'));
    symlinkSync('a', path.join(root, 'etc/b'));
    expect(() => chaseInRoot(root, '/etc/a/hosts', true)).toThrow(expect.objectContaining({ code: 'ELOOP', message: expect.stringMatching(/^\/etc\/a\/hosts: too many levels of symbolic links/) }));
  });

  it(`a chain of ${MAX_SYMLINKS} links resolves; one more is ELOOP`, () => {
    const { root } = layout();
    writeFileSync(path.join(root, 'etc/end'), 'x');
    symlinkSync('end', path.join(root, 'etc/l0'));
    for (let i = 1; i <= MAX_SYMLINKS; i++) symlinkSync(`l${i - 1}`, path.join(root, `etc/l${i}`));
    expect(chaseInRoot(root, `/etc/l${MAX_SYMLINKS - 1}`, true)).toBe('/etc/end');
    expect(() => chaseInRoot(root, `/etc/l${MAX_SYMLINKS}`, true)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });

  it('on the running system (root /) the path is handed to the kernel as it is, links not walked', () => {
    // /proc/self/cwd is a link: walking it would give the test's working directory.
    expect(new Host({ root: '/', live: false }).resolve('/proc/self/cwd/x')).toBe('/proc/self/cwd/x');
  });
});
