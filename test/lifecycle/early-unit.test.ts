// sshd never starts without a host key of every configured type (issue 15.1, 15.7), and the keys
// are made before sshd by make-host-keys as the agent's plan says (issue 18.3): the units' own
// lines, run as systemd runs them (see early-unit.ts), through the events of a VM's life.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTools } from '../packaging/helpers.js';
import { tempDir } from '../helpers/sandbox.js';
import { bootEarlyUnit, newMachine, type Machine } from './early-unit.js';

const TYPES = ['rsa', 'ecdsa', 'ed25519'];
const KEY_FILES = TYPES.flatMap((t) => [`ssh_host_${t}_key`, `ssh_host_${t}_key.pub`]).sort();

function keyBytes(machine: Machine): Record<string, string> {
  const names = readdirSync(machine.sshDir).filter((n) => n.startsWith('ssh_host_'));
  return Object.fromEntries(names.map((n) => [n, readFileSync(path.join(machine.sshDir, n), 'utf8')]));
}

/** Every configured type has a key ssh-keygen can read (what sshd needs to start with it). */
function usableTypes(machine: Machine): string[] {
  return TYPES.filter((t) => /^-----BEGIN OPENSSH PRIVATE KEY-----/.test(keyBytes(machine)[`ssh_host_${t}_key`] ?? ''));
}

function recorded(machine: Machine): Record<string, string> {
  return JSON.parse(readFileSync(path.join(machine.stateDir, 'host-keys.json'), 'utf8')).value.fingerprints;
}

/** A directory with an `ssh-keygen` that runs the real one, except as `body` says. */
function sshKeygenWrapper(body: string): string {
  const dir = tempDir('gfb-wrapper-');
  writeFileSync(path.join(dir, 'ssh-keygen'), `#!/bin/sh\n${body}\nexec /usr/bin/ssh-keygen "$@"\n`);
  chmodSync(path.join(dir, 'ssh-keygen'), 0o755);
  return dir;
}

beforeAll(() => ensureTools('ssh-keygen', 'unshare'), 300_000);

describe('keys deleted, then a reboot (the early unit as systemd runs it)', () => {
  it.each([
    ['every key deleted', (m: Machine) => KEY_FILES.forEach((f) => unlinkSync(path.join(m.sshDir, f))), TYPES],
    ['half of them deleted', (m: Machine) => ['ssh_host_rsa_key', 'ssh_host_rsa_key.pub', 'ssh_host_ecdsa_key'].forEach((f) => unlinkSync(path.join(m.sshDir, f))), ['rsa', 'ecdsa']],
    ['one key file emptied', (m: Machine) => truncateSync(path.join(m.sshDir, 'ssh_host_ed25519_key'), 0), ['ed25519']],
  ])('%s: the missing ones are made before sshd, the others kept byte for byte, the agent records them', async (_event, damage, remade) => {
    const machine = newMachine();
    const first = await bootEarlyUnit(machine);
    expect(first, first.output).toMatchObject({ exitCode: 0, fallbackRan: false, agentExitCode: 0 });
    const before = keyBytes(machine);
    damage(machine);

    const reboot = await bootEarlyUnit(machine);
    expect(reboot, reboot.output).toMatchObject({ exitCode: 0, serviceResult: 'success', fallbackRan: false, agentExitCode: 0 });
    expect(usableTypes(machine)).toEqual(TYPES);
    expect(Object.keys(keyBytes(machine)).sort()).toEqual(KEY_FILES);
    const after = keyBytes(machine);
    for (const type of TYPES) {
      const name = `ssh_host_${type}_key`;
      if (remade.includes(type)) expect(after[name]).not.toBe(before[name]);
      else expect([after[name], after[`${name}.pub`]]).toEqual([before[name], before[`${name}.pub`]]);
    }
    expect(reboot.output).toContain(`make-host-keys: made ${remade.map((t) => `ssh_host_${t}_key`).join(' ')}`);
    expect(reboot.output).toMatch(/ssh-host-keys +identity record .*recorded/);
    // The record follows the keys sshd now serves.
    const { stdout } = await import('execa').then(({ execa }) => execa('ssh-keygen', ['-l', '-f', path.join(machine.sshDir, 'ssh_host_rsa_key')]));
    expect(recorded(machine)['ssh_host_rsa_key']).toBe(stdout.split(' ')[1]);
  }, 180_000);
});

describe('a key type the crypto policy refuses (FIPS on RHEL 9 refuses ed25519)', () => {
  // FIPS cannot be switched on here: an ssh-keygen on PATH that refuses ed25519 the way a FIPS
  // crypto policy does (and runs the real ssh-keygen for everything else) stands in for it.
  it('the other types are made and installed, the helper exits 3 (a failed unit), and the unit fallback runs', async () => {
    const machine = newMachine();
    const fips = sshKeygenWrapper('case " $* " in *" -t ed25519 "*) echo "ssh-keygen: generating ed25519 keys: invalid or unsupported by the FIPS crypto policy" >&2; exit 255;; esac');
    const boot = await bootEarlyUnit(machine, { path: fips });
    expect(boot, boot.output).toMatchObject({ exitCode: 3, serviceResult: 'exit-code', fallbackRan: true });
    expect(boot.output).toContain('make-host-keys: ssh-keygen made no ssh_host_ed25519_key (installed: ssh_host_rsa_key ssh_host_ecdsa_key)');
    // Without FIPS here the fallback's ssh-keygen -A makes ed25519 too; under FIPS it would not, and sshd starts with rsa and ecdsa.
    expect(usableTypes(machine)).toEqual(TYPES);
    // Made before sshd on this VM, all of them: the agent records what sshd serves.
    expect(Object.keys(recorded(machine)).sort()).toEqual(KEY_FILES.filter((f) => !f.endsWith('.pub')));

    // The next boot under the same policy: nothing changes.
    const before = keyBytes(machine);
    const again = await bootEarlyUnit(machine, { path: fips });
    expect(again, again.output).toMatchObject({ exitCode: 0, fallbackRan: false, agentExitCode: 0 });
    expect(keyBytes(machine)).toEqual(before);
  }, 180_000);
});

describe('the key helper does not finish', () => {
  it('killed at its timeout while ssh-keygen hangs: the fallback makes every missing key before sshd', async () => {
    const machine = newMachine();
    const marker = path.join(tempDir('gfb-hang-'), 'hung');
    const hang = sshKeygenWrapper(`case " $* " in *" -t rsa "*) echo $$ > ${marker}.tmp && mv ${marker}.tmp ${marker}; exec sleep 3600;; esac`);
    const boot = await bootEarlyUnit(machine, { path: hang, killWhen: marker });
    expect(boot, boot.output).toMatchObject({ exitCode: undefined, serviceResult: 'timeout', fallbackRan: true });
    expect(usableTypes(machine)).toEqual(TYPES);
  }, 180_000);

  it('a broken agent configuration: the keys are still made before sshd (the helper never reads it); the agent exits 2', async () => {
    const machine = newMachine('[ssh-host-keys]\ntypes = rsa, dsa\n');
    const boot = await bootEarlyUnit(machine);
    expect(boot, boot.output).toMatchObject({ exitCode: 0, serviceResult: 'success', fallbackRan: false, agentExitCode: 2 });
    expect(usableTypes(machine)).toEqual(TYPES);
  }, 180_000);
});

const plan = (machine: Machine): string => readFileSync(path.join(machine.stateDir, 'host-keys.plan'), 'utf8');

describe('first boot of a sealed image: keys made before sshd', () => {
  it('no keys, no state: make-host-keys makes every type before sshd; the agent records them for this VM and writes the plan', async () => {
    const machine = newMachine();
    const boot = await bootEarlyUnit(machine);
    expect(boot, boot.output).toMatchObject({ exitCode: 0, serviceResult: 'success', fallbackRan: false, agentExitCode: 0 });
    expect(usableTypes(machine)).toEqual(TYPES);
    expect(boot.output).toContain('make-host-keys: made ssh_host_rsa_key ssh_host_ecdsa_key ssh_host_ed25519_key');
    const record = JSON.parse(readFileSync(path.join(machine.stateDir, 'host-keys.json'), 'utf8')).value;
    expect(record.productUuid).toBe(machine.uuid);
    expect(Object.keys(record.fingerprints).sort()).toEqual(TYPES.map((t) => `ssh_host_${t}_key`).sort());
    expect(plan(machine)).toMatch(new RegExp(`^types=rsa ecdsa ed25519\nmade-for=${machine.uuid}\n$`, 'm'));
    // The agent's report names the keys made at this boot, and their fingerprints reach the serial console once.
    for (const t of TYPES) expect(boot.output).toMatch(new RegExp(`/etc/ssh/ssh_host_${t}_key +generated by make-host-keys before sshd`));
    expect(readFileSync(machine.serialPath, 'utf8').split('-----BEGIN SSH HOST KEY FINGERPRINTS-----')).toHaveLength(2);

    // The next boot of the same VM changes no key.
    const before = keyBytes(machine);
    const again = await bootEarlyUnit(machine);
    expect(again, again.output).toMatchObject({ exitCode: 0, fallbackRan: false, agentExitCode: 0 });
    expect(keyBytes(machine)).toEqual(before);
    expect(again.output).not.toContain('make-host-keys: made');
  }, 180_000);

  it('template keys left in the image (no state): replaced before sshd, every type new', async () => {
    const template = newMachine();
    await bootEarlyUnit(template);
    const machine = newMachine();
    for (const [name, text] of Object.entries(keyBytes(template))) writeFileSync(path.join(machine.sshDir, name), text, { mode: name.endsWith('.pub') ? 0o644 : 0o600 });
    const boot = await bootEarlyUnit(machine);
    expect(boot, boot.output).toMatchObject({ exitCode: 0, fallbackRan: false, agentExitCode: 0 });
    expect(boot.output).toContain('all replaced');
    for (const [name, text] of Object.entries(keyBytes(machine))) expect(text, name).not.toBe(keyBytes(template)[name]);
    expect(usableTypes(machine)).toEqual(TYPES);
  }, 180_000);
});

describe('image cloned to a new VM (other SMBIOS UUID)', () => {
  it('every key is replaced before sshd on the clone, and recorded for the new UUID', async () => {
    const machine = newMachine();
    await bootEarlyUnit(machine);
    const before = keyBytes(machine);
    machine.uuid = randomUUID();

    const clone = await bootEarlyUnit(machine);
    expect(clone, clone.output).toMatchObject({ exitCode: 0, fallbackRan: false, agentExitCode: 0 });
    for (const t of TYPES) expect(clone.output).toMatch(new RegExp(`/etc/ssh/ssh_host_${t}_key +made new by make-host-keys before sshd`));
    const after = keyBytes(machine);
    for (const name of KEY_FILES) expect(after[name], name).not.toBe(before[name]);
    const record = JSON.parse(readFileSync(path.join(machine.stateDir, 'host-keys.json'), 'utf8')).value;
    expect(record.productUuid).toBe(machine.uuid);
    expect(plan(machine)).toContain(`made-for=${machine.uuid}\n`);

    // The clone's next boot keeps its new keys.
    await bootEarlyUnit(machine);
    expect(keyBytes(machine)).toEqual(after);
  }, 180_000);
});

describe('plan file damaged/hostile: fallback keys, one-line error', () => {
  const marker = path.join(tempDir('gfb-hostile-'), 'evaluated');
  it.each([
    ['a command substitution', `types=rsa\nmade-for=$(touch ${marker})\n`],
    ['a backquoted command in types', `types=\`touch ${marker}\`\nmade-for=keep\n`],
    ['an unknown line', `types=rsa ecdsa ed25519\nmade-for=keep\nPATH=/tmp\n`],
    ['binary junk', '\u0000\u0001\u00ff\n'],
    ['no made-for line', 'types=rsa\n'],
  ])('%s: make-host-keys says why on one line and exits 3, nothing is evaluated, the fallback makes the keys; the agent rewrites the plan', async (_what, text) => {
    const machine = newMachine();
    await bootEarlyUnit(machine);
    unlinkSync(path.join(machine.sshDir, 'ssh_host_ecdsa_key'));
    writeFileSync(path.join(machine.stateDir, 'host-keys.plan'), text);

    const boot = await bootEarlyUnit(machine);
    expect(boot, boot.output).toMatchObject({ exitCode: 3, serviceResult: 'exit-code', fallbackRan: true });
    const errors = boot.output.split('\n').filter((l) => l.startsWith('make-host-keys:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/host-keys\.plan.*falling back to ssh-keygen -A$/);
    expect(existsSync(marker)).toBe(false);
    expect(usableTypes(machine)).toEqual(TYPES);
    expect(boot.agentExitCode, boot.output).toBe(0);
    expect(plan(machine)).toContain(`made-for=${machine.uuid}\n`);
  }, 180_000);

  it('a symlink in place of the plan: refused, not followed', async () => {
    const machine = newMachine();
    await bootEarlyUnit(machine);
    unlinkSync(path.join(machine.stateDir, 'host-keys.plan'));
    symlinkSync('/etc/passwd', path.join(machine.stateDir, 'host-keys.plan'));
    const boot = await bootEarlyUnit(machine);
    expect(boot, boot.output).toMatchObject({ exitCode: 3, fallbackRan: true });
    expect(boot.output).toContain('host-keys.plan is not a regular file');
    expect(usableTypes(machine)).toEqual(TYPES);
  }, 180_000);
});

describe('upgrade from a version that wrote no plan', () => {
  it('the record is there, the plan is not: make-host-keys keeps the keys, the early stage writes the plan, and a clone of the disk then gets new keys', async () => {
    const machine = newMachine();
    await bootEarlyUnit(machine);
    unlinkSync(path.join(machine.stateDir, 'host-keys.plan'));
    const before = keyBytes(machine);

    const upgraded = await bootEarlyUnit(machine);
    expect(upgraded, upgraded.output).toMatchObject({ exitCode: 0, fallbackRan: false, agentExitCode: 0 });
    expect(keyBytes(machine)).toEqual(before);
    expect(upgraded.output).toMatch(/host-keys\.plan +rewritten from the key record/);
    expect(plan(machine)).toContain(`made-for=${machine.uuid}\n`);

    machine.uuid = randomUUID();
    await bootEarlyUnit(machine);
    for (const name of KEY_FILES) expect(keyBytes(machine)[name], name).not.toBe(before[name]);
  }, 180_000);
});
