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
disk (through debugfs, without mounting): gzip, GNU/old-GNU tar with only disk.raw, a whole
number of GiB within the import limit, sparse, an MS-DOS (MBR) table with a bootable primary
partition, an ext4 root; inside it no SSH host keys, no persistent-net rule, an empty machine
id, gce-firstboot installed with its units enabled, root in /etc/fstab by UUID or LABEL,
console=ttyS0,38400n8 on grub's kernel lines, the required CONFIG_* options.

For image.tar.gz, disk.raw is extracted (sparse) into a temp directory under $TMPDIR (default
/tmp) and removed afterwards: it needs room for the disk's data, not its apparent size.

  --json       print the result as JSON
  -h, --help   this help

Exit codes: 0 every rule passed (warnings allowed), 1 a rule failed, 2 usage error,
4 the check itself failed (e.g. PATH could not be read).`;

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
