import type { Command } from '../command.js';
import { applyCommand } from './apply.js';
import { checkCommand } from './check.js';
import { watchCommand } from './watch.js';
import { reportCommand } from './report.js';
import { sealCommand } from './seal.js';
import { imageCommand } from './image.js';

/** Every subcommand, in the order --help lists them. */
export const COMMANDS: readonly Command[] = [applyCommand, checkCommand, watchCommand, reportCommand, sealCommand, imageCommand];
