import { existsSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const run = (command: string, root: string, ...rest: string[]) => runCli([command, '--root', root, '--only', 'timezone', '--json', ...rest]);

describe('timezone module', () => {
  it('a stock Debian 12 root (Etc/UTC) is already compliant', async () => {
    const result = await run('check', sandboxRoot());
    expect(result.exitCode, result.stdout).toBe(0);
  });

  it('a root on another zone drifts, apply links UTC and writes /etc/timezone, then a second apply changes nothing', async () => {
    const root = sandboxRoot();
    unlinkSync(path.join(root, 'etc/localtime'));
    symlinkSync('/usr/share/zoneinfo/America/New_York', path.join(root, 'etc/localtime'));
    writeFileSync(path.join(root, 'etc/timezone'), 'America/New_York\n');
    const check = await run('check', root);
    expect(check.exitCode).toBe(1);
    expect(reportOf(check).modules[0]!.findings.map((f) => f.key)).toEqual(['/etc/localtime', '/etc/timezone']);

    const applied = await run('apply', root);
    expect(applied.exitCode, applied.stdout).toBe(0);
    expect(readlinkSync(path.join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    expect(readFileSync(path.join(root, 'etc/timezone'), 'utf8')).toBe('Etc/UTC\n');
    expect(readlinkSync(path.join(root, 'var/lib/gce-firstboot/backup/etc/localtime'))).toBe('/usr/share/zoneinfo/America/New_York');
    expect(reportOf(await run('apply', root)).summary.changes).toBe(0);
  });

  it('a copied zone file in place of the link is replaced by the link', async () => {
    const root = sandboxRoot();
    unlinkSync(path.join(root, 'etc/localtime'));
    writeFileSync(path.join(root, 'etc/localtime'), readFileSync(path.join(root, 'usr/share/zoneinfo/Etc/UTC')));
    expect(reportOf(await run('check', root)).modules[0]!.findings[0]!.actual).toBe('a copied zone file');
    expect((await run('apply', root)).exitCode).toBe(0);
    expect(readlinkSync(path.join(root, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
  });

  it('a RHEL-like root without /etc/timezone gets only the link', async () => {
    const root = sandboxRoot();
    rmSync(path.join(root, 'etc/debian_version'));
    rmSync(path.join(root, 'etc/timezone'));
    unlinkSync(path.join(root, 'etc/localtime'));
    expect((await run('apply', root)).exitCode).toBe(0);
    expect(existsSync(path.join(root, 'etc/timezone'))).toBe(false);
  });

  it('without tzdata it warns but does not count that as drift', async () => {
    const root = sandboxRoot();
    rmSync(path.join(root, 'usr/share/zoneinfo'), { recursive: true });
    const result = await run('apply', root);
    expect(result.exitCode).toBe(0);
    expect(reportOf(result).modules[0]!.findings).toEqual([expect.objectContaining({ key: 'tzdata', severity: 'warning' })]);
  });
});
