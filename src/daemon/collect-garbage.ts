import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let fullCollection: (() => void) | undefined;

/**
 * A full garbage collection, now. The resident daemon calls it after each pass: what a pass
 * leaves in it (the pass process's handles and streams, the finished requests) has outlived a
 * scavenge or two and sits in V8's old generation, which V8 lets fill to ~14 MB before its first
 * full collection when passes come back to back (bench/RESULTS.md 0.9: the soak's RSS climbed for
 * ~400 passes). A full collection of the daemon's ~5 MB heap takes a few ms.
 *
 * V8's gc() is switched on here, in this process only, and not by --expose-gc in NODE_OPTIONS:
 * a V8 flag given at start makes the executable reject its code cache ("Code cache data
 * rejected"), and NODE_OPTIONS reaches every pass process too (bench/RESULTS.md 0.11). The string
 * evaluated is this constant, nothing read.
 */
export function collectGarbage(): void {
  if (!fullCollection) {
    setFlagsFromString('--expose-gc');
    fullCollection = runInNewContext('gc') as () => void;
  }
  fullCollection();
}
