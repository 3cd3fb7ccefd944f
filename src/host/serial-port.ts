import { promises as fs, constants } from 'node:fs';
import path from 'node:path';

/**
 * Appends whole lines to the serial console device (or a file standing in for it). Each call is
 * one write(2): a tty write is never interleaved with another process's write, and neither is an
 * O_APPEND write to a file. The port is never created (a missing device is not made a file) and
 * never becomes our controlling terminal (O_NOCTTY). A port that cannot be opened is reported
 * once through `onUnavailable`, then writes are dropped. `locate` gives the device's path on this
 * machine (Host.resolve: under a root, inside it); it is asked at each write.
 */
export class SerialPort {
  private unavailable = false;

  /** `root`: the root `locate` resolves in, for telling where a regular file lies. */
  constructor(
    private readonly locate: () => string,
    private readonly onUnavailable: (reason: string) => void = () => {},
    private readonly root = '/',
  ) {}

  async writeLines(lines: readonly string[]): Promise<void> {
    if (this.unavailable || lines.length === 0) return;
    let devicePath: string | undefined;
    try {
      devicePath = this.locate();
      // Opening a FIFO for writing waits for a reader: one planted in an image would hang the run.
      const stats = await fs.stat(devicePath);
      if (stats.isFIFO()) throw new Error('a FIFO, not a serial port');
      if (stats.isFile()) refuseSystemFile(this.root, await fs.realpath(devicePath));
      const handle = await fs.open(devicePath, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY);
      try {
        await handle.write(Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8'));
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.unavailable = true;
      const message = (error as Error).message;
      this.onUnavailable(devicePath === undefined ? message : `${devicePath}: ${message}`);
    }
  }
}

/** Trees that hold the system's programs and configuration: never a serial log. */
const SYSTEM_TREES = ['/etc', '/usr', '/boot', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/root', '/home', '/proc', '/sys'];

/** The system tree an absolute guest path lies in, if any. */
function systemTreeOf(guestPath: string): string | undefined {
  return SYSTEM_TREES.find((top) => guestPath === top || guestPath.startsWith(`${top}/`));
}

/**
 * A regular file stands in for the port (a log, a test's file), but not a file of the system: a
 * `serial_port` typo, or an image's /dev/ttyS0 linked to /etc/shadow, must not get report lines
 * appended to a password database.
 */
function refuseSystemFile(root: string, realPath: string): void {
  const inRoot = root === '/' ? realPath : `/${path.relative(root, realPath)}`;
  const tree = systemTreeOf(inRoot);
  if (tree) throw new Error(`a regular file under ${tree} (${inRoot}), not a serial port; nothing written`);
}

/** Why a configured `serial_port` is not a usable path, or undefined. */
export function serialPortProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return 'expected an absolute path such as /dev/ttyS0';
  if (value.split('/').includes('..')) return 'no .. in the path';
  const tree = systemTreeOf(value);
  if (tree) return `under ${tree}, where the system's files are; expected a serial device such as /dev/ttyS0`;
  return undefined;
}
