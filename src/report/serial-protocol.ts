import type { Change, Finding } from '../policy/types.js';
import { summaryLine, type ModuleStatus, type Report, type Summary } from './model.js';

/**
 * The serial console line protocol (docs/serial-protocol.md). One line per event: this prefix,
 * then one JSON object. The version is in the prefix so that a reader can skip lines it does not
 * understand, and a kernel or systemd line can never look like ours.
 */
export const SERIAL_PROTOCOL_VERSION = 1;
export const SERIAL_PREFIX = `gce-firstboot/${SERIAL_PROTOCOL_VERSION} `;
/** Whole line, prefix included, in bytes: well under what serial consoles and log scrapers cut. */
export const MAX_LINE_BYTES = 1000;
export const TRUNCATED_MARK = '...[truncated]';

export type SerialEventKind = 'start' | 'finding' | 'change' | 'error' | 'summary';

/** The JSON object of one line. Empty fields are left out. */
export interface SerialEvent {
  v: number;
  event: SerialEventKind;
  /** The line's place in its pass: start is 0, summary the last. */
  seq?: number;
  time: string;
  instance?: string;
  module?: string;
  key?: string;
  expected?: string;
  actual?: string;
  action?: string;
  /** finding: warning/unsupported/info (drift is the default and left out). */
  severity?: string;
  cause?: string;
  /** finding: false when the module cannot fix it in-guest. */
  fixable?: boolean;
  /** change: the file changed. */
  path?: string;
  /** start and summary: check, apply or dry-run. */
  mode?: Report['mode'];
  /** summary: the counts of the pass. */
  summary?: Summary;
}

/** A module as the serial console carries it: only modules with something to say. */
export interface SerialModule {
  id: string;
  status: ModuleStatus;
  findings: Finding[];
  changes: Change[];
  reason?: string;
  metadataUnreachable?: boolean;
}

/** One pass as the serial console carries it; what `report parse` gives back per instance. */
export interface SerialPass {
  instance?: string;
  time: string;
  mode: Report['mode'];
  summary: Summary;
  modules: SerialModule[];
}

const ERROR_ACTION = { unreachable: 'metadata unreachable', failed: 'failed' } as const;

function hasSomethingToSay(module: Report['modules'][number]): boolean {
  return module.findings.length > 0 || module.changes.length > 0 || module.status === 'failed' || module.metadataUnreachable === true;
}

/** The part of a report the serial lines carry (titles and quiet modules are left out). */
export function serialView(report: Report): SerialPass {
  return withoutUndefined({
    instance: report.instanceId,
    time: report.time,
    mode: report.mode,
    summary: report.summary,
    modules: report.modules.filter(hasSomethingToSay).map((module) =>
      withoutUndefined({
        id: module.id,
        status: module.status,
        findings: module.findings.map((finding) => withoutUndefined({ ...finding })),
        changes: module.changes.map((change) => withoutUndefined({ ...change })),
        reason: module.reason,
        metadataUnreachable: module.metadataUnreachable || undefined,
      }),
    ),
  });
}

function findingEvent(finding: Finding): Partial<SerialEvent> {
  return {
    event: 'finding',
    module: finding.module,
    key: finding.key,
    expected: finding.expected,
    actual: finding.actual,
    severity: finding.severity === 'drift' ? undefined : finding.severity,
    cause: finding.cause,
    fixable: finding.fixable,
  };
}

/** The lines one pass writes: start, its findings, changes and errors, then the summary. */
export function serialLines(report: Report): string[] {
  const common = { time: report.time, instance: report.instanceId };
  const events: Partial<SerialEvent>[] = [{ event: 'start', mode: report.mode }];
  for (const module of report.modules.filter(hasSomethingToSay)) {
    for (const change of module.changes) {
      events.push({ event: 'change', module: module.id, key: change.key, action: change.action, path: change.path });
    }
    for (const finding of module.findings) events.push({ ...findingEvent(finding), module: module.id });
    if (module.metadataUnreachable) {
      events.push({ event: 'error', module: module.id, key: 'metadata', action: ERROR_ACTION.unreachable, actual: module.reason });
    } else if (module.status === 'failed') {
      events.push({ event: 'error', module: module.id, action: ERROR_ACTION.failed, actual: module.reason });
    }
  }
  events.push({ event: 'summary', mode: report.mode, action: summaryLine(report), summary: report.summary });
  return events.map((event, seq) => encodeLine({ v: SERIAL_PROTOCOL_VERSION, event: event.event, seq, ...common, ...event } as SerialEvent));
}

const TRUNCATABLE = ['expected', 'actual', 'cause', 'action', 'key', 'path', 'module', 'instance'] as const;

/** JSON with every non-ASCII character escaped, so the line survives any console encoding. */
function asciiJson(event: SerialEvent): string {
  const present = Object.fromEntries(Object.entries(event).filter(([, item]) => item !== undefined && item !== ''));
  return JSON.stringify(present).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line; the longest text fields are cut (ending in TRUNCATED_MARK) until it fits. */
export function encodeLine(event: SerialEvent): string {
  const current: SerialEvent = { ...event };
  for (;;) {
    const line = SERIAL_PREFIX + asciiJson(current);
    const excess = line.length - MAX_LINE_BYTES;
    if (excess <= 0) return line;
    const longest = TRUNCATABLE.filter((field) => typeof current[field] === 'string' && current[field]!.length > TRUNCATED_MARK.length + 8).sort(
      (a, b) => asciiJson({ [b]: current[b] } as unknown as SerialEvent).length - asciiJson({ [a]: current[a] } as unknown as SerialEvent).length,
    )[0];
    if (!longest) return line;
    const value = [...current[longest]!.replace(new RegExp(`${escapeRegExp(TRUNCATED_MARK)}$`), '')];
    // Escaped characters take up to 6 bytes each: cut generously, then measure again.
    const keep = Math.max(8, value.length - Math.max(1, Math.ceil(excess / 2)) - TRUNCATED_MARK.length);
    current[longest] = value.slice(0, keep).join('') + TRUNCATED_MARK;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

export { ERROR_ACTION };
