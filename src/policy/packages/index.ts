import type { Host } from '../../host/host.js';
import { defineModule, type Finding, type ModuleContext } from '../types.js';
import { periodicSetting } from './apt-conf.js';
import { familyOf, profileOf } from '../../distro/distro.js';
import type { Family as DistroFamily } from '../../distro/profiles.js';
import { DPKG_INFO } from '../../distro/package-databases.js';

const MODULE = 'packages';

type Family = DistroFamily | 'unknown';

interface Observed {
  family: Family;
  sshd: boolean;
  /** Debian: unattended-upgrades installed, and the APT::Periodic::Unattended-Upgrade value and where it is set. */
  unattended?: { installed: boolean; value: string | undefined; file: string | undefined; problems: string[] };
  /** RHEL: dnf-automatic installed and which of its timers are enabled. */
  dnfAutomatic?: { installed: boolean; enabledTimers: string[] };
}

const DNF_TIMERS = ['dnf-automatic.timer', 'dnf-automatic-install.timer'];
const TIMER_WANTS = '/etc/systemd/system/timers.target.wants';

async function observeApt(host: Host): Promise<Observed['unattended']> {
  const installed = (await host.exists('/usr/bin/unattended-upgrade')) || (await host.exists(`${DPKG_INFO}/unattended-upgrades.list`));
  let value: string | undefined;
  let file: string | undefined;
  const problems: string[] = [];
  // apt reads apt.conf.d in name order; a later file overrides an earlier one.
  for (const name of (await host.readDir('/etc/apt/apt.conf.d')).filter((n) => /^[A-Za-z0-9_.-]+$/.test(n) && !n.endsWith('.dpkg-old'))) {
    const setting = periodicSetting((await host.readText(`/etc/apt/apt.conf.d/${name}`)) ?? '', 'Unattended-Upgrade');
    if (setting.problem) problems.push(`/etc/apt/apt.conf.d/${name}: ${setting.problem}`);
    if (setting.value !== undefined) {
      value = setting.value;
      file = `/etc/apt/apt.conf.d/${name}`;
    }
  }
  return { installed, value, file, problems };
}

async function observe(ctx: ModuleContext): Promise<Observed> {
  const host = ctx.host;
  const fam = (await familyOf(host)) ?? 'unknown';
  let sshd = false;
  for (const binary of (await profileOf(host)).ssh.binaries) sshd ||= await host.exists(binary);
  const observed: Observed = { family: fam, sshd };
  if (fam === 'debian') observed.unattended = await observeApt(host);
  if (fam === 'rhel') {
    const enabledTimers: string[] = [];
    for (const timer of DNF_TIMERS) if (await host.exists(`${TIMER_WANTS}/${timer}`)) enabledTimers.push(timer);
    observed.dnfAutomatic = { installed: (await host.exists('/usr/bin/dnf-automatic')) || (await host.exists('/usr/lib/systemd/system/dnf-automatic.timer')), enabledTimers };
  }
  return observed;
}

function updateFindings(have: Observed): Omit<Finding, 'module'>[] {
  const findings: Omit<Finding, 'module'>[] = [];
  if (have.unattended) {
    const u = have.unattended;
    if (!u.installed) findings.push({ key: 'unattended-upgrades', expected: 'installed', actual: 'not installed' });
    findings.push(...u.problems.map((problem) => ({ key: 'APT::Periodic::Unattended-Upgrade', expected: 'a readable apt.conf file', actual: problem })));
    if (u.value !== '1') {
      findings.push({ key: 'APT::Periodic::Unattended-Upgrade', expected: '"1" (e.g. in /etc/apt/apt.conf.d/20auto-upgrades)', actual: u.value === undefined ? 'not set' : `"${u.value}" in ${u.file}` });
    }
  } else if (have.dnfAutomatic) {
    if (!have.dnfAutomatic.installed) findings.push({ key: 'dnf-automatic', expected: 'installed', actual: 'not installed' });
    if (!have.dnfAutomatic.enabledTimers.length) findings.push({ key: 'dnf-automatic.timer', expected: `enabled (${TIMER_WANTS})`, actual: 'not enabled' });
  } else {
    findings.push({ key: 'automatic updates', expected: 'unattended-upgrades or dnf-automatic', actual: 'unknown distribution; not checked', severity: 'info' });
  }
  return findings;
}

function diff(_want: unknown, have: Observed): Finding[] {
  const findings: Omit<Finding, 'module'>[] = [];
  if (!have.sshd) findings.push({ key: 'sshd', expected: 'installed (/usr/sbin/sshd)', actual: 'not installed: no SSH access to the VM' });
  findings.push(...updateFindings(have));
  return findings.map((finding) => ({ module: MODULE, severity: 'warning', fixable: false, cause: 'install or enable the package in the image', ...finding }));
}

export const packagesModule = defineModule<Record<string, never>, Observed>({
  id: MODULE,
  title: 'SSH server and automatic updates installed',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {},
  desired: async () => ({}),
  observe,
  diff,
});
