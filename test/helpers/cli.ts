import path from 'node:path';
import { execa } from 'execa';
import { REPO } from './sandbox.js';

export const CLI = path.join(REPO, 'dist/src/cli/main.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (tests run after `npm run build`). */
export async function runCli(args: readonly string[], options: { env?: Record<string, string>; prefix?: string[] } = {}): Promise<CliResult> {
  const [command, ...commandArgs] = [...(options.prefix ?? []), process.execPath, CLI, ...args];
  const result = await execa(command!, commandArgs, {
    reject: false,
    env: { GCE_METADATA_HOST: '127.0.0.1:9', ...options.env },
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The JSON report of a `--json` run. */
export function reportOf(result: CliResult): { summary: { compliant: boolean; changes: number; drift: number }; modules: { id: string; status: string; findings: { key: string; severity?: string; expected: string; actual: string; cause?: string }[]; changes: { key: string }[]; reason?: string }[] } {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`not JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
}
