// An RHEL 9-style root for `rpm --root`: the RHEL 9 fixture root, merged /usr, an rpm database
// at /var/lib/rpm (RHEL's path; Debian's rpm defaults to ~/.rpmdb), and what rpm needs to run the
// scriptlets inside it (rpm chroots into the root for them): /bin/sh, systemctl and /dev/null.
// The shell and systemctl are the build host's (Debian 12's systemd is 252, RHEL 9's too), copied
// with their libraries. systemctl is wrapped so that each call a scriptlet makes is logged inside
// the root (/var/log/systemctl.calls) before the real one runs.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FIXTURE_ROOTS } from '../helpers/sandbox.js';
import { out, run, type RunResult } from './helpers.js';

export const DBPATH = '/var/lib/rpm';
export const SYSTEMCTL_LOG = 'var/log/systemctl.calls';

/** `rpm --root ROOT --dbpath /var/lib/rpm ARGS...` (never throws: status and output are the result). */
export function rpmIn(root: string, ...args: string[]): Promise<RunResult> {
  return run('rpm', ['--root', root, '--dbpath', DBPATH, ...args]);
}

/** Copies a host executable and every library ldd names into the root at the same paths. */
async function copyWithLibraries(root: string, file: string, as = file): Promise<void> {
  const libraries = (await out('ldd', [file])).match(/\/\S+/g) ?? [];
  for (const lib of libraries) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    cpSync(lib, join(root, lib), { dereference: true });
  }
  cpSync(file, join(root, as), { dereference: true });
}

/**
 * A stub package whose Provides are exactly the Requires of `pkg` (libraries of the embedded
 * Node, /bin/sh, systemd): in an RHEL 9 install glibc, libstdc++, bash and systemd provide them.
 * With it in the root's database, `rpm -i` resolves every dependency: no --nodeps.
 */
async function buildProvidesStub(pkg: string, top: string): Promise<string> {
  const requires = (await out('rpm', ['-qp', '--requires', pkg]))
    .split('\n')
    .filter((r) => r && !r.startsWith('rpmlib(') && !r.startsWith('config('));
  const spec = [
    'Name: rhel9-base-provides',
    'Version: 9.4',
    'Release: 1',
    'Summary: stands for glibc, libstdc++, bash and systemd of an RHEL 9 install',
    'License: none',
    'BuildArch: noarch',
    ...[...new Set(requires)].map((r) => `Provides: ${r}`),
    '%description',
    'What the RHEL 9 base packages provide that gce-firstboot requires.',
    '%files',
    '',
  ].join('\n');
  writeFileSync(join(top, 'stub.spec'), spec);
  await out('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, join(top, 'stub.spec')]);
  return join(top, 'RPMS/noarch/rhel9-base-provides-9.4-1.noarch.rpm');
}

/** A fresh RHEL 9-style root with an rpm database that provides what `pkg` requires. */
export async function rhel9RpmRoot(pkg: string): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'gfb-rpm-root-'));
  cpSync(join(FIXTURE_ROOTS, 'rhel-9'), root, { recursive: true, verbatimSymlinks: true });
  for (const dir of ['usr/bin', 'usr/sbin', 'usr/lib64', 'usr/lib/systemd/system', 'usr/lib/systemd/system-preset', 'dev', 'var/log']) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  for (const top of ['bin', 'sbin', 'lib', 'lib64']) symlinkSync(`usr/${top}`, join(root, top));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  // RHEL's 99-default-disable.preset: a unit is enabled on install only if a preset says so.
  writeFileSync(join(root, 'usr/lib/systemd/system-preset/99-default-disable.preset'), 'disable *\n');
  await out('mknod', ['-m', '666', join(root, 'dev/null'), 'c', '1', '3']);
  await copyWithLibraries(root, '/usr/bin/dash');
  symlinkSync('dash', join(root, 'usr/bin/sh'));
  await copyWithLibraries(root, '/usr/bin/systemctl', '/usr/bin/systemctl.real');
  writeFileSync(join(root, 'usr/bin/systemctl'), `#!/bin/sh\necho "$*" >> /${SYSTEMCTL_LOG}\nexec /usr/bin/systemctl.real "$@"\n`);
  chmodSync(join(root, 'usr/bin/systemctl'), 0o755);

  await out('rpm', ['--root', root, '--dbpath', DBPATH, '--initdb']);
  const top = mkdtempSync(join(tmpdir(), 'gfb-rpm-stub-'));
  try {
    const stub = await buildProvidesStub(pkg, top);
    await out('rpm', ['--root', root, '--dbpath', DBPATH, '-i', stub]);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
  return root;
}

/** The systemctl calls the scriptlets made inside the root so far, one per line. */
export function systemctlCalls(root: string): string[] {
  try {
    return readFileSync(join(root, SYSTEMCTL_LOG), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
