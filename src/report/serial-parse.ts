import type { Change, Finding, Severity } from '../policy/types.js';
import type { Summary } from './model.js';
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

export interface ParsedSerialPass extends SerialPass {
  /** False when the pass's own counts disagree with the lines read (some were garbled). */
  complete: boolean;
}

export interface SerialLogState {
  /** The latest whole pass of each instance (key: instance id, or "" when not known). */
  instances: Map<string, ParsedSerialPass>;
  /** Lines with our prefix that could not be read (cut off, garbled, a newer version). */
  unreadable: number;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** One line's event, or undefined when the line is not ours or cannot be read. */
export function parseSerialLine(line: string): SerialEvent | 'unreadable' | undefined {
  const at = line.indexOf(SERIAL_PREFIX);
  if (at < 0) return undefined;
  const body = line.slice(at + SERIAL_PREFIX.length).trim();
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'unreadable';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'unreadable';
  const event = value as Record<string, unknown>;
  if (event.v !== 1 || !EVENTS.has(String(event.event)) || typeof event.time !== 'string') return 'unreadable';
  return event as unknown as SerialEvent;
}

function isSummary(value: unknown): value is Summary {
  const s = value as Record<string, unknown> | undefined;
  return (
    s !== null &&
    typeof s === 'object' &&
    typeof s.compliant === 'boolean' &&
    ['modules', 'drift', 'changes', 'failed', 'skipped'].every((key) => typeof s[key] === 'number') &&
    typeof s.metadataUnreachable === 'boolean'
  );
}

class PassBuilder {
  private modules = new Map<string, SerialModule>();

  constructor(private readonly start: SerialEvent) {}

  private module(id: string): SerialModule {
    let module = this.modules.get(id);
    if (!module) {
      module = { id, status: 'compliant', findings: [], changes: [] };
      this.modules.set(id, module);
    }
    return module;
  }

  add(event: SerialEvent): void {
    const id = text(event.module);
    if (!id) return;
    const module = this.module(id);
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
      module.status = event.action === ERROR_ACTION.failed ? 'failed' : 'skipped';
      if (event.action === ERROR_ACTION.unreachable) module.metadataUnreachable = true;
      if (text(event.actual) !== undefined) module.reason = text(event.actual);
    }
  }

  finish(summaryEvent: SerialEvent): ParsedSerialPass | undefined {
    if (!isSummary(summaryEvent.summary)) return undefined;
    const modules = [...this.modules.values()].map((module) => {
      if (module.status === 'failed' || module.status === 'skipped') return module;
      const drifted = module.findings.some((finding) => (finding.severity ?? 'drift') === 'drift');
      return { ...module, status: drifted ? 'drift' : module.changes.length ? 'applied' : 'compliant' } as SerialModule;
    });
    const summary = summaryEvent.summary;
    const driftRead = modules.flatMap((m) => m.findings).filter((f) => (f.severity ?? 'drift') === 'drift').length;
    const changesRead = modules.reduce((sum, m) => sum + m.changes.length, 0);
    const mode = MODES.has(String(this.start.mode)) ? this.start.mode! : 'check';
    return {
      ...withoutUndefined({ instance: text(this.start.instance), time: this.start.time, mode, summary, modules }),
      complete: driftRead === summary.drift && changesRead === summary.changes,
    };
  }
}

/**
 * Reads a captured serial log (get-serial-port-output, with the kernel's and other programs'
 * lines, CRLF, cut-off lines) and keeps the latest whole pass of each instance.
 */
export function parseSerialLog(log: string): SerialLogState {
  const instances = new Map<string, ParsedSerialPass>();
  const open = new Map<string, PassBuilder>();
  let unreadable = 0;
  for (const line of log.split(/\r\n|\r|\n/)) {
    const event = parseSerialLine(line);
    if (event === undefined) continue;
    if (event === 'unreadable') {
      unreadable++;
      continue;
    }
    const instance = text(event.instance) ?? '';
    if (event.event === 'start') {
      open.set(instance, new PassBuilder(event));
      continue;
    }
    const builder = open.get(instance);
    if (!builder) continue;
    if (event.event === 'summary') {
      open.delete(instance);
      const pass = builder.finish(event);
      if (pass) instances.set(instance, pass);
      else unreadable++;
      continue;
    }
    builder.add(event);
  }
  return { instances, unreadable };
}
