#!/usr/bin/env node
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { UsageError } from './usage-error.js';
import { EXIT } from '../report/exit-code.js';
import { printable } from '../text/shown.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `Usage: gce-firstboot <command> [options]

Makes a custom Compute Engine image come up right on every VM, and keeps it there.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

gce-firstboot <command> --help shows a command's options and exit codes. --version prints the
version. Exit codes: 0 success, 1 drift or a failed rule, 2 usage or config error, 3 metadata
server unreachable, 4 failure.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    process.stdout.write(`gce-firstboot ${VERSION}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT.usage : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; try --help`);
    return await command.run(rest);
  } catch (error) {
    // By name, not instanceof: importing their modules here would load node:crypto and node:net
    // into every process, the resident daemon's included.
    const name = (error as Error | undefined)?.name;
    const known = error instanceof UsageError || name === 'ConfigError' || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (known) {
      // One line, whatever the arguments or the config held.
      process.stderr.write(`gce-firstboot: ${printable((error as Error).message)}\n`);
      return EXIT.usage;
    }
    if (name === 'LockTimeoutError') {
      process.stderr.write(`gce-firstboot: ${(error as Error).message}\n`);
      return EXIT.moduleFailed;
    }
    // A system error (EROFS, ENOSPC, EACCES...) already names the call and the path.
    const code = (error as NodeJS.ErrnoException).code;
    const systemError = typeof code === 'string';
    const notRoot = (code === 'EACCES' || code === 'EPERM') && process.getuid?.() !== 0 ? ' (not running as root: the agent reads and writes system files; run it with sudo)' : '';
    process.stderr.write(`gce-firstboot: ${systemError ? printable((error as Error).message) + notRoot : ((error as Error).stack ?? String(error))}\n`);
    return EXIT.moduleFailed;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`gce-firstboot: ${String(error)}\n`);
    process.exitCode = EXIT.moduleFailed;
  },
);
