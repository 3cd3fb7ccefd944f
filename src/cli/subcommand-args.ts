import { parseArgs } from 'node:util';

/**
 * Arguments of a command with subcommands and only --json/--help (image, report). Prints the help
 * and returns undefined for --help.
 */
export function parseSubcommandArgs(argv: string[], help: string): { json: boolean; positionals: string[] } | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return undefined;
  }
  return { json: values.json, positionals };
}
