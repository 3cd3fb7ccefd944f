import path from 'node:path';
import { chaseInRoot } from '../host/confined-path.js';
import { SerialPort } from '../host/serial-port.js';
import { ResidentMetadataClient } from '../metadata/resident-client.js';
import type { Logger } from '../policy/types.js';
import { watchInstanceAttributes } from './attribute-watch.js';
import { collectGarbage } from './collect-garbage.js';
import { GuestStatusPublisher } from './guest-status.js';
import { SystemdNotifier, watchdogIntervalMs } from './notify.js';
import { runChildPass, type ChildPassResult } from './pass-child.js';
import type { PassInput, PassOutcome } from './pass-outcome.js';
import { Wakeup } from './wakeup.js';

/** systemd gives TimeoutStopSec=5: if a graceful stop takes longer than this, exit anyway. */
const STOP_BACKSTOP_MS = 4_500;
/** A pass told to stop (SIGTERM) gets this long before it is killed. */
const PASS_GRACE_MS = 3_500;
/** Until a pass has said otherwise (the defaults of [core]). */
const DEFAULT_INTERVAL_SEC = 600;
const DEFAULT_SERIAL_PORT = '/dev/ttyS0';

export interface DaemonOptions {
  /** The common options, handed on to each pass. */
  args: readonly string[];
  root: string;
  metadataHost?: string;
  passBudgetMs: number;
  log: Logger;
}

/**
 * `gce-firstboot watch`, the resident part: timers, the attribute long poll, SIGHUP and SIGTERM,
 * sd_notify, guest attributes. Each pass runs in a process of its own (pass-process.ts), so what
 * a pass loads is given back when it ends. One pass at start, READY=1, then a pass on every
 * interval, attribute change, remediation request or reload, until SIGTERM. A pass that crashes,
 * fails or hangs past its budget is reported (serial console, STATUS=, guest attributes) and the
 * daemon goes on.
 */
export class Daemon {
  private readonly stop = new AbortController();
  private readonly wakeup = new Wakeup();
  private readonly notifier: SystemdNotifier;
  private readonly guestStatus: GuestStatusPublisher;
  private readonly serial: SerialPort;
  private watchdog?: NodeJS.Timeout;
  private watcher?: Promise<void>;
  /** What the last pass that finished said: the configuration in use, its [core] values. */
  private last?: PassOutcome;
  private status = 'starting';
  private serialWarned = false;

  constructor(private readonly options: DaemonOptions) {
    this.notifier = new SystemdNotifier(options.log);
    this.guestStatus = new GuestStatusPublisher(options.log);
    this.serial = new SerialPort(() => this.serialPath(), (reason) => this.serialUnavailable(reason), options.root);
  }

  async run(): Promise<number> {
    const { log } = this.options;
    const onTerm = (): void => this.requestStop();
    const onHup = (): void => this.wakeup.push('reload');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
    process.on('SIGHUP', onHup);
    let refused = false;
    try {
      // A configuration refused at start: the pass's one line says why, and nothing more is said.
      refused = (await this.pass({ why: 'start' })) === 'config-error';
      if (refused) return 2;
      if (this.stop.signal.aborted) return 0;
      this.watcher = this.watchAttributes(this.last?.attributes);
      await this.notifier.send({ READY: '1', STATUS: this.status });
      this.startWatchdog();
      for (;;) {
        const reasons = await this.wakeup.wait((this.last?.core.checkIntervalSec ?? DEFAULT_INTERVAL_SEC) * 1000, this.stop.signal);
        if (this.stop.signal.aborted) break;
        if (reasons.has('reload')) await this.reload([...reasons].join(','));
        else if ((await this.pass({ why: [...reasons].join(','), ...this.keptConfig() })) === 'config-error') log.error('pass not run: its configuration was refused');
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
      await this.watcher;
      if (!refused) log.info('stopped');
    }
  }

  private requestStop(): void {
    if (this.stop.signal.aborted) return;
    this.options.log.info('stopping');
    this.stop.abort();
    void this.notifier.send({ STOPPING: '1' });
    // The pass is told to stop, then killed (PASS_GRACE_MS); this is the last resort.
    setTimeout(() => {
      this.options.log.warn('stop took too long; exiting');
      process.exit(0);
    }, STOP_BACKSTOP_MS).unref();
  }

  private startWatchdog(): void {
    const interval = watchdogIntervalMs();
    if (interval === undefined) return;
    this.watchdog = setInterval(() => void this.notifier.send({ WATCHDOG: '1' }), interval);
    void this.notifier.send({ WATCHDOG: '1' });
  }

  /** The configuration of the last pass, for the next one: a reload (SIGHUP) reads the file again. */
  private keptConfig(): Pick<PassInput, 'configText'> {
    return this.last ? { configText: this.last.configText } : {};
  }

  private async reload(why: string): Promise<void> {
    await this.notifier.send({ RELOADING: '1' });
    const result = await this.pass({ why, reload: true });
    if (result === 'config-error') {
      this.options.log.error('reload failed, keeping the previous configuration');
      await this.pass({ why, ...this.keptConfig() });
    }
    await this.notifier.send({ READY: '1' });
  }

  /** One pass in its own process; what it says, or why it said nothing, is reported. */
  private async pass(input: PassInput): Promise<ChildPassResult['kind']> {
    const { log } = this.options;
    const result = await runChildPass({ args: this.options.args, input, budgetMs: this.options.passBudgetMs, graceMs: PASS_GRACE_MS, signal: this.stop.signal });
    // config-error and stopped: the pass said so on stderr; the caller says what follows.
    if (result.kind === 'failed') {
      log.error(`pass failed: ${result.reason}`);
      await this.reportFailure(result.reason);
    } else if (result.kind === 'done') {
      this.last = result.outcome;
      if (result.outcome.serialProblem) this.serialUnavailable(result.outcome.serialProblem);
      this.status = result.outcome.status;
      log.info(this.status);
      await this.publish(result.outcome.guestStatus);
    }
    collectGarbage();
    return result.kind;
  }

  /** Loaded only when a pass has failed: an idle daemon does not hold the report code. */
  private async reportFailure(reason: string): Promise<void> {
    const [{ failedPassReport }, { serialLines }, { summaryLine }, { guestStatus }] = await Promise.all([
      import('./failed-pass.js'),
      import('../report/serial-protocol.js'),
      import('../report/model.js'),
      import('./guest-status.js'),
    ]);
    const report = failedPassReport(reason, new Date());
    // The batch begins with a line end, as every pass's does (serial-report.ts).
    await this.serial.writeLines(['', ...serialLines(report)]);
    this.status = summaryLine(report);
    await this.publish(guestStatus(report));
  }

  private metadataClient(): ResidentMetadataClient {
    const core = this.last?.core;
    return new ResidentMetadataClient({
      host: this.options.metadataHost ?? core?.metadataHost,
      ...(core ? { requestTimeoutMs: core.requestTimeoutMs } : {}),
    });
  }

  private async publish(status: Record<string, string>): Promise<void> {
    if (this.stop.signal.aborted) return;
    await this.guestStatus.publish(this.metadataClient(), status, this.stop.signal);
  }

  /** Started after the first pass: it knows the metadata host and what the pass saw. */
  private watchAttributes(seen: Record<string, string> | undefined): Promise<void> {
    return watchInstanceAttributes(this.metadataClient(), () => this.wakeup.push('attributes'), this.options.log, this.stop.signal, seen);
  }

  private serialPath(): string {
    const port = this.last?.core.serialPort ?? DEFAULT_SERIAL_PORT;
    const { root } = this.options;
    return root === '/' ? path.resolve('/', port) : path.join(root, chaseInRoot(root, port, true));
  }

  private serialUnavailable(reason: string): void {
    if (this.serialWarned) return;
    this.serialWarned = true;
    this.options.log.warn(`serial console unavailable: ${reason}`);
  }
}
