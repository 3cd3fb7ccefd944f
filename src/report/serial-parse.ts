import type { Change, Finding, Severity } from '../policy/types.js';
import type { Summary } from './model.js';
import { shown } from '../text/shown.js';
import {
  ERROR_ACTION,
  SERIAL_PREFIX,
  withoutUndefined,
  type SerialEvent,
  type SerialModule,
  type SerialPass,
} from './serial-protocol.js';

const EVENTS = new Set(['start', 'finding', 'change', 'error', 'summary']);
const SEVERITIES = new Set(['drift', 'warning', 'unsupported', 'info']);
const MODES = new Set(['check', 'apply', 'dry-run']);
/** The time every line of a pass carries: what orders passes (docs/serial-protocol.md). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface ParsedSerialPass extends SerialPass {
  /** False when the pass's own counts disagree with the lines read (some were garbled). */
  complete: boolean;
  /**
   * The parser's verdict: the summary says compliant, and the pass's own lines agree with it
   * (no drift finding, no failed module, counts match, one start and one summary).
   */
  compliant: boolean;
  /** Why the pass's own lines contradict each other (empty for a pass as the agent writes it). */
  problems: string[];
}

/** A line with our prefix where the agent's own write cannot have put it. */
export interface RejectedLine {
  /** 1-based line number in the log. */
  line: number;
  reason: string;
  /** The start of the line, escaped and cut. */
  text: string;
}

export interface SerialLogState {
  /** The latest whole pass of each instance by its own time (key: instance id, or "" when not known). */
  instances: Map<string, ParsedSerialPass>;
  /** Lines with our prefix that could not be read (cut off, garbled, a newer version). */
  unreadable: number;
  /** Lines with our prefix inside another process's line: never believed. */
  rejected: RejectedLine[];
}

export type SerialLineVerdict =
  | { kind: 'foreign' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'unreadable' }
  | { kind: 'event'; event: SerialEvent; body: string };

/** `[    1.234567] ` — what the kernel puts in front of each console line (printk.time=1). */
const KERNEL_STAMP = /^\[\s*\d+\.\d+\] /;
/** `name[pid]: ` — the header journald and syslog daemons put in front of a process's message. */
const PROCESS_HEADER = /\[\d*\]: /;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why the text in front of our prefix shows that the agent did not write the line, or undefined
 * when the agent's write can have landed there: at the line start, or behind a kernel message
 * that was on the console line before it (a kernel line without its end).
 */
function notPlacedByAgent(before: string): string | undefined {
  if (before === '') return undefined;
  if (PROCESS_HEADER.test(before)) return 'inside another process\'s line (name[pid]: header, as journald or syslog forward it)';
  if (CONTROL.test(before)) return 'behind control characters';
  if (!KERNEL_STAMP.test(before)) return 'not at the start of a line';
  return undefined;
}

/** What one console line is to the parser. */
export function classifySerialLine(line: string): SerialLineVerdict {
  const at = line.indexOf(SERIAL_PREFIX);
  if (at < 0) return { kind: 'foreign' };
  const reason = notPlacedByAgent(line.slice(0, at));
  if (reason) return { kind: 'rejected', reason };
  const body = line.slice(at + SERIAL_PREFIX.length).trim();
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: 'unreadable' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'unreadable' };
  const event = value as Record<string, unknown>;
  if (event.v !== 1 || !EVENTS.has(String(event.event)) || typeof event.time !== 'string' || !ISO_TIME.test(event.time)) return { kind: 'unreadable' };
  if (event.instance !== undefined && typeof event.instance !== 'string') return { kind: 'unreadable' };
  if (event.seq !== undefined && !(Number.isSafeInteger(event.seq) && (event.seq as number) >= 0)) return { kind: 'unreadable' };
  return { kind: 'event', event: event as unknown as SerialEvent, body };
}

/**
 * One line's event; undefined when the line is not ours or not where the agent writes (see
 * classifySerialLine for the difference); 'unreadable' when it is ours but cannot be read.
 */
export function parseSerialLine(line: string): SerialEvent | 'unreadable' | undefined {
  const verdict = classifySerialLine(line);
  if (verdict.kind === 'event') return verdict.event;
  return verdict.kind === 'unreadable' ? 'unreadable' : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isSummary(value: unknown): value is Summary {
  const s = value as Record<string, unknown> | undefined;
  return (
    s !== null &&
    typeof s === 'object' &&
    typeof s.compliant === 'boolean' &&
    ['modules', 'drift', 'changes', 'failed', 'skipped'].every((key) => Number.isInteger(s[key]) && (s[key] as number) >= 0) &&
    typeof s.metadataUnreachable === 'boolean'
  );
}

/** The lines of one pass: every accepted line with its instance and time, each distinct line once. */
interface PassLines {
  instance: string;
  time: string;
  lines: { event: SerialEvent; at: number }[];
  seen: Set<string>;
}

function buildModules(events: readonly SerialEvent[]): SerialModule[] {
  const modules = new Map<string, SerialModule>();
  for (const event of events) {
    const id = text(event.module);
    if (!id) continue;
    let module = modules.get(id);
    if (!module) {
      module = { id, status: 'compliant', findings: [], changes: [] };
      modules.set(id, module);
    }
    if (event.event === 'change') {
      module.changes.push(withoutUndefined<Change>({ module: id, key: text(event.key) ?? '', action: text(event.action) ?? '', path: text(event.path) }));
    } else if (event.event === 'finding') {
      const severity = SEVERITIES.has(String(event.severity)) ? (event.severity as Severity) : undefined;
      module.findings.push(
        withoutUndefined<Finding>({
          module: id,
          key: text(event.key) ?? '',
          expected: text(event.expected) ?? '',
          actual: text(event.actual) ?? '',
          severity,
          cause: text(event.cause),
          fixable: typeof event.fixable === 'boolean' ? event.fixable : undefined,
        }),
      );
    } else if (event.event === 'error') {
      // A failure is never overwritten by a later "unreachable" line of the same module.
      if (module.status !== 'failed') module.status = event.action === ERROR_ACTION.failed ? 'failed' : 'skipped';
      if (event.action === ERROR_ACTION.unreachable) module.metadataUnreachable = true;
      if (text(event.actual) !== undefined) module.reason = text(event.actual);
    }
  }
  return [...modules.values()].map((module) => {
    if (module.status === 'failed' || module.status === 'skipped') return module;
    const drifted = module.findings.some((finding) => (finding.severity ?? 'drift') === 'drift');
    return { ...module, status: drifted ? 'drift' : module.changes.length ? 'applied' : 'compliant' };
  });
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The lines' own numbering (`seq`: start 0, summary last): each number once, none after the
 * summary. Lines of an agent older than the field carry none; then only the counts are checked.
 */
function sequenceCheck(events: readonly SerialEvent[], start: SerialEvent, summary: SerialEvent): { problems: string[]; missing: number } {
  const numbered = events.filter((event) => event.seq !== undefined);
  if (numbered.length === 0) return { problems: [], missing: 0 };
  if (numbered.length < events.length) return { problems: [`${plural(events.length - numbered.length, 'line')} without a sequence number among numbered ones`], missing: 0 };
  const problems: string[] = [];
  const counts = new Map<number, number>();
  for (const event of events) counts.set(event.seq!, (counts.get(event.seq!) ?? 0) + 1);
  const reused = [...counts.values()].filter((count) => count > 1).length;
  if (reused) problems.push(`${plural(reused, 'sequence number')} used by different lines`);
  if (start.seq !== 0) problems.push(`start line numbered ${start.seq}, not 0`);
  const last = summary.seq!;
  const after = [...counts.keys()].filter((seq) => seq > last).length;
  if (after) problems.push(`${plural(after, 'line')} numbered after the summary`);
  const missing = last + 1 - [...counts.keys()].filter((seq) => seq <= last).length;
  return { problems, missing };
}

/** A whole pass (a start and a summary) with the parser's verdict; undefined when not whole. */
function finishPass(pass: PassLines): ParsedSerialPass | undefined {
  const starts = pass.lines.filter((line) => line.event.event === 'start');
  const summaries = pass.lines.filter((line) => line.event.event === 'summary' && isSummary(line.event.summary));
  if (starts.length === 0 || summaries.length === 0) return undefined;
  const start = starts[0]!;
  const summaryLine = summaries.at(-1)!;
  const summary = summaryLine.event.summary!;
  const body = pass.lines.filter((line) => line.event.event !== 'start' && line.event.event !== 'summary');
  const modules = buildModules(body.map((line) => line.event));
  const problems: string[] = [];
  if (starts.length > 1) problems.push(`${plural(starts.length, 'start line')} for one pass`);
  if (summaries.length > 1) problems.push(`${plural(summaries.length, 'summary line')} for one pass`);
  const outside = pass.lines.filter((line) => line.at < start.at || line.at > summaryLine.at).length;
  if (outside > 0) problems.push(`${plural(outside, 'line')} of this pass outside its start…summary`);
  const sequence = sequenceCheck(pass.lines.map((line) => line.event), start.event, summaryLine.event);
  problems.push(...sequence.problems);

  const driftRead = modules.flatMap((m) => m.findings).filter((f) => (f.severity ?? 'drift') === 'drift').length;
  const changesRead = modules.reduce((sum, m) => sum + m.changes.length, 0);
  const failedRead = modules.filter((m) => m.status === 'failed').length;
  const unreachableRead = modules.some((m) => m.metadataUnreachable === true);
  const countsAgree = driftRead === summary.drift && changesRead === summary.changes;
  const complete = countsAgree && sequence.missing === 0;
  if (sequence.missing) problems.push(`${plural(sequence.missing, 'line')} of its sequence missing`);
  if (!countsAgree) problems.push(`summary counts ${summary.drift} drift, ${summary.changes} changes; its lines show ${driftRead} and ${changesRead}`);
  if (failedRead > summary.failed) problems.push(`summary counts ${summary.failed} failed modules; its lines show ${failedRead}`);
  if (unreachableRead && !summary.metadataUnreachable) problems.push('summary says the metadata server was reached; a line of it says unreachable');
  const linesSayCompliant = driftRead === 0 && failedRead === 0 && !unreachableRead;
  if (summary.compliant && !linesSayCompliant) {
    problems.push(`summary says compliant; its lines show ${plural(driftRead, 'drift finding')}, ${plural(failedRead, 'failed module')}${unreachableRead ? ', metadata unreachable' : ''}`);
  }
  const mode = MODES.has(String(start.event.mode)) ? start.event.mode! : 'check';
  return {
    ...withoutUndefined({ instance: text(start.event.instance), time: pass.time, mode, summary, modules }),
    complete,
    compliant: summary.compliant && linesSayCompliant && problems.length === 0,
    problems,
  };
}

/** Reads a log into its accepted events by pass, counting what it could not read or did not believe. */
function collect(log: string): { passes: PassLines[]; unreadable: number; rejected: RejectedLine[] } {
  const passes = new Map<string, PassLines>();
  const rejected: RejectedLine[] = [];
  let unreadable = 0;
  // Only a newline ends a line: a lone CR inside another program's line does not start ours.
  const lines = log.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r+$/, '');
    const verdict = classifySerialLine(line);
    if (verdict.kind === 'foreign') continue;
    if (verdict.kind === 'unreadable') {
      unreadable++;
      continue;
    }
    if (verdict.kind === 'rejected') {
      rejected.push({ line: index + 1, reason: verdict.reason, text: shown(line) });
      continue;
    }
    const instance = text(verdict.event.instance) ?? '';
    const key = JSON.stringify([instance, verdict.event.time]);
    let pass = passes.get(key);
    if (!pass) {
      pass = { instance, time: verdict.event.time, lines: [], seen: new Set() };
      passes.set(key, pass);
    }
    // The same line twice (overlapping captures of the port) says nothing new.
    if (pass.seen.has(verdict.body)) continue;
    pass.seen.add(verdict.body);
    pass.lines.push({ event: verdict.event, at: index });
  }
  return { passes: [...passes.values()], unreadable, rejected };
}

/** Every whole pass in a log, oldest first by the pass's own time (then by where its summary is). */
export function parseSerialPasses(log: string): { passes: ParsedSerialPass[]; unreadable: number; rejected: RejectedLine[] } {
  const { passes, unreadable, rejected } = collect(log);
  const whole: { pass: ParsedSerialPass; order: number; at: number }[] = [];
  let unreadableSummaries = 0;
  for (const lines of passes) {
    const badSummaries = lines.lines.filter((line) => line.event.event === 'summary' && !isSummary(line.event.summary)).length;
    unreadableSummaries += badSummaries;
    const pass = finishPass(lines);
    if (!pass) continue;
    const at = Math.max(...lines.lines.filter((line) => line.event.event === 'summary').map((line) => line.at));
    whole.push({ pass, order: Date.parse(lines.time), at });
  }
  whole.sort((a, b) => a.order - b.order || a.at - b.at);
  return { passes: whole.map((item) => item.pass), unreadable: unreadable + unreadableSummaries, rejected };
}

/**
 * Reads a captured serial log (get-serial-port-output, with the kernel's and other programs'
 * lines, CRLF, cut-off lines) and keeps the latest whole pass of each instance, by the passes'
 * own time, not by where they sit in the log.
 */
export function parseSerialLog(log: string): SerialLogState {
  const { passes, unreadable, rejected } = parseSerialPasses(log);
  const instances = new Map<string, ParsedSerialPass>();
  for (const pass of passes) instances.set(pass.instance ?? '', pass);
  return { instances, unreadable, rejected };
}
