import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Host } from '../host/host.js';
import type { Ext4Files } from './ext4-files.js';
import { firstEntries } from './guest-files.js';
import { DPKG_INFO, RPM_BACKENDS, RPM_DIRS } from '../distro/package-databases.js';

export const PACKAGE = 'gce-firstboot';
const DPKG_LIST = `${DPKG_INFO}/${PACKAGE}.list`;

export interface InstalledPackage {
  database: 'dpkg' | 'rpm';
  /** The database file or directory, inside the image. */
  evidence: string;
  /** rpm: NAME-VERSION-RELEASE.ARCH. */
  version?: string;
}

export interface PackageLookup {
  installed?: InstalledPackage;
  /** What was looked at, for the message when nothing was found. */
  looked: string[];
}

/**
 * Copies an RPM database out of the image into `scratch` and asks the host's rpm about our
 * package: rpm only reads the copy (no --root, so nothing of the image is run).
 */
async function rpmLookup(host: Host, files: Ext4Files, scratch: string, dir: string): Promise<InstalledPackage | string> {
  const entries = await files.list(dir);
  if (!entries) return `${dir} (none)`;
  const database = entries.find((entry) => RPM_BACKENDS[entry.name] && (entry.mode & 0o170000) === 0o100000);
  if (!database) return `${dir} (no rpmdb.sqlite, Packages.db or Packages)`;
  const copy = path.join(scratch, `rpmdb-${RPM_DIRS.indexOf(dir)}`);
  await mkdir(copy, { recursive: true });
  const regular = entries.filter((entry) => (entry.mode & 0o170000) === 0o100000 && /^[\w.-]+$/.test(entry.name));
  for (const entry of firstEntries(regular)) await files.dump(`${dir}/${entry.name}`, path.join(copy, entry.name));
  const result = await host.run('rpm', ['--dbpath', copy, '--define', `_db_backend ${RPM_BACKENDS[database.name]}`, '-q', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}', PACKAGE]);
  if (result.exitCode === 0) return { database: 'rpm', evidence: `${dir}/${database.name}`, version: result.stdout.trim() };
  // rpm says "not installed" also for a database it could not open, with errors on stderr.
  const error = result.stderr.split('\n').find((line) => line.startsWith('error:'));
  const why = !error && result.stdout.includes('is not installed') ? 'does not list it' : `cannot be read here: ${error ?? `rpm exit ${result.exitCode}`}`;
  return `${dir}/${database.name} (${why})`;
}

/** Our package in the image's dpkg database, or failing that its RPM database. */
export async function findInstalledPackage(host: Host, files: Ext4Files, scratch: string): Promise<PackageLookup> {
  if (await files.exists(DPKG_LIST)) return { installed: { database: 'dpkg', evidence: DPKG_LIST }, looked: [DPKG_LIST] };
  const looked = [`${DPKG_LIST} (none)`];
  for (const dir of RPM_DIRS) {
    const found = await rpmLookup(host, files, scratch, dir);
    if (typeof found !== 'string') return { installed: found, looked };
    looked.push(found);
  }
  return { looked };
}
