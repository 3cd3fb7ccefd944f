/** One subcommand: parses its own arguments and returns the exit code. */
export interface Command {
  name: string;
  help: string;
  run(argv: string[]): Promise<number>;
}

/** An entry of the command list: what --help shows, and the command's module loaded only to run it. */
export interface CommandEntry {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

/**
 * A command whose module (and everything it imports) is loaded when it runs, not at start: the
 * daemon never loads the image checker, seal or the serial-log parser, and `--version` nothing.
 */
export function lazyCommand(name: string, summary: string, load: () => Promise<Command>): CommandEntry {
  return { name, summary, run: async (argv) => (await load()).run(argv) };
}
