import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const SYSTEM_MAP = '/boot/System.map-6.1.0-56-cloud-amd64';
const HASH = '$6$saltsalt$Jw3v2gJgG3bE1Qy2lG7m4yFQd3m7sX9b7nKQmC3tq1y8d3TqWQ5o3Hk2Zs0b7kq3p9c5Vv1m0l2Xo4r6t8u0w.';

function run(root: string, mode: string, ...extra: string[]) {
  return runCli([mode, '--root', root, '--only', 'accounts', '--stage', 'network', '--offline', '--json', ...extra]);
}

function configWith(section: string): string {
  const file = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
  writeFileSync(file, `[accounts]\n${section}\n`);
  return file;
}

/** The stock fixture plus the PAM modules and without System.map: compliant. */
function compliantRoot(): string {
  const root = sandboxRoot();
  appendFileSync(path.join(root, 'etc/pam.d/common-password'), 'password\trequisite\t\t\tpam_pwquality.so retry=3\n');
  appendFileSync(path.join(root, 'etc/pam.d/common-auth'), 'auth\trequired\t\t\tpam_faillock.so preauth\n');
  return root;
}

/** A System.map as a kernel build writes it: real symbol addresses. */
function realSystemMap(root: string): void {
  writeFileSync(path.join(root, SYSTEM_MAP), 'ffffffff81000000 T _stext\nffffffff81000000 T _text\nffffffff81001000 T startup_64\n');
}

function setRootHash(root: string, hash: string): string {
  const shadowPath = path.join(root, 'etc/shadow');
  writeFileSync(shadowPath, readFileSync(shadowPath, 'utf8').replace(/^root:\*:/m, `root:${hash}:`));
  return shadowPath;
}

describe('accounts module', () => {
  it('on stock Debian 12 warns about the missing PAM modules and sees the System.map stub as harmless', async () => {
    const root = sandboxRoot();
    const result = await run(root, 'check');
    expect(result.exitCode).toBe(0);
    expect(reportOf(result).modules[0]!.findings.map((f) => [f.severity, f.key])).toEqual([
      ['warning', 'PAM password quality'],
      ['warning', 'PAM lockout'],
      ['info', SYSTEM_MAP],
      ['info', 'listening ports'],
    ]);
    const strict = await run(root, 'check', '--config', configWith('require_pam = true'));
    expect(strict.exitCode).toBe(1);
    expect(reportOf(strict).modules[0]!.findings.filter((f) => f.severity === undefined).map((f) => f.key)).toEqual(['PAM password quality', 'PAM lockout']);
  });

  it('is compliant with the PAM modules in place; YESCRYPT counts as stronger', async () => {
    const root = compliantRoot();
    expect((await run(root, 'check')).exitCode).toBe(0);
    const defs = path.join(root, 'etc/login.defs');
    writeFileSync(defs, readFileSync(defs, 'utf8').replace(/^ENCRYPT_METHOD SHA512$/m, 'ENCRYPT_METHOD YESCRYPT'));
    const result = await run(root, 'check');
    expect(result.exitCode).toBe(0);
    expect(reportOf(result).modules[0]!.findings.find((f) => f.key === 'ENCRYPT_METHOD')).toMatchObject({ severity: 'info', actual: expect.stringContaining('stronger than SHA512') });
  });

  it('reports an unlocked root, login shells on system accounts and a weak hash; apply cannot fix them', async () => {
    const root = compliantRoot();
    const shadowPath = setRootHash(root, HASH);
    const passwd = path.join(root, 'etc/passwd');
    writeFileSync(passwd, readFileSync(passwd, 'utf8').replace('daemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'daemon:*:1:1:daemon:/usr/sbin:/bin/bash'));
    const defs = path.join(root, 'etc/login.defs');
    writeFileSync(defs, readFileSync(defs, 'utf8').replace(/^ENCRYPT_METHOD SHA512$/m, 'ENCRYPT_METHOD MD5'));
    const shadowBefore = readFileSync(shadowPath, 'utf8');

    const result = await run(root, 'apply');
    expect(result.exitCode).toBe(1);
    const module = reportOf(result).modules[0]!;
    expect(module.changes).toEqual([]);
    expect(module.findings.filter((f) => f.severity === undefined).map((f) => [f.key, f.actual])).toEqual([
      ['root password', 'a usable password hash'],
      ['shell of daemon (uid 1)', '/bin/bash'],
      ['ENCRYPT_METHOD', 'MD5'],
    ]);
    expect(readFileSync(shadowPath, 'utf8')).toBe(shadowBefore);
    const human = await runCli(['apply', '--root', root, '--only', 'accounts', '--stage', 'network', '--offline']);
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(/root password .*cannot fix in-guest/);
    expect(human.stdout).not.toContain('sync');
  });

  it('with enforce locks root (every other byte, mode and group kept) and removes System.map, once', async () => {
    const root = sandboxRoot();
    realSystemMap(root);
    const shadowPath = setRootHash(root, HASH);
    writeFileSync(shadowPath, readFileSync(shadowPath, 'utf8').replace('\n', '\r\n'));
    chmodSync(shadowPath, 0o640);
    chownSync(shadowPath, 0, 42);
    const before = readFileSync(shadowPath, 'utf8');
    const config = configWith('enforce = lock-root, remove-system-map');

    const applied = await run(root, 'apply', '--config', config);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(reportOf(applied).modules[0]!.changes.map((c) => c.key)).toEqual(['root password', SYSTEM_MAP]);
    expect(readFileSync(shadowPath, 'utf8')).toBe(before.replace(`root:${HASH}:`, `root:!${HASH}:`));
    expect(statSync(shadowPath).mode & 0o7777).toBe(0o640);
    expect(statSync(shadowPath).gid).toBe(42);
    expect(existsSync(path.join(root, SYSTEM_MAP))).toBe(false);
    expect(readFileSync(path.join(root, 'var/lib/gce-firstboot/backup/etc/shadow'), 'utf8')).toBe(before);

    const again = await run(root, 'apply', '--config', config);
    expect(reportOf(again).modules[0]!.changes).toEqual([]);
  });

  it('rejects an enforce item it does not know, as a config error', async () => {
    const result = await run(sandboxRoot(), 'check', '--config', configWith('enforce = lock-root, delete-users'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('delete-users');
  });

  it('reports garbage passwd/shadow files clearly and leaves them untouched even with enforce', async () => {
    const root = sandboxRoot();
    const garbage = 'root\u0000\u0001 not a shadow file\n\u00ff\u00fe:::\n';
    writeFileSync(path.join(root, 'etc/shadow'), garbage);
    writeFileSync(path.join(root, 'etc/passwd'), 'this is not\npasswd:x:abc\n');
    const result = await run(root, 'apply', '--config', configWith('enforce = lock-root'));
    expect(result.exitCode).toBe(1);
    const keys = reportOf(result).modules[0]!.findings.map((f) => `${f.key}: ${f.actual}`);
    expect(keys).toContain('root password: /etc/shadow has no well-formed root line (9 fields)');
    expect(keys).toContain('/etc/passwd line 1: malformed; left unjudged');
    expect(keys).toContain('/etc/passwd line 2: malformed; left unjudged');
    expect(readFileSync(path.join(root, 'etc/shadow'), 'utf8')).toBe(garbage);
  });

  it('reports a System.map with real symbols as drift that apply cannot fix without enforce', async () => {
    const root = compliantRoot();
    realSystemMap(root);
    const result = await run(root, 'apply');
    expect(result.exitCode).toBe(1);
    expect(reportOf(result).modules[0]!.findings.filter((f) => f.severity === undefined).map((f) => f.key)).toEqual([SYSTEM_MAP]);
    expect(existsSync(path.join(root, SYSTEM_MAP))).toBe(true);
  });

  it('reports garbage /proc/net tables as a warning, not a crash', async () => {
    const root = compliantRoot();
    const proc = tempDir('gfb-proc-');
    const net = path.join(proc, 'net');
    mkdirSync(net);
    writeFileSync(path.join(net, 'tcp'), 'garbage\n\u0000\u0001');
    writeFileSync(path.join(net, 'udp'), '  sl  local_address rem_address   st\n   0: ZZZZ:0044 00000000:0000 07\n');
    const result = await run(root, 'check', '--live', '--proc-dir', proc);
    expect(result.exitCode).toBe(0);
    const findings = reportOf(result).modules[0]!.findings.filter((f) => f.key === 'listening ports');
    expect(findings.map((f) => [f.severity, f.actual])).toEqual([
      ['warning', `${proc}/net/tcp: unparseable line(s) 1`],
      ['warning', `${proc}/net/udp: unparseable line(s) 2`],
    ]);
  });

  it('finds services listening beyond sshd/DHCP/NTP in a real network namespace', async () => {
    const root = compliantRoot();
    const listen = 'tcp/0.0.0.0/22,tcp/0.0.0.0/8080,tcp/127.0.0.1/9000,tcp/::/8443,udp/0.0.0.0/68,udp/0.0.0.0/5353,udp/127.0.0.1/323,udp/::1/6000';
    const result = await runCli(['check', '--root', root, '--only', 'accounts', '--stage', 'network', '--offline', '--json', '--live'], {
      prefix: ['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, path.join(REPO, 'test/helpers/listen-then-run.mjs')],
      env: { LISTEN: listen },
    });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(reportOf(result).modules[0]!.findings.map((f) => f.key).filter((key) => key.startsWith('listening')).sort()).toEqual(['listening tcp 0.0.0.0:8080', 'listening tcp [::]:8443', 'listening udp 0.0.0.0:5353']);
  });
});
