import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../helpers/sandbox.js';
import { debTool } from '../helpers/deb-tool.js';
import { findManagedBlock, placeManagedBlockAtTop } from '../../src/edit/managed-block.js';
import { appendLines, disableLines, DISABLED_PREFIX } from '../../src/edit/disabled-lines.js';
import { CLIENT_SETTINGS, SERVER_SETTINGS } from '../../src/policy/sshd/targets.js';
import { isSource, isWantedSource, wordsOf, WANTED_SOURCE, type LineFlavour } from '../../src/policy/ntp/line-config.js';
import { PUBLISHED_SYSCTLS, FLOOR_KEYS } from '../../src/policy/sysctl/published.js';
import type { Report } from '../../src/report/model.js';
import { onePass } from './one-pass.js';

/** Pure editors: as many cases as the other property tests. */
const RUNS = 10_000;
/** Whole module passes on real files, checked with the real sshd/ssh/chronyd: fewer, each takes a while. */
const SAMPLES = 50;

/** Lines another program wrote: anything without a newline, CR, tabs and unicode included. */
const junkLine = fc.string({ unit: 'binary', maxLength: 50 }).filter((line) => !line.includes('\n') && !line.includes('gce-firstboot'));
const spacing = fc.constantFrom('', ' ', '  ', '\t');

function assemble(lines: readonly string[], crlf: boolean, finalNewline: boolean): string {
  const eol = crlf ? '\r\n' : '\n';
  return lines.join(eol) + (finalNewline && lines.length ? eol : '');
}

/** Generated files: the lines, CRLF or LF, with or without a final newline. */
function fileOf(line: fc.Arbitrary<string>, maxLength = 14): fc.Arbitrary<string> {
  return fc.tuple(fc.array(line, { maxLength }), fc.boolean(), fc.boolean()).map(([lines, crlf, finalNewline]) => assemble(lines, crlf, finalNewline));
}

/** `Keyword value` the ways people write it: any case, `=`, indentation, trailing blanks. */
function directive(keywords: readonly string[], values: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(spacing, fc.constantFrom(...keywords), fc.constantFrom('upper', 'lower', 'as-is'), fc.constantFrom(' ', '\t', '=', ' = ', '  '), fc.constantFrom(...values), spacing)
    .map(([indent, keyword, casing, separator, value, trailing]) => {
      const word = casing === 'upper' ? keyword.toUpperCase() : casing === 'lower' ? keyword.toLowerCase() : keyword;
      return `${indent}${word}${separator}${value}${trailing}`;
    });
}

/** The first value of each keyword before any section (Match; Host other than *), as sshd and ssh read a file. */
function firstValues(text: string, client: boolean): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!.toLowerCase();
    if (keyword === 'match' || (client && keyword === 'host' && match[2]!.trim() !== '*')) break;
    if (!values.has(keyword)) values.set(keyword, match[2]!.trim());
  }
  return values;
}

const serverLine = fc.oneof(
  { weight: 4, arbitrary: directive(SERVER_SETTINGS.map(([keyword]) => keyword), ['yes', 'no', 'prohibit-password', '30', '0']) },
  { weight: 2, arbitrary: directive(['Port', 'UsePAM', 'PrintMotd', 'AcceptEnv'], ['22', 'yes', 'no', 'LANG LC_*']) },
  { weight: 2, arbitrary: fc.constantFrom('# comment', '#PasswordAuthentication yes', '', '   ', '\t# indented comment') },
  { weight: 1, arbitrary: fc.constantFrom('Include /etc/ssh/sshd_config.d/*.conf', 'Include relative.conf', 'Include /etc/ssh/other/*.conf a.conf') },
  { weight: 1, arbitrary: fc.constantFrom('Match User bob', 'Match Address 10.0.0.0/8', 'match group admins', 'Match all') },
  { weight: 2, arbitrary: junkLine },
);

describe('property: sshd_config/ssh_config managed block', () => {
  const ours = SERVER_SETTINGS.map(([keyword, value]) => `${keyword} ${value}`);

  it('goes on top, every other byte kept, idempotent, and its values are the ones read first', () => {
    fc.assert(
      fc.property(fileOf(serverLine), (text) => {
        const placed = placeManagedBlockAtTop(text, ours);
        expect(placed.endsWith(text)).toBe(true);
        const block = placed.slice(0, placed.length - text.length);
        expect(findManagedBlock(block)).toEqual({ lines: ours, broken: false });
        expect(placeManagedBlockAtTop(placed, ours)).toBe(placed);
        const first = firstValues(placed, false);
        for (const [keyword, value] of SERVER_SETTINGS) expect(first.get(keyword.toLowerCase())).toBe(value);
      }),
      { numRuns: RUNS },
    );
  });

  it('an old block anywhere in the file is replaced and moved to the top; the lines around it keep their bytes and order', () => {
    const oldValues = fc.array(directive(CLIENT_SETTINGS.map(([keyword]) => keyword), ['yes', 'no', '60']), { maxLength: 5 });
    fc.assert(
      fc.property(fc.array(serverLine, { maxLength: 8 }), fc.array(serverLine, { maxLength: 8 }), oldValues, fc.boolean(), fc.boolean(), (above, below, old, crlf, finalNewline) => {
        const eol = crlf ? '\r\n' : '\n';
        const oldBlock = placeManagedBlockAtTop(`x${eol}`, old.map((line) => line.trim())).slice(0, -`x${eol}`.length);
        const before = assemble(above, crlf, true);
        const after = assemble(below, crlf, finalNewline);
        const placed = placeManagedBlockAtTop(before + oldBlock + after, ours);
        expect(placed.endsWith(before + after)).toBe(true);
        expect(findManagedBlock(placed.slice(0, placed.length - (before + after).length))).toEqual({ lines: ours, broken: false });
        expect(placeManagedBlockAtTop(placed, ours)).toBe(placed);
      }),
      { numRuns: RUNS },
    );
  });
});

const chronyKnownLine = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(spacing, fc.constantFrom('pool 2.debian.pool.ntp.org iburst', 'server time.example.com', 'server metadata.google.internal iburst', 'server metadata.google.internal iburst prefer', 'server metadata.google.internal', 'peer 10.0.0.1', 'sourcedir /run/chrony-dhcp', 'refclock PHC /dev/ptp0 poll 2'), spacing).map(([a, line, b]) => `${a}${line}${b}`) },
  { weight: 2, arbitrary: fc.constantFrom('# pool 1.pool.ntp.org', '! server x', '; comment', '% comment', '', '  ', 'driftfile /var/lib/chrony/chrony.drift', 'makestep 1 3', 'rtcsync', 'keyfile /etc/chrony/chrony.keys') },
  { weight: 1, arbitrary: fc.constantFrom(`${DISABLED_PREFIX}pool 0.pool.ntp.org`) },
);
const chronyLine = fc.oneof({ weight: 5, arbitrary: chronyKnownLine }, { weight: 1, arbitrary: fc.constant('include /etc/chrony/conf.d/*.conf') }, { weight: 2, arbitrary: junkLine });

/** What the ntp module does to one file: other sources commented out, ours appended when absent. */
function lineEdit(text: string, flavour: LineFlavour): string {
  const edited = disableLines(text, (line) => {
    const words = wordsOf(flavour, line);
    return isSource(flavour, words) && !isWantedSource(words);
  });
  const hasOurs = text.split('\n').some((line) => isWantedSource(wordsOf(flavour, line.replace(/\r$/, ''))));
  return hasOurs ? edited.text : appendLines(edited.text, ['# added', WANTED_SOURCE]);
}

/**
 * Checks that each line of `text` is in `now` at the same place, kept or commented out whole (the
 * prefix, then its own bytes), only sources commented out; returns the lines added after them.
 */
function linesAddedAfterKeptOrDisabled(text: string, now: string, flavour: LineFlavour): string[] {
  // Lines, not pieces: the empty piece after a final newline is where added lines go.
  const originalPieces = text === '' ? [] : text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
  const pieces = now.split('\n');
  originalPieces.forEach((piece, index) => {
    const edited = pieces[index]!;
    // The last line of a file without a final newline gains one (CR LF in a CR LF file) when lines follow.
    const endings = index === originalPieces.length - 1 ? ['', '\r'] : [''];
    const kept = endings.some((ending) => edited === piece + ending);
    const disabled = endings.some((ending) => edited === DISABLED_PREFIX + piece + ending);
    expect(kept || disabled, `line ${index + 1}: ${JSON.stringify(piece)} became ${JSON.stringify(edited)}`).toBe(true);
    if (disabled) expect(isSource(flavour, wordsOf(flavour, piece.replace(/\r$/, '')))).toBe(true);
  });
  return pieces.slice(originalPieces.length).map((piece) => piece.replace(/\r$/, '')).filter((line) => line !== '');
}

describe('property: chrony.conf/ntp.conf line editing', () => {
  // ntp.conf/ntpsec's ntp.conf: the same editor, ntp's reading (a '#' anywhere starts a comment).
  const ntpLine = fc.oneof(chronyLine, fc.constantFrom('server 0.debian.pool.ntp.org iburst # comment', 'server metadata.google.internal iburst # ours', 'broadcastclient', 'restrict default kod nomodify', 'includefile /etc/ntp.d/x.conf'));
  for (const [flavour, lines] of [['chrony', chronyLine], ['ntp', ntpLine]] as const) {
    it(`${flavour}: each line is kept or commented out whole (undoable byte for byte), ours is added once, and it is idempotent`, () => {
      fc.assert(
        fc.property(fileOf(lines), (text) => {
          const once = lineEdit(text, flavour);
          expect([[], ['# added', WANTED_SOURCE]]).toContainEqual(linesAddedAfterKeptOrDisabled(text, once, flavour));
          expect(lineEdit(once, flavour)).toBe(once);
          const sources = once.split('\n').map((line) => wordsOf(flavour, line.replace(/\r$/, ''))).filter((words) => isSource(flavour, words));
          expect(sources.length).toBeGreaterThan(0);
          for (const words of sources) expect(isWantedSource(words)).toBe(true);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

function moduleOf(report: Report, id: string): Report['modules'][number] {
  const result = report.modules.find((candidate) => candidate.id === id);
  if (!result) throw new Error(`no ${id} in the report`);
  return result;
}

function filesBelow(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(path.join(entry.parentPath, entry.name), readFileSync(path.join(entry.parentPath, entry.name), 'latin1'));
  }
  return files;
}

function write(root: string, guestPath: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, guestPath)), { recursive: true });
  writeFileSync(path.join(root, guestPath), text);
}

/** Values sshd -t / ssh -G accept for our keywords (any other spelling is a different test). */
const VALID_VALUES: Record<string, string[]> = {
  PermitRootLogin: ['yes', 'no', 'prohibit-password'],
  AllowTcpForwarding: ['yes', 'no', 'local'],
  ClientAliveInterval: ['0', '30', '420'],
  ServerAliveInterval: ['0', '60', '420'],
};

/** How ssh -G prints values that differ from how they are written. */
const SSH_G_SPELLING: Record<string, Record<string, string>> = { tunnel: { no: 'false', yes: 'point-to-point' } };

/** Valid sshd_config: global lines (with or without the drop-in Include), then Match blocks of keywords allowed there. */
function sshdConfigFile(side: 'server' | 'client'): fc.Arbitrary<{ main: string; vendor: string | undefined }> {
  const settings = side === 'server' ? SERVER_SETTINGS : CLIENT_SETTINGS;
  const ourKeyword = fc.oneof(...settings.map(([keyword]) => directive([keyword], VALID_VALUES[keyword] ?? ['yes', 'no'])));
  const other = side === 'server' ? fc.oneof(directive(['Port'], ['22', '2222']), directive(['UsePAM', 'PrintMotd'], ['yes', 'no'])) : fc.oneof(directive(['HashKnownHosts', 'GSSAPIAuthentication'], ['yes', 'no']), directive(['SendEnv'], ['LANG LC_*']));
  const comment = fc.constantFrom('# comment', '#X11Forwarding yes', '', '  ');
  const globalLine = fc.oneof(ourKeyword, other, comment, ...(side === 'client' ? [fc.constant('Host *')] : []));
  const section = side === 'server' ? fc.constantFrom('Match User bob', 'Match Address 10.0.0.0/8') : fc.constantFrom('Host example.com', 'Match host gfb-other');
  const sectionBlock = fc.tuple(section, fc.array(fc.tuple(spacing, ourKeyword).map(([indent, line]) => `${indent || '  '}${line.trim()}`), { maxLength: 3 })).map(([head, body]) => [head, ...body]);
  const dropInDir = side === 'server' ? '/etc/ssh/sshd_config.d' : '/etc/ssh/ssh_config.d';
  return fc
    .record({
      global: fc.array(globalLine, { maxLength: 8 }),
      includeAt: fc.option(fc.nat(8)),
      sections: fc.array(sectionBlock, { maxLength: 2 }),
      crlf: fc.boolean(),
      finalNewline: fc.boolean(),
      vendor: fc.option(fc.array(fc.oneof(ourKeyword, comment), { maxLength: 4 })),
    })
    .map(({ global, includeAt, sections, crlf, finalNewline, vendor }) => {
      const lines = [...global];
      if (includeAt !== null) lines.splice(Math.min(includeAt, lines.length), 0, `Include ${dropInDir}/*.conf`);
      return { main: assemble([...lines, ...sections.flat()], crlf, finalNewline), vendor: vendor === null ? undefined : assemble(vendor, crlf, true) };
    });
}

/** The settings the real sshd/ssh would use for a root's config: its Includes pointed into the root. */
async function effectiveSettings(side: 'server' | 'client', root: string, hostKey: string): Promise<Map<string, string>> {
  const main = side === 'server' ? 'etc/ssh/sshd_config' : 'etc/ssh/ssh_config';
  const copy = path.join(tempDir('gfb-effective-'), 'config');
  writeFileSync(copy, readFileSync(path.join(root, main), 'utf8').replaceAll(' /etc/ssh/', ` ${root}/etc/ssh/`));
  if (side === 'server') {
    const result = await execa('unshare', ['--mount', '--propagation', 'private', process.execPath, path.join(REPO, 'test/reliability/sshd-effective.mjs'), hostKey, copy]);
    const { exitCode, stderr, settings } = JSON.parse(result.stdout) as { exitCode: number; stderr: string; settings: Record<string, string> };
    expect(exitCode, stderr).toBe(0);
    return new Map(Object.entries(settings));
  }
  const result = await execa('ssh', ['-G', '-F', copy, 'gfb-target']);
  const settings = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && !settings.has(line.slice(0, space))) settings.set(line.slice(0, space), line.slice(space + 1));
  }
  return settings;
}

describe('property: the sshd module on generated configs, read back by the real sshd -T / ssh -G', () => {
  let hostKey: string;
  beforeAll(async () => {
    hostKey = path.join(tempDir('gfb-hostkey-'), 'key');
    await execa('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', hostKey, '-C', '']);
  });

  for (const side of ['server', 'client'] as const) {
    it(`${side === 'server' ? 'sshd_config' : 'ssh_config'}: other lines and files kept byte for byte, idempotent, and each setting takes effect unless a named earlier line wins`, async () => {
      const settings = side === 'server' ? SERVER_SETTINGS : CLIENT_SETTINGS;
      const main = side === 'server' ? 'etc/ssh/sshd_config' : 'etc/ssh/ssh_config';
      const vendorFile = side === 'server' ? 'etc/ssh/sshd_config.d/05-vendor.conf' : 'etc/ssh/ssh_config.d/05-vendor.conf';
      const config = side === 'server' ? '[sshd]\nclient = false\n' : '[sshd]\nserver = false\nclient_ciphers =\n';
      await fc.assert(
        fc.asyncProperty(sshdConfigFile(side), async ({ main: mainText, vendor }) => {
          const root = tempDir('gfb-sshd-prop-');
          write(root, main, mainText);
          if (vendor !== undefined) write(root, vendorFile, vendor);
          const first = moduleOf(await onePass(root, 'sshd', 'apply', config), 'sshd');
          expect(first.status, first.reason).not.toBe('failed');
          const afterFirst = filesBelow(path.join(root, 'etc'));
          const now = afterFirst.get(path.join(root, main))!;
          if (now !== mainText) {
            // Block mode: our block on top, then the original, every byte.
            expect(now.endsWith(mainText)).toBe(true);
            expect(findManagedBlock(now.slice(0, now.length - mainText.length)).lines).toEqual(settings.map(([keyword, value]) => `${keyword} ${value}`));
          }
          if (vendor !== undefined) expect(afterFirst.get(path.join(root, vendorFile))).toBe(vendor);
          const second = moduleOf(await onePass(root, 'sshd', 'apply', config), 'sshd');
          expect(second.changes).toEqual([]);
          expect(filesBelow(path.join(root, 'etc'))).toEqual(afterFirst);

          const effective = await effectiveSettings(side, root, hostKey);
          for (const [keyword, written] of settings) {
            const value = SSH_G_SPELLING[keyword.toLowerCase()]?.[written] ?? written;
            const conflict = second.findings.find((finding) => finding.key.endsWith(` ${keyword}`));
            if (conflict) {
              expect(conflict.cause).toMatch(/:\d+ sets it/);
              expect(effective.get(keyword.toLowerCase())).not.toBe(value.toLowerCase());
            } else {
              expect(effective.get(keyword.toLowerCase()), `${keyword} in\n${now}`).toBe(value.toLowerCase());
            }
          }
        }),
        { numRuns: SAMPLES },
      );
    }, 600_000);
  }
});

describe('property: the ntp module on generated chrony.conf, read back by the real chronyd -p', () => {
  let chronyd: string;
  beforeAll(async () => {
    chronyd = await debTool('chrony', 'usr/sbin/chronyd');
  });

  it("other lines of chrony.conf kept or commented out whole, an author's confdir file kept byte for byte, idempotent; chronyd reads the metadata server and only the confdir's own sources besides", async () => {
    await fc.assert(
      fc.asyncProperty(fileOf(chronyKnownLine), fc.option(fileOf(chronyKnownLine, 5)), async (mainText, confdirText) => {
        const root = tempDir('gfb-ntp-prop-');
        const conf = 'etc/chrony/chrony.conf';
        const extra = 'etc/chrony/conf.d/site.conf';
        const withConfdir = confdirText === null ? mainText : `confdir /etc/chrony/conf.d\n${mainText}`;
        write(root, conf, withConfdir);
        if (confdirText !== null) write(root, extra, confdirText);
        const first = moduleOf(await onePass(root, 'ntp', 'apply'), 'ntp');
        expect(first.status, first.reason).not.toBe('failed');
        const files = confdirText === null ? [[conf, withConfdir]] : [[conf, withConfdir], [extra, confdirText]];
        for (const [file, original] of files) {
          const added = linesAddedAfterKeptOrDisabled(original!, readFileSync(path.join(root, file!), 'utf8'), 'chrony');
          if (file === conf && added.length) expect(added).toEqual([expect.stringMatching(/^# /), WANTED_SOURCE]);
          else expect(added).toEqual([]);
        }
        // Sources in an included file are the author's (an override): that file stays as it was.
        if (confdirText !== null) expect(readFileSync(path.join(root, extra), 'utf8')).toBe(confdirText);
        const authored = new Set(
          (confdirText ?? '').split('\n').map((line) => wordsOf('chrony', line)).filter((words) => isSource('chrony', words)).map((words) => words.join(' ')),
        );
        const after = filesBelow(path.join(root, 'etc'));
        expect(moduleOf(await onePass(root, 'ntp', 'apply'), 'ntp').changes).toEqual([]);
        expect(filesBelow(path.join(root, 'etc'))).toEqual(after);

        const copy = path.join(tempDir('gfb-chrony-'), 'chrony.conf');
        writeFileSync(copy, readFileSync(path.join(root, conf), 'utf8').replace('confdir /etc/chrony/conf.d', `confdir ${root}/etc/chrony/conf.d`));
        const parsed = await execa(chronyd, ['-p', '-f', copy], { reject: false });
        expect(parsed.exitCode, parsed.stderr).toBe(0);
        const sources = parsed.stdout.split('\n').map((line) => line.trim().split(/\s+/)).filter((words) => isSource('chrony', words));
        expect(sources.some((words) => isWantedSource(words))).toBe(true);
        for (const words of sources) expect(isWantedSource(words) || authored.has(words.join(' ')), words.join(' ')).toBe(true);
      }),
      { numRuns: SAMPLES },
    );
  }, 600_000);
});

const OWN_FILE = 'etc/sysctl.d/60-gce-firstboot.conf';
const sysctlLine = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(spacing, fc.constantFrom('-', ''), fc.constantFrom(...PUBLISHED_SYSCTLS.map(([key]) => key), 'vm.swappiness', 'net/ipv4/ip_forward'), fc.constantFrom('=', ' = ', '\t=\t'), fc.constantFrom('0', '1', '2', '3'), spacing).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.constantFrom('# comment', '; comment', '', '  ', 'net.ipv4.conf.*.rp_filter = 0', 'kernel.sysrq=16') },
  { weight: 1, arbitrary: junkLine },
);

/** Which file systemd-sysctl + procps would take each key from (last wins), by this test's own reading of the rules. */
function effectiveSysctl(root: string): Map<string, { value: string; file: string }> {
  const byName = new Map<string, string>();
  for (const dir of ['etc/sysctl.d', 'usr/lib/sysctl.d']) {
    for (const name of existsSync(path.join(root, dir)) ? readdirSync(path.join(root, dir)) : []) {
      if (name.endsWith('.conf') && !byName.has(name)) byName.set(name, path.join(dir, name));
    }
  }
  const order = [...byName.keys()].sort().map((name) => byName.get(name)!);
  if (existsSync(path.join(root, 'etc/sysctl.conf'))) order.push('etc/sysctl.conf');
  const values = new Map<string, { value: string; file: string }>();
  for (const file of order) {
    for (const raw of readFileSync(path.join(root, file), 'utf8').split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';') || !line.includes('=')) continue;
      const key = line.slice(0, line.indexOf('=')).trim().replace(/^-/, '').replaceAll('/', '.');
      if (/[*?[]/.test(key)) continue;
      values.set(key, { value: line.slice(line.indexOf('=') + 1).trim(), file });
    }
  }
  return values;
}

describe('property: the sysctl module among generated sysctl.d files', () => {
  const otherFile = fc.constantFrom('etc/sysctl.d/10-site.conf', 'etc/sysctl.d/99-late.conf', 'usr/lib/sysctl.d/50-vendor.conf', 'usr/lib/sysctl.d/60-gce-firstboot.conf', 'usr/lib/sysctl.d/70-vendor.conf', 'etc/sysctl.conf');
  it('other files kept byte for byte, its own file rewritten whatever it held, idempotent, and each value in effect unless a named later file wins', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(otherFile, fileOf(sysctlLine, 8)), { selector: ([file]) => file, maxLength: 4 }), fc.option(fileOf(sysctlLine, 8)), async (others, ownBefore) => {
        const root = tempDir('gfb-sysctl-prop-');
        for (const [file, text] of others) write(root, file, text);
        if (ownBefore !== null) write(root, OWN_FILE, ownBefore);
        const first = moduleOf(await onePass(root, 'sysctl', 'apply'), 'sysctl');
        expect(first.status, first.reason).not.toBe('failed');
        for (const [file, text] of others) expect(readFileSync(path.join(root, file), 'utf8')).toBe(text);
        const after = filesBelow(root);
        const second = moduleOf(await onePass(root, 'sysctl', 'apply'), 'sysctl');
        expect(second.changes).toEqual([]);
        expect(filesBelow(root)).toEqual(after);

        const effective = effectiveSysctl(root);
        for (const [key, value] of PUBLISHED_SYSCTLS) {
          const overridden = second.findings.find((finding) => finding.key === `${key} at boot`);
          const now = effective.get(key);
          if (overridden) {
            expect(overridden.cause).toContain(now!.file);
            continue;
          }
          if (FLOOR_KEYS.has(key)) {
            // Left to the kernel until a live run knows its default, or at least the published minimum.
            if (now) expect(Number(now.value)).toBeGreaterThanOrEqual(Number(value));
            else expect(second.findings.some((finding) => finding.key.endsWith(` ${key}`) && finding.severity === 'info')).toBe(true);
          } else {
            expect(now?.value, key).toBe(value);
          }
        }
      }),
      { numRuns: SAMPLES },
    );
  }, 600_000);
});
