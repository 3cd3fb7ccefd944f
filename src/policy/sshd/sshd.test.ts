import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const SERVER_DROP_IN = 'etc/ssh/sshd_config.d/10-gce-firstboot.conf';
const CLIENT_DROP_IN = 'etc/ssh/ssh_config.d/10-gce-firstboot.conf';
const run = (command: string, root: string, ...rest: string[]) => runCli([command, '--root', root, '--stage', 'early', '--only', 'sshd', '--json', ...rest]);
const read = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8');

describe('sshd module', () => {
  it('writes drop-ins on a stock Debian 12 root, leaves the vendor files alone, and is idempotent', async () => {
    const root = sandboxRoot('debian-12');
    const vendor = { server: read(root, 'etc/ssh/sshd_config'), client: read(root, 'etc/ssh/ssh_config') };
    const before = await run('check', root);
    expect(before.exitCode).toBe(1);
    expect(reportOf(before).modules[0]!.findings.map((f) => [f.key, f.severity ?? 'drift'])).toEqual([
      [`/${SERVER_DROP_IN}`, 'drift'],
      [`/${CLIENT_DROP_IN}`, 'drift'],
    ]);

    const applied = await run('apply', root);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const server = read(root, SERVER_DROP_IN);
    for (const line of ['PasswordAuthentication no', 'PermitRootLogin no', 'PermitTunnel no', 'X11Forwarding no', 'HostbasedAuthentication no', 'ClientAliveInterval 420']) {
      expect(server.split('\n')).toContain(line);
    }
    // OpenSSH's default already: written first it could only undo a stricter choice.
    expect(server).not.toMatch(/AllowTcpForwarding/i);
    const client = read(root, CLIENT_DROP_IN).split('\n');
    expect(client).toEqual(expect.arrayContaining(['ForwardAgent no', 'ForwardX11 no', 'HostbasedAuthentication no', 'ServerAliveInterval 420', 'Tunnel no']));
    expect(client.join('\n')).not.toMatch(/Ciphers/i);
    expect(reportOf(applied).modules[0]!.findings.filter((f) => f.severity === 'warning')).toEqual([]);
    expect(read(root, 'etc/ssh/sshd_config')).toBe(vendor.server);
    expect(read(root, 'etc/ssh/ssh_config')).toBe(vendor.client);
    expect(readdirSync(path.join(root, 'var/lib/gce-firstboot/tmp'))).toEqual([]);

    expect((await run('check', root)).exitCode).toBe(0);
    const again = await run('apply', root);
    expect(reportOf(again).summary.changes).toBe(0);
    expect(read(root, SERVER_DROP_IN)).toBe(server);
  });

  it('puts a managed block at the top when sshd_config has no Include, keeping every other byte', async () => {
    const root = sandboxRoot('debian-12');
    const original = '# site config\r\nPort 22\r\nUsePAM yes\r\nMatch User backup\r\n\tX11Forwarding yes';
    writeFileSync(path.join(root, 'etc/ssh/sshd_config'), original);
    const applied = await run('apply', root, '--config', clientOff());
    expect(applied.exitCode, applied.stderr).toBe(0);
    const text = read(root, 'etc/ssh/sshd_config');
    expect(text.startsWith('# BEGIN gce-firstboot managed block (do not edit between these lines)\r\nPasswordAuthentication no\r\n')).toBe(true);
    expect(text.endsWith(`# END gce-firstboot managed block\r\n${original}`)).toBe(true);
    expect(existsSync(path.join(root, SERVER_DROP_IN))).toBe(false);
    expect((await run('check', root, '--config', clientOff())).exitCode).toBe(0);
    expect(reportOf(await run('apply', root, '--config', clientOff())).summary.changes).toBe(0);
    expect(read(root, 'etc/ssh/sshd_config')).toBe(text);
  });

  it('the admin set PasswordAuthentication yes above the Include: an override, named, left alone', async () => {
    const root = sandboxRoot('debian-12');
    const file = path.join(root, 'etc/ssh/sshd_config');
    const edited = `PasswordAuthentication yes\n${readFileSync(file, 'utf8')}`;
    writeFileSync(file, edited);
    const result = await run('apply', root, '--config', clientOff());
    expect(result.exitCode, result.stderr).toBe(0);
    const findings = reportOf(result).modules[0]!.findings.filter((f) => f.key === 'sshd_config PasswordAuthentication');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ expected: 'no', actual: 'yes', severity: 'info' });
    expect(findings[0]!.cause).toContain('override: /etc/ssh/sshd_config:1 sets it before the Include');
    expect(readFileSync(file, 'utf8')).toBe(edited);
    expect(read(root, SERVER_DROP_IN)).toContain('PasswordAuthentication no\n');
  });

  it('the image author\'s drop-in sorting first sets X11Forwarding yes: reported once as an override, never fought in enforce passes', async () => {
    const root = sandboxRoot('debian-12');
    mkdirSync(path.join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
    const theirs = path.join(root, 'etc/ssh/sshd_config.d/00-local.conf');
    writeFileSync(theirs, '# mine\nX11Forwarding yes\n');
    const first = await run('apply', root, '--config', clientOff());
    expect(first.exitCode, first.stderr).toBe(0);
    const ours = read(root, SERVER_DROP_IN);
    for (const pass of [first, await run('apply', root, '--config', clientOff()), await run('check', root, '--config', clientOff())]) {
      const findings = reportOf(pass).modules[0]!.findings;
      expect(findings.filter((f) => f.key.endsWith('X11Forwarding'))).toEqual([
        expect.objectContaining({ key: 'sshd_config X11Forwarding', expected: 'no', actual: 'yes', severity: 'info', cause: expect.stringContaining('override: /etc/ssh/sshd_config.d/00-local.conf:2 sets it first') }),
      ]);
      expect(reportOf(pass).summary.compliant).toBe(true);
    }
    expect(readFileSync(theirs, 'utf8')).toBe('# mine\nX11Forwarding yes\n');
    expect(read(root, SERVER_DROP_IN)).toBe(ours);
  });

  it('leaves an sshd_config that sshd -t rejects untouched and fails the module', async () => {
    const root = sandboxRoot('debian-12');
    const file = path.join(root, 'etc/ssh/sshd_config');
    const broken = `${readFileSync(file, 'utf8')}NoSuchOption yes\n`;
    writeFileSync(file, broken);
    const result = await run('apply', root, '--config', clientOff());
    expect(result.exitCode).toBe(4);
    expect(reportOf(result).modules[0]!.reason).toContain('NoSuchOption');
    expect(readFileSync(file, 'utf8')).toBe(broken);
    expect(existsSync(path.join(root, SERVER_DROP_IN))).toBe(false);
  });

  it('refuses to rewrite a file whose managed block lost a marker', async () => {
    const root = sandboxRoot('debian-12');
    const broken = '# BEGIN gce-firstboot managed block (do not edit between these lines)\nPasswordAuthentication no\nPort 22\n';
    writeFileSync(path.join(root, 'etc/ssh/sshd_config'), broken);
    const result = await run('apply', root, '--config', clientOff());
    expect(result.exitCode).toBe(1);
    expect(reportOf(result).modules[0]!.findings[0]!.actual).toContain('left untouched');
    expect(read(root, 'etc/ssh/sshd_config')).toBe(broken);
  });

  it('wins over RHEL 9\'s 50-redhat.conf (X11Forwarding yes) by sorting first, without editing it', async () => {
    const root = sandboxRoot('rhel-9');
    const redhat = read(root, 'etc/ssh/sshd_config.d/50-redhat.conf');
    const applied = await run('apply', root);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(read(root, SERVER_DROP_IN)).toContain('X11Forwarding no\n');
    expect(read(root, CLIENT_DROP_IN)).toContain('ForwardAgent no\n');
    expect(read(root, 'etc/ssh/sshd_config.d/50-redhat.conf')).toBe(redhat);
    expect((await run('check', root)).exitCode).toBe(0);
    // Named to sort after 50-redhat.conf, the drop-in loses X11Forwarding: reported with its cause.
    const late = tempDir();
    writeFileSync(path.join(late, 'c.conf'), '[sshd]\ndrop_in = 60-gce-firstboot.conf\n');
    const lateCheck = await run('apply', sandboxRoot('rhel-9'), '--config', path.join(late, 'c.conf'));
    expect(reportOf(lateCheck).modules[0]!.findings.find((f) => f.key === 'sshd_config X11Forwarding')?.cause).toContain('50-redhat.conf:17');
  });

  it('keeps the fresh Debian image compliant together with ssh-host-keys in the early stage', async () => {
    const root = sandboxRoot('debian-12');
    const only = ['--only', 'ssh-host-keys,sshd'];
    expect((await runCli(['check', '--root', root, '--stage', 'early', ...only])).exitCode).toBe(1);
    const applied = await runCli(['apply', '--root', root, '--stage', 'early', ...only, '--json']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(reportOf(applied).modules.map((m) => m.status)).toEqual(['applied', 'applied']);
    expect((await runCli(['check', '--root', root, '--stage', 'early', ...only])).exitCode).toBe(0);
  });
});

/** A config with the client side switched off, for tests about sshd_config alone. */
function clientOff(): string {
  const file = path.join(tempDir(), 'gce-firstboot.conf');
  writeFileSync(file, '[sshd]\nclient = false\n');
  return file;
}
