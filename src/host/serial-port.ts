import { promises as fs, constants } from 'node:fs';

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

  constructor(
    private readonly locate: () => string,
    private readonly onUnavailable: (reason: string) => void = () => {},
  ) {}

  async writeLines(lines: readonly string[]): Promise<void> {
    if (this.unavailable || lines.length === 0) return;
    let devicePath: string | undefined;
    try {
      devicePath = this.locate();
      // Opening a FIFO for writing waits for a reader: one planted in an image would hang the run.
      if ((await fs.stat(devicePath)).isFIFO()) throw new Error('a FIFO, not a serial port');
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
