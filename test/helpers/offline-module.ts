import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportOf, runCli, type CliResult } from './cli.js';

/** Runs `check` or `apply` for one module on a sandbox root without the metadata server, as JSON. */
export async function runOffline(mode: 'check' | 'apply', moduleId: string, root: string, ...extra: string[]): Promise<CliResult> {
  return runCli([mode, '--root', root, '--only', moduleId, '--offline', '--json', ...extra]);
}

/** The single module's result in a JSON report. */
export function moduleResult(result: CliResult): ReturnType<typeof reportOf>['modules'][number] {
  const modules = reportOf(result).modules;
  if (modules.length !== 1) throw new Error(`expected one module, got ${modules.length}:\n${result.stdout}\n${result.stderr}`);
  return modules[0]!;
}

/** A file under a sandbox root, as text. */
export function readRooted(root: string, guestPath: string): string {
  return readFileSync(path.join(root, guestPath), 'utf8');
}

/** Writes a file under a sandbox root, creating its directories. */
export function writeRooted(root: string, guestPath: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, guestPath)), { recursive: true });
  writeFileSync(path.join(root, guestPath), text);
}
