import type { OsRelease } from './os-release.js';

/** The NTP daemons that keep their sources in one line-based file (chrony.conf, ntp.conf). */
export type LineFlavour = 'chrony' | 'ntpsec' | 'ntp';

export interface LineDaemon {
  flavour: LineFlavour;
  /** Main configuration file(s), the distribution's own first. */
  configs: readonly string[];
  /** Unit name(s), the distribution's own first. */
  units: readonly string[];
}

export type Family = 'debian' | 'rhel';

/** What differs between distributions. Adding a distribution = adding one entry to PROFILES. */
export interface DistroProfile {
  /** Short key: debian-13, rhel-9 ... */
  key: string;
  name: string;
  /** How far it is proven here: booted under QEMU, a fixture root in the tests, or only written down. */
  proof: 'booted' | 'fixture root' | 'on paper';
  /**
   * os-release: ID in `ids`, or, for an ID no profile names, one of ID_LIKE in `likes`; and
   * VERSION_ID equal to `version` or with the major part `major`, when given.
   */
  match: { ids: readonly string[]; likes?: readonly string[]; major?: string; version?: string };
  /** undefined: probed from marker files (/etc/debian_version, /etc/redhat-release). */
  family: Family | undefined;
  ssh: { units: readonly string[]; binaries: readonly string[]; keysMadeBy: string };
  ntp: { daemons: readonly LineDaemon[]; usual: string };
  network: { usual: string };
  /** grub.cfg locations (first = the distribution's), and what regenerates it. */
  grub: { cfgs: readonly string[]; command: 'update-grub' | 'grub2-mkconfig' | undefined };
  packageDb: string;
  /** Whether /etc/crypto-policies governs OpenSSH; undefined: probed. */
  cryptoPolicies: boolean | undefined;
  selinux: string;
}

const CHRONY_DEBIAN: LineDaemon = { flavour: 'chrony', configs: ['/etc/chrony/chrony.conf'], units: ['chrony.service'] };
const CHRONY_RHEL: LineDaemon = { flavour: 'chrony', configs: ['/etc/chrony.conf'], units: ['chronyd.service'] };
const NTPSEC: LineDaemon = { flavour: 'ntpsec', configs: ['/etc/ntpsec/ntp.conf'], units: ['ntpsec.service'] };
const NTP_DEBIAN: LineDaemon = { flavour: 'ntp', configs: ['/etc/ntp.conf'], units: ['ntp.service'] };

/** grub.cfg of Debian and Ubuntu (update-grub writes it), and of the RHEL family. */
export const GRUB_CFG = '/boot/grub/grub.cfg';
export const GRUB2_CFG = '/boot/grub2/grub.cfg';
const DEBIAN_GRUB = { cfgs: [GRUB_CFG, GRUB2_CFG], command: 'update-grub' } as const;
const RHEL_GRUB = { cfgs: [GRUB2_CFG, GRUB_CFG], command: 'grub2-mkconfig' } as const;
const DEBIAN_SSH = { units: ['ssh.service'], binaries: ['/usr/sbin/sshd'], keysMadeBy: 'openssh-server postinst (ssh-keygen -A, once at install); nothing at boot' };
const RHEL_SSH = { units: ['sshd.service'], binaries: ['/usr/sbin/sshd'], keysMadeBy: 'sshd-keygen@.service, before sshd.service on every boot (missing keys only)' };
const NO_SELINUX = 'not enabled (available, not the default)';

const debian = (version: string, codename: string, network: string, proof: DistroProfile['proof']): DistroProfile => ({
  key: `debian-${version}`,
  name: `Debian ${version} (${codename})`,
  proof,
  match: { ids: ['debian'], likes: ['debian'], major: version },
  family: 'debian',
  ssh: DEBIAN_SSH,
  ntp: { daemons: [CHRONY_DEBIAN, NTPSEC, NTP_DEBIAN], usual: 'chrony (cloud images), else systemd-timesyncd' },
  network: { usual: network },
  grub: DEBIAN_GRUB,
  packageDb: 'dpkg (/var/lib/dpkg)',
  cryptoPolicies: false,
  selinux: NO_SELINUX,
});

const rhel = (major: string, network: string, proof: DistroProfile['proof']): DistroProfile => ({
  key: `rhel-${major}`,
  name: `RHEL ${major} family (RHEL, Rocky, AlmaLinux, CentOS Stream)`,
  proof,
  match: { ids: ['rhel', 'rocky', 'almalinux', 'centos'], likes: ['rhel'], major },
  family: 'rhel',
  ssh: RHEL_SSH,
  ntp: { daemons: [CHRONY_RHEL], usual: 'chrony' },
  network: { usual: network },
  grub: RHEL_GRUB,
  // RHEL 10 follows Fedora 36's move of the rpm database to /usr.
  packageDb: major === '8' ? 'rpm (/var/lib/rpm, bdb)' : major === '9' ? 'rpm (/var/lib/rpm, sqlite)' : 'rpm (/usr/lib/sysimage/rpm, sqlite)',
  cryptoPolicies: true,
  selinux: 'enforcing',
});

const ubuntu = (version: string, keysMadeBy: string): DistroProfile => ({
  key: `ubuntu-${version}`,
  name: `Ubuntu ${version}`,
  proof: 'on paper',
  match: { ids: ['ubuntu'], version },
  family: 'debian',
  ssh: { ...DEBIAN_SSH, keysMadeBy },
  ntp: { daemons: [CHRONY_DEBIAN, NTPSEC, NTP_DEBIAN], usual: 'systemd-timesyncd' },
  network: { usual: 'netplan generating systemd-networkd' },
  grub: DEBIAN_GRUB,
  packageDb: 'dpkg (/var/lib/dpkg)',
  cryptoPolicies: false,
  selinux: 'not used (AppArmor)',
});

export const PROFILES: readonly DistroProfile[] = [
  debian('12', 'bookworm', 'ifupdown + dhclient (classic), systemd-networkd', 'booted'),
  debian('13', 'trixie', 'netplan generating systemd-networkd (cloud images), ifupdown + dhcpcd', 'booted'),
  rhel('8', 'NetworkManager (ifcfg files)', 'on paper'),
  rhel('9', 'NetworkManager (keyfiles)', 'fixture root'),
  rhel('10', 'NetworkManager (keyfiles; ifcfg files no longer read)', 'on paper'),
  {
    ...rhel('9', 'NetworkManager (keyfiles)', 'on paper'),
    key: 'fedora',
    name: 'Fedora',
    match: { ids: ['fedora'] },
    packageDb: 'rpm (/usr/lib/sysimage/rpm, sqlite)',
  },
  ubuntu('22.04', 'openssh-server postinst; ssh.service'),
  ubuntu('24.04', 'openssh-server postinst; sshd is started by ssh.socket (socket activation)'),
];

/** An unknown distribution: every name and path any profile knows is probed, as before profiles existed. */
export const UNKNOWN: DistroProfile = {
  key: 'unknown',
  name: 'unknown distribution',
  proof: 'fixture root',
  match: { ids: [] },
  family: undefined,
  ssh: { units: ['ssh.service', 'sshd.service'], binaries: ['/usr/sbin/sshd', '/usr/bin/sshd'], keysMadeBy: 'unknown' },
  ntp: {
    daemons: [
      { flavour: 'chrony', configs: ['/etc/chrony/chrony.conf', '/etc/chrony.conf'], units: ['chrony.service', 'chronyd.service'] },
      NTPSEC,
      { flavour: 'ntp', configs: ['/etc/ntp.conf'], units: ['ntp.service', 'ntpd.service'] },
    ],
    usual: 'probed: chrony, ntpsec, ntp, systemd-timesyncd',
  },
  network: { usual: 'probed' },
  grub: { cfgs: [GRUB_CFG, GRUB2_CFG], command: undefined },
  packageDb: 'probed: dpkg, then rpm',
  cryptoPolicies: undefined,
  selinux: 'probed (/etc/selinux/config)',
};

function matches(profile: DistroProfile, os: OsRelease): boolean {
  // ID_LIKE counts only when ID itself is no profile's: Ubuntu says ID_LIKE=debian but is not Debian.
  const known = os.id !== undefined && PROFILES.some((other) => other.match.ids.includes(os.id!));
  const named = known ? profile.match.ids.includes(os.id!) : os.idLike.some((like) => profile.match.likes?.includes(like) === true);
  if (!named) return false;
  if (profile.match.version !== undefined) return os.versionId === profile.match.version;
  if (profile.match.major !== undefined) return os.versionId?.split('.')[0] === profile.match.major;
  return true;
}

/** The profile an os-release describes, or UNKNOWN. */
export function profileFor(os: OsRelease | undefined): DistroProfile {
  return (os && PROFILES.find((profile) => matches(profile, os))) ?? UNKNOWN;
}
