import type { WatchResult } from '../metadata/client.js';
import type { Logger } from '../policy/types.js';
import { abortableSleep } from './abortable-sleep.js';

const PATH = 'instance/attributes/';
const LONG_POLL_SEC = 60;
const MAX_BACKOFF_MS = 60_000;

/** The attributes as the daemon compares them: every value as text. */
export function asAttributes(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

/**
 * Long-polls the instance attributes (wait_for_change + ETag) and calls `onChange` when they
 * change. One request in flight at a time, no polling loop: a failure or an answer without an
 * ETag waits with exponential backoff. The stop signal aborts the request in flight.
 */
export async function watchInstanceAttributes(
  client: { watch(path: string, lastEtag: string, timeoutSec: number, signal: AbortSignal): Promise<WatchResult | undefined> },
  onChange: (attributes: Record<string, string>) => void,
  log: Logger,
  signal: AbortSignal,
  /** The attributes the last pass saw, when it could read them: a change since then is a change. */
  seen?: Record<string, string>,
): Promise<void> {
  let etag = 'NONE';
  let failures = 0;
  let known = seen === undefined ? undefined : JSON.stringify(asAttributes(seen));
  while (!signal.aborted) {
    let problem: string | undefined;
    try {
      const result = await client.watch(PATH, etag, LONG_POLL_SEC, signal);
      if (!result) problem = `${PATH} not found`;
      else if (!result.etag) problem = `${PATH} answered without an ETag`;
      else {
        etag = result.etag;
        failures = 0;
        const attributes = asAttributes(result.value);
        const text = JSON.stringify(attributes);
        if (known !== undefined && text !== known) onChange(attributes);
        known = text;
      }
    } catch (error) {
      if (signal.aborted) return;
      problem = (error as Error).message;
    }
    if (problem === undefined) continue;
    failures++;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
    (failures === 1 ? log.warn : log.debug)(`watching instance attributes: ${problem}; again in ${Math.round(delay / 1000)} s`);
    await abortableSleep(delay, signal);
  }
}
