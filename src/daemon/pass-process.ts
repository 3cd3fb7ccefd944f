import type { CommonValues } from '../cli/common-options.js';
import { openSession } from '../cli/session.js';
import { SerialPort } from '../host/serial-port.js';
import { summaryLine } from '../report/model.js';
import { RunLock } from '../state/run-lock.js';
import { StateStore } from '../state/store.js';
import { decidePass, rememberRemediation, runDaemonPass, type DaemonMode } from './daemon-pass.js';
import { guestStatus } from './guest-status.js';
import { firstBootDone, instanceIdOf, recordPass } from './lifecycle.js';
import { PASS_STOPPED_EXIT, type PassInput, type PassOutcome } from './pass-outcome.js';
import { publishToSerial } from './serial-report.js';

/** How long a daemon pass waits for a run started from a shell (apply) to finish. */
const LOCK_WAIT_MS = 30 * 60_000;

async function readInput(): Promise<Partial<PassInput>> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text ? (JSON.parse(text) as Partial<PassInput>) : {};
}

/**
 * `watch --one-pass`: one daemon pass in a process of its own, started by the resident daemon
 * (src/daemon/daemon.ts). Under the run lock: the decision (mode, remediation, lifecycle), the
 * pass, state, report and serial lines; then the PassOutcome on stdout. SIGTERM abandons the pass
 * at its next step, writing nothing more (exit PASS_STOPPED_EXIT, no outcome).
 */
export async function runPassProcess(values: CommonValues): Promise<number> {
  const stop = new AbortController();
  const onStop = (): void => stop.abort();
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  try {
    return await onePass(values, stop.signal);
  } catch (error) {
    // Stopped while waiting (the run lock, a request): not a failure of the pass.
    if (!stop.signal.aborted) throw error;
    process.stderr.write('gce-firstboot: pass abandoned: stopping\n');
    return PASS_STOPPED_EXIT;
  }
}

async function onePass(values: CommonValues, signal: AbortSignal): Promise<number> {
  const input = await readInput();
  const session = await openSession(values, undefined, input.configText === undefined ? undefined : { text: input.configText ?? undefined });
  const { host, config, log } = session;
  // Logged here, once the configuration is good: a refused one at start is one line, the error.
  log.info(`pass (${input.why ?? 'by hand'})`);
  if (input.reload) log.info(`configuration reloaded from ${config.file}`);
  let serialProblem: string | undefined;
  // Reported to the resident daemon, which says it once, not once per pass.
  const serial = new SerialPort(() => host.resolve(config.core.serial_port), (reason) => (serialProblem = reason), host.root);
  const lock = await RunLock.acquire(host, LOCK_WAIT_MS, signal);
  let outcome: PassOutcome;
  try {
    // Another run (apply from a shell) may have changed the state since the last pass.
    const state = await StateStore.load(host);
    const metadata = session.metadataView(undefined, signal);
    const attributes = await metadata.instanceAttributes().catch(() => undefined);
    const setUp = firstBootDone(state, session.machine, await instanceIdOf(metadata));
    const decision = decidePass(config.core.mode as DaemonMode, attributes ?? {}, state, setUp);
    log.info(`mode ${decision.mode}: ${decision.kind === 'report' ? 'check' : decision.kind}${decision.remediate !== undefined ? ' (remediation requested)' : ''}`);
    const report = await runDaemonPass(
      session,
      decision.kind,
      { host, settings: session.settings, metadata, state, log, machine: session.machine, console: (lines) => serial.writeLines(lines), signal },
      decision.warnings,
    );
    if (signal.aborted) {
      log.info('pass abandoned: stopping');
      return PASS_STOPPED_EXIT;
    }
    if (decision.remediate !== undefined) await rememberRemediation(state, decision.remediate);
    await recordPass(state, decision.kind, report, session.machine, setUp, host.now());
    await state.saveReport(report);
    await publishToSerial(host, serial, report, true);
    outcome = {
      status: summaryLine(report),
      guestStatus: guestStatus(report),
      ...(attributes ? { attributes } : {}),
      configText: session.configText ?? null,
      core: {
        checkIntervalSec: config.core.check_interval_sec,
        requestTimeoutMs: config.core.request_timeout_ms,
        ...(session.metadataHost ? { metadataHost: session.metadataHost } : {}),
        serialPort: config.core.serial_port,
      },
      ...(serialProblem ? { serialProblem } : {}),
    };
  } finally {
    await lock.release();
  }
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  return 0;
}
