import type { Host } from '../host/host.js';
import { profileOf } from './distro.js';
import { GRUB_CFG, GRUB2_CFG } from './profiles.js';

/** Boot Loader Specification entries (RHEL 8/9, Fedora): kernel arguments are edited with grubby. */
export const BLS_ENTRIES = '/boot/loader/entries';
/** UEFI images may keep the real grub.cfg on the EFI system partition (/boot/efi/EFI/<vendor>/grub.cfg). */
export const EFI_DIR = '/boot/efi/EFI';
/** Every grub.cfg location in the root file system: Debian's and Ubuntu's, the RHEL family's. */
export const GRUB_CFGS: readonly string[] = [GRUB_CFG, GRUB2_CFG];
/** GRUB's saved environment on the RHEL family (BLS kernel options may live there). */
export const GRUBENV = '/boot/grub2/grubenv';

export interface GrubCommand {
  program: string;
  args: string[];
}

/** Where grub.cfg may be, the root's distribution's own location first. */
export async function grubCfgPaths(host: Host): Promise<readonly string[]> {
  return (await profileOf(host)).grub.cfgs;
}

/**
 * What may regenerate `config`, best first: the distribution's own command (update-grub on Debian
 * and Ubuntu, grub2-mkconfig -o on the RHEL family; for an unknown distribution the one that
 * writes the file found), then plain grub-mkconfig / grub2-mkconfig writing the file.
 */
export async function grubRegenerators(host: Host, config: string | undefined): Promise<GrubCommand[]> {
  const profile = await profileOf(host);
  const own = profile.grub.command ?? (config === GRUB2_CFG || config?.startsWith(`${EFI_DIR}/`) === true ? 'grub2-mkconfig' : 'update-grub');
  return [
    own === 'grub2-mkconfig' ? { program: 'grub2-mkconfig', args: ['-o', config ?? GRUB2_CFG] } : { program: 'update-grub', args: [] },
    { program: 'grub-mkconfig', args: ['-o', config ?? GRUB_CFG] },
    { program: 'grub2-mkconfig', args: ['-o', config ?? GRUB2_CFG] },
  ];
}

/** grubby, the command that edits BLS entries. */
export function blsCommand(token: string): GrubCommand {
  return { program: 'grubby', args: ['--update-kernel=ALL', `--args=${token}`] };
}

/**
 * What to tell the admin to run when no regenerating tool is installed: the distribution's own
 * command; for an unknown distribution, the usual ones of each family.
 */
export async function grubHint(host: Host, config: string | undefined, token: string): Promise<string> {
  const line = ({ program, args }: GrubCommand): string => [program, ...args].join(' ');
  if (!(await profileOf(host)).grub.command) return `update-grub (Debian), or grub2-mkconfig -o /boot/grub2/grub.cfg (RHEL; BLS entries: ${line(blsCommand(token))})`;
  return line(config === BLS_ENTRIES ? blsCommand(token) : (await grubRegenerators(host, config))[0]!);
}
