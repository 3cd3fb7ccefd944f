import winston from 'winston';
import type { Logger } from '../policy/types.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** sd-daemon(3) priority prefixes, which journald turns into message priorities. */
const JOURNAL_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/**
 * Logs go to stderr (stdout is for --json). Under systemd (JOURNAL_STREAM set) each line carries
 * a <N> priority and no timestamp, since journald adds its own; on a terminal, a short human form.
 */
export function createLogger(level: LogLevel): Logger {
  const underJournal = Boolean(process.env.JOURNAL_STREAM);
  const format = underJournal
    ? winston.format.printf(({ level: lvl, message }) => `<${JOURNAL_PRIORITY[lvl] ?? 6}>${String(message)}`)
    : winston.format.printf(({ level: lvl, message }) => `gce-firstboot: ${lvl === 'info' ? '' : `${lvl}: `}${String(message)}`);
  const logger = winston.createLogger({
    level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format,
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
  return {
    debug: (message) => void logger.debug(message),
    info: (message) => void logger.info(message),
    warn: (message) => void logger.warn(message),
    error: (message) => void logger.error(message),
  };
}
