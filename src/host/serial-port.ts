import { promises as fs } from 'node:fs';

/**
 * Appends whole lines to the serial console device (or a file standing in for it). One write
 * per call, so lines from one process never interleave. A port that cannot be opened is
 * reported once through `onUnavailable`, then writes are dropped.
 */
export class SerialPort {
  private unavailable = false;

  constructor(
    readonly devicePath: string,
    private readonly onUnavailable: (reason: string) => void = () => {},
  ) {}

  async writeLines(lines: readonly string[]): Promise<void> {
    if (this.unavailable || lines.length === 0) return;
    try {
      await fs.appendFile(this.devicePath, lines.map((line) => `${line}\n`).join(''), { flag: 'a' });
    } catch (error) {
      this.unavailable = true;
      this.onUnavailable(`${this.devicePath}: ${(error as Error).message}`);
    }
  }
}
