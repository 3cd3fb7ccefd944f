/**
 * A full garbage collection, now, when node runs with --expose-gc (the unit sets it in
 * NODE_OPTIONS); otherwise nothing. The resident daemon calls it after each pass: what a pass
 * leaves in it (the pass process's handles and streams, the finished requests) has outlived a
 * scavenge or two and sits in V8's old generation, which V8 lets fill to ~14 MB before its first
 * full collection when passes come back to back (bench/RESULTS.md 0.9: the soak's RSS climbed for
 * ~400 passes). Idle for a while, V8's memory reducer does the same on its own. A full collection
 * of the daemon's ~5 MB heap takes a few ms.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
