import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHostName } from '../../src/policy/hostname/validate.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/schema.js';
import { ALL_MODULES } from '../../src/policy/registry.js';
import { MARK, markedLines, replaceMarkedLines } from '../../src/edit/marked-lines.js';
import { readIniSwitch, setIniSwitch } from '../../src/edit/ini-switch.js';

const RUNS = 10_000;
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
/** Lines another program wrote: anything but our mark, including CR, tabs, unicode, blanks. */
const foreignLine = fc.string({ unit: 'binary', maxLength: 60 }).filter((line) => !line.includes('\n') && !line.includes(MARK));
const foreignText = fc.tuple(fc.array(foreignLine, { maxLength: 12 }), fc.boolean(), fc.boolean()).map(([lines, crlf, finalNewline]) => {
  const eol = crlf ? '\r\n' : '\n';
  return lines.join(eol) + (finalNewline && lines.length ? eol : '');
});

describe('property: host name validation', () => {
  it('any string is either refused with a reason or yields a valid short name and FQDN', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (raw) => {
        let parsed;
        try {
          parsed = parseHostName(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message.length).toBeGreaterThan(0);
          return;
        }
        expect(parsed.fqdn.length).toBeLessThanOrEqual(253);
        expect(parsed.short).toMatch(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/);
        expect(parsed.fqdn.startsWith(parsed.short)).toBe(true);
        expect(parsed.fqdn).not.toMatch(/[\s;|&$`'"\\]/);
      }),
      { numRuns: RUNS },
    );
  });

  it('every well-formed name is accepted, with its first label as the short name', () => {
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 8 }), (labels) => {
        const name = labels.join('.');
        fc.pre(name.toLowerCase() !== 'metadata.google.internal');
        // Reserved and all-digit names are refused on purpose (hostname/README.md).
        fc.pre(!/^localhost$/i.test(labels[0]!) && !/\.localhost$/i.test(name) && !/^\d+$/.test(labels[0]!) && !/^\d+$/.test(labels.at(-1)!));
        expect(parseHostName(name)).toEqual({ fqdn: name, short: labels[0] });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: config parsing', () => {
  it('arbitrary text either parses or fails with a ConfigError naming the file', () => {
    const iniLike = fc.array(
      fc.oneof(
        fc.constantFrom('[core]', '[hostname]', '[timezone]', '[coexistence]', '[bogus]', '', '; comment', '# comment'),
        fc.tuple(fc.constantFrom('mode', 'enabled', 'zone', 'take_over', 'boot_deadline_sec', 'serial_port', 'x'), fc.string({ maxLength: 12 })).map(([k, v]) => `${k} = ${v}`),
        fc.string({ maxLength: 30 }),
      ),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(iniLike, (lines) => {
        try {
          const config = parseConfig(lines.join('\n'), '/etc/x.conf', ALL_MODULES);
          expect(['report', 'enforce']).toContain(config.core.mode);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message.startsWith('/etc/x.conf: ')).toBe(true);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: editing other programs files', () => {
  it('marked-line editing keeps every foreign line byte for byte and is idempotent', () => {
    fc.assert(
      fc.property(foreignText, fc.array(fc.stringMatching(/^[a-z0-9. ]{1,30}$/), { maxLength: 4 }), (text, wanted) => {
        const once = replaceMarkedLines(text, wanted);
        expect(markedLines(once)).toEqual(wanted.map((line) => line.trimEnd()));
        // Foreign bytes stay as they were; ours come after (a missing final newline is supplied).
        expect(once.startsWith(text)).toBe(true);
        expect(once.slice(text.length).replace(/^\r?\n/, '').split(/\r?\n/).filter(Boolean).every((line) => line.endsWith(MARK))).toBe(true);
        expect(replaceMarkedLines(once, wanted)).toBe(once);
        expect(replaceMarkedLines(once, [])).toBe(replaceMarkedLines(text, []));
      }),
      { numRuns: RUNS },
    );
  });

  it('an INI switch is set, read back, idempotent, and other lines survive', () => {
    const iniLine = fc.oneof(fc.constantFrom('[InstanceSetup]', '[Accounts]', '[Unstable]', 'set_host_keys = true', 'x = 1', '# c', ''), foreignLine.filter((l) => !/^\s*\[|set_hostname|^\s*#?\s*set_host_keys/.test(l)));
    fc.assert(
      fc.property(fc.array(iniLine, { maxLength: 12 }), fc.constantFrom('InstanceSetup', 'Unstable'), (lines, section) => {
        const text = lines.join('\n');
        const once = setIniSwitch(text, section, 'set_hostname', 'false');
        expect(readIniSwitch(once, section, 'set_hostname')).toBe('false');
        expect(setIniSwitch(once, section, 'set_hostname', 'false')).toBe(once);
        for (const line of lines.filter((l) => l.trim() !== '' && !/\r/.test(l))) expect(once).toContain(line);
      }),
      { numRuns: RUNS },
    );
  });
});
