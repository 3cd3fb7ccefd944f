/** Reads exact byte counts from a stream of chunks, skipping without copying. */
export class ByteStream {
  private readonly iterator: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out or skipped so far. */
  position = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.chunks.push(next.value);
    this.buffered += next.value.length;
    return true;
  }

  /** Exactly `count` bytes, or undefined when the stream ends first. */
  async read(count: number): Promise<Buffer | undefined> {
    while (this.buffered < count) if (!(await this.pull())) return undefined;
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const result = joined.subarray(0, count);
    const rest = joined.subarray(count);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    this.position += count;
    return result;
  }

  /** Up to `limit` bytes that are already buffered or arrive next; undefined at the end. */
  async readSome(limit: number): Promise<Buffer | undefined> {
    if (this.chunks.length === 0 && !(await this.pull())) return undefined;
    const first = this.chunks[0]!;
    const result = first.subarray(0, limit);
    if (result.length === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(limit);
    this.buffered -= result.length;
    this.position += result.length;
    return result;
  }

  /** Drops `count` bytes; false when the stream ends first. */
  async skip(count: number): Promise<boolean> {
    let left = count;
    while (left > 0) {
      const dropped = await this.readSome(left);
      if (!dropped) return false;
      left -= dropped.length;
    }
    return true;
  }

  /** Reads to the end (so a decompression error at the very end still surfaces). */
  async drain(): Promise<void> {
    while (await this.pull()) this.chunks = [];
    this.buffered = 0;
  }
}
