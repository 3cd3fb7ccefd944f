import type { Host } from '../host/host.js';
import type { SerialPort } from '../host/serial-port.js';
import type { Report } from '../report/model.js';
import { serialLines } from '../report/serial-protocol.js';
import { RunLock } from '../state/run-lock.js';

/** How long a run without the lock (check) waits for it before writing anyway. */
const WRITE_LOCK_WAIT_MS = 2_000;

/**
 * Writes a pass's lines to the serial console in one write. A run that does not hold the run
 * lock (check) takes it for the write, so that its lines never land inside another run's
 * batch; it does so only where the state directory exists, so a check creates nothing.
 */
export async function publishToSerial(host: Host, serial: SerialPort, report: Report, holdsLock: boolean): Promise<void> {
  if (report.mode === 'dry-run') return;
  // The batch begins with a line end: whatever another writer left unfinished on the console
  // (a getty's "login: " prompt), our start line begins a line, where report parse believes it.
  const lines = ['', ...serialLines(report)];
  const lock = holdsLock || !(await host.exists(host.stateDir)) ? undefined : await RunLock.acquire(host, WRITE_LOCK_WAIT_MS).catch(() => undefined);
  try {
    await serial.writeLines(lines);
  } finally {
    await lock?.release();
  }
}
