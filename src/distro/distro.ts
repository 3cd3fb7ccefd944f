import type { Host } from '../host/host.js';
import { readOsRelease, type OsReleaseRead } from './identify.js';
import { profileFor, type DistroProfile, type Family } from './profiles.js';

/** What the root is: its os-release as read, and the profile that follows from it. */
export interface Distro {
  release: OsReleaseRead;
  profile: DistroProfile;
}

/** Marker files that name the family where os-release names no profile (as modules probed before profiles). */
const FAMILY_MARKERS: readonly { family: Family; files: readonly string[] }[] = [
  { family: 'debian', files: ['/etc/debian_version'] },
  { family: 'rhel', files: ['/etc/redhat-release'] },
];

/** One identification per Host (one root): every module of a pass asks the same answer. */
const known = new WeakMap<Host, Promise<Distro>>();

/** The root's distribution. Never throws: an os-release that cannot be read gives the unknown profile. */
export function distroOf(host: Host): Promise<Distro> {
  let distro = known.get(host);
  if (!distro) {
    distro = readOsRelease(host).then((release) => ({ release, profile: profileFor(release.state === 'found' ? release.os : undefined) }));
    known.set(host, distro);
  }
  return distro;
}

/** The root's profile (see distroOf). */
export async function profileOf(host: Host): Promise<DistroProfile> {
  return (await distroOf(host)).profile;
}

/**
 * The family: the profile's, else os-release's ID/ID_LIKE naming debian or rhel/fedora, else the
 * marker files. undefined when nothing says.
 */
export async function familyOf(host: Host): Promise<Family | undefined> {
  const { release, profile } = await distroOf(host);
  if (profile.family) return profile.family;
  for (const { family, files } of FAMILY_MARKERS) {
    for (const file of files) if (await host.exists(file)) return family;
  }
  const names = release.state === 'found' ? [release.os.id, ...release.os.idLike] : [];
  if (names.some((name) => name === 'rhel' || name === 'fedora')) return 'rhel';
  return undefined;
}

/** Whether the root follows Debian's /etc/timezone convention: Debian's marker file, or the file itself. */
export async function keepsTimezoneFile(host: Host): Promise<boolean> {
  return (await host.exists(FAMILY_MARKERS[0]!.files[0]!)) || (await host.exists('/etc/timezone'));
}

/** One line for the log: which profile, and from what. */
export function describeDistro({ release, profile }: Distro): string {
  const source = release.state === 'found' ? `from ${release.file}` : release.state === 'missing' ? 'no os-release' : `${release.file} unreadable: ${release.reason}`;
  return `${profile.name} (profile ${profile.key}, ${source})`;
}
