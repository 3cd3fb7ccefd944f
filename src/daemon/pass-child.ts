import { spawn } from 'node:child_process';
import path from 'node:path';
import { PASS_STOPPED_EXIT, type PassInput, type PassOutcome } from './pass-outcome.js';

export type ChildPassResult =
  | { kind: 'done'; outcome: PassOutcome }
  /** The pass was told to stop (the daemon's stop, or SIGTERM to the unit's control group). */
  | { kind: 'stopped' }
  /** The configuration (or an option) is wrong: exit 2. */
  | { kind: 'config-error' }
  /** Crashed, failed, killed, or over its budget: `reason` says which, for the serial console. */
  | { kind: 'failed'; reason: string };

export interface ChildPassOptions {
  /** The daemon's own arguments, handed on (common options). */
  args: readonly string[];
  input: PassInput;
  /** How long the pass may take, ms; then it is stopped like at SIGTERM. */
  budgetMs: number;
  /** Between SIGTERM and SIGKILL, ms. */
  graceMs: number;
  /** The daemon's stop. */
  signal: AbortSignal;
}

const EXIT_USAGE = 2;
const REASON_MAX = 300;

/** This executable: the SEA binary alone, or node and the script it runs. */
function selfCommand(): string[] {
  const script = process.argv[1];
  const isScript = script !== undefined && path.resolve(script) !== process.execPath;
  return isScript ? [...process.execArgv, script] : [...process.execArgv];
}

/** The last line a process wrote, without the journal priority or our name. */
function lastLine(text: string): string {
  const line = text.trimEnd().split('\n').pop() ?? '';
  return line.replace(/^<\d>/, '').replace(/^gce-firstboot: /, '').slice(0, REASON_MAX);
}

/** The outcome line: the last JSON object on stdout (node flags such as --trace-gc may add lines). */
function outcomeIn(stdout: string): PassOutcome | undefined {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as PassOutcome;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Runs one daemon pass as `<self> watch --one-pass ...` and waits for it. Its stderr goes on to
 * ours (the journal); its stdout is the outcome. The resident daemon thus keeps none of what a
 * pass loads (got, execa, the policy modules, their JIT code and heap).
 */
export function runChildPass(options: ChildPassOptions): Promise<ChildPassResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...selfCommand(), 'watch', '--one-pass', ...options.args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    let overBudget = false;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (): void => {
      if (child.exitCode !== null || child.signalCode !== null || killTimer) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.graceMs);
    };
    const budget = setTimeout(() => {
      overBudget = true;
      terminate();
    }, options.budgetMs);
    options.signal.addEventListener('abort', terminate, { once: true });
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(options.input));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    const finish = (result: ChildPassResult): void => {
      clearTimeout(budget);
      clearTimeout(killTimer);
      options.signal.removeEventListener('abort', terminate);
      resolve(result);
    };
    child.on('error', (error) => finish({ kind: 'failed', reason: `the pass process could not start: ${error.message}` }));
    child.on('close', (code, signalName) => {
      const said = lastLine(stderrTail);
      if (overBudget) return finish({ kind: 'failed', reason: `the pass took longer than ${Math.round(options.budgetMs / 1000)} s and was stopped` });
      if (options.signal.aborted || code === PASS_STOPPED_EXIT) return finish({ kind: 'stopped' });
      if (code === EXIT_USAGE) return finish({ kind: 'config-error' });
      if (code === 0) {
        const outcome = outcomeIn(stdout);
        return finish(outcome ? { kind: 'done', outcome } : { kind: 'failed', reason: 'the pass process ended without a result' });
      }
      const how = signalName ? `was killed by ${signalName}` : `exited with code ${code}`;
      finish({ kind: 'failed', reason: `the pass process ${how}${said ? `: ${said}` : ''}` });
    });
  });
}
