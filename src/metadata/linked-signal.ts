/**
 * One signal that aborts when any of `signals` does, and a dispose() that detaches it again.
 * Not AbortSignal.any: on Node 20 a signal that lives as long as the daemon keeps a WeakRef for
 * every signal ever combined with it (measured: ~2.3 KB retained per pass, bench/soak.ts).
 */
export function linkSignals(signals: readonly AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const detach = () => {
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
  };
  function onAbort(this: AbortSignal) {
    detach();
    controller.abort(this.reason);
  }
  for (const signal of signals) {
    if (signal.aborted) {
      detach();
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', onAbort, { once: true });
  }
  return { signal: controller.signal, dispose: detach };
}
