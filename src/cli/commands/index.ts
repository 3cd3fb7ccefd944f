import { lazyCommand, type CommandEntry } from '../command.js';

/** Every subcommand, in the order --help lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  lazyCommand('apply', 'bring the machine to the desired state', async () => (await import('./apply.js')).applyCommand),
  lazyCommand('check', 'report drift, change nothing', async () => (await import('./check.js')).checkCommand),
  lazyCommand('watch', 'the daemon: keep checking and report drift', async () => (await import('./watch.js')).watchCommand),
  lazyCommand('report', 'report parse FILE|-: the latest state per instance from a serial log', async () => (await import('./report.js')).reportCommand),
  lazyCommand('seal', 'prepare an installed system for capture as an image', async () => (await import('./seal.js')).sealCommand),
  lazyCommand('image', 'image check PATH: check disk.raw or image.tar.gz before import', async () => (await import('./image.js')).imageCommand),
];
