import { constants, createReadStream, promises as fs, type ReadStream, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * An open regular file that image check reads: opened once without blocking (a FIFO or device
 * cannot hang the open) and checked to be a regular file through the open descriptor, so the
 * path cannot be swapped afterwards. Child processes (debugfs, mtools) read the same open file
 * through /proc/PID/fd/N.
 */
export class DiskFile {
  private constructor(
    readonly handle: FileHandle,
    readonly stats: Stats,
  ) {}

  /** Opens `file`; undefined (and nothing left open) when it is not a regular file. */
  static async open(file: string, flags = 0): Promise<DiskFile | undefined> {
    const handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK | flags);
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return undefined;
    }
    return new DiskFile(handle, stats);
  }

  get size(): number {
    return this.stats.size;
  }

  /** The open file as a path another process can open. */
  get procPath(): string {
    return `/proc/${process.pid}/fd/${this.handle.fd}`;
  }

  /** Up to `length` bytes at `offset` (fewer at the end of the file). */
  async readAt(offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    if (offset >= this.size) return buffer.subarray(0, 0);
    const { bytesRead } = await this.handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  }

  /** A stream of the whole file through a descriptor of its own (re-opened from this one), closed with the stream. */
  stream(): ReadStream {
    return createReadStream(this.procPath);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
