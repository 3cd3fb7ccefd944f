import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { reportOf, runCli } from '../helpers/cli.js';
import { FIXTURE_ROOTS, tempDir } from '../helpers/sandbox.js';

describe('a --root that is not a directory', () => {
  it('check --root /nonexistent and check --root FILE: one-line usage error, exit 2', async () => {
    const missing = await runCli(['check', '--root', '/nonexistent-gfb-root', '--offline']);
    expect([missing.exitCode, missing.stderr]).toEqual([2, 'gce-firstboot: --root /nonexistent-gfb-root: no such directory']);
    const file = path.join(tempDir(), 'disk.raw');
    writeFileSync(file, '');
    const onFile = await runCli(['apply', '--root', file, '--offline']);
    expect([onFile.exitCode, onFile.stderr]).toEqual([2, `gce-firstboot: --root ${file}: not a directory`]);
  });

  it('check, apply and watch --root on a directory holding no installed system: one-line usage error, exit 2, nothing created', async () => {
    const empty = tempDir();
    for (const command of [['check'], ['apply'], ['watch']]) {
      const result = await runCli([...command, '--root', empty, '--offline']);
      expect([result.exitCode, result.stderr]).toEqual([2, `gce-firstboot: --root ${empty}: not an installed system (no /etc/os-release or /usr/lib/os-release)`]);
    }
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe('an image whose /etc is a link to /etc (only reads: a wrong resolver would read the build host)', () => {
  /** Inside the image, /etc -> /etc is a loop, as it would be under chroot; the build host's /etc is never it. */
  function etcLinkedToSlashEtc(): string {
    const root = path.join(tempDir('gfb-etc-link-'), 'root');
    cpSync(path.join(FIXTURE_ROOTS, 'debian-12'), root, { recursive: true, verbatimSymlinks: true });
    mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
    cpSync(path.join(root, 'etc/os-release'), path.join(root, 'usr/lib/os-release'));
    rmSync(path.join(root, 'etc'), { recursive: true });
    symlinkSync('/etc', path.join(root, 'etc'));
    return root;
  }

  it('seal --dry-run stops on the loop with one line and lists nothing of the build host', async () => {
    const result = await runCli(['seal', '--root', etcLinkedToSlashEtc(), '--dry-run']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/^gce-firstboot: \/etc\/ssh: too many levels of symbolic links \(more than 40\) under \S+$/);
    expect(result.stdout).toBe('');
  });

  it('check reports each module that met the loop as failed, naming the path, and shows nothing of the build host', async () => {
    const root = etcLinkedToSlashEtc();
    const bare = await runCli(['check', '--root', root, '--offline']);
    expect([bare.exitCode, bare.stderr]).toEqual([4, `gce-firstboot: /etc/gce-firstboot/gce-firstboot.conf: too many levels of symbolic links (more than 40) under ${root}`]);
    const config = path.join(tempDir(), 'gce-firstboot.conf');
    writeFileSync(config, '');
    const result = await runCli(['check', '--root', root, '--offline', '--config', config, '--only', 'sshd,timezone', '--json']);
    expect(result.exitCode, result.stderr).toBe(4);
    expect(reportOf(result).modules.map((module) => `${module.id} ${module.status}: ${module.reason}`)).toEqual([
      `sshd failed: /etc/crypto-policies/config: too many levels of symbolic links (more than 40) under ${root}`,
      `timezone failed: /etc/debian_version: too many levels of symbolic links (more than 40) under ${root}`,
    ]);
  });
});

describe('an image whose serial port is a FIFO', () => {
  it('apply warns once that the port is unavailable and finishes, instead of waiting for a reader', async () => {
    const root = path.join(tempDir('gfb-fifo-'), 'root');
    cpSync(path.join(FIXTURE_ROOTS, 'debian-12'), root, { recursive: true, verbatimSymlinks: true });
    mkdirSync(path.join(root, 'dev'));
    await execa('mkfifo', [path.join(root, 'dev/ttyS0')]);
    const result = await runCli(['apply', '--root', root, '--offline', '--only', 'timezone']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/serial console unavailable: \S+\/dev\/ttyS0: a FIFO, not a serial port/);
  });
});

describe('an image whose serial port is a link to a system file', () => {
  it.each([
    ['absolute', '/etc/shadow', 'etc/shadow'],
    ['relative, climbing out', '../../../../etc/passwd', 'etc/passwd'],
  ])('/dev/ttyS0 -> %s: the file keeps its bytes, one warning, the pass finishes', async (_kind, target, inImage) => {
    const root = path.join(tempDir('gfb-ttylink-'), 'root');
    cpSync(path.join(FIXTURE_ROOTS, 'debian-12'), root, { recursive: true, verbatimSymlinks: true });
    mkdirSync(path.join(root, 'dev'));
    writeFileSync(path.join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    const before = readFileSync(path.join(root, inImage), 'utf8');
    symlinkSync(target, path.join(root, 'dev/ttyS0'));
    const result = await runCli(['apply', '--root', root, '--offline', '--only', 'timezone']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`serial console unavailable: \\S+: a regular file under /etc \\(/${inImage}\\), not a serial port; nothing written`));
    expect(readFileSync(path.join(root, inImage), 'utf8')).toBe(before);
  });

  it('a serial_port in the config that names a system file, or climbs with .., is refused as the config is read: one line, exit 2', async () => {
    const root = path.join(tempDir('gfb-ttyconf-'), 'root');
    cpSync(path.join(FIXTURE_ROOTS, 'debian-12'), root, { recursive: true, verbatimSymlinks: true });
    const passwd = readFileSync(path.join(root, 'etc/passwd'), 'utf8');
    for (const [value, message] of [
      ['/etc/passwd', /\[core\] serial_port: "\/etc\/passwd": under \/etc, where the system's files are/],
      ['/dev/../etc/passwd', /\[core\] serial_port: "\/dev\/\.\.\/etc\/passwd": no \.\. in the path/],
      ['ttyS0', /\[core\] serial_port: "ttyS0": expected an absolute path/],
    ] as const) {
      const config = path.join(tempDir(), 'gce-firstboot.conf');
      writeFileSync(config, `[core]\nserial_port = ${value}\n`);
      const result = await runCli(['check', '--root', root, '--offline', '--only', 'timezone', '--config', config]);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
    expect(readFileSync(path.join(root, 'etc/passwd'), 'utf8')).toBe(passwd);
  });
});
