import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bareSystemRoot, sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { moduleResult, readRooted, runOffline, writeRooted } from '../../../test/helpers/offline-module.js';
import { reportOf } from '../../../test/helpers/cli.js';

const CONSOLE = 'console=ttyS0,38400n8';
const JOURNALD = '/etc/systemd/journald.conf.d/60-gce-firstboot-console.conf';
const GRUB_DROPIN = '/etc/default/grub.d/60-gce-firstboot.cfg';

/** GRUB_CMDLINE_LINUX as grub-mkconfig computes it: it sources /etc/default/grub, then grub.d/*.cfg. */
async function shellCmdline(root: string): Promise<string> {
  const script = 'cd "$1" && . etc/default/grub && for x in etc/default/grub.d/*.cfg; do [ -e "$x" ] && . "$x"; done; printf %s "$GRUB_CMDLINE_LINUX"';
  const result = await execa('sh', ['-c', script, 'sh', root], { reject: false });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

async function applyTwice(root: string, ...extra: string[]): Promise<{ key: string; action: string }[]> {
  const applied = await runOffline('apply', 'serial-console', root, ...extra);
  expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
  expect((await runOffline('check', 'serial-console', root, ...extra)).exitCode).toBe(0);
  expect(reportOf(await runOffline('apply', 'serial-console', root, ...extra)).summary.changes).toBe(0);
  return moduleResult(applied).changes as { key: string; action: string }[];
}

describe('serial-console module', () => {
  it('Debian 12 without grub.d: edits only the GRUB_CMDLINE_LINUX value, adds the journald drop-in, says to run update-grub', async () => {
    const root = sandboxRoot('debian-12');
    const grub = readRooted(root, '/etc/default/grub');
    const check = await runOffline('check', 'serial-console', root);
    expect(check.exitCode).toBe(1);
    expect(moduleResult(check).findings.map((f) => f.key)).toEqual(['GRUB_CMDLINE_LINUX', JOURNALD]);
    const changes = await applyTwice(root);
    expect(readRooted(root, '/etc/default/grub')).toBe(grub.replace('GRUB_CMDLINE_LINUX=""', `GRUB_CMDLINE_LINUX="${CONSOLE}"`));
    expect(await shellCmdline(root)).toBe(CONSOLE);
    expect(changes.find((c) => c.key === 'bootloader config')!.action).toContain('run update-grub');
    expect(readRooted(root, JOURNALD)).toContain('[Journal]\nForwardToConsole=yes\nTTYPath=/dev/ttyS0\nMaxLevelConsole=info\n');
  });

  it('with /etc/default/grub.d: a drop-in that grub-mkconfig appends to the existing value, /etc/default/grub untouched', async () => {
    const root = sandboxRoot('debian-12');
    writeRooted(root, '/etc/default/grub.d/50-cloud.cfg', 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX net.ifnames=0"\n');
    const grub = readRooted(root, '/etc/default/grub');
    await applyTwice(root);
    expect(readRooted(root, '/etc/default/grub')).toBe(grub);
    expect(existsSync(path.join(root, GRUB_DROPIN))).toBe(true);
    expect(await shellCmdline(root)).toBe(` net.ifnames=0 ${CONSOLE}`);
  });

  it('RHEL 9: appends to a long value; the $(sed ...) line and everything else stay byte for byte', async () => {
    const root = sandboxRoot('rhel-9');
    const grub = readRooted(root, '/etc/default/grub');
    await applyTwice(root);
    expect(readRooted(root, '/etc/default/grub')).toBe(grub.replace('rhgb quiet"', `rhgb quiet ${CONSOLE}"`));
    expect((await shellCmdline(root)).endsWith(`rhgb quiet ${CONSOLE}`)).toBe(true);
  });

  it('replaces another ttyS0 console in place, keeping CRLF, a trailing comment and the missing final newline', async () => {
    const root = bareSystemRoot();
    const original = "# mine\r\nGRUB_CMDLINE_LINUX='console=ttyS0,115200n8 console=tty0'  # serial\r\nGRUB_TIMEOUT=1";
    writeRooted(root, '/etc/default/grub', original);
    await applyTwice(root);
    expect(readRooted(root, '/etc/default/grub')).toBe(`# mine\r\nGRUB_CMDLINE_LINUX='${CONSOLE} console=tty0'  # serial\r\nGRUB_TIMEOUT=1`);
  });

  it('the same console given twice (file and our drop-in) is still compliant, so apply does not rewrite forever', async () => {
    const root = sandboxRoot('debian-12');
    writeRooted(root, '/etc/default/grub.d/10-site.cfg', 'GRUB_TIMEOUT=1\n');
    await applyTwice(root);
    const grub = readRooted(root, '/etc/default/grub').replace('GRUB_CMDLINE_LINUX=""', `GRUB_CMDLINE_LINUX="${CONSOLE}"`);
    writeRooted(root, '/etc/default/grub', grub);
    expect(await shellCmdline(root)).toBe(`${CONSOLE} ${CONSOLE}`);
    expect(moduleResult(await runOffline('check', 'serial-console', root)).findings).toEqual([]);
  });

  it('leaves a GRUB_CMDLINE_LINUX it cannot evaluate alone and reports it; journald is still set up', async () => {
    const root = sandboxRoot('debian-12');
    const original = 'GRUB_CMDLINE_LINUX="$(cat /etc/kernel/cmdline)"\n';
    writeRooted(root, '/etc/default/grub', original);
    const applied = await runOffline('apply', 'serial-console', root);
    expect(applied.exitCode).toBe(1);
    const finding = moduleResult(applied).findings[0]!;
    expect(finding).toMatchObject({ key: 'GRUB_CMDLINE_LINUX', fixable: false });
    expect(finding.actual).toContain('shell syntax');
    expect(readRooted(root, '/etc/default/grub')).toBe(original);
    expect(existsSync(path.join(root, JOURNALD))).toBe(true);
  });

  it('names a later journald drop-in that turns console forwarding off as the cause, and does not fight it', async () => {
    const root = sandboxRoot('debian-12');
    writeRooted(root, '/etc/systemd/journald.conf.d/90-quiet.conf', '[Journal]\nForwardToConsole=no\n');
    const first = await runOffline('apply', 'serial-console', root);
    expect(first.exitCode).toBe(1);
    const finding = moduleResult(first).findings.find((f) => f.key === JOURNALD)!;
    expect(finding.actual).toBe('ForwardToConsole=no');
    expect(finding.cause).toContain('90-quiet.conf');
    const again = await runOffline('apply', 'serial-console', root);
    expect(reportOf(again).summary.changes).toBe(0);
  });

  it('an unparseable journald.conf is reported and no drop-in is written', async () => {
    const root = sandboxRoot('debian-12');
    writeRooted(root, '/etc/systemd/journald.conf', '[Journal]\nForwardToConsole yes\n');
    const applied = await runOffline('apply', 'serial-console', root);
    expect(applied.exitCode).toBe(1);
    expect(moduleResult(applied).findings.find((f) => f.key === JOURNALD)!.actual).toContain('journald.conf:2');
    expect(existsSync(path.join(root, JOURNALD))).toBe(false);
  });

  it('console_max_level comes from the config; a bad level is a config error', async () => {
    const root = sandboxRoot('debian-12');
    const config = path.join(tempDir(), 'agent.conf');
    writeFileSync(config, '[serial-console]\nconsole_max_level = notice\n');
    await applyTwice(root, '--config', config);
    expect(readRooted(root, JOURNALD)).toContain('MaxLevelConsole=notice\n');
    writeFileSync(config, '[serial-console]\nconsole_max_level = loud\n');
    expect((await runOffline('check', 'serial-console', root, '--config', config)).exitCode).toBe(2);
  });

  it('reports a generated grub.cfg without the console as needing update-grub (a warning off the running system)', async () => {
    const root = sandboxRoot('debian-12');
    writeRooted(root, '/boot/grub/grub.cfg', "menuentry 'Debian' {\n\tlinux\t/boot/vmlinuz-6.1.0-18-cloud-amd64 root=UUID=abc ro quiet\n}\n");
    const applied = await runOffline('apply', 'serial-console', root);
    expect(applied.exitCode).toBe(0);
    expect(moduleResult(applied).findings).toEqual([expect.objectContaining({ key: '/boot/grub/grub.cfg', severity: 'warning', cause: expect.stringContaining('update-grub') })]);
    writeRooted(root, '/boot/grub/grub.cfg', `menuentry 'Debian' {\n\tlinux\t/boot/vmlinuz root=UUID=abc ro ${CONSOLE} quiet\n}\n`);
    expect(moduleResult(await runOffline('check', 'serial-console', root)).findings).toEqual([]);
  });

  it('a UEFI image whose grub.cfg is on the EFI system partition (RHEL 8 style): read there, regenerated with grub2-mkconfig -o that file', async () => {
    const root = sandboxRoot('rhel-9');
    const efiCfg = '/boot/efi/EFI/redhat/grub.cfg';
    writeRooted(root, efiCfg, "menuentry 'Red Hat' {\n\tlinuxefi /vmlinuz-4.18.0 root=UUID=abc ro quiet\n}\n");
    writeRooted(root, '/usr/sbin/grub2-mkconfig', '');
    const applied = await runOffline('apply', 'serial-console', root);
    expect(moduleResult(applied).findings).toEqual([expect.objectContaining({ key: efiCfg, severity: 'warning', cause: expect.stringContaining(`grub2-mkconfig -o ${efiCfg}`) })]);
    writeRooted(root, efiCfg, `menuentry 'Red Hat' {\n\tlinuxefi /vmlinuz-4.18.0 root=UUID=abc ro quiet ${CONSOLE}\n}\n`);
    expect(moduleResult(await runOffline('check', 'serial-console', root)).findings).toEqual([]);
  });

  it('with --live reads the running kernel command line (a warning until the next boot)', async () => {
    const root = sandboxRoot('debian-12');
    const proc = tempDir();
    writeFileSync(path.join(proc, 'cmdline'), 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n');
    await runOffline('apply', 'serial-console', root);
    const before = await runOffline('check', 'serial-console', root, '--live', '--proc-dir', proc);
    expect(before.exitCode).toBe(0);
    expect(moduleResult(before).findings).toEqual([expect.objectContaining({ key: '/proc/cmdline', severity: 'warning' })]);
    writeFileSync(path.join(proc, 'cmdline'), `BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro ${CONSOLE} quiet\n`);
    expect(moduleResult(await runOffline('check', 'serial-console', root, '--live', '--proc-dir', proc)).findings).toEqual([]);
  });

  it('a root without /etc/default/grub gets a warning and only the journald drop-in', async () => {
    const root = bareSystemRoot();
    const applied = await runOffline('apply', 'serial-console', root);
    expect(applied.exitCode).toBe(0);
    expect(moduleResult(applied).findings).toEqual([expect.objectContaining({ key: 'GRUB_CMDLINE_LINUX', severity: 'warning' })]);
    expect(existsSync(path.join(root, 'etc/default/grub'))).toBe(false);
    expect(existsSync(path.join(root, JOURNALD))).toBe(true);
  });
});
