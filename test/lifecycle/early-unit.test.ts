// sshd never starts without a host key of every configured type (issue 15.1, 15.7): the early
// unit's own lines, run as systemd runs them (see early-unit.ts), through the events of a VM's life.
import { chmodSync, readFileSync, readdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
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
  ])('%s: the agent makes the missing ones before sshd, keeps the others byte for byte, exits 0', async (_event, damage, remade) => {
    const machine = newMachine();
    const first = await bootEarlyUnit(machine);
    expect(first, first.output).toMatchObject({ exitCode: 0, fallbackRan: false });
    const before = keyBytes(machine);
    damage(machine);

    const reboot = await bootEarlyUnit(machine);
    expect(reboot, reboot.output).toMatchObject({ exitCode: 0, serviceResult: 'success', fallbackRan: false });
    expect(usableTypes(machine)).toEqual(TYPES);
    expect(Object.keys(keyBytes(machine)).sort()).toEqual(KEY_FILES);
    const after = keyBytes(machine);
    for (const type of TYPES) {
      const name = `ssh_host_${type}_key`;
      if (remade.includes(type)) expect(after[name]).not.toBe(before[name]);
      else expect([after[name], after[`${name}.pub`]]).toEqual([before[name], before[`${name}.pub`]]);
    }
    expect(reboot.output).toMatch(/ssh-host-keys.*(generated \(was missing\)|made new \(the file was empty or unreadable\))/);
    // The record follows the keys sshd now serves.
    const { stdout } = await import('execa').then(({ execa }) => execa('ssh-keygen', ['-l', '-f', path.join(machine.sshDir, 'ssh_host_rsa_key')]));
    expect(recorded(machine)['ssh_host_rsa_key']).toBe(stdout.split(' ')[1]);
  }, 180_000);
});

describe('a key type the crypto policy refuses (FIPS on RHEL 9 refuses ed25519)', () => {
  // FIPS cannot be switched on here: an ssh-keygen on PATH that refuses ed25519 the way a FIPS
  // crypto policy does (and runs the real ssh-keygen for everything else) stands in for it.
  it('the other types are made and kept, the agent exits 4 (a failed unit), and the unit fallback runs', async () => {
    const machine = newMachine();
    const fips = sshKeygenWrapper('case " $* " in *" -t ed25519 "*) echo "ssh-keygen: generating ed25519 keys: invalid or unsupported by the FIPS crypto policy" >&2; exit 255;; esac');
    const boot = await bootEarlyUnit(machine, { path: fips });
    expect(boot, boot.output).toMatchObject({ exitCode: 4, serviceResult: 'exit-code', fallbackRan: true });
    expect(boot.output).toContain('ssh-keygen -t ed25519 failed');
    // The agent's rsa and ecdsa keys are recorded and were not touched by the fallback.
    const agentMade = recorded(machine);
    expect(Object.keys(agentMade).sort()).toEqual(['ssh_host_ecdsa_key', 'ssh_host_rsa_key']);
    // Without FIPS here the fallback's ssh-keygen -A makes ed25519 too; under FIPS it would not, and sshd starts with rsa and ecdsa.
    expect(usableTypes(machine)).toEqual(TYPES);

    // The next boot under the same policy: nothing changes but the report.
    const before = keyBytes(machine);
    const again = await bootEarlyUnit(machine, { path: fips });
    expect(again.exitCode, again.output).not.toBe(1);
    expect(keyBytes(machine)['ssh_host_rsa_key']).toBe(before['ssh_host_rsa_key']);
  }, 180_000);
});

describe('the agent does not finish', () => {
  it('killed at its timeout while ssh-keygen hangs: the fallback makes every missing key before sshd', async () => {
    const machine = newMachine();
    const marker = path.join(tempDir('gfb-hang-'), 'hung');
    const hang = sshKeygenWrapper(`case " $* " in *" -t rsa "*) echo $$ > ${marker}.tmp && mv ${marker}.tmp ${marker}; exec sleep 3600;; esac`);
    const boot = await bootEarlyUnit(machine, { path: hang, killWhen: marker });
    expect(boot, boot.output).toMatchObject({ exitCode: undefined, serviceResult: 'timeout', fallbackRan: true });
    expect(usableTypes(machine)).toEqual(TYPES);
  }, 180_000);

  it('a broken configuration (exit 2): the fallback makes the keys', async () => {
    const machine = newMachine('[ssh-host-keys]\ntypes = rsa, dsa\n');
    const boot = await bootEarlyUnit(machine);
    expect(boot, boot.output).toMatchObject({ exitCode: 2, serviceResult: 'exit-code', fallbackRan: true });
    expect(usableTypes(machine)).toEqual(TYPES);
  }, 180_000);
});
