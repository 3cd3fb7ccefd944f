import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { Host } from '../host/host.js';
import { sandboxRoot, tempDir } from '../../test/helpers/sandbox.js';
import { distroOf, familyOf } from './distro.js';

/** A temp root holding `files` (guest path -> text). */
function rootWith(files: Record<string, string>): string {
  const root = tempDir('gfb-distro-');
  for (const [guestPath, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, guestPath)), { recursive: true });
    writeFileSync(path.join(root, guestPath), text);
  }
  return root;
}

async function profileKey(root: string): Promise<string> {
  return (await distroOf(new Host({ root, live: false }))).profile.key;
}

const ROCKY_9 = 'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n';

describe('which distribution a root is, from its os-release', () => {
  it.each([
    ['debian-12', 'debian-12'],
    ['debian-13', 'debian-13'],
    ['rhel-9', 'rhel-9'],
    // Debian 11 has no profile: every name and path is probed, as before profiles existed.
    ['debian-11-ntp', 'unknown'],
  ])('the %s fixture root is %s', async (fixture, key) => {
    expect(await profileKey(sandboxRoot(fixture))).toBe(key);
  });

  it.each([
    ['Rocky Linux 9.4 (ID_LIKE rhel)', ROCKY_9, 'rhel-9'],
    ['AlmaLinux 8.10', 'ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\n', 'rhel-8'],
    ['CentOS Stream 9', 'ID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\n', 'rhel-9'],
    ['Oracle-like derivative of RHEL 9 named only through ID_LIKE', 'ID="someel"\nID_LIKE="rhel fedora"\nVERSION_ID="9.3"\n', 'rhel-9'],
    ['RHEL 10.1', 'ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="10.1"\n', 'rhel-10'],
    ['AlmaLinux 10.0 (ID_LIKE rhel)', 'ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="10.0"\n', 'rhel-10'],
    ['RHEL 11 (no profile yet)', 'ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="11.0"\n', 'unknown'],
    ['Fedora 41', 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n', 'fedora'],
    ['Ubuntu 24.04', 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n', 'ubuntu-24.04'],
    ['Ubuntu 22.04', "ID=ubuntu\nID_LIKE=debian\nVERSION_ID='22.04'\n", 'ubuntu-22.04'],
    ['Ubuntu 20.04 (ID_LIKE=debian does not make it Debian)', 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="20.04"\n', 'unknown'],
    ['Debian testing (no VERSION_ID)', 'PRETTY_NAME="Debian GNU/Linux forky/sid"\nID=debian\n', 'unknown'],
  ])('%s', async (_name, osRelease, key) => {
    expect(await profileKey(rootWith({ '/etc/os-release': osRelease }))).toBe(key);
  });

  it('an image with only /usr/lib/os-release, /etc/os-release a relative link to it (as Debian ships it)', async () => {
    const root = rootWith({ '/usr/lib/os-release': 'ID=debian\nVERSION_ID="13"\n' });
    mkdirSync(path.join(root, 'etc'));
    symlinkSync('../usr/lib/os-release', path.join(root, 'etc/os-release'));
    const distro = await distroOf(new Host({ root, live: false }));
    expect([distro.profile.key, distro.release.state === 'found' && distro.release.file]).toEqual(['debian-13', '/etc/os-release']);
  });
});

describe('a hostile or broken os-release', () => {
  it("/etc/os-release a link out of the root (absolute and ../../..) is the root's, not the build host's", async () => {
    const outside = rootWith({ '/os-release': ROCKY_9 });
    for (const target of [path.join(outside, 'os-release'), `../../../../../../../..${path.join(outside, 'os-release')}`]) {
      const root = rootWith({});
      mkdirSync(path.join(root, 'etc'));
      symlinkSync(target, path.join(root, 'etc/os-release'));
      const distro = await distroOf(new Host({ root, live: false }));
      expect([distro.profile.key, distro.release.state]).toEqual(['unknown', 'missing']);
    }
  });

  it('no os-release at all: unknown, and the family still comes from /etc/redhat-release as before', async () => {
    const root = rootWith({ '/etc/redhat-release': 'Rocky Linux release 9.4 (Blue Onyx)\n' });
    const host = new Host({ root, live: false });
    expect([(await distroOf(host)).release.state, (await distroOf(host)).profile.key, await familyOf(host)]).toEqual(['missing', 'unknown', 'rhel']);
  });

  it('/etc/os-release a link loop or a FIFO: unknown at once (no hang), /usr/lib/os-release not taken in its place', async () => {
    const loop = rootWith({ '/usr/lib/os-release': 'ID=debian\nVERSION_ID=13\n' });
    mkdirSync(path.join(loop, 'etc'));
    symlinkSync('/etc/os-release', path.join(loop, 'etc/os-release'));
    const fifo = rootWith({ '/usr/lib/os-release': 'ID=debian\nVERSION_ID=13\n' });
    mkdirSync(path.join(fifo, 'etc'));
    await execa('mkfifo', [path.join(fifo, 'etc/os-release')]);
    for (const root of [loop, fifo]) {
      const distro = await distroOf(new Host({ root, live: false }));
      expect([distro.profile.key, distro.release.state]).toEqual(['unknown', 'unreadable']);
    }
  });

  it('garbage lines around the real ones: binary bytes, shell code, unterminated quotes, lines without "="', async () => {
    const text = [
      '\u0000\u0001\uFFFD garbage',
      'no equals sign here',
      '=debian',
      'ID="rhel', // unterminated: taken as absent, then set again below
      'ID=debian',
      'VERSION_ID=13; rm -rf /', // not a value: absent...
      'VERSION_ID="13"', // ...until a well-formed one
      'ID_LIKE=$(touch /tmp/pwned)',
      'PRETTY_NAME="Debian \\"13\\""',
      '',
    ].join('\n');
    expect(await profileKey(rootWith({ '/etc/os-release': text }))).toBe('debian-13');
  });

  it('a well-formed file whose last ID is malformed (upper case, shell code) names no distribution', async () => {
    expect(await profileKey(rootWith({ '/etc/os-release': 'ID=debian\nVERSION_ID=13\nID=Debian\n' }))).toBe('unknown');
    expect(await profileKey(rootWith({ '/etc/os-release': 'ID=`debian`\nVERSION_ID=13\n' }))).toBe('unknown');
  });

  it('very long values are not any distribution: an ID of 100 000 characters, an ID only after 64 KiB of padding', async () => {
    expect(await profileKey(rootWith({ '/etc/os-release': `ID=${'debian'.repeat(20_000)}\nVERSION_ID=13\n` }))).toBe('unknown');
    expect(await profileKey(rootWith({ '/etc/os-release': `VERSION_ID="13"\nPRETTY_NAME="${'x'.repeat(70_000)}"\nID=debian\n` }))).toBe('unknown');
    const longPretty = await distroOf(new Host({ root: rootWith({ '/etc/os-release': `ID=debian\nVERSION_ID=12\nPRETTY_NAME="${'y'.repeat(10_000)}"\n` }), live: false }));
    expect(longPretty.profile.key).toBe('debian-12');
  });
});
