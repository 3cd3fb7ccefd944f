import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';

// 127.0.0.1:9 refuses at once: the check logs a warning about the metadata server (after a
// 1 s boot deadline instead of 30).
function check(level: string, env: Record<string, string>) {
  const config = path.join(tempDir('gfb-log-'), 'gce-firstboot.conf');
  writeFileSync(config, '[core]\nboot_deadline_sec = 1\n');
  return runCli(['check', '--root', sandboxRoot(), '--metadata-host', '127.0.0.1:9', '--config', config, '--log-level', level], { env });
}

describe('log lines', () => {
  it('under systemd, every line carries its journal priority and no other decoration', async () => {
    const { stderr } = await check('debug', { JOURNAL_STREAM: '8:12345' });
    const lines = stderr.trim().split('\n');
    expect(lines.every((line) => /^<[3467]>\S/.test(line))).toBe(true);
    expect(lines).toContain('<7>coexistence: check');
    expect(lines.some((line) => line.startsWith('<4>instance id not known: metadata server 127.0.0.1:9 unreachable'))).toBe(true);
  });

  it('under systemd at the default level, no debug lines reach the journal', async () => {
    const { stderr } = await check('info', { JOURNAL_STREAM: '8:12345' });
    expect(stderr).toContain('<4>instance id not known');
    expect(stderr).not.toContain('<7>');
  });

  it('on a terminal, the short human form; debug lines only when asked for', async () => {
    const quiet = await check('info', { JOURNAL_STREAM: '' });
    expect(quiet.stderr).toMatch(/^gce-firstboot: warn: instance id not known: metadata server 127\.0\.0\.1:9 unreachable/m);
    expect(quiet.stderr).not.toContain('debug:');
    expect(quiet.stderr).not.toMatch(/^</m);
    const verbose = await check('debug', { JOURNAL_STREAM: '' });
    expect(verbose.stderr).toMatch(/^gce-firstboot: debug: coexistence: check$/m);
  });

  it('a file name in the image cannot start a journal line of its own (forged priority)', async () => {
    // An image whose ssh_config.d holds a `Match exec` in a file whose name carries a newline and
    // a journal priority: apply logs where it did not run the exec, naming the file.
    const root = sandboxRoot();
    mkdirSync(path.join(root, 'etc/ssh/ssh_config.d'), { recursive: true });
    const name = 'x\n<0>gce-firstboot: FORGED emergency.conf';
    writeFileSync(path.join(root, 'etc/ssh/ssh_config.d', name), 'Match exec "true"\n  ForwardX11 no\n');
    const { stderr } = await runCli(['apply', '--root', root, '--stage', 'early', '--only', 'sshd', '--log-level', 'info'], { env: { JOURNAL_STREAM: '8:12345' } });
    const lines = stderr.trim().split('\n');
    const named = lines.filter((line) => line.includes('FORGED'));
    expect(named.length).toBeGreaterThan(0);
    expect(named.every((line) => line.startsWith('<6>sshd: validated') && line.includes('x\\n<0>gce-firstboot: FORGED'))).toBe(true);
    expect(lines.filter((line) => line.startsWith('<0>'))).toEqual([]);
  });
});
