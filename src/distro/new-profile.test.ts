import { describe, expect, it } from 'vitest';
import { sandboxRoot } from '../../test/helpers/sandbox.js';
import { readRooted, writeRooted } from '../../test/helpers/offline-module.js';
import { openSession } from '../cli/session.js';
import { runPass } from '../pass/run-pass.js';
import { PROFILES, type DistroProfile } from './profiles.js';

/** `apply --root ROOT --offline --only ONLY`, in this process, so that it sees this file's PROFILES. */
async function applyInProcess(root: string, only: string): Promise<string[]> {
  const session = await openSession({ root, only, json: true, 'log-level': 'error', live: false, offline: true, help: false });
  const report = await runPass({
    host: session.host,
    modules: session.modules,
    settings: session.settings,
    metadata: session.metadataView(),
    state: session.state,
    log: session.log,
    mode: 'apply',
    respectFrequency: false,
    machine: session.machine,
    beforeSshd: true,
    console: async () => {},
  });
  return report.modules.flatMap((module) => module.changes.map((change) => `${change.key} | ${change.action}`));
}

/** A Debian 14 root: Debian 13's files, os-release saying 14, chrony at Debian's path and a stray file at RHEL's. */
function debian14Root(): string {
  const root = sandboxRoot('debian-13');
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) writeRooted(root, file, 'PRETTY_NAME="Debian GNU/Linux 14 (forky)"\nID=debian\nVERSION_ID="14"\n');
  writeRooted(root, '/etc/chrony/chrony.conf', 'pool 2.debian.pool.ntp.org iburst\n');
  writeRooted(root, '/etc/chrony.conf', 'pool 2.rhel.pool.ntp.org iburst\n');
  return root;
}

describe('adding a distribution is one entry in PROFILES', () => {
  it('Debian 14 is released: unknown (both SSH unit names) until one entry names it, then ssh.service and only Debian\'s chrony path', async () => {
    const before = await applyInProcess(debian14Root(), 'sshd');
    expect(before).toContain('/etc/ssh/sshd_config.d/10-gce-firstboot.conf | wrote drop-in; ssh.service or sshd.service not reloaded: --root is not the running system');

    const debian13 = PROFILES.find((profile) => profile.key === 'debian-13')!;
    (PROFILES as DistroProfile[]).push({ ...debian13, key: 'debian-14', name: 'Debian 14 (forky)', proof: 'on paper', match: { ...debian13.match, major: '14' } });

    const root = debian14Root();
    const after = await applyInProcess(root, 'sshd,ntp');
    expect(after).toContain('/etc/ssh/sshd_config.d/10-gce-firstboot.conf | wrote drop-in; ssh.service not reloaded: --root is not the running system');
    expect(after.filter((change) => change.includes('chrony'))).toEqual([expect.stringMatching(/^\/etc\/chrony\/chrony\.conf \| .*; chrony\.service not restarted/)]);
    expect(readRooted(root, '/etc/chrony.conf')).toBe('pool 2.rhel.pool.ntp.org iburst\n');
  });
});
