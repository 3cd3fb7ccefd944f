// The .rpm installed for real, as an image builder does: `rpm --root` into an RHEL 9-style root
// (test/packaging/rpm-root.ts) whose rpm database provides what the package requires (no
// --nodeps). rpm runs the scriptlets chrooted into that root; they must enable the units by the
// presets there and touch nothing of the machine that runs rpm. Then an upgrade to a rebuilt
// higher release, and the erase.
import { appendFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashTree } from '../helpers/tree-hash.js';
import { BINARY, BUILD_TIMEOUT, ROOT, UNITS, VERSION, ensureBuilt, ensureTools, out } from './helpers.js';
import { rhel9RpmRoot, rpmIn, systemctlCalls } from './rpm-root.js';

const SLOW = 300_000;
const WANTS = 'etc/systemd/system/multi-user.target.wants';
const CONF = 'etc/gce-firstboot/gce-firstboot.conf';

let rpm: string;
const cleanup: string[] = [];
beforeAll(async () => {
  await ensureTools('rpm', 'rpmbuild', 'systemctl', 'dash');
  rpm = (await ensureBuilt()).rpm;
}, BUILD_TIMEOUT);
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

const isLink = (path: string) => {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
};
/**
 * The unit file the enablement link leads to, resolved inside the root (the link is absolute;
 * the host's systemctl names /lib/systemd/system, one directory with /usr/lib's in a merged /usr).
 */
const enabledUnit = (root: string, unit: string) =>
  isLink(join(root, WANTS, unit)) ? realpathSync(join(root, readlinkSync(join(root, WANTS, unit)))) : undefined;

/**
 * What of ours the machine running rpm has where the package or its scriptlets would leave it if
 * they escaped the root: unit links and files, configuration, state. (Only entries of ours: the
 * rest of /etc/systemd may change under a parallel apt-get of another test file.)
 */
function hostState(): string[] {
  const ours: string[] = [];
  for (const dir of ['/etc/systemd', '/run/systemd', '/usr/lib/systemd/system', '/lib/systemd/system']) {
    if (existsSync(dir)) ours.push(...[...hashTree(dir)].filter(([path]) => path.includes('gce-firstboot')).map(([path, hash]) => `${dir}${path} ${hash}`));
  }
  for (const path of ['/etc/gce-firstboot', '/var/lib/gce-firstboot', '/usr/bin/gce-firstboot']) if (existsSync(path)) ours.push(path);
  return ours.sort();
}

describe('image builder installs the rpm into an RHEL-style root', () => {
  let root: string;
  let hostBefore: string[];
  beforeAll(async () => {
    root = await rhel9RpmRoot(rpm);
    cleanup.push(root);
    hostBefore = hostState();
  }, SLOW);

  it('installs without --nodeps: the root provides every requirement', async () => {
    const r = await rpmIn(root, '-i', rpm);
    expect(r.stderr.replace(/^rpm: (RPM should not be used directly|However assuming).*\n/gm, '')).toBe('');
    expect(r.status).toBe(0);
    expect((await out('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-q', 'gce-firstboot'])).trim()).toBe(`gce-firstboot-${VERSION}-1.x86_64`);
  }, SLOW);

  it('puts every file in place with the mode and owner of the header (rpm -V is silent)', async () => {
    const verify = await rpmIn(root, '-V', 'gce-firstboot');
    expect(verify.stdout).toBe('');
    expect(verify.status).toBe(0);
    const mode = (p: string) => statSync(join(root, p)).mode & 0o7777;
    expect(mode('usr/bin/gce-firstboot')).toBe(0o755);
    expect(mode('var/lib/gce-firstboot')).toBe(0o700);
    expect(mode(CONF)).toBe(0o644);
    for (const u of UNITS) expect(mode(`usr/lib/systemd/system/${u}`)).toBe(0o644);
    expect(mode('usr/lib/systemd/system-preset/80-gce-firstboot.preset')).toBe(0o644);
    for (const p of ['usr/bin/gce-firstboot', 'var/lib/gce-firstboot', CONF]) expect([statSync(join(root, p)).uid, statSync(join(root, p)).gid]).toEqual([0, 0]);
    expect(readFileSync(join(root, 'usr/bin/gce-firstboot')).equals(readFileSync(BINARY))).toBe(true);
  });

  it('%post ran inside the root: systemctl preset, no daemon-reload, no start', () => {
    expect(systemctlCalls(root)).toEqual(['--no-reload preset gce-firstboot-host-keys.service gce-firstboot-early.service gce-firstboot.service']);
  });

  it('the preset enabled the three units: links in multi-user.target.wants', () => {
    for (const u of UNITS) expect(enabledUnit(root, u)).toBe(join(realpathSync(root), 'usr/lib/systemd/system', u));
    // The root's own enablement is untouched.
    expect(isLink(join(root, WANTS, 'NetworkManager.service'))).toBe(true);
  });

  it('the machine running rpm is untouched: no unit, link, configuration or state of ours appeared on it', () => {
    expect(hostState()).toEqual(hostBefore);
  });
});

describe('an image whose admin preset disables the daemon', () => {
  it('installs with the daemon left disabled: %post follows the presets, it does not enable blindly', async () => {
    const root = await rhel9RpmRoot(rpm);
    cleanup.push(root);
    mkdirSync(join(root, 'etc/systemd/system-preset'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system-preset/10-site.preset'), 'disable gce-firstboot.service\n');
    expect((await rpmIn(root, '-i', rpm)).status).toBe(0);
    expect(enabledUnit(root, 'gce-firstboot-early.service')).toBeDefined();
    expect(enabledUnit(root, 'gce-firstboot.service')).toBeUndefined();
  }, SLOW);
});

describe('upgrade, then erase', () => {
  let root: string;
  let release2: string;
  let hostBefore: string[];
  beforeAll(async () => {
    hostBefore = hostState();
    root = await rhel9RpmRoot(rpm);
    cleanup.push(root);
    // The next release: same executable, a changed default configuration (so that rpm has to
    // decide between the admin's file and the new default).
    const dir = mkdtempSync(join(tmpdir(), 'gfb-rpm-rel2-'));
    cleanup.push(dir);
    const conf = join(dir, 'gce-firstboot.conf');
    writeFileSync(conf, `${readFileSync(join(ROOT, 'agent/gce-firstboot.conf'), 'utf8')}\n# release 2 default\n`);
    await out('bash', [join(ROOT, 'packaging/build-rpm.sh')], {
      env: { ...process.env, OUT_DIR: dir, BINARY, CONF: conf, RPM_RELEASE: '2' },
      timeout: SLOW,
    });
    release2 = join(dir, `gce-firstboot-${VERSION}-2.x86_64.rpm`);
    expect((await rpmIn(root, '-i', rpm)).status).toBe(0);
  }, SLOW);

  it('rpm -U of release 2 keeps the admin\'s configuration (new default as .rpmnew) and the admin\'s systemctl disable', async () => {
    appendFileSync(join(root, CONF), '# edited by the admin\n');
    const admin = readFileSync(join(root, CONF), 'utf8');
    await out('systemctl', [`--root=${root}`, 'disable', 'gce-firstboot.service']);
    expect(enabledUnit(root, 'gce-firstboot.service')).toBeUndefined();
    const callsBefore = systemctlCalls(root).length;

    const r = await rpmIn(root, '-U', release2);
    expect(r.status).toBe(0);
    expect((await out('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-q', 'gce-firstboot'])).trim()).toBe(`gce-firstboot-${VERSION}-2.x86_64`);
    expect(readFileSync(join(root, CONF), 'utf8')).toBe(admin);
    expect(readFileSync(join(root, `${CONF}.rpmnew`), 'utf8')).toMatch(/# release 2 default\n$/);
    expect(enabledUnit(root, 'gce-firstboot.service')).toBeUndefined();
    expect(enabledUnit(root, 'gce-firstboot-early.service')).toBeDefined();
    // No preset on upgrade; the old release's %postun reloads and try-restarts, which systemctl
    // ignores in a chroot.
    const calls = systemctlCalls(root).slice(callsBefore);
    expect(calls.some((c) => c.includes('preset'))).toBe(false);
    expect(calls).toContain('try-restart gce-firstboot-early.service gce-firstboot.service');
  }, SLOW);

  it('rpm -e removes the units\' links and the package; the admin\'s configuration stays as .rpmsave, the state directory with its records', async () => {
    writeFileSync(join(root, 'var/lib/gce-firstboot/instance-id'), '1234567890\n');
    const callsBefore = systemctlCalls(root).length;
    const r = await rpmIn(root, '-e', 'gce-firstboot');
    expect(r.status).toBe(0);
    expect(systemctlCalls(root).slice(callsBefore)[0]).toBe('--no-reload disable --now gce-firstboot.service gce-firstboot-early.service gce-firstboot-host-keys.service');
    for (const u of UNITS) {
      expect(isLink(join(root, WANTS, u))).toBe(false);
      expect(existsSync(join(root, 'usr/lib/systemd/system', u))).toBe(false);
    }
    expect(existsSync(join(root, 'usr/bin/gce-firstboot'))).toBe(false);
    expect(existsSync(join(root, 'usr/lib/systemd/system-preset/80-gce-firstboot.preset'))).toBe(false);
    expect(existsSync(join(root, CONF))).toBe(false);
    expect(readFileSync(join(root, `${CONF}.rpmsave`), 'utf8')).toMatch(/# edited by the admin\n$/);
    expect(readFileSync(join(root, 'var/lib/gce-firstboot/instance-id'), 'utf8')).toBe('1234567890\n');
    expect((await rpmIn(root, '-q', 'gce-firstboot')).status).not.toBe(0);
    expect(hostState()).toEqual(hostBefore);
  }, SLOW);
});
