import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { REPO, sandboxRoot, tempDir } from '../helpers/sandbox.js';

/** The "Exit codes:" paragraph of a command's --help, on one line. */
async function helpExitCodes(command: string): Promise<string> {
  const { stdout } = await runCli([command, '--help']);
  const from = stdout.indexOf('\nExit codes: ');
  if (from < 0) return '';
  const paragraph = stdout.slice(from + '\nExit codes: '.length).split('\n\n')[0]!;
  return paragraph.replace(/\s+/g, ' ').trim();
}

describe('exit codes as --help and the README state them', () => {
  // seal's help text is being rewritten with its root checks (issue 16 item 6, another branch);
  // its README row states that text.
  it.each(['check', 'apply', 'watch', 'image', 'report'])('%s --help states its exit codes, and the README says the same', async (command) => {
    const fromHelp = await helpExitCodes(command);
    expect(fromHelp).toMatch(/^0 /);
    expect(readFileSync(path.join(REPO, 'README.md'), 'utf8')).toContain(`| \`gce-firstboot ${command}\` | ${fromHelp} |`);
  });

  it('no command: the usage, exit 2; --help: exit 0', async () => {
    expect((await runCli([])).exitCode).toBe(2);
    expect((await runCli(['--help'])).exitCode).toBe(0);
  });

  it('apply --dry-run with something to change exits 1, as its help says', async () => {
    const root = sandboxRoot();
    const result = await runCli(['apply', '--dry-run', '--offline', '--root', root, '--only', 'sysctl']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('would fix');
  });

  it('watch with a bad config exits 2 at start, with one line', async () => {
    const config = path.join(tempDir(), 'bad.conf');
    writeFileSync(config, '[core]\nmode = loud\n');
    const result = await runCli(['watch', '--root', sandboxRoot(), '--config', config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('report parse of a directory is a usage error (2) naming it', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'log'));
    const result = await runCli(['report', 'parse', path.join(dir, 'log')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${path.join(dir, 'log')}: cannot read`);
  });
});
