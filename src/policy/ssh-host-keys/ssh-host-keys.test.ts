import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { startEmulator } from '../../../test/helpers/emulator.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

const UUID_A = '4c4c4544-0042-3510-8051-b4c04f4a4b31';
const UUID_B = '0a1b2c3d-1111-2222-3333-444455556666';
const TYPES = ['rsa', 'ecdsa', 'ed25519'];

/** A fake sysfs whose SMBIOS UUID is `uuid` (none at all when undefined). */
function sysDir(uuid?: string): string {
  const dir = tempDir('gfb-sys-');
  if (uuid) {
    mkdirSync(path.join(dir, 'class/dmi/id'), { recursive: true });
    writeFileSync(path.join(dir, 'class/dmi/id/product_uuid'), `${uuid.toUpperCase()}\n`);
  }
  return dir;
}

/** A sandbox root with /etc/ssh and a file standing in for the serial console. */
function root(): string {
  const dir = sandboxRoot();
  mkdirSync(path.join(dir, 'etc/ssh'), { recursive: true });
  mkdirSync(path.join(dir, 'dev'), { recursive: true });
  writeFileSync(path.join(dir, 'dev/ttyS0'), '');
  return dir;
}

const run = (command: string, dir: string, sys: string, ...rest: string[]) =>
  runCli([command, '--root', dir, '--sys-dir', sys, '--only', 'ssh-host-keys', '--json', ...rest]);

/** Every host key file's bytes, by name. */
function keyBytes(dir: string): Record<string, string> {
  const ssh = path.join(dir, 'etc/ssh');
  return Object.fromEntries(readdirSync(ssh).filter((n) => n.startsWith('ssh_host_')).map((n) => [n, readFileSync(path.join(ssh, n), 'utf8')]));
}

function record(dir: string): { fingerprints: Record<string, string>; productUuid?: string; instanceId?: string; publish: string } {
  return JSON.parse(readFileSync(path.join(dir, 'var/lib/gce-firstboot/host-keys.json'), 'utf8')).value;
}

async function templateKeys(dir: string): Promise<Record<string, string>> {
  for (const type of ['rsa', 'ed25519', 'dsa']) {
    await execa('ssh-keygen', ['-q', '-N', '', '-t', type, '-f', path.join(dir, `etc/ssh/ssh_host_${type}_key`), '-C', 'root@template']);
  }
  return keyBytes(dir);
}

describe('ssh-host-keys', () => {
  it('makes keys on a fresh image, prints fingerprints between markers, is then compliant, and a reboot keeps them', async () => {
    const dir = root();
    const sys = sysDir(UUID_A);
    const before = await run('check', dir, sys, '--stage', 'early');
    expect(before.exitCode).toBe(1);
    expect(reportOf(before).modules[0]!.findings.map((f) => [f.key, f.actual])).toEqual(TYPES.map((t) => [`/etc/ssh/ssh_host_${t}_key`, '(absent)']));

    const applied = await run('apply', dir, sys, '--stage', 'early');
    expect(applied.exitCode, applied.stderr).toBe(0);
    for (const type of TYPES) {
      const key = path.join(dir, `etc/ssh/ssh_host_${type}_key`);
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(statSync(`${key}.pub`).mode & 0o777).toBe(0o644);
      const { stdout } = await execa('ssh-keygen', ['-l', '-f', key]);
      expect(record(dir).fingerprints[`ssh_host_${type}_key`]).toBe(stdout.split(' ')[1]);
    }
    expect(readdirSync(path.join(dir, 'etc/ssh')).filter((n) => n.startsWith('.'))).toEqual([]);
    const console = readFileSync(path.join(dir, 'dev/ttyS0'), 'utf8').split('\n');
    const begin = console.indexOf('-----BEGIN SSH HOST KEY FINGERPRINTS-----');
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(console[begin + 4]).toBe('-----END SSH HOST KEY FINGERPRINTS-----');
    expect(console.slice(begin + 1, begin + 4).map((line) => line.match(/\((\w+)\)$/)?.[1]).sort()).toEqual(['ECDSA', 'ED25519', 'RSA']);
    expect(record(dir)).toMatchObject({ productUuid: UUID_A, publish: 'pending' });
    expect(record(dir).instanceId).toBeUndefined();

    const keys = keyBytes(dir);
    expect((await run('check', dir, sys, '--stage', 'early')).exitCode).toBe(0);
    // A plain reboot: same VM, another early pass (with and without frequency gating).
    for (const extra of [['--stage', 'early'], []]) {
      const again = await run('apply', dir, sys, ...extra, '--metadata-host', (await startEmulator()).host);
      expect(reportOf(again).modules[0]!.changes.filter((c) => c.key.startsWith('/etc/ssh'))).toEqual([]);
      expect(keyBytes(dir)).toEqual(keys);
    }
  });

  it('replaces template keys (no record) in the early stage, without metadata, removing every old key type', async () => {
    const dir = root();
    const template = await templateKeys(dir);
    const result = await run('apply', dir, sysDir(UUID_A), '--stage', 'early');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(reportOf(result).modules[0]!.changes[0]!.key).toBe('/etc/ssh/ssh_host_rsa_key');
    const now = keyBytes(dir);
    expect(Object.keys(now).sort()).toEqual(TYPES.flatMap((t) => [`ssh_host_${t}_key`, `ssh_host_${t}_key.pub`]).sort());
    expect(now['ssh_host_rsa_key']).not.toBe(template['ssh_host_rsa_key']);
    expect(now['ssh_host_ed25519_key.pub']).not.toBe(template['ssh_host_ed25519_key.pub']);
    // Replaced keys are not kept in the backup directory.
    expect(existsSync(path.join(dir, 'var/lib/gce-firstboot/backup/etc/ssh'))).toBe(false);
  });

  it('regenerates when the disk boots in another VM (new SMBIOS UUID)', async () => {
    const dir = root();
    expect((await run('apply', dir, sysDir(UUID_A), '--stage', 'early')).exitCode).toBe(0);
    const first = keyBytes(dir);
    const check = await run('check', dir, sysDir(UUID_B), '--stage', 'early');
    expect(check.exitCode).toBe(1);
    expect(reportOf(check).modules[0]!.findings[0]!.actual).toBe(`made on VM ${UUID_A}, this VM is ${UUID_B} (disk cloned?)`);
    expect((await run('apply', dir, sysDir(UUID_B), '--stage', 'early')).exitCode).toBe(0);
    expect(keyBytes(dir)['ssh_host_ed25519_key']).not.toBe(first['ssh_host_ed25519_key']);
    expect(record(dir).productUuid).toBe(UUID_B);
  });

  it('records the instance id in the network pass without regenerating, and publishes to guest attributes', async () => {
    const dir = root();
    const sys = sysDir(UUID_A);
    expect((await run('apply', dir, sys, '--stage', 'early')).exitCode).toBe(0);
    const keys = keyBytes(dir);
    const { emulator, host } = await startEmulator();
    const check = await run('check', dir, sys, '--stage', 'network', '--metadata-host', host);
    expect(reportOf(check).modules[0]!.findings.map((f) => f.key)).toEqual(['identity record', 'guest attributes hostkeys/*']);

    const network = await run('apply', dir, sys, '--stage', 'network', '--metadata-host', host);
    expect(network.exitCode, network.stderr).toBe(0);
    expect(keyBytes(dir)).toEqual(keys);
    expect(record(dir)).toMatchObject({ productUuid: UUID_A, instanceId: '4520031799277581759', publish: 'done' });
    for (const [pub, algorithm] of [['ssh_host_ed25519_key.pub', 'ssh-ed25519'], ['ssh_host_rsa_key.pub', 'ssh-rsa'], ['ssh_host_ecdsa_key.pub', 'ecdsa-sha2-nistp256']]) {
      expect(emulator.guestAttribute(`hostkeys/${algorithm}`)).toBe(keys[pub!]!.split(' ')[1]!.trim());
    }
    const again = await run('apply', dir, sys, '--stage', 'network', '--metadata-host', host);
    expect(reportOf(again).summary.changes).toBe(0);
  });

  it('regenerates when a known instance id differs from the recorded one (no UUID on this VM)', async () => {
    const dir = root();
    const noUuid = sysDir();
    const { emulator, host } = await startEmulator();
    expect((await run('apply', dir, noUuid, '--metadata-host', host)).exitCode).toBe(0);
    const first = keyBytes(dir);
    // Without UUID and without the network, the instance id recorded on this VM identifies it: keys kept.
    const offline = await run('apply', dir, noUuid, '--stage', 'early');
    expect(offline.exitCode).toBe(0);
    expect(reportOf(offline).modules[0]!.findings.find((f) => f.key === 'identity')).toBeUndefined();
    expect(keyBytes(dir)).toEqual(first);

    emulator.set('instance/id', '777');
    const moved = await run('apply', dir, noUuid, '--metadata-host', host);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(keyBytes(dir)['ssh_host_rsa_key']).not.toBe(first['ssh_host_rsa_key']);
    expect(record(dir).instanceId).toBe('777');
  });

  it.each([403, 404])('tolerates guest attributes switched off (HTTP %i)', async (status) => {
    const dir = root();
    const { emulator, host } = await startEmulator();
    emulator.faults = { guestAttributesStatus: status };
    const result = await run('apply', dir, sysDir(UUID_A), '--metadata-host', host);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(record(dir).publish).toBe('unavailable');
    expect(reportOf(result).modules[0]!.findings.map((f) => f.severity)).toEqual(['info']);
    expect(emulator.guestAttribute('hostkeys/ssh-ed25519')).toBeUndefined();
  });

  it('fixes a world-readable private key in place and generates a missing type alone', async () => {
    const dir = root();
    const sys = sysDir(UUID_A);
    expect((await run('apply', dir, sys, '--stage', 'early')).exitCode).toBe(0);
    const keys = keyBytes(dir);
    chmodSync(path.join(dir, 'etc/ssh/ssh_host_rsa_key'), 0o644);
    for (const suffix of ['', '.pub']) await execa('rm', [path.join(dir, `etc/ssh/ssh_host_ecdsa_key${suffix}`)]);
    const check = await run('check', dir, sys, '--stage', 'early');
    expect(reportOf(check).modules[0]!.findings.map((f) => [f.key, f.actual])).toEqual([
      ['/etc/ssh/ssh_host_ecdsa_key', '(absent)'],
      ['mode /etc/ssh/ssh_host_rsa_key', '0644'],
      ['guest attributes hostkeys/*', 'pending: published by the next pass that reaches the metadata server'],
    ]);
    expect((await run('apply', dir, sys, '--metadata-host', (await startEmulator()).host)).exitCode).toBe(0);
    expect(statSync(path.join(dir, 'etc/ssh/ssh_host_rsa_key')).mode & 0o777).toBe(0o600);
    const now = keyBytes(dir);
    expect(now['ssh_host_rsa_key']).toBe(keys['ssh_host_rsa_key']);
    expect(now['ssh_host_ed25519_key']).toBe(keys['ssh_host_ed25519_key']);
    expect(now['ssh_host_ecdsa_key']).toBeDefined();
  });

  it('generates only the configured types and refuses unknown ones', async () => {
    const dir = root();
    const config = path.join(tempDir(), 'gce-firstboot.conf');
    writeFileSync(config, '[ssh-host-keys]\ntypes = ed25519\n');
    expect((await run('apply', dir, sysDir(UUID_A), '--stage', 'early', '--config', config)).exitCode).toBe(0);
    expect(Object.keys(keyBytes(dir)).sort()).toEqual(['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']);
    writeFileSync(config, '[ssh-host-keys]\ntypes = ed25519, dsa\n');
    const bad = await run('check', dir, sysDir(UUID_A), '--stage', 'early', '--config', config);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('dsa');
  });
});
