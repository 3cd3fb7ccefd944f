import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';
import { fakeProcSys, readFakeSysctl } from '../../../test/helpers/fake-proc-sys.js';
import { PUBLISHED_SYSCTLS } from './published.js';

const OWN = 'etc/sysctl.d/60-gce-firstboot.conf';
const run = (command: string, root: string, ...rest: string[]) => runCli([command, '--root', root, '--only', 'sysctl', '--stage', 'early', '--json', ...rest]);
const ownFile = (root: string) => readFileSync(path.join(root, OWN), 'utf8');
const settings = (root: string) => ownFile(root).split('\n').filter((line) => line && !line.startsWith('#'));

function configFile(text: string): string {
  const file = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
  writeFileSync(file, text);
  return file;
}

function writeRootFile(root: string, guestPath: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, guestPath)), { recursive: true });
  writeFileSync(path.join(root, guestPath), content);
}

/** A fake kernel with every published key at its published value, overridden by `values`. */
function kernel(values: Record<string, string | undefined>): string {
  const all: Record<string, string> = Object.fromEntries(PUBLISHED_SYSCTLS);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete all[key];
    else all[key] = value;
  }
  return fakeProcSys(all);
}

describe('sysctl module on a sandbox root (no --live)', () => {
  it('drifts on a fresh Debian 12 root, applies, is then compliant, and a second apply changes nothing', async () => {
    const root = sandboxRoot();
    const before = await run('check', root);
    expect(before.exitCode).toBe(1);
    const findings = reportOf(before).modules[0]!.findings;
    expect(findings.find((f) => f.key === `/${OWN} net.ipv4.tcp_syncookies`)).toMatchObject({ expected: '1', actual: '(absent)' });
    // Without a running kernel to read, the floors' current value is unknown: reported, not guessed.
    expect(findings.filter((f) => f.severity === 'info').map((f) => f.key)).toEqual([
      `/${OWN} kernel.kptr_restrict`,
      `/${OWN} kernel.yama.ptrace_scope`,
      `/${OWN} kernel.perf_event_paranoid`,
    ]);
    // Debian's procps sets fs.protected_* = 1 in a later file (99-protect-links.conf): same value, no finding.
    expect(findings.some((f) => f.key.endsWith('at boot'))).toBe(false);

    const applied = await run('apply', root);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(ownFile(root).startsWith('# /etc/sysctl.d/60-gce-firstboot.conf\n# Written by gce-firstboot')).toBe(true);
    // In the published order, except that ip_forward comes first (changing it resets accept_redirects).
    const expected = PUBLISHED_SYSCTLS.filter(([key]) => !['kernel.kptr_restrict', 'kernel.yama.ptrace_scope', 'kernel.perf_event_paranoid'].includes(key)).map(
      ([key, value]) => `${key} = ${value}`,
    );
    expect(settings(root)).toEqual(['net.ipv4.ip_forward = 0', ...expected.filter((line) => line !== 'net.ipv4.ip_forward = 0')]);
    const written = ownFile(root);
    expect((await run('check', root)).exitCode).toBe(0);
    const again = await run('apply', root);
    expect(reportOf(again).summary.changes).toBe(0);
    expect(ownFile(root)).toBe(written);
  });

  it('keeps a floor a sysctl file already sets higher, and raises one set lower', async () => {
    const root = sandboxRoot();
    writeRootFile(root, 'etc/sysctl.d/10-hardening.conf', 'kernel.perf_event_paranoid = 3\nkernel.kptr_restrict = 0\n');
    expect((await run('apply', root)).exitCode).toBe(0);
    expect(settings(root)).toContain('kernel.perf_event_paranoid = 3');
    expect(settings(root)).toContain('kernel.kptr_restrict = 1');
  });

  it('takes per-key overrides from the config, exact even for a floor', async () => {
    const root = sandboxRoot();
    const config = configFile('[sysctl]\nnet.ipv4.ip_forward = 1\nkernel.perf_event_paranoid = 1\nnet.ipv4.tcp_rmem = 4096\t87380   6291456\nskip_keys = net.ipv4.tcp_rfc1337\n');
    const applied = await run('apply', root, '--config', config);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const lines = settings(root);
    expect(lines).toContain('net.ipv4.ip_forward = 1');
    expect(lines).toContain('kernel.perf_event_paranoid = 1');
    expect(lines.at(-1)).toBe('net.ipv4.tcp_rmem = 4096 87380 6291456');
    expect(lines.some((line) => line.startsWith('net.ipv4.tcp_rfc1337'))).toBe(false);
    expect((await run('check', root, '--config', config)).exitCode).toBe(0);
  });

  it.each([
    ['net.ipv4.ip_forward = 1 && reboot', 'not a plain number or word'],
    ['net/ipv4/ip_forward = 1', 'not a sysctl key'],
    ['net..ipv4 = 1', 'not a sysctl key'],
    ['ip_forward = 1', 'not a sysctl key'],
    ['net.ipv4.ip_forward = $(reboot)', 'not a plain number or word'],
    ['skip_keys = kernel.modules_disabled', 'unknown item'],
  ])('refuses the config line %j with exit 2 and writes nothing', async (line, reason) => {
    const root = sandboxRoot();
    const result = await run('apply', root, '--config', configFile(`[sysctl]\n${line}\n`));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(reason);
    expect(existsSync(path.join(root, OWN))).toBe(false);
  });

  it("an author's later sysctl.d file that sets a key differently is an override: reported with file:line, left alone", async () => {
    const root = sandboxRoot();
    const router = '# local router settings\r\nnet.ipv4.ip_forward=1\r\n-net.ipv4.conf.all.send_redirects = 1';
    writeRootFile(root, 'etc/sysctl.d/99-router.conf', router);
    // Read before ours (overridden by us) or masked by an /etc file of the same name: not causes.
    writeRootFile(root, 'etc/sysctl.d/10-early.conf', 'net.ipv4.conf.all.rp_filter = 2\n');
    writeRootFile(root, 'usr/lib/sysctl.d/70-vendor.conf', 'net.ipv4.tcp_syncookies = 0\n');
    writeRootFile(root, 'etc/sysctl.d/70-vendor.conf', '# masked\n');
    writeRootFile(root, 'usr/lib/sysctl.d/80-masked.conf', 'net.ipv4.icmp_echo_ignore_broadcasts = 0\n');
    symlinkSync('/dev/null', path.join(root, 'etc/sysctl.d/80-masked.conf'));

    const check = await run('check', root);
    const atBoot = reportOf(check).modules[0]!.findings.filter((f) => f.key.endsWith('at boot'));
    expect(atBoot.map((f) => [f.key, f.actual])).toEqual([
      ['net.ipv4.ip_forward at boot', '1'],
      ['net.ipv4.conf.all.send_redirects at boot', '1'],
    ]);
    expect(atBoot[0]!.cause).toMatch(/^override: \/etc\/sysctl.d\/99-router.conf:2 sets/);
    expect(atBoot[1]!.cause).toMatch(/^override: \/etc\/sysctl.d\/99-router.conf:3 sets/);
    expect(atBoot.map((f) => f.severity)).toEqual(['warning', 'warning']);

    // Not drift: the machine is as its author meant it; apply succeeds and leaves that file alone.
    const applied = await run('apply', root);
    expect(applied.exitCode).toBe(0);
    expect(reportOf(applied).modules[0]!.findings.filter((f) => f.key.endsWith('at boot'))).toHaveLength(2);
    expect(readFileSync(path.join(root, 'etc/sysctl.d/99-router.conf'), 'utf8')).toBe(router);
  });

  it("reports /etc/sysctl.conf (linked in by Debian's 99-sysctl.conf) by its own path", async () => {
    const root = sandboxRoot();
    const original = readFileSync(path.join(root, 'etc/sysctl.conf'), 'utf8');
    writeFileSync(path.join(root, 'etc/sysctl.conf'), `${original}kernel.randomize_va_space = 0\n`);
    const findings = reportOf(await run('apply', root)).modules[0]!.findings;
    const lineNumber = original.split('\n').length;
    expect(findings.find((f) => f.key === 'kernel.randomize_va_space at boot')?.cause).toContain(`/etc/sysctl.conf:${lineNumber} sets`);
  });

  it('rewrites its own file when someone edited it', async () => {
    const root = sandboxRoot();
    await run('apply', root);
    const written = ownFile(root);
    writeFileSync(path.join(root, OWN), `${written}kernel.sysrq = 1\n`);
    const check = await run('check', root);
    expect(reportOf(check).modules[0]!.findings.map((f) => f.key)).toContain(`/${OWN}`);
    expect((await run('apply', root)).exitCode).toBe(0);
    expect(ownFile(root)).toBe(written);
  });
});

describe('sysctl module against a fake /proc/sys (--live --proc-sys DIR)', () => {
  it('keeps stricter floors, raises weaker ones, and reports keys this kernel lacks as unsupported', async () => {
    const root = sandboxRoot();
    const procSys = kernel({
      'kernel.perf_event_paranoid': '3',
      'kernel.kptr_restrict': '0',
      'kernel.yama.ptrace_scope': undefined,
      'net.ipv4.tcp_rfc1337': undefined,
      'net.ipv4.ip_forward': '1',
    });
    const live = ['--live', '--proc-sys', procSys];
    const check = await run('check', root, ...live);
    expect(check.exitCode).toBe(1);
    const findings = reportOf(check).modules[0]!.findings;
    expect(findings.filter((f) => f.severity === 'unsupported').map((f) => f.key)).toEqual(['net.ipv4.tcp_rfc1337', 'kernel.yama.ptrace_scope']);
    expect(findings.filter((f) => !f.key.startsWith('/') && f.severity === undefined).map((f) => [f.key, f.actual])).toEqual([
      ['net.ipv4.ip_forward', '1'],
      ['kernel.kptr_restrict', '0'],
    ]);

    const applied = await run('apply', root, ...live);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(readFakeSysctl(procSys, 'kernel.perf_event_paranoid')).toBe('3');
    expect(readFakeSysctl(procSys, 'kernel.kptr_restrict')).toBe('1');
    expect(readFakeSysctl(procSys, 'net.ipv4.ip_forward')).toBe('0');
    expect(settings(root)).toContain('kernel.perf_event_paranoid = 3');
    expect(settings(root)).toContain('kernel.kptr_restrict = 1');
    expect(settings(root).some((line) => line.startsWith('kernel.yama.ptrace_scope'))).toBe(false);

    const written = ownFile(root);
    const again = await run('apply', root, ...live);
    expect(again.exitCode).toBe(0);
    expect(reportOf(again).summary.changes).toBe(0);
    expect(ownFile(root)).toBe(written);
  });

  it('compares multi-value keys the kernel prints with tabs', async () => {
    const root = sandboxRoot();
    const procSys = kernel({ 'net.ipv4.tcp_rmem': '4096\t131072\t6291456', 'kernel.yama.ptrace_scope': undefined });
    const config = configFile('[sysctl]\nnet.ipv4.tcp_rmem = 4096 131072 6291456\n');
    const result = await run('check', root, '--live', '--proc-sys', procSys, '--config', config);
    expect(reportOf(result).modules[0]!.findings.filter((f) => f.key === 'net.ipv4.tcp_rmem')).toEqual([]);

    writeFileSync(path.join(procSys, 'net/ipv4/tcp_rmem'), '4096\t87380\t6291456\n');
    expect((await run('apply', root, '--live', '--proc-sys', procSys, '--config', config)).exitCode).toBe(0);
    expect(readFakeSysctl(procSys, 'net.ipv4.tcp_rmem')).toBe('4096 131072 6291456');
  });

  it('sets nothing at runtime without --live', async () => {
    const root = sandboxRoot();
    const procSys = kernel({ 'kernel.kptr_restrict': '0' });
    expect((await run('apply', root, '--proc-sys', procSys)).exitCode).toBe(0);
    expect(readFakeSysctl(procSys, 'kernel.kptr_restrict')).toBe('0');
    rmSync(procSys, { recursive: true });
  });
});
