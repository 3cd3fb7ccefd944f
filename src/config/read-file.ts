import { ConfigError } from './schema.js';
import { shown } from '../text/shown.js';

const REASONS: Record<string, string> = {
  EISDIR: 'is a directory, not a config file',
  ENOENT: 'no such file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
};

/**
 * Reads the config through `read` (undefined = no file, defaults apply); any other failure is a
 * ConfigError naming the path and why (usage/config error, exit 2), not a crash.
 */
export async function readConfigText(file: string, read: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    return await read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = (code && REASONS[code]) ?? code ?? (error as Error).message;
    throw new ConfigError(`${shown(file)}: cannot read config: ${reason}`);
  }
}
