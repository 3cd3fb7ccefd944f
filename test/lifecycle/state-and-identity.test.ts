// State is never a reason to change keys (issue 15.4), every pass is labelled with the identity it
// acted for (15.9), keys change only before sshd (15.2), and check writes nothing (16.6).
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportOf } from '../helpers/cli.js';
import { startEmulator } from '../helpers/emulator.js';
import { hashTree } from '../helpers/tree-hash.js';
import { agent, earlyStage, keyBytes, moduleOf, networkStage, rootedVm, serialEvents, setUuid, stateFile, UUID_A, UUID_B, type RootedVm } from './rooted-vm.js';

const INSTANCE_A = '4520031799277581759';

/** A VM after its first boot: keys made before sshd, then the network stage recorded the instance. */
async function firstBoot(): Promise<{ vm: RootedVm; keys: Record<string, string> }> {
  const vm = rootedVm(UUID_A);
  expect((await earlyStage(vm)).exitCode).toBeLessThanOrEqual(1);
  const { host } = await startEmulator();
  const network = await networkStage(vm, host, '--only', 'ssh-host-keys');
  expect(network.exitCode, network.stdout).toBe(0);
  return { vm, keys: keyBytes(vm) };
}

describe('damaged state', () => {
  it.each([
    ['garbage in state.json', '\u0000\u0013{"version":1,"modu'],
    ['state.json of an unknown version', JSON.stringify({ version: 7, instanceId: '1', modules: {} })],
  ])('%s: reported on the serial console and in the report, exit non-zero, keys kept, the file kept aside', async (_event, content) => {
    const { vm, keys } = await firstBoot();
    writeFileSync(stateFile(vm), content);
    const boot = await earlyStage(vm);
    expect(boot.exitCode).not.toBe(0);
    const state = moduleOf(boot, 'state')!;
    expect(state.findings[0]).toMatchObject({ key: '/var/lib/gce-firstboot/state.json', expected: 'readable, version 1' });
    expect(state.findings[0]!.actual).toMatch(content.startsWith('{') ? /unknown version 7/ : /not JSON/);
    expect(serialEvents(vm).some((event) => event.event === 'finding' && event.module === 'state')).toBe(true);
    expect(keyBytes(vm)).toEqual(keys);
    expect(readFileSync(stateFile(vm, 'state.json.unusable'), 'utf8')).toBe(content);
    // Reported once: the next boot reads the new state.
    const next = await earlyStage(vm);
    expect(moduleOf(next, 'state')).toBeUndefined();
    expect(keyBytes(vm)).toEqual(keys);
  }, 120_000);

  it('a damaged key record: keys kept, reported, exit non-zero; recorded again', async () => {
    const { vm, keys } = await firstBoot();
    writeFileSync(stateFile(vm, 'host-keys.json'), '{"version":1,"value":{"fingerpr');
    const boot = await earlyStage(vm, '--only', 'ssh-host-keys');
    expect(boot.exitCode).toBe(1);
    expect(moduleOf(boot, 'ssh-host-keys')!.findings.filter((f) => f.severity === undefined).map((f) => f.key)).toEqual(['key record']);
    expect(keyBytes(vm)).toEqual(keys);
    expect(existsSync(stateFile(vm, 'host-keys.json.unusable'))).toBe(true);
    expect((await earlyStage(vm, '--only', 'ssh-host-keys')).exitCode).toBe(0);
  }, 120_000);

  it('state damaged and the key record gone: identity unknown, keys kept', async () => {
    const { vm, keys } = await firstBoot();
    writeFileSync(stateFile(vm), 'not json');
    unlinkSync(stateFile(vm, 'host-keys.json'));
    const boot = await earlyStage(vm);
    expect(boot.exitCode).not.toBe(0);
    expect(keyBytes(vm)).toEqual(keys);
  }, 120_000);

  it('template keys (no record, no state at all) are still replaced', async () => {
    const { vm, keys } = await firstBoot();
    rmSync(path.dirname(stateFile(vm)), { recursive: true });
    const boot = await earlyStage(vm, '--only', 'ssh-host-keys');
    expect(boot.exitCode).toBe(0);
    expect(keyBytes(vm)['ssh_host_ed25519_key']).not.toBe(keys['ssh_host_ed25519_key']);
  }, 120_000);
});

describe('a cloned disk boots in another VM', () => {
  it("its early pass is not labelled with the old instance id (serial lines, state), and the keys are replaced before sshd", async () => {
    const { vm, keys } = await firstBoot();
    expect(serialEvents(vm).at(-1)!.instance).toBe(INSTANCE_A);
    const linesBefore = serialEvents(vm).length;
    setUuid(vm, UUID_B);
    const early = await earlyStage(vm);
    expect(reportOf(early).modules.length).toBeGreaterThan(0);
    const earlyEvents = serialEvents(vm).slice(linesBefore);
    expect(earlyEvents.length).toBeGreaterThan(0);
    expect(earlyEvents.filter((event) => event.instance !== undefined)).toEqual([]);
    const state = JSON.parse(readFileSync(stateFile(vm), 'utf8'));
    for (const module of Object.values(state.modules) as { appliedInstance?: string }[]) expect(module.appliedInstance ?? '').not.toContain(INSTANCE_A);
    expect(keyBytes(vm)['ssh_host_rsa_key']).not.toBe(keys['ssh_host_rsa_key']);
    expect(JSON.parse(readFileSync(stateFile(vm, 'host-keys.json'), 'utf8')).value.productUuid).toBe(UUID_B);

    // The new instance's network stage labels its pass with the new id.
    const { emulator, host } = await startEmulator();
    emulator.set('instance/id', '777');
    await networkStage(vm, host, '--only', 'ssh-host-keys');
    expect(serialEvents(vm).at(-1)!.instance).toBe('777');
  }, 120_000);
});

describe('after sshd has started', () => {
  it('the network stage never writes a key: a deleted key is reported and made by the next early stage', async () => {
    const { vm, keys } = await firstBoot();
    for (const suffix of ['', '.pub']) unlinkSync(path.join(vm.root, `etc/ssh/ssh_host_ecdsa_key${suffix}`));
    const { host } = await startEmulator();
    const network = await networkStage(vm, host, '--only', 'ssh-host-keys');
    expect(network.exitCode).toBe(1);
    const finding = moduleOf(network, 'ssh-host-keys')!.findings[0]!;
    expect(finding).toMatchObject({ key: '/etc/ssh/ssh_host_ecdsa_key', actual: '(absent)' });
    expect(finding.cause).toContain('next boot');
    expect(keyBytes(vm)['ssh_host_ecdsa_key']).toBeUndefined();
    const early = await earlyStage(vm, '--only', 'ssh-host-keys');
    expect(early.exitCode).toBe(0);
    expect(keyBytes(vm)['ssh_host_ecdsa_key']).toBeDefined();
    expect(keyBytes(vm)['ssh_host_rsa_key']).toBe(keys['ssh_host_rsa_key']);
  }, 120_000);

  it('the network stage of a clone seen only by its instance id (no SMBIOS UUID) reports; the next early stage replaces', async () => {
    const vm = rootedVm(undefined);
    const { emulator, host } = await startEmulator();
    expect((await earlyStage(vm, '--only', 'ssh-host-keys')).exitCode).toBe(0);
    expect((await networkStage(vm, host, '--only', 'ssh-host-keys')).exitCode).toBe(0);
    const keys = keyBytes(vm);
    emulator.set('instance/id', '777');
    const network = await networkStage(vm, host, '--only', 'ssh-host-keys');
    expect(network.exitCode).toBe(1);
    expect(moduleOf(network, 'ssh-host-keys')!.findings[0]!.actual).toBe(`made on instance ${INSTANCE_A}, this is instance 777 (disk cloned?)`);
    expect(keyBytes(vm)).toEqual(keys);
    expect((await earlyStage(vm, '--only', 'ssh-host-keys')).exitCode).toBe(0);
    expect(keyBytes(vm)['ssh_host_rsa_key']).not.toBe(keys['ssh_host_rsa_key']);
  }, 120_000);
});

describe('check writes nothing', () => {
  it.each([
    ['an image that never booted', false],
    ['a VM after its first boot', true],
  ])('%s: check, check --offline and check --stage early leave the tree byte for byte as it was', async (_what, booted) => {
    const vm = booted ? (await firstBoot()).vm : rootedVm(UUID_A, false);
    // The serial port is a device on a VM; here a file would record the report lines, so there is none.
    rmSync(path.join(vm.root, 'dev'), { recursive: true, force: true });
    const { host } = await startEmulator();
    const before = hashTree(vm.root);
    for (const args of [['check', '--metadata-host', host], ['check', '--offline'], ['check', '--stage', 'early'], ['check', '--stage', 'network', '--metadata-host', host]]) {
      const result = await agent(vm, ...args);
      expect(result.exitCode, result.stderr).toBeLessThan(4);
      expect(hashTree(vm.root)).toEqual(before);
    }
    expect(existsSync(stateFile(vm))).toBe(booted);
  }, 180_000);
});
