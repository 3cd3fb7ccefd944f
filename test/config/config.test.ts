import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { CORE_OPTIONS } from '../../src/config/core-options.js';
import { defaultsOf } from '../../src/config/schema.js';
import { ALL_MODULES } from '../../src/policy/registry.js';
import { REPO, sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { reportOf, runCli } from '../helpers/cli.js';

const SHIPPED = path.join(REPO, 'agent/gce-firstboot.conf');

/** The shipped file with every commented-out "key = value" line switched on. */
function uncommented(text: string): string {
  return text.replace(/^# ([a-z_]+ = .*)$/gm, '$1').replace(/^# ([a-z_]+ =)$/gm, '$1');
}

describe('config', () => {
  it('the shipped config parses, and every value it shows is the built-in default', () => {
    const shipped = readFileSync(SHIPPED, 'utf8');
    const asShipped = parseConfig(shipped, SHIPPED, ALL_MODULES);
    const switchedOn = parseConfig(uncommented(shipped), SHIPPED, ALL_MODULES);
    expect(switchedOn.core).toEqual(defaultsOf(CORE_OPTIONS));
    expect(switchedOn).toEqual(asShipped);
  });

  it('the shipped config has a section for every module', () => {
    const sections = [...readFileSync(SHIPPED, 'utf8').matchAll(/^\[([a-z-]+)\]$/gm)].map((match) => match[1]);
    expect(sections.sort()).toEqual(['core', ...ALL_MODULES.map((module) => module.id)].sort());
  });

  it.each([
    ['[nonsense]\nx = 1\n', /\[nonsense\]: unknown section/],
    ['[core]\nmode = loud\n', /\[core\] mode: expected one of report, enforce, got "loud"/],
    ['[core]\nboot_deadline_sec = soon\n', /\[core\] boot_deadline_sec: expected a whole number/],
    ['[core]\nboot_deadline_sec = 100000\n', /must be at most 600/],
    ['[timezone]\nzone = ../../etc/passwd\n', /\[timezone\] zone: ".*" is not a zoneinfo name/],
    ['[hostname]\nenabled = maybe\n', /\[hostname\] enabled: expected true or false/],
    ['[hostname]\ncolour = blue\n', /\[hostname\] colour: unknown key/],
    ['stray = 1\n', /every key must be inside a \[section\]/],
    ['[core]\nmetadata_host = a:b:c\n', /\[core\] metadata_host: "a:b:c": expected host or host:port/],
    ['[core]\nmetadata_host = 127.0.0.1:0\n', /\[core\] metadata_host: "127\.0\.0\.1:0": port 0 is not 1-65535/],
  ])('rejects %j with one line naming file, key and reason, exit 2', async (text, message) => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.conf');
    writeFileSync(file, text);
    const root = sandboxRoot();
    const before = readFileSync(path.join(root, 'etc/hostname'), 'utf8');
    const result = await runCli(['apply', '--root', root, '--config', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(message);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe(before);
  });

  it('reads the config under --root by default, and a module can be switched off there', async () => {
    const root = sandboxRoot();
    const confDir = path.join(root, 'etc/gce-firstboot');
    mkdirSync(confDir);
    writeFileSync(path.join(confDir, 'gce-firstboot.conf'), '[timezone]\nenabled = false\n[core]\nmode = loud\n');
    const result = await runCli(['check', '--root', root]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(path.join(confDir, 'gce-firstboot.conf'));
  });

  // A typo in the metadata server's address used to be retried as an unreachable server for the
  // whole boot budget (30 s) before the pass went on without it.
  it.each([
    ['--metadata-host', ['--metadata-host', 'metadata server'], {}, /^gce-firstboot: --metadata-host "metadata server": expected host or host:port/],
    ['--metadata-host', ['--metadata-host', '127.0.0.1:99999'], {}, /^gce-firstboot: --metadata-host "127\.0\.0\.1:99999": port 99999 is not 1-65535$/],
    ['GCE_METADATA_HOST', [], { GCE_METADATA_HOST: 'http://127.0.0.1:8080/' }, /^gce-firstboot: GCE_METADATA_HOST "http:\/\/127\.0\.0\.1:8080\/": expected host or host:port/],
  ])('a malformed %s is one line and exit 2 before any request (check, apply and watch)', async (_name, args, env, message) => {
    const root = sandboxRoot();
    const before = readFileSync(path.join(root, 'etc/hostname'), 'utf8');
    for (const command of [['check'], ['apply'], ['watch']]) {
      const result = await runCli([...command, '--root', root, ...args], { env });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(message);
    }
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe(before);
    expect(existsSync(path.join(root, 'var/lib/gce-firstboot'))).toBe(false);
  });

  it('a config saved with a UTF-8 byte order mark and CRLF line ends (a Windows editor) reads as without them', async () => {
    const file = path.join(tempDir(), 'windows.conf');
    writeFileSync(file, '\uFEFF[core]\r\nboot_deadline_sec = 7\r\n[sysctl]\r\nkernel.kptr_restrict = 2\r\n');
    const result = await runCli(['check', '--root', sandboxRoot(), '--offline', '--config', file, '--only', 'sysctl', '--json']);
    expect(result.exitCode, result.stderr).toBe(1);
    const findings = reportOf(result).modules[0]!.findings;
    expect(findings).toContainEqual(expect.objectContaining({ key: '/etc/sysctl.d/60-gce-firstboot.conf kernel.kptr_restrict', expected: '2' }));
  });

  it('a missing explicit --config is a config error', async () => {
    const result = await runCli(['check', '--root', sandboxRoot(), '--config', '/nonexistent/gce.conf']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/\/nonexistent\/gce.conf: cannot read config: no such file/);
  });

  it.each([
    ['[core]\n__proto__ = 1\n', /line 2: "__proto__" is a reserved name, not a key/],
    ['[__proto__]\nmode = enforce\n', /line 1: "__proto__" is a reserved name, not a section/],
    ['[hostname]\nconstructor = x\n', /line 2: "constructor" is a reserved name, not a key/],
    ['[sysctl]\ntoString = 1\n', /line 2: "toString" is a reserved name, not a key/],
    ['[core]\nhasOwnProperty = 1\n', /"hasOwnProperty" is a reserved name/],
  ])('an object-prototype name in %j is refused, not silently taken or dropped', (text, message) => {
    expect(() => parseConfig(text, 'x.conf', ALL_MODULES)).toThrow(message);
  });

  it('parses into objects without a prototype', () => {
    const config = parseConfig('[core]\nmode = enforce\n', 'x.conf', ALL_MODULES);
    expect(Object.getPrototypeOf(config.core)).toBeNull();
    expect(Object.getPrototypeOf(config.modules.sysctl!.extraOptions)).toBeNull();
  });

  it('a 50 MB config file is refused by its size, and its start is quoted cut', async () => {
    const file = path.join(tempDir(), 'huge.conf');
    writeFileSync(file, `[core]\nmode = ${'A'.repeat(50 * 1024 * 1024)}\n`);
    const result = await runCli(['check', '--root', sandboxRoot(), '--config', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.length).toBeLessThan(600);
    expect(result.stderr).toContain('huge.conf: file: is 52428815 characters long; a config file holds at most 1048576');
  });

  it('a 100 kB line is refused with its start quoted, cut at 80 characters', () => {
    const text = `[core]\nmode = ${'A'.repeat(100_000)}\n`;
    expect(() => parseConfig(text, 'x.conf', ALL_MODULES)).toThrow(/^x\.conf: line 2: is 100007 characters long \(at most 4096\): "mode = A{73}… \(100007 characters\)"$/);
  });

  it('a long bad value is quoted cut at 80 characters with its length', () => {
    const text = `[core]\nmode = ${'B'.repeat(3000)}\n`;
    expect(() => parseConfig(text, 'x.conf', ALL_MODULES)).toThrow(/\[core\] mode: expected one of report, enforce, got "B{80}… \(3000 characters\)"$/);
  });

  it('a value with terminal escapes is shown escaped in the error', () => {
    expect(() => parseConfig('[core]\nmode = \u001b[2Jx\n', 'x.conf', ALL_MODULES)).toThrow('got "\\x1b[2Jx"');
  });

  it('a directory at the config path is a config error naming it, exit 2', async () => {
    const root = sandboxRoot();
    const defaultPath = path.join(root, 'etc/gce-firstboot/gce-firstboot.conf');
    mkdirSync(defaultPath, { recursive: true });
    const atDefault = await runCli(['check', '--root', root, '--offline']);
    expect(atDefault.exitCode).toBe(2);
    expect(atDefault.stderr.trim()).toBe(`gce-firstboot: ${defaultPath}: cannot read config: is a directory, not a config file`);
    const explicit = await runCli(['check', '--root', root, '--offline', '--config', tempDir()]);
    expect(explicit.exitCode).toBe(2);
    expect(explicit.stderr).toContain('cannot read config: is a directory, not a config file');
  });
});

describe('command line', () => {
  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['check', '--bogus'], /Unknown option '--bogus'/],
    [['check', '--only', 'hostname,nope'], /--only: unknown module nope/],
    [['check', '--log-level', 'loud'], /--log-level: expected one of/],
    [['apply', '--stage', 'late'], /--stage: expected early or network/],
    [['check', '--dry-run'], /--dry-run is for apply/],
  ])('%j is a usage error: one line, exit 2', async (args, message) => {
    const result = await runCli([...args, '--root', sandboxRoot()]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--version matches package.json, --help lists the commands, per-command help lists options', async () => {
    const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    expect((await runCli(['--version'])).stdout).toBe(`gce-firstboot ${version}`);
    const help = await runCli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/apply .*\n.*check .*\n.*watch/);
    const applyHelp = await runCli(['apply', '--help']);
    expect(applyHelp.stdout).toContain('--dry-run');
    expect(applyHelp.stdout).toContain('--root DIR');
  });
});
