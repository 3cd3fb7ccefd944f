/**
 * What a daemon pass process (`watch --one-pass`) tells the resident daemon: one JSON line on
 * its stdout when the pass is done. Logs go to stderr, straight to the journal.
 */
export interface PassOutcome {
  /** The report's one-line summary, for STATUS= and the log. */
  status: string;
  /** Guest attributes gce-firstboot/* to publish. */
  guestStatus: Record<string, string>;
  /** The instance attributes the pass decided on, when it could read them. */
  attributes?: Record<string, string>;
  /** The configuration the pass used (null: no file, defaults), kept for the next passes. */
  configText: string | null;
  core: { checkIntervalSec: number; requestTimeoutMs: number; metadataHost?: string; serialPort: string };
  /** Why the serial console could not be written, when it could not. */
  serialProblem?: string;
}

/** What the resident daemon gives a pass process on its stdin. */
export interface PassInput {
  /** Why this pass runs (start, interval, attributes, reload), for the log. */
  why: string;
  /** The configuration to use; absent: read the file (at start and on reload). */
  configText?: string | null;
  /** SIGHUP: say that the configuration was read again. */
  reload?: boolean;
}

/**
 * A pass told to stop (SIGTERM: the daemon's stop or budget, or systemd stopping the unit's whole
 * control group) exits with this, 128 + SIGTERM as a shell would show it: stopped, not failed.
 */
export const PASS_STOPPED_EXIT = 143;
