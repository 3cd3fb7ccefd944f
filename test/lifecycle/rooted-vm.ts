// A VM's life on a sandbox root: its SMBIOS UUID (a fake sysfs), its serial console (a file), the
// agent's two stages as the units run them (--root added), and what sshd would serve.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportOf, runCli, type CliResult } from '../helpers/cli.js';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { SERIAL_PREFIX, type SerialEvent } from '../../src/report/serial-protocol.js';

export const UUID_A = '4c4c4544-0042-3510-8051-b4c04f4a4b31';
export const UUID_B = '0a1b2c3d-1111-2222-3333-444455556666';

export interface RootedVm {
  root: string;
  /** A fake sysfs; `boot(uuid)` changes the SMBIOS UUID it shows (a disk moved to another VM). */
  sys: string;
}

export function setUuid(vm: RootedVm, uuid: string | undefined): void {
  const dir = path.join(vm.sys, 'class/dmi/id');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'product_uuid'), uuid ? `${uuid.toUpperCase()}\n` : '');
}

/** A copy of the Debian 12 fixture with a serial console file, on a VM with SMBIOS UUID `uuid`. */
export function rootedVm(uuid: string | undefined = UUID_A, withSerial = true): RootedVm {
  const vm = { root: sandboxRoot(), sys: tempDir('gfb-sys-') };
  if (withSerial) {
    mkdirSync(path.join(vm.root, 'dev'), { recursive: true });
    writeFileSync(path.join(vm.root, 'dev/ttyS0'), '');
  }
  setUuid(vm, uuid);
  return vm;
}

/** `gce-firstboot <args> --root ROOT --sys-dir SYS --json`. */
export function agent(vm: RootedVm, ...args: string[]): Promise<CliResult> {
  return runCli([...args, '--root', vm.root, '--sys-dir', vm.sys, '--json']);
}

/** gce-firstboot-early.service's ExecStart (apply --stage early), on the root. */
export function earlyStage(vm: RootedVm, ...extra: string[]): Promise<CliResult> {
  return agent(vm, 'apply', '--stage', 'early', ...extra);
}

/** The network stage as the daemon's boot pass runs it, against a metadata emulator. */
export function networkStage(vm: RootedVm, metadataHost: string, ...extra: string[]): Promise<CliResult> {
  return agent(vm, 'apply', '--stage', 'network', '--metadata-host', metadataHost, ...extra);
}

/** Every host key file's bytes, by name. */
export function keyBytes(vm: RootedVm): Record<string, string> {
  const ssh = path.join(vm.root, 'etc/ssh');
  return Object.fromEntries(readdirSync(ssh).filter((n) => n.startsWith('ssh_host_')).map((n) => [n, readFileSync(path.join(ssh, n), 'utf8')]));
}

/** The public keys as guest attributes carry them: algorithm -> base64 blob. */
export function publicKeys(vm: RootedVm): Record<string, string> {
  const keys = keyBytes(vm);
  return Object.fromEntries(
    Object.entries(keys)
      .filter(([name]) => name.endsWith('.pub'))
      .map(([, text]) => text.trim().split(/\s+/) as [string, string])
      .map(([algorithm, blob]) => [algorithm, blob]),
  );
}

/** The protocol events written to the root's serial console. */
export function serialEvents(vm: RootedVm): SerialEvent[] {
  return readFileSync(path.join(vm.root, 'dev/ttyS0'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(SERIAL_PREFIX))
    .map((line) => JSON.parse(line.slice(SERIAL_PREFIX.length)) as SerialEvent);
}

/** The module's result in a JSON report. */
export function moduleOf(result: CliResult, id: string): ReturnType<typeof reportOf>['modules'][number] | undefined {
  return reportOf(result).modules.find((module) => module.id === id);
}

export function stateFile(vm: RootedVm, name = 'state.json'): string {
  return path.join(vm.root, 'var/lib/gce-firstboot', name);
}
