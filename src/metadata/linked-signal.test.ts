import { describe, expect, it } from 'vitest';
import { linkSignals } from './linked-signal.js';

describe('a request signal linked to the daemon-long stop signal', () => {
  it('aborts with the reason of whichever signal aborts first', () => {
    const stop = new AbortController();
    const request = new AbortController();
    const linked = linkSignals([request.signal, stop.signal]);
    stop.abort(new Error('SIGTERM'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('SIGTERM');
  });

  it('is aborted at once when a signal already was', () => {
    const stop = new AbortController();
    stop.abort('gone');
    expect(linkSignals([new AbortController().signal, stop.signal]).signal.reason).toBe('gone');
  });

  it('once the request is done, a later stop no longer reaches it (nothing kept on the long-lived signal)', () => {
    const stop = new AbortController();
    const linked = linkSignals([new AbortController().signal, stop.signal]);
    linked.dispose();
    stop.abort('later');
    expect(linked.signal.aborted).toBe(false);
  });
});
