import type { Host } from '../host/host.js';
import { serialConsoleRule, type ConfigSource } from './boot-console.js';
import type { RootFileSystem } from './disk-layout.js';
import type { Ext4Files } from './ext4-files.js';
import { FILE_SYSTEM_NAMES } from './file-systems.js';
import { firstEntries, isSymlink } from './guest-files.js';
import type { Kernel } from './kernels.js';
import { findInstalledPackage, PACKAGE } from './package-database.js';
import type { RuleResult } from './rule.js';

/** Kernel options the requirements name for the virtual hardware (seed 003, "Required Linux kernel build options"). */
const REQUIRED_KERNEL_OPTIONS = ['CONFIG_KVM_GUEST', 'CONFIG_VIRTIO_PCI', 'CONFIG_SCSI_VIRTIO', 'CONFIG_VIRTIO_NET', 'CONFIG_PCI_MSI'];
const PERSISTENT_NET = '/etc/udev/rules.d/70-persistent-net.rules';

/** What the content rules read: the root's files, and the EFI system partition's where there is one. */
export interface ContentContext {
  host: Host;
  files: Ext4Files;
  at: (guestPath: string) => string;
  root: RootFileSystem;
  esp?: ConfigSource;
  kernels: Kernel[];
  /** A directory of our own for copies (the RPM database). */
  scratch: string;
}

type Rule = (context: ContentContext) => Promise<RuleResult>;

const sshHostKeys: Rule = async ({ files, at }) => {
  const keys = ((await files.list('/etc/ssh')) ?? []).filter((entry) => entry.name.startsWith('ssh_host_'));
  return keys.length
    ? { id: 'ssh-host-keys', status: 'fail', message: `SSH host keys inside the image (every VM would share them): ${keys.map((key) => `/etc/ssh/${key.name}`).join(', ')}`, file: at('/etc/ssh') }
    : { id: 'ssh-host-keys', status: 'pass', message: 'no SSH host keys', file: at('/etc/ssh') };
};

const persistentNet: Rule = async ({ files, at }) =>
  (await files.exists(PERSISTENT_NET))
    ? { id: 'persistent-net', status: 'fail', message: `${PERSISTENT_NET} is present: the first VM's MAC address would be remembered`, file: at(PERSISTENT_NET) }
    : { id: 'persistent-net', status: 'pass', message: 'no persistent-net rule', file: at(PERSISTENT_NET) };

const machineId: Rule = async ({ files, at }) => {
  const content = await files.readText('/etc/machine-id');
  const file = at('/etc/machine-id');
  if (content === undefined) return { id: 'machine-id', status: 'warn', message: 'no /etc/machine-id; systemd expects an empty file in an image', file };
  if (content === '') return { id: 'machine-id', status: 'pass', message: 'empty', file };
  if (content.trim() === 'uninitialized') return { id: 'machine-id', status: 'pass', message: '"uninitialized" (systemd treats it as a first boot)', file };
  return { id: 'machine-id', status: 'fail', message: `holds an id (${content.trim().slice(0, 32)}): every VM would share it; seal empties it`, file };
};

const packageInstalled: Rule = async ({ host, files, at, scratch }) => {
  const binary = await files.exists('/usr/bin/gce-firstboot');
  const { installed, looked } = await findInstalledPackage(host, files, scratch);
  if (!installed) return { id: 'package-installed', status: 'fail', message: `${PACKAGE} is not installed: no package database lists it (${looked.join(', ')})`, file: at('/var/lib') };
  if (!binary) return { id: 'package-installed', status: 'fail', message: `${PACKAGE} is in the ${installed.database} database, but /usr/bin/gce-firstboot is missing`, file: at('/usr/bin/gce-firstboot') };
  return { id: 'package-installed', status: 'pass', message: `${PACKAGE} installed (${installed.database}${installed.version ? `: ${installed.version}` : ''})`, file: at(installed.evidence) };
};

/** The units our package enables (units/*.service, WantedBy=multi-user.target). */
const OUR_UNITS = ['gce-firstboot-host-keys.service', 'gce-firstboot-early.service', 'gce-firstboot.service'];

const unitsEnabled: Rule = async ({ files, at }) => {
  const wantsDirs = firstEntries(((await files.list('/etc/systemd/system')) ?? []).filter((entry) => entry.name.endsWith('.wants'))).map((entry) => `/etc/systemd/system/${entry.name}`);
  const enabled = new Map<string, string>();
  for (const dir of wantsDirs) {
    for (const entry of (await files.list(dir)) ?? []) {
      if (isSymlink(entry) && OUR_UNITS.includes(entry.name)) enabled.set(entry.name, `${dir}/${entry.name}`);
    }
  }
  const missing = OUR_UNITS.filter((unit) => !enabled.has(unit));
  return missing.length
    ? { id: 'units-enabled', status: 'fail', message: `not enabled (no symlink in any /etc/systemd/system/*.wants): ${missing.join(', ')}`, file: at('/etc/systemd/system') }
    : { id: 'units-enabled', status: 'pass', message: `enabled: ${[...enabled.values()].join(', ')}`, file: at('/etc/systemd/system') };
};

const fstabRoot: Rule = async ({ files, at, root }) => {
  const file = at('/etc/fstab');
  const fstab = await files.readText('/etc/fstab');
  const entry = fstab
    ?.split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => !fields[0]?.startsWith('#') && fields[1] === '/');
  if (!entry) return { id: 'fstab-root', status: 'warn', message: 'no / entry in /etc/fstab: the root is mounted from the kernel command line only', file };
  const [device] = entry as [string];
  if (device.startsWith('UUID=')) {
    const uuid = device.slice(5).replace(/"/g, '').toLowerCase();
    return uuid === root.uuid
      ? { id: 'fstab-root', status: 'pass', message: `root by ${device}`, file }
      : { id: 'fstab-root', status: 'fail', message: `root by ${device}, but the root file system's UUID is ${root.uuid}`, file };
  }
  if (device.startsWith('LABEL=')) {
    const label = device.slice(6).replace(/"/g, '');
    return label === root.label
      ? { id: 'fstab-root', status: 'pass', message: `root by ${device}`, file }
      : { id: 'fstab-root', status: 'fail', message: `root by ${device}, but the root file system's label is "${root.label}"`, file };
  }
  return { id: 'fstab-root', status: 'fail', message: `root by ${device}: device names change between machines; use UUID= or LABEL=`, file };
};

const serialConsole: Rule = async ({ files, at, esp }) => serialConsoleRule({ files, at }, esp);

const kernelConfig: Rule = async ({ at, kernels }) => {
  if (kernels.length === 0) return { id: 'kernel-config', status: 'warn', message: 'no /boot/config-*: kernel options not checked', file: at('/boot') };
  const missing: string[] = [];
  const modular: string[] = [];
  for (const { configPath, config } of kernels) {
    const notSet = REQUIRED_KERNEL_OPTIONS.filter((option) => config.get(option) !== 'y' && config.get(option) !== 'm');
    const asModules = REQUIRED_KERNEL_OPTIONS.filter((option) => config.get(option) === 'm');
    if (notSet.length) missing.push(`${configPath}: ${notSet.map((option) => `${option}${config.has(option) ? `=${config.get(option)}` : ' not set'}`).join(', ')}`);
    if (asModules.length) modular.push(`${configPath}: ${asModules.map((option) => `${option}=m`).join(', ')}`);
  }
  const file = at(kernels.map((kernel) => kernel.configPath).join(', '));
  if (missing.length) return { id: 'kernel-config', status: 'fail', message: `required options missing: ${missing.join('; ')}`, file };
  if (modular.length) return { id: 'kernel-config', status: 'warn', message: `built as modules (the initramfs must carry them): ${modular.join('; ')}`, file };
  return { id: 'kernel-config', status: 'pass', message: `${REQUIRED_KERNEL_OPTIONS.join(', ')} built in`, file };
};

const RULES: Record<string, Rule> = {
  'ssh-host-keys': sshHostKeys,
  'persistent-net': persistentNet,
  'machine-id': machineId,
  'package-installed': packageInstalled,
  'units-enabled': unitsEnabled,
  'fstab-root': fstabRoot,
  'serial-console': serialConsole,
  'kernel-config': kernelConfig,
};

/** The rules that look at files inside the root file system. */
export async function contentRules(context: ContentContext): Promise<RuleResult[]> {
  const results: RuleResult[] = [];
  for (const rule of Object.values(RULES)) results.push(await rule(context));
  return results;
}

/** A root whose files cannot be read without mounting: each content rule says so, as a warning. */
export function unreadRootRules(root: RootFileSystem, file: string): RuleResult[] {
  const message = `not checked: the root is ${FILE_SYSTEM_NAMES[root.type]}, whose files image check cannot read without mounting (it reads ext2/3/4 through debugfs)`;
  return Object.keys(RULES).map((id) => ({ id, status: 'warn', message, file }));
}
