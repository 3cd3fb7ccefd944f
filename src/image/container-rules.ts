import type { DiskFile } from './disk-file.js';
import { describeMemberType, isRegularMember, TarError, walkTarGz, type TarListing, type TarMember } from './tar-members.js';
import { formatBytes, sizeRules, type RuleResult } from './rule.js';

export const DISK_MEMBER = 'disk.raw';

export interface ContainerCheck {
  rules: RuleResult[];
  /** The disk.raw member, when it is a regular file whose size the import takes: the one thing worth extracting. */
  disk?: TarMember;
}

function formatRule(listing: TarListing, file: string): RuleResult {
  const formats = [...listing.formats];
  if (formats.length === 1 && formats[0] === 'gnu') return { id: 'tar-format', status: 'pass', message: 'GNU / old-GNU headers', file };
  const named = formats.map((format) => (format === 'posix' ? 'POSIX ustar/pax' : format === 'v7' ? 'v7 (no magic)' : 'GNU')).join(' and ');
  return { id: 'tar-format', status: 'fail', message: `${named} headers; the import needs GNU or old-GNU (tar --format=oldgnu)`, file };
}

/**
 * Rules on image.tar.gz itself, read from its headers only: gzip, tar format, its one disk.raw
 * member, that member's type, size and sparseness.
 */
export async function checkContainer(input: DiskFile, label: string): Promise<ContainerCheck> {
  let listing: TarListing;
  try {
    listing = await walkTarGz(input.stream());
  } catch (error) {
    if (error instanceof TarError) {
      return { rules: [{ id: 'gzip', status: 'pass', message: 'gzip-compressed', file: label }, { id: 'tar-format', status: 'fail', message: `not a readable tar archive: ${error.message}`, file: label }] };
    }
    return { rules: [{ id: 'gzip', status: 'fail', message: `not a valid gzip stream: ${(error as Error).message}`, file: label }] };
  }
  const rules: RuleResult[] = [{ id: 'gzip', status: 'pass', message: 'gzip-compressed', file: label }, formatRule(listing, label)];
  const names = listing.members.map((member) => member.name);
  rules.push(
    names.length === 1
      ? { id: 'one-member', status: 'pass', message: `one member: ${names[0]}`, file: label }
      : { id: 'one-member', status: 'fail', message: `${names.length} members (${names.join(', ') || 'none'}); the archive must hold only ${DISK_MEMBER}`, file: label },
  );
  const disk = listing.members.find((member) => member.name === DISK_MEMBER || member.name === `./${DISK_MEMBER}`);
  if (!disk || disk.name !== DISK_MEMBER) {
    rules.push({ id: 'member-name', status: 'fail', message: disk ? `the member is named ${disk.name}; it must be exactly ${DISK_MEMBER}` : `no member named ${DISK_MEMBER}`, file: label });
    return { rules };
  }
  rules.push({ id: 'member-name', status: 'pass', message: DISK_MEMBER, file: label });
  const memberLabel = `${label}:${DISK_MEMBER}`;
  if (!isRegularMember(disk)) {
    rules.push({ id: 'member-type', status: 'fail', message: `${DISK_MEMBER} is ${describeMemberType(disk)}, not a regular file; nothing was extracted or read`, file: memberLabel });
    return { rules };
  }
  rules.push({ id: 'member-type', status: 'pass', message: 'regular file', file: memberLabel });
  const sizes = sizeRules(disk.size, memberLabel);
  rules.push(...sizes);
  rules.push(
    disk.sparse
      ? { id: 'sparse', status: 'pass', message: `GNU sparse member ('S'), apparent size ${formatBytes(disk.size)}`, file: memberLabel }
      : { id: 'sparse', status: 'warn', message: `not stored sparse (every byte of ${formatBytes(disk.size)} is in the archive); pack with tar -S`, file: memberLabel },
  );
  if (sizes.some((rule) => rule.status === 'fail')) {
    rules.push({ id: 'extract', status: 'info', message: `${DISK_MEMBER} not extracted: its size already fails the import, so the disk inside was not checked`, file: memberLabel });
    return { rules };
  }
  return { rules, disk };
}
