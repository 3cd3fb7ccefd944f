import type { CommonValues } from '../cli/common-options.js';
import { openSession, type Session } from '../cli/session.js';
import { MetadataClient } from '../metadata/client.js';
import { summaryLine, type Report } from '../report/model.js';
import { LockTimeoutError, RunLock } from '../state/run-lock.js';
import { StateStore } from '../state/store.js';
import { watchInstanceAttributes } from './attribute-watch.js';
import { decidePass, rememberRemediation, runDaemonPass, type DaemonMode } from './daemon-pass.js';
import { firstBootDone, instanceIdOf, recordPass } from './lifecycle.js';
import { GuestStatusPublisher } from './guest-status.js';
import { SystemdNotifier, watchdogIntervalMs } from './notify.js';
import { publishToSerial } from './serial-report.js';
import { Wakeup, type WakeReason } from './wakeup.js';

/** How long a daemon pass waits for a run started from a shell (apply) to finish. */
const LOCK_WAIT_MS = 30 * 60_000;
/** systemd gives TimeoutStopSec=5: if a graceful stop takes longer than this, exit anyway. */
const STOP_BACKSTOP_MS = 4_500;

/**
 * `gce-firstboot watch`: one pass at start, READY=1, then a pass on every interval, attribute
 * change, remediation request or reload, until SIGTERM.
 */
export class Daemon {
  private readonly stop = new AbortController();
  private readonly wakeup = new Wakeup();
  private readonly notifier: SystemdNotifier;
  private readonly guestStatus: GuestStatusPublisher;
  private watchdog?: NodeJS.Timeout;
  /** The last pass's one-line summary, for STATUS=. */
  private status = 'starting';

  private constructor(private session: Session, private readonly values: CommonValues) {
    this.notifier = new SystemdNotifier(session.log);
    this.guestStatus = new GuestStatusPublisher(session.log);
  }

  static async start(values: CommonValues): Promise<Daemon> {
    return new Daemon(await openSession(values), values);
  }

  async run(): Promise<number> {
    const onTerm = (): void => this.requestStop();
    const onHup = (): void => this.wakeup.push('reload');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
    process.on('SIGHUP', onHup);
    const watcher = this.watchAttributes();
    try {
      await this.pass('start');
      if (this.stop.signal.aborted) return 0;
      await this.notifier.send({ READY: '1', STATUS: this.status });
      this.startWatchdog();
      for (;;) {
        const reasons = await this.wakeup.wait(this.session.config.core.check_interval_sec * 1000, this.stop.signal);
        if (this.stop.signal.aborted) break;
        if (reasons.has('reload')) await this.reload();
        await this.pass([...reasons].join(','));
        if (this.stop.signal.aborted) break;
        await this.notifier.send({ STATUS: this.status });
      }
      return 0;
    } finally {
      clearInterval(this.watchdog);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      process.off('SIGHUP', onHup);
      this.stop.abort();
      await watcher;
      this.session.log.info('stopped');
    }
  }

  private requestStop(): void {
    if (this.stop.signal.aborted) return;
    this.session.log.info('stopping');
    this.stop.abort();
    void this.notifier.send({ STOPPING: '1' });
    // A module stuck on something local must not hold the stop past systemd's timeout.
    setTimeout(() => {
      this.session.log.warn('stop took too long; exiting');
      process.exit(0);
    }, STOP_BACKSTOP_MS).unref();
  }

  private startWatchdog(): void {
    const interval = watchdogIntervalMs();
    if (interval === undefined) return;
    this.watchdog = setInterval(() => void this.notifier.send({ WATCHDOG: '1' }), interval);
    void this.notifier.send({ WATCHDOG: '1' });
  }

  private metadataClient(): MetadataClient {
    const core = this.session.config.core;
    return new MetadataClient({ host: this.session.metadataHost, requestTimeoutMs: core.request_timeout_ms, signal: this.stop.signal });
  }

  private watchAttributes(): Promise<void> {
    return watchInstanceAttributes(this.metadataClient(), () => this.wakeup.push('attributes'), this.session.log, this.stop.signal);
  }

  private async reload(): Promise<void> {
    await this.notifier.send({ RELOADING: '1' });
    try {
      this.session = await openSession(this.values);
      this.session.log.info(`configuration reloaded from ${this.session.config.file}`);
    } catch (error) {
      this.session.log.error(`reload failed, keeping the previous configuration: ${(error as Error).message}`);
    }
    await this.notifier.send({ READY: '1' });
  }

  /** One pass under the run lock; its report goes to the serial port, state and guest attributes. */
  private async pass(why: WakeReason | string): Promise<void> {
    const { session } = this;
    const signal = this.stop.signal;
    session.log.info(`pass (${why})`);
    let lock: RunLock;
    try {
      lock = await RunLock.acquire(session.host, LOCK_WAIT_MS, signal);
    } catch (error) {
      if (!(error instanceof LockTimeoutError) || !signal.aborted) session.log.error(`pass skipped: ${(error as Error).message}`);
      return;
    }
    let report: Report;
    try {
      // Another run (apply from a shell) may have changed the state since the last pass.
      const state = await StateStore.load(session.host);
      const metadata = session.metadataView(undefined, signal);
      const attributes = await metadata.instanceAttributes().catch(() => ({}));
      const setUp = firstBootDone(state, session.machine, await instanceIdOf(metadata));
      const decision = decidePass(session.config.core.mode as DaemonMode, attributes, state, setUp);
      session.log.info(`mode ${decision.mode}: ${decision.kind === 'report' ? 'check' : decision.kind}${decision.remediate !== undefined ? ' (remediation requested)' : ''}`);
      report = await runDaemonPass(
        session,
        decision.kind,
        {
          host: session.host,
          settings: session.settings,
          metadata,
          state,
          log: session.log,
          machine: session.machine,
          console: (lines) => session.serial.writeLines(lines),
          signal,
        },
        decision.warnings,
      );
      if (signal.aborted) {
        session.log.info('pass abandoned: stopping');
        return;
      }
      if (decision.remediate !== undefined) await rememberRemediation(state, decision.remediate);
      await recordPass(state, decision.kind, report, session.machine, setUp, session.host.now());
      await state.saveReport(report);
      await publishToSerial(session.host, session.serial, report, true);
    } finally {
      await lock.release();
    }
    this.status = summaryLine(report);
    session.log.info(this.status);
    await this.guestStatus.publish(this.metadataClient(), report, signal);
  }
}
