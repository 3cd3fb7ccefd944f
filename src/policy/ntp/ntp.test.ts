import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { bareSystemRoot, sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { moduleResult, readRooted, runOffline, writeRooted } from '../../../test/helpers/offline-module.js';
import { reportOf } from '../../../test/helpers/cli.js';
import { debTool } from '../../../test/helpers/deb-tool.js';

const PREFIX = '#gce-firstboot-disabled# ';
const OURS = ['# added by gce-firstboot: the metadata server is the only time source', 'server metadata.google.internal iburst'];

/** What the file was before we touched it: our two lines dropped, our prefix removed. */
function undo(text: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return text.replace(OURS.map((line) => line + eol).join(''), '').split('\n').map((line) => (line.startsWith(PREFIX) ? line.slice(PREFIX.length) : line)).join('\n');
}

/** check drifts, apply fixes, check is compliant, a second apply changes nothing. */
async function applyAndProve(root: string, configPath: string): Promise<{ before: string; after: string; changes: { key: string; action: string }[] }> {
  const before = readRooted(root, configPath);
  const check = await runOffline('check', 'ntp', root);
  expect(check.exitCode, check.stdout + check.stderr).toBe(1);
  expect(moduleResult(check).findings.map((f) => f.key)).toEqual([configPath]);
  const applied = await runOffline('apply', 'ntp', root);
  expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
  const after = readRooted(root, configPath);
  expect((await runOffline('check', 'ntp', root)).exitCode).toBe(0);
  const again = await runOffline('apply', 'ntp', root);
  expect(reportOf(again).summary.changes).toBe(0);
  expect(readRooted(root, configPath)).toBe(after);
  expect(readRooted(root, `/var/lib/gce-firstboot/backup${configPath}`)).toBe(before);
  return { before, after, changes: moduleResult(applied).changes as { key: string; action: string }[] };
}

describe('ntp module: chrony', () => {
  let chronyd: string;
  beforeAll(async () => {
    chronyd = await debTool('chrony', 'usr/sbin/chronyd');
  });

  /** The configuration as the real chronyd parses it (`-p` prints it and exits). */
  async function chronyView(file: string): Promise<string[]> {
    const result = await execa(chronyd, ['-p', '-f', file], { reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout.split('\n');
  }

  it('Debian 12: comments out the pool and both sourcedirs, adds the metadata server, and chronyd reads just that', async () => {
    const root = sandboxRoot('debian-12');
    const conf = '/etc/chrony/chrony.conf';
    expect(await chronyView(path.join(root, conf))).toEqual(expect.arrayContaining(['pool 2.debian.pool.ntp.org iburst', 'sourcedir /run/chrony-dhcp']));
    const { before, after, changes } = await applyAndProve(root, conf);
    expect(after.split('\n').filter((line) => line.startsWith(PREFIX))).toEqual([
      `${PREFIX}pool 2.debian.pool.ntp.org iburst`,
      `${PREFIX}sourcedir /run/chrony-dhcp`,
      `${PREFIX}sourcedir /etc/chrony/sources.d`,
    ]);
    expect(after.endsWith(`${OURS.join('\n')}\n`)).toBe(true);
    expect(undo(after)).toBe(before);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.action).toContain('not restarted: --root is not the running system');
    const view = await chronyView(path.join(root, conf));
    expect(view.filter((line) => /^(server|pool|peer|sourcedir|refclock) /.test(line))).toEqual(['server metadata.google.internal iburst']);
    expect(view).toContain('makestep 1 3');
  });

  it('RHEL 9: edits /etc/chrony.conf (pool 2.rhel.pool.ntp.org, sourcedir /run/chrony-dhcp)', async () => {
    const root = sandboxRoot('rhel-9');
    const { before, after } = await applyAndProve(root, '/etc/chrony.conf');
    expect(after).toContain(`${PREFIX}pool 2.rhel.pool.ntp.org iburst\n`);
    expect(after).toContain(`${PREFIX}sourcedir /run/chrony-dhcp\n`);
    expect(undo(after)).toBe(before);
    const view = await chronyView(path.join(root, 'etc/chrony.conf'));
    expect(view.filter((line) => /^(server|pool|sourcedir) /.test(line))).toEqual(['server metadata.google.internal iburst']);
  });

  it('keeps CRLF, comments, odd spacing and a missing final newline byte for byte', async () => {
    const root = sandboxRoot('debian-12');
    const original = '# my clock\r\n  server   ntp.example.com  iburst  prefer\r\n\r\n%comment server x\r\nmakestep 1 3\r\nrtcsync';
    writeRooted(root, '/etc/chrony/chrony.conf', original);
    const { after } = await applyAndProve(root, '/etc/chrony/chrony.conf');
    expect(after).toBe(`# my clock\r\n${PREFIX}  server   ntp.example.com  iburst  prefer\r\n\r\n%comment server x\r\nmakestep 1 3\r\nrtcsync\r\n${OURS.join('\r\n')}\r\n`);
    expect(undo(after)).toBe(`${original}\r\n`);
  });

  it('keeps a correct metadata server line and only removes the others', async () => {
    const root = sandboxRoot('debian-12');
    writeRooted(root, '/etc/chrony/chrony.conf', 'server metadata.google.internal iburst prefer\npool time.google.com\n');
    const { after } = await applyAndProve(root, '/etc/chrony/chrony.conf');
    expect(after).toBe(`server metadata.google.internal iburst prefer\n${PREFIX}pool time.google.com\n`);
  });

  it("author-override: a chrony source the image's author added in conf.d is kept and reported with file:line, also on the first boot", async () => {
    const root = sandboxRoot('debian-12');
    const site = '# site\nserver time.example.com iburst\n';
    writeRooted(root, '/etc/chrony/conf.d/site.conf', site);
    const check = await runOffline('check', 'ntp', root);
    expect(moduleResult(check).findings.find((f) => f.key === '/etc/chrony/conf.d/site.conf:2')).toMatchObject({
      severity: 'warning',
      actual: 'server time.example.com iburst',
      cause: expect.stringMatching(/^override: /),
    });
    // The distribution's pool in chrony.conf is still replaced by the metadata server.
    expect((await runOffline('apply', 'ntp', root)).exitCode).toBe(0);
    expect(readRooted(root, '/etc/chrony/conf.d/site.conf')).toBe(site);
    expect(readRooted(root, '/etc/chrony/chrony.conf')).toContain(`${PREFIX}pool 2.debian.pool.ntp.org iburst`);
    const again = await runOffline('check', 'ntp', root);
    expect(again.exitCode).toBe(0);
    expect(moduleResult(again).findings.map((f) => [f.key, f.severity])).toEqual([['/etc/chrony/conf.d/site.conf:2', 'warning']]);
  });

  it.each([
    ['a server line without an address', 'server\npool 2.debian.pool.ntp.org iburst\n', 'without an address'],
    ['binary garbage', '\0\x01\x02 pool x\n', 'not a text file'],
    ['an include it cannot follow', 'include /etc/chrony/*/x.conf\npool a\n', 'cannot follow'],
  ])('leaves a configuration with %s alone and reports it', async (_name, text, reason) => {
    const root = sandboxRoot('debian-12');
    writeRooted(root, '/etc/chrony/chrony.conf', text);
    const applied = await runOffline('apply', 'ntp', root);
    expect(applied.exitCode).toBe(1);
    const finding = moduleResult(applied).findings[0]!;
    expect(finding.actual).toContain(reason);
    expect(readFileSync(path.join(root, 'etc/chrony/chrony.conf'), 'latin1')).toBe(Buffer.from(text, 'utf8').toString('latin1'));
    expect(existsSync(path.join(root, 'var/lib/gce-firstboot/backup/etc/chrony/chrony.conf'))).toBe(false);
  });
});

describe('ntp module: ntpsec and ntp', () => {
  it('ntpsec (Debian 12): the four debian pools are commented out, the server added', async () => {
    const root = sandboxRoot('debian-12-ntpsec');
    const { before, after } = await applyAndProve(root, '/etc/ntpsec/ntp.conf');
    expect(after.split('\n').filter((line) => line.startsWith(PREFIX))).toEqual([0, 1, 2, 3].map((n) => `${PREFIX}pool ${n}.debian.pool.ntp.org iburst`));
    expect(after).toContain('# server time.cloudflare.com nts\n');
    expect(undo(after)).toBe(before);
  });

  it('classic ntp (Debian 11 ntp.conf)', async () => {
    const root = sandboxRoot('debian-11-ntp');
    const { before, after } = await applyAndProve(root, '/etc/ntp.conf');
    expect(after.split('\n').filter((line) => line.startsWith(PREFIX))).toHaveLength(4);
    expect(undo(after)).toBe(before);
  });

  it('ntp cuts comments at #: "server x # note" is a source, "#server x" is not', async () => {
    const root = bareSystemRoot();
    writeRooted(root, '/etc/ntp.conf', '#server old.example.com\nserver new.example.com iburst # note\n');
    const { after } = await applyAndProve(root, '/etc/ntp.conf');
    expect(after).toBe(`#server old.example.com\n${PREFIX}server new.example.com iburst # note\n${OURS.join('\n')}\n`);
  });
});

describe('ntp module: systemd-timesyncd', () => {
  const dropin = '/etc/systemd/timesyncd.conf.d/60-gce-firstboot.conf';

  it('writes a drop-in that resets NTP= and empties FallbackNTP=, leaving timesyncd.conf alone', async () => {
    const root = sandboxRoot('debian-12-timesyncd');
    const main = readRooted(root, '/etc/systemd/timesyncd.conf');
    const check = await runOffline('check', 'ntp', root);
    expect(check.exitCode).toBe(1);
    expect(moduleResult(check).findings[0]!.actual).toBe('NTP=, FallbackNTP=(compiled-in default pool)');
    expect((await runOffline('apply', 'ntp', root)).exitCode).toBe(0);
    expect(readRooted(root, dropin)).toContain('[Time]\nNTP=\nNTP=metadata.google.internal\nFallbackNTP=\n');
    expect(readRooted(root, '/etc/systemd/timesyncd.conf')).toBe(main);
    expect((await runOffline('check', 'ntp', root)).exitCode).toBe(0);
    expect(reportOf(await runOffline('apply', 'ntp', root)).summary.changes).toBe(0);
  });

  it('servers from the dhclient hook (sorting before ours) are dropped; an admin\'s later drop-in is an override, kept', async () => {
    const root = sandboxRoot('debian-12-timesyncd');
    writeRooted(root, '/run/systemd/timesyncd.conf.d/01-dhclient.conf', '[Time]\nNTP=10.0.0.1\n');
    expect((await runOffline('apply', 'ntp', root)).exitCode).toBe(0);
    writeRooted(root, '/etc/systemd/timesyncd.conf.d/90-site.conf', '[Time]\nNTP=time.example.com\n');
    const applied = await runOffline('apply', 'ntp', root);
    expect(applied.exitCode).toBe(0);
    const finding = moduleResult(applied).findings[0]!;
    expect(finding.actual).toBe('NTP=metadata.google.internal time.example.com, FallbackNTP=');
    expect(finding).toMatchObject({ severity: 'warning', cause: expect.stringMatching(/^override: \/etc\/systemd\/timesyncd.conf.d\/90-site.conf sorts after/) });
    expect(reportOf(applied).summary.changes).toBe(0);
  });

  // Debian 13 with ifupdown and dhcpcd on Compute Engine: the DHCP lease names the metadata
  // server's address as NTP server, and dhcpcd's hook writes it after our drop-in.
  it('dhcpcd\'s hook adding the metadata server\'s address (169.254.169.254) after our drop-in is the same server: compliant, no warning; any other server it adds is reported', async () => {
    const root = sandboxRoot('debian-12-timesyncd');
    expect((await runOffline('apply', 'ntp', root)).exitCode).toBe(0);
    const lease = '/run/systemd/timesyncd.conf.d/dhcpcd-ens4.conf';
    writeRooted(root, lease, '# Generated by dhcpcd from ens4.dhcp\n[Time]\nNTP=169.254.169.254\n');
    const check = await runOffline('check', 'ntp', root);
    expect(check.exitCode, JSON.stringify(moduleResult(check).findings)).toBe(0);
    expect(moduleResult(check).findings).toEqual([]);
    writeRooted(root, lease, '# Generated by dhcpcd from ens4.dhcp\n[Time]\nNTP=169.254.169.254 10.128.0.5\n');
    const other = await runOffline('check', 'ntp', root);
    const finding = moduleResult(other).findings[0]!;
    expect(finding.actual).toBe('NTP=metadata.google.internal 169.254.169.254 10.128.0.5, FallbackNTP=');
    expect(finding).toMatchObject({ severity: 'warning', cause: expect.stringContaining(`${lease} sorts after our drop-in`) });
    // An address with a trailing dot is not that address (no resolver reads it as one).
    writeRooted(root, lease, '[Time]\nNTP=169.254.169.254.\n');
    expect(moduleResult(await runOffline('check', 'ntp', root)).findings[0]).toMatchObject({ severity: 'warning', actual: 'NTP=metadata.google.internal 169.254.169.254., FallbackNTP=' });
    writeRooted(root, lease, '[Time]\nNTP=Metadata.Google.Internal.\n');
    expect(moduleResult(await runOffline('check', 'ntp', root)).findings).toEqual([]);
  });

  it('an unparseable timesyncd file is reported and nothing is written', async () => {
    const root = sandboxRoot('debian-12-timesyncd');
    writeRooted(root, '/etc/systemd/timesyncd.conf', '[Time]\nthis is not systemd syntax\n');
    const applied = await runOffline('apply', 'ntp', root);
    expect(applied.exitCode).toBe(1);
    expect(moduleResult(applied).findings[0]!.actual).toContain('timesyncd.conf:2');
    expect(existsSync(path.join(root, dropin))).toBe(false);
  });
});

describe('ntp module: nothing to configure', () => {
  it('a root without any time service gets a warning, not drift', async () => {
    const root = bareSystemRoot();
    const check = await runOffline('check', 'ntp', root);
    expect(check.exitCode).toBe(0);
    expect(moduleResult(check).findings).toEqual([expect.objectContaining({ key: 'time service', severity: 'warning' })]);
  });

  it('chronyd without a chrony.conf is reported as something we cannot fix', async () => {
    const root = bareSystemRoot();
    writeRooted(root, '/usr/sbin/chronyd', '');
    const applied = await runOffline('apply', 'ntp', root);
    expect(applied.exitCode).toBe(1);
    expect(moduleResult(applied).findings).toEqual([expect.objectContaining({ key: '/usr/sbin/chronyd', fixable: false })]);
  });

});
