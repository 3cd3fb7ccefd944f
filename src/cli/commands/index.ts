import type { Command } from '../command.js';
import { applyCommand } from './apply.js';
import { checkCommand } from './check.js';
import { watchCommand } from './watch.js';
import { reportCommand } from './report.js';

/** Every subcommand, in the order --help lists them. */
export const COMMANDS: readonly Command[] = [applyCommand, checkCommand, watchCommand, reportCommand];
