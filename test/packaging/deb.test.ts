// The .deb: control data, contents with modes, conffiles, lintian, and a real install with
// dpkg into a scratch root (maintainer scripts run chrootless with DPKG_ROOT, as in an image
// build where systemd is not running), then remove and purge.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT, UNITS, VERSION, ensureBuilt, ensureTools, out, run } from './helpers.js';

let deb: string;
beforeAll(async () => {
  await ensureTools('dpkg', 'dpkg-deb', 'dpkg-query', 'lintian', 'deb-systemd-helper', 'systemctl');
  deb = (await ensureBuilt()).deb;
}, BUILD_TIMEOUT);

/** existsSync follows symlinks, and unit links point to absolute paths outside the root. */
const isLink = (path: string) => {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
};
const field = async (name: string) => (await out('dpkg-deb', ['-f', deb, name])).trim();
// Anything that unpacks the xz payload (listing, installing) takes seconds on a busy machine.
const SLOW = 180_000;

describe('control data (dpkg-deb -I / -f)', () => {
  it('names the package, version and architecture', async () => {
    expect(await field('Package')).toBe('gce-firstboot');
    expect(await field('Version')).toBe(VERSION);
    expect(await field('Architecture')).toBe('amd64');
  });
  it('depends on the C/C++ runtime of the embedded Node and on init-system-helpers', async () => {
    const depends = await field('Depends');
    for (const p of ['libc6', 'libstdc++6', 'libgcc-s1', 'init-system-helpers']) expect(depends).toContain(p);
  });
  it('has maintainer scripts and marks the configuration as a conffile', async () => {
    const info = await out('dpkg-deb', ['-I', deb]);
    for (const s of ['postinst', 'prerm', 'postrm', 'conffiles', 'md5sums']) expect(info).toMatch(new RegExp(`\\s${s}\\s`));
    const dir = mkdtempSync(join(tmpdir(), 'gfb-ctrl-'));
    try {
      await out('dpkg-deb', ['-e', deb, dir]);
      expect(readFileSync(join(dir, 'conffiles'), 'utf8').trim()).toBe('/etc/gce-firstboot/gce-firstboot.conf');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('contents (dpkg-deb -c)', () => {
  // "mode owner size date time path" -> path: [mode, owner]. Listing decompresses the whole
  // xz archive, so once.
  let listing: Map<string, readonly [string, string]>;
  const contents = () => listing;
  beforeAll(async () => {
    listing = new Map(
      (await out('dpkg-deb', ['-c', deb]))
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map((f) => [f[5]!.replace(/^\./, ''), [f[0]!, f[1]!]] as const),
    );
  }, SLOW);

  it.each([
    ['/usr/bin/gce-firstboot', '-rwxr-xr-x'],
    ['/usr/lib/gce-firstboot/make-host-keys', '-rwxr-xr-x'],
    ['/lib/systemd/system/gce-firstboot-host-keys.service', '-rw-r--r--'],
    ['/lib/systemd/system/gce-firstboot-early.service', '-rw-r--r--'],
    ['/lib/systemd/system/gce-firstboot.service', '-rw-r--r--'],
    ['/etc/gce-firstboot/gce-firstboot.conf', '-rw-r--r--'],
    ['/var/lib/gce-firstboot/', 'drwx------'],
    ['/usr/share/doc/gce-firstboot/copyright', '-rw-r--r--'],
    ['/usr/share/doc/gce-firstboot/changelog.gz', '-rw-r--r--'],
    ['/usr/share/man/man8/gce-firstboot.8.gz', '-rw-r--r--'],
  ])('%s is %s root/root', (path, mode) => {
    expect(contents().get(path)).toEqual([mode, 'root/root']);
  });

  it('ships nothing under /usr/local, /tmp or the build tree', () => {
    for (const path of contents().keys()) expect(path).not.toMatch(/^\/(usr\/local|tmp|work|home|root)\//);
  });
});

describe('lintian', () => {
  it('reports no errors and no warnings (overrides carry the explanations)', async () => {
    const r = await run('lintian', ['--fail-on', 'error,warning', deb]);
    expect(r.stdout).not.toMatch(/^[EW]: /m);
    expect(r.status).toBe(0);
  }, 600_000);
});

describe('install into a scratch root with dpkg --root (chrootless maintainer scripts)', () => {
  let root: string;
  const dpkg = (...args: string[]) =>
    run('dpkg', [`--root=${root}`, '--force-not-root', '--force-script-chrootless', '--force-depends', ...args]);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'gfb-root-'));
    for (const d of ['info', 'updates', 'triggers']) mkdirSync(join(root, 'var/lib/dpkg', d), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    writeFileSync(join(root, 'var/lib/dpkg/available'), '');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('installs and configures', async () => {
    const r = await dpkg('-i', deb);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const status = await out('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-W', '-f=${Status} ${Version}', 'gce-firstboot']);
    expect(status).toBe(`install ok installed ${VERSION}`);
  }, SLOW);

  it('puts the files in place with their modes', () => {
    expect(statSync(join(root, 'usr/bin/gce-firstboot')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(root, 'var/lib/gce-firstboot')).mode & 0o7777).toBe(0o700);
    expect(statSync(join(root, 'etc/gce-firstboot/gce-firstboot.conf')).mode & 0o7777).toBe(0o644);
    for (const u of UNITS) expect(existsSync(join(root, 'lib/systemd/system', u))).toBe(true);
  });

  it('registers the conffile with dpkg', async () => {
    const conffiles = await out('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-W', '-f=${Conffiles}', 'gce-firstboot']);
    expect(conffiles).toMatch(/^ \/etc\/gce-firstboot\/gce-firstboot\.conf [0-9a-f]{32}$/m);
  });

  it('enables both units: symlinks in multi-user.target.wants', () => {
    for (const u of UNITS) {
      const link = join(root, 'etc/systemd/system/multi-user.target.wants', u);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(`/lib/systemd/system/${u}`);
    }
  });

  it('keeps an edited conffile on reinstall, and a unit the admin disabled', async () => {
    const conf = join(root, 'etc/gce-firstboot/gce-firstboot.conf');
    writeFileSync(conf, '# edited by the admin\n');
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    await out('systemctl', [`--root=${root}`, 'disable', 'gce-firstboot.service']);
    expect(isLink(join(wants, 'gce-firstboot.service'))).toBe(false);
    const r = await dpkg('--force-confold', '-i', deb);
    expect(r.status).toBe(0);
    expect(readFileSync(conf, 'utf8')).toBe('# edited by the admin\n');
    expect(isLink(join(wants, 'gce-firstboot.service'))).toBe(false);
    expect(isLink(join(wants, 'gce-firstboot-early.service'))).toBe(true);
  }, SLOW);

  it('remove: binary gone, units masked until purge, state kept', async () => {
    writeFileSync(join(root, 'var/lib/gce-firstboot/state.json'), '{}');
    expect((await dpkg('-r', 'gce-firstboot')).status).toBe(0);
    expect(existsSync(join(root, 'usr/bin/gce-firstboot'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/gce-firstboot/state.json'))).toBe(true);
    for (const u of UNITS) {
      // deb-systemd-helper masks on remove (as dh_installsystemd does) until purge.
      expect(readlinkSync(join(root, 'etc/systemd/system', u))).toBe('/dev/null');
    }
  });

  it('purge: state dir, conffile, enablement and masks all gone', async () => {
    expect((await dpkg('-P', 'gce-firstboot')).status).toBe(0);
    expect(existsSync(join(root, 'var/lib/gce-firstboot'))).toBe(false);
    expect(existsSync(join(root, 'etc/gce-firstboot/gce-firstboot.conf'))).toBe(false);
    for (const u of UNITS) {
      expect(isLink(join(root, 'etc/systemd/system/multi-user.target.wants', u))).toBe(false);
      expect(isLink(join(root, 'etc/systemd/system', u))).toBe(false);
    }
  });
});
