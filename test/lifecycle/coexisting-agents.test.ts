// Keys change at most once per instance, only before sshd, with google-guest-agent or cloud-init
// installed with their package defaults (issue 15.2). Neither agent can run here (they act on the
// real /etc and ask 169.254.169.254), so each one's host-key step is played by `otherAgentTurn`,
// written from their documented behaviour (FIELD-NOTES.md): the guest agent regenerates every key
// when the metadata instance id differs from /etc/google_instance_id unless [InstanceSetup]
// set_host_keys = false; cloud-init (per instance, before sysinit.target, so before our early
// stage) deletes the keys unless ssh_deletekeys: false and makes ssh_genkeytypes (default rsa,
// ecdsa, ed25519) that are missing. Our agent runs for real: the early stage as the unit runs it,
// then the network stage against the metadata emulator.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../helpers/emulator.js';
import { REPO } from '../helpers/sandbox.js';
import { parseUnit } from '../packaging/helpers.js';
import { earlyStage, keyBytes, moduleOf, networkStage, publicKeys, rootedVm, type RootedVm } from './rooted-vm.js';

const INSTANCE = '4520031799277581759';
const TYPES = ['rsa', 'ecdsa', 'ed25519'];

function put(vm: RootedVm, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(vm.root, file)), { recursive: true });
  writeFileSync(path.join(vm.root, file), content);
}

function read(vm: RootedVm, file: string): string | undefined {
  try {
    return readFileSync(path.join(vm.root, file), 'utf8');
  } catch {
    return undefined;
  }
}

async function makeKeys(vm: RootedVm, comment: string): Promise<void> {
  for (const type of TYPES) {
    const file = path.join(vm.root, `etc/ssh/ssh_host_${type}_key`);
    if (read(vm, `etc/ssh/ssh_host_${type}_key`) === undefined) await execa('ssh-keygen', ['-q', '-N', '', '-t', type, '-f', file, '-C', comment]);
  }
}

function deleteKeys(vm: RootedVm): void {
  for (const name of readdirSync(path.join(vm.root, 'etc/ssh')).filter((n) => n.startsWith('ssh_host_'))) rmSync(path.join(vm.root, 'etc/ssh', name));
}

/** The other agent's host-key step, as its documentation and code describe it. */
async function otherAgentTurn(vm: RootedVm, agent: 'google-guest-agent' | 'cloud-init'): Promise<void> {
  if (agent === 'google-guest-agent') {
    const cfg = read(vm, 'etc/default/instance_configs.cfg') ?? '';
    const section = /\[InstanceSetup\]([^[]*)/.exec(cfg)?.[1] ?? '';
    const off = /^\s*set_host_keys\s*=\s*false\b/m.test(section);
    if (off || read(vm, 'etc/google_instance_id')?.trim() === INSTANCE) return;
    deleteKeys(vm);
    await makeKeys(vm, 'google-guest-agent');
    put(vm, 'etc/google_instance_id', `${INSTANCE}\n`);
    return;
  }
  const config = ['etc/cloud/cloud.cfg', ...readdirSync(path.join(vm.root, 'etc/cloud/cloud.cfg.d')).map((n) => `etc/cloud/cloud.cfg.d/${n}`)].map((f) => read(vm, f) ?? '').join('\n');
  const semaphore = `var/lib/cloud/instances/${INSTANCE}/sem/config_ssh`;
  if (read(vm, semaphore) !== undefined) return;
  if (!/^ssh_deletekeys:\s*false/m.test(config)) deleteKeys(vm);
  if (!/^ssh_genkeytypes:\s*\[\]/m.test(config)) await makeKeys(vm, 'cloud-init');
  put(vm, semaphore, '');
}

/** An image as built: template host keys left in, the other agent installed with its package defaults. */
async function imageWith(agent: 'google-guest-agent' | 'cloud-init'): Promise<RootedVm> {
  const vm = rootedVm();
  await makeKeys(vm, 'root@image-build');
  if (agent === 'google-guest-agent') {
    put(vm, 'usr/bin/google_guest_agent', '');
    put(vm, 'lib/systemd/system/google-guest-agent.service', '[Unit]\nAfter=network-online.target\nBefore=ssh.service sshd.service\n');
  } else {
    put(vm, 'usr/bin/cloud-init', '');
    put(vm, 'etc/cloud/cloud.cfg', 'users:\n  - default\ndisable_root: true\npreserve_hostname: false\ncloud_init_modules:\n  - ssh\n');
    mkdirSync(path.join(vm.root, 'etc/cloud/cloud.cfg.d'), { recursive: true });
  }
  return vm;
}

/** Snapshots of the host keys: how many times did they change? */
function changes(snapshots: Record<string, string>[]): number {
  return snapshots.slice(1).filter((snapshot, index) => JSON.stringify(snapshot) !== JSON.stringify(snapshots[index])).length;
}

describe('coexisting google-guest-agent (package defaults)', () => {
  it('the units order the early stage before the guest agent, which reads its switch at start, and the keys before sshd', () => {
    const before = (name: string) => (parseUnit(readFileSync(path.join(REPO, 'units', name), 'utf8')).get('Unit')!.get('Before') ?? []).flatMap((v) => v.split(/\s+/));
    expect(before('gce-firstboot-early.service')).toEqual(expect.arrayContaining(['google-guest-agent.service', 'google-guest-agent-manager.service']));
    expect(before('gce-firstboot-host-keys.service')).toEqual(expect.arrayContaining(['ssh.service', 'sshd.service']));
  });

  it('first boot: the early stage takes the duty and makes the keys once, before sshd; the guest agent leaves them; hostkeys/* equal the key files', async () => {
    const vm = await imageWith('google-guest-agent');
    const snapshots = [keyBytes(vm)];
    const early = await earlyStage(vm);
    expect(moduleOf(early, 'coexistence')!.changes.map((c) => c.key)).toEqual(['host-keys: google-guest-agent']);
    expect(read(vm, 'etc/default/instance_configs.cfg')).toMatch(/\[InstanceSetup\]\nset_host_keys = false/);
    snapshots.push(keyBytes(vm));
    await otherAgentTurn(vm, 'google-guest-agent');
    snapshots.push(keyBytes(vm));
    const { emulator, host } = await startEmulator();
    const network = await networkStage(vm, host);
    snapshots.push(keyBytes(vm));
    expect(changes(snapshots)).toBe(1);
    expect(snapshots[1]!['ssh_host_rsa_key']).not.toBe(snapshots[0]!['ssh_host_rsa_key']);
    for (const [algorithm, blob] of Object.entries(publicKeys(vm))) expect(emulator.guestAttribute(`hostkeys/${algorithm}`)).toBe(blob);
    expect(Object.keys(publicKeys(vm))).toHaveLength(3);
    expect(network.exitCode, network.stdout).toBe(0);
    expect(moduleOf(early, 'coexistence')!.findings.find((f) => f.key === 'host keys made by')!.actual).toMatch(/^gce-firstboot/);

    // A reboot: nothing changes.
    await earlyStage(vm);
    await otherAgentTurn(vm, 'google-guest-agent');
    await networkStage(vm, host);
    expect(keyBytes(vm)).toEqual(snapshots.at(-1));
  }, 180_000);

  it('told to yield (take_over empty): the guest agent makes the keys once; we neither replace nor publish them', async () => {
    const vm = await imageWith('google-guest-agent');
    const config = path.join(vm.sys, 'yield.conf');
    writeFileSync(config, '[coexistence]\ntake_over =\n');
    const snapshots = [keyBytes(vm)];
    await earlyStage(vm, '--config', config);
    snapshots.push(keyBytes(vm));
    await otherAgentTurn(vm, 'google-guest-agent');
    snapshots.push(keyBytes(vm));
    const { emulator, host } = await startEmulator();
    const network = await networkStage(vm, host, '--config', config);
    snapshots.push(keyBytes(vm));
    expect(changes(snapshots)).toBe(1);
    expect(snapshots[1]).toEqual(snapshots[0]);
    expect(emulator.guestAttribute('hostkeys/ssh-ed25519')).toBeUndefined();
    expect(moduleOf(network, 'ssh-host-keys')!.changes.map((c) => c.key)).toEqual(['identity record']);
  }, 180_000);
});

describe('coexisting cloud-init (package defaults)', () => {
  it('first boot: cloud-init (before our early stage) makes the keys once; we keep them and publish them; a reboot changes nothing', async () => {
    const vm = await imageWith('cloud-init');
    const snapshots = [keyBytes(vm)];
    await otherAgentTurn(vm, 'cloud-init');
    snapshots.push(keyBytes(vm));
    const early = await earlyStage(vm);
    expect(moduleOf(early, 'coexistence')!.findings.find((f) => f.key === 'host keys made by')!.actual).toMatch(/^cloud-init/);
    snapshots.push(keyBytes(vm));
    const { emulator, host } = await startEmulator();
    await networkStage(vm, host);
    snapshots.push(keyBytes(vm));
    expect(changes(snapshots)).toBe(1);
    expect(snapshots[1]!['ssh_host_rsa_key']).toContain('PRIVATE KEY');
    expect(snapshots[1]!['ssh_host_rsa_key']).not.toBe(snapshots[0]!['ssh_host_rsa_key']);
    expect(Object.keys(publicKeys(vm))).toHaveLength(3);
    for (const [algorithm, blob] of Object.entries(publicKeys(vm))) expect(emulator.guestAttribute(`hostkeys/${algorithm}`)).toBe(blob);
    // cloud-init's own configuration is left as it was.
    expect(readdirSync(path.join(vm.root, 'etc/cloud/cloud.cfg.d'))).toEqual([]);

    await otherAgentTurn(vm, 'cloud-init');
    await earlyStage(vm);
    await networkStage(vm, host);
    expect(keyBytes(vm)).toEqual(snapshots.at(-1));
  }, 180_000);

  it('an image built with cloud-init\'s switches off: gce-firstboot makes the keys once, before sshd', async () => {
    const vm = await imageWith('cloud-init');
    put(vm, 'etc/cloud/cloud.cfg.d/90-keys.cfg', 'ssh_deletekeys: false\nssh_genkeytypes: []\n');
    const snapshots = [keyBytes(vm)];
    await otherAgentTurn(vm, 'cloud-init');
    snapshots.push(keyBytes(vm));
    await earlyStage(vm);
    snapshots.push(keyBytes(vm));
    const { emulator, host } = await startEmulator();
    await networkStage(vm, host);
    snapshots.push(keyBytes(vm));
    expect(changes(snapshots)).toBe(1);
    expect(snapshots[2]).not.toEqual(snapshots[1]);
    for (const [algorithm, blob] of Object.entries(publicKeys(vm))) expect(emulator.guestAttribute(`hostkeys/${algorithm}`)).toBe(blob);
  }, 180_000);
});
