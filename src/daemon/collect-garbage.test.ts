import { describe, expect, it } from 'vitest';
import { collectGarbage } from './collect-garbage.js';

describe('the daemon after a pass, started without --expose-gc (as its unit starts it)', () => {
  it('frees what the pass left behind', async () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    let leftover: object | undefined = { buffer: Buffer.alloc(1 << 20) };
    const ref = new WeakRef(leftover);
    leftover = undefined;
    // WeakRef targets survive until the end of the current job.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
  });
});
