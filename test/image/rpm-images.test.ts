import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/sandbox.js';
import { check, ensureImageTools, failed, rule, sealedRoot } from './check-cli.js';
import { makeDisk, ROOT_UUID } from './make-image.js';

const CONTENT_RULES = ['ssh-host-keys', 'persistent-net', 'machine-id', 'package-installed', 'units-enabled', 'fstab-root', 'serial-console', 'kernel-config'];

/** An RPM database (rpm's own sqlite backend) in which a package named `name` is installed, made with rpmbuild and rpm --justdb. */
async function rpmDatabaseWith(name: string): Promise<string> {
  const top = tempDir('gfb-rpm-');
  const spec = path.join(top, `${name}.spec`);
  writeFileSync(spec, `Name: ${name}\nVersion: 0.1.0\nRelease: 1\nSummary: stand-in\nLicense: MIT\nBuildArch: noarch\n%description\nstand-in\n%files\n`);
  await execa('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, spec]);
  const db = path.join(top, 'db');
  mkdirSync(db);
  await execa('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', '--noscripts', path.join(top, 'RPMS/noarch', `${name}-0.1.0-1.noarch.rpm`)]);
  // Leave the database as an image holds it: checkpointed into rpmdb.sqlite alone.
  await execa('rpm', ['--dbpath', db, '--rebuilddb']);
  return db;
}

/** The sealed root with its dpkg record of our package swapped for an RPM database at `dbDir`. */
function asRpmRoot(root: string, db: string, dbDir: string): void {
  rmSync(path.join(root, 'var/lib/dpkg/info/gce-firstboot.list'));
  mkdirSync(path.join(root, dbDir), { recursive: true });
  for (const file of readdirSync(db)) if (!file.startsWith('.')) renameSync(path.join(db, file), path.join(root, dbDir, file));
}

beforeAll(ensureImageTools, 300_000);

describe('image check on RPM-style images', () => {
  it('finds our package in the rpm database at /var/lib/rpm and at /usr/lib/sysimage/rpm', async () => {
    for (const dbDir of ['var/lib/rpm', 'usr/lib/sysimage/rpm']) {
      const root = await sealedRoot();
      asRpmRoot(root, await rpmDatabaseWith('gce-firstboot'), dbDir);
      const { exitCode, result } = await check(await makeDisk(root, { layout: 'gpt-efi' }));
      expect(exitCode, JSON.stringify(result.rules, null, 1)).toBe(0);
      expect(rule(result, 'package-installed').message).toBe('gce-firstboot installed (rpm: gce-firstboot-0.1.0-1.noarch)');
      expect(rule(result, 'package-installed').file).toBe(`disk.raw:/${dbDir}/rpmdb.sqlite`);
    }
  });

  it('fails an image whose rpm database does not list our package, saying where it looked', async () => {
    const root = await sealedRoot();
    asRpmRoot(root, await rpmDatabaseWith('some-other-agent'), 'var/lib/rpm');
    const { exitCode, result } = await check(await makeDisk(root));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['package-installed']);
    expect(rule(result, 'package-installed').message).toBe(
      'gce-firstboot is not installed: no package database lists it (/var/lib/dpkg/info/gce-firstboot.list (none), /usr/lib/sysimage/rpm (none), /var/lib/rpm/rpmdb.sqlite (does not list it))',
    );
  });

  it('fails an image whose rpm database is damaged, saying it could not be read rather than that the package is missing', async () => {
    const root = await sealedRoot();
    rmSync(path.join(root, 'var/lib/dpkg/info/gce-firstboot.list'));
    mkdirSync(path.join(root, 'var/lib/rpm'), { recursive: true });
    writeFileSync(path.join(root, 'var/lib/rpm/rpmdb.sqlite'), 'not a database\n');
    const { exitCode, result } = await check(await makeDisk(root));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['package-installed']);
    expect(rule(result, 'package-installed').message).toMatch(/\/var\/lib\/rpm\/rpmdb\.sqlite \(cannot be read here: error: sqlite failure: .*file is not a database\)\)$/);
  });

  it('recognises an XFS or btrfs root by its superblock and warns that its files were not read', async () => {
    for (const [rootFs, name] of [['xfs', 'XFS'], ['btrfs', 'btrfs']] as const) {
      const { exitCode, result } = await check(await makeDisk(await sealedRoot(), { layout: 'gpt-efi', rootFs }));
      expect(exitCode, JSON.stringify(result.rules, null, 1)).toBe(0);
      expect(rule(result, 'root-fs').message).toBe(`partition 2 (Linux root x86-64): ${name}, UUID ${ROOT_UUID}`);
      for (const id of CONTENT_RULES) {
        expect(rule(result, id)).toEqual({
          id,
          status: 'warn',
          message: `not checked: the root is ${name}, whose files image check cannot read without mounting (it reads ext2/3/4 through debugfs)`,
          file: 'disk.raw:/',
        });
      }
      expect(result.firmware).toEqual(['UEFI']);
      expect(result.guestOsFeatures?.find((feature) => feature.feature === 'GVNIC')?.reason).toBe(`the ${name} root's files were not read`);
    }
  }, 120_000);
});
