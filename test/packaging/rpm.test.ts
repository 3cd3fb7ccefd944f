// The .rpm: file list with modes, config(noreplace), the systemd scriptlets, dependencies,
// and the payload's executable is the one that was built.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BINARY, BUILD_TIMEOUT, UNITS, VERSION, ensureBuilt, ensureTools, out, run } from './helpers.js';

let rpm: string;
// Header queries are quick; cache them, the tests look at the same output several times.
const cache = new Map<string, string>();
const q = (...args: string[]): string => {
  const v = cache.get(args.join('\0'));
  if (v === undefined) throw new Error(`query ${args.join(' ')} not prepared`);
  return v;
};
const FILES_QF = '[%{FILENAMES}\t%{FILEMODES:perms}\t%{FILEFLAGS:fflags}\t%{FILEUSERNAME}:%{FILEGROUPNAME}\n]';
const QUERIES = [['--qf', '%{NAME} %{VERSION} %{ARCH}'], ['--requires'], ['-l'], ['-c'], ['--scripts'], ['--qf', FILES_QF]];

beforeAll(async () => {
  await ensureTools('rpm', 'rpm2cpio', 'cpio');
  rpm = (await ensureBuilt()).rpm;
  for (const args of QUERIES) cache.set(args.join('\0'), await out('rpm', ['-qp', ...args, rpm]));
}, BUILD_TIMEOUT);

describe('rpm metadata', () => {
  it('is gce-firstboot at the package.json version for x86_64', () => {
    expect(q('--qf', '%{NAME} %{VERSION} %{ARCH}')).toBe(`gce-firstboot ${VERSION} x86_64`);
  });
  it('requires systemd for its scriptlets and the libraries of the embedded Node', () => {
    const requires = q('--requires');
    expect(requires).toMatch(/^systemd$/m);
    expect(requires).toMatch(/^libstdc\+\+\.so\.6/m);
    expect(requires).toMatch(/^libc\.so\.6/m);
  });
});

describe('rpm -qpl', () => {
  // [path, mode, flags] from the header: flags has c for %config, n for noreplace, d for %doc.
  const files = () =>
    new Map(
      q('--qf', FILES_QF)
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .map((f) => [f[0]!, { mode: f[1]!, flags: f[2]!, owner: f[3]! }] as const),
    );

  it('lists exactly the expected paths', () => {
    expect(q('-l').trim().split('\n').sort()).toEqual(
      [
        '/etc/gce-firstboot',
        '/etc/gce-firstboot/gce-firstboot.conf',
        '/usr/bin/gce-firstboot',
        '/usr/lib/gce-firstboot',
        '/usr/lib/gce-firstboot/make-host-keys',
        '/usr/lib/systemd/system-preset/80-gce-firstboot.preset',
        '/usr/lib/systemd/system/gce-firstboot-early.service',
        '/usr/lib/systemd/system/gce-firstboot-host-keys.service',
        '/usr/lib/systemd/system/gce-firstboot.service',
        '/usr/share/doc/gce-firstboot',
        '/usr/share/doc/gce-firstboot/COPYRIGHT',
        '/usr/share/doc/gce-firstboot/THIRD-PARTY',
        '/usr/share/man/man8/gce-firstboot.8.gz',
        '/var/lib/gce-firstboot',
      ].sort(),
    );
  });

  it('has the modes and owners as stated', () => {
    const f = files();
    expect(f.get('/usr/bin/gce-firstboot')).toMatchObject({ mode: '-rwxr-xr-x', owner: 'root:root' });
    expect(f.get('/usr/lib/gce-firstboot/make-host-keys')).toMatchObject({ mode: '-rwxr-xr-x', owner: 'root:root' });
    expect(f.get('/var/lib/gce-firstboot')).toMatchObject({ mode: 'drwx------', owner: 'root:root' });
    for (const u of UNITS) expect(f.get(`/usr/lib/systemd/system/${u}`)).toMatchObject({ mode: '-rw-r--r--' });
  });

  it('marks the configuration %config(noreplace)', () => {
    expect(files().get('/etc/gce-firstboot/gce-firstboot.conf')?.flags).toMatch(/^(?=.*c)(?=.*n)/);
    expect(q('-c').trim()).toBe('/etc/gce-firstboot/gce-firstboot.conf');
  });
});

describe('rpm -qp --scripts', () => {
  const scripts = () => q('--scripts');
  const section = (name: string) => {
    const m = new RegExp(`^${name} scriptlet[^\\n]*:\\n([\\s\\S]*?)(?=^\\w+ scriptlet|$(?![\\s\\S]))`, 'm').exec(scripts());
    return m?.[1] ?? '';
  };

  it('post: enables both units by preset on first install only (%systemd_post)', () => {
    const post = section('postinstall');
    expect(post).toMatch(/\$1 -eq 1/);
    expect(post).toMatch(/systemctl --no-reload preset .*gce-firstboot-early\.service/);
    expect(post).toMatch(/gce-firstboot\.service/);
  });
  it('preun: disables and stops both units on erase only (%systemd_preun)', () => {
    const preun = section('preuninstall');
    expect(preun).toMatch(/\$1 -eq 0/);
    expect(preun).toMatch(/systemctl --no-reload disable --now .*gce-firstboot\.service/);
    expect(preun).toMatch(/gce-firstboot-early\.service/);
  });
  it('postun: reloads systemd, runs the early stage again and restarts the daemon on upgrade (%systemd_postun_with_restart), as the .deb does', () => {
    const postun = section('postuninstall');
    expect(postun).toMatch(/daemon-reload/);
    expect(postun).toMatch(/try-restart gce-firstboot-early\.service gce-firstboot\.service/);
  });
  it('the preset file enables both units on Fedora/RHEL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gfb-rpm-'));
    try {
      await out('sh', ['-c', `rpm2cpio "${rpm}" | cpio -idm --quiet`], { cwd: dir });
      const preset = readFileSync(join(dir, 'usr/lib/systemd/system-preset/80-gce-firstboot.preset'), 'utf8');
      for (const u of UNITS) expect(preset).toMatch(new RegExp(`^enable ${u.replace('.', '\\.')}$`, 'm'));
      // The payload's executable is exactly the one built (no brp-strip damage) and runs.
      expect((await run('cmp', [join(dir, 'usr/bin/gce-firstboot'), BINARY])).status).toBe(0);
      expect(await out(join(dir, 'usr/bin/gce-firstboot'), ['--version'])).toContain(VERSION);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
