import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseSubcommandArgs } from '../subcommand-args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { Host } from '../../host/host.js';
import { checkImage } from '../../image/check-image.js';
import { renderImageCheck } from '../../image/render.js';

const help = `Usage: gce-firstboot image check PATH [--json]

Checks disk.raw or image.tar.gz against Compute Engine's import format and looks inside the
disk without mounting it: gzip, GNU/old-GNU tar holding only disk.raw as a regular file, a
whole number of GiB within the import limit, sparse; an MS-DOS (MBR) or GPT partition table
(GPT: protective MBR, primary and backup headers with their CRC32s, the backup at the last
LBA), every partition inside the disk, which firmware can boot it (BIOS: boot code in the MBR,
and a BIOS boot partition on GPT; UEFI: \\EFI\\BOOT\\BOOTX64.EFI on an EFI system partition),
the root file system (ext4, XFS, btrfs; by type GUID or superblock). Inside an ext2/3/4 root
(read through debugfs; XFS and btrfs roots are not read, and the rules say so as warnings):
no SSH host keys, no persistent-net rule, an empty machine id, gce-firstboot installed (dpkg or
rpm database) with its units enabled, root in /etc/fstab by UUID or LABEL, console=ttyS0,38400n8
on every kernel line (grub.cfg, the EFI system partition's EFI/*/grub.cfg, BLS entries), the
required CONFIG_* options. Then the --guest-os-features the image qualifies for.

For image.tar.gz, a regular disk.raw member whose size passes is extracted into a temp
directory under $TMPDIR (default /tmp), zeros left as holes, and removed on every way out: it
needs room for the disk's data, not its apparent size. Links, devices and FIFOs are never read.
Needs debugfs (e2fsprogs); mtools for an EFI system partition; rpm for an rpm database.

  --json       print the result as JSON
  -h, --help   this help

Exit codes: 0 every rule passed (warnings allowed), 1 a rule failed, 2 usage error (no such
file, not a regular file, no subcommand), 4 the check itself failed (e.g. PATH could not be read).`;

async function runImage(argv: string[]): Promise<number> {
  const parsed = parseSubcommandArgs(argv, help);
  if (!parsed) return 0;
  const { positionals } = parsed;
  const values = { json: parsed.json };
  const [subcommand, file, ...extra] = positionals;
  if (subcommand !== 'check') throw new UsageError(subcommand ? `image: unknown subcommand "${subcommand}"; try image --help` : 'image: expected "check PATH"');
  if (!file) throw new UsageError('image check: expected the path of disk.raw or image.tar.gz');
  if (extra.length) throw new UsageError(`image check: one path only, got also ${extra.join(' ')}`);
  const stats = await fs.stat(file).catch(() => undefined);
  if (!stats?.isFile()) throw new UsageError(`image check: ${file}: ${stats ? 'not a regular file' : 'no such file'}`);
  const check = await checkImage(new Host({ root: '/', live: false }), path.resolve(file));
  process.stdout.write(values.json ? `${JSON.stringify(check, null, 2)}\n` : renderImageCheck(check));
  return check.summary.fail > 0 ? 1 : 0;
}

export const imageCommand: Command = {
  name: 'image',
  summary: 'image check PATH: check disk.raw or image.tar.gz before import',
  help,
  run: runImage,
};
