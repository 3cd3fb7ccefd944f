/** One subcommand: parses its own arguments and returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}
