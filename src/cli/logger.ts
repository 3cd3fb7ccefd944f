import type { Logger } from '../policy/types.js';
import { printable } from '../text/shown.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** sd-daemon(3) priority prefixes, which journald turns into message priorities. */
const JOURNAL_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

function enabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(threshold);
}

/**
 * Under systemd: one `<N>message` line per call, straight to stderr. No winston here: loading it
 * costs the resident daemon ~9 MB of RSS (bench/RESULTS.md) for what is a one-line format.
 */
function journalLogger(threshold: LogLevel): Logger {
  const write = (level: LogLevel) => (message: string): void => {
    if (enabled(level, threshold)) process.stderr.write(`<${JOURNAL_PRIORITY[level]}>${printable(message)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** On a terminal without winston: the same short form, for the resident daemon. */
function plainLogger(threshold: LogLevel): Logger {
  const write = (level: LogLevel) => (message: string): void => {
    if (enabled(level, threshold)) process.stderr.write(`gce-firstboot: ${level === 'info' ? '' : `${level}: `}${printable(message)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * On a terminal: winston with a short human form. It is imported on first use; lines logged
 * before it has loaded wait in order and are written as soon as it has.
 */
function terminalLogger(threshold: LogLevel): Logger {
  type Line = [LogLevel, string];
  const waiting: Line[] = [];
  let write: ((line: Line) => void) | undefined;
  let loading: Promise<void> | undefined;
  const load = (): Promise<void> =>
    (loading ??= import('winston').then(({ default: winston }) => {
      const logger = winston.createLogger({
        level: threshold,
        levels: { error: 0, warn: 1, info: 2, debug: 3 },
        format: winston.format.printf(({ level, message }) => `gce-firstboot: ${level === 'info' ? '' : `${level}: `}${String(message)}`),
        transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
      });
      write = ([level, message]) => void logger.log(level, printable(message));
      for (const line of waiting.splice(0)) write(line);
    }));
  const log = (level: LogLevel) => (message: string): void => {
    if (!enabled(level, threshold)) return;
    if (write) return write([level, message]);
    waiting.push([level, message]);
    void load();
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * Logs go to stderr (stdout is for --json), one line per message: control characters in a message
 * (a value from the metadata server or a file that a caller did not escape) are shown escaped, so
 * no message can start a journal line of its own with a priority of its choosing. Under systemd
 * (JOURNAL_STREAM set) each line carries a <N> priority and no timestamp, since journald adds its
 * own; on a terminal, a short human form.
 */
export function createLogger(level: LogLevel): Logger {
  return process.env.JOURNAL_STREAM ? journalLogger(level) : terminalLogger(level);
}

/** The same lines with nothing loaded: the resident daemon's logger (no winston). */
export function createPlainLogger(level: LogLevel): Logger {
  return process.env.JOURNAL_STREAM ? journalLogger(level) : plainLogger(level);
}
