import type { RootFileSystem } from './disk-layout.js';
import { isSymlink, type Ext4Files } from './ext4-files.js';
import type { RuleResult } from './rule.js';

/** Kernel options the requirements name for the virtual hardware (seed 003, "Required Linux kernel build options"). */
const REQUIRED_KERNEL_OPTIONS = ['CONFIG_KVM_GUEST', 'CONFIG_VIRTIO_PCI', 'CONFIG_SCSI_VIRTIO', 'CONFIG_VIRTIO_NET', 'CONFIG_PCI_MSI'];
const SERIAL_CONSOLE = 'console=ttyS0,38400n8';
const PERSISTENT_NET = '/etc/udev/rules.d/70-persistent-net.rules';
const GRUB_CFG = '/boot/grub/grub.cfg';

type Rule = (files: Ext4Files, at: (guestPath: string) => string, root: RootFileSystem) => Promise<RuleResult>;

const sshHostKeys: Rule = async (files, at) => {
  const keys = ((await files.list('/etc/ssh')) ?? []).filter((entry) => entry.name.startsWith('ssh_host_'));
  return keys.length
    ? { id: 'ssh-host-keys', status: 'fail', message: `SSH host keys inside the image (every VM would share them): ${keys.map((key) => `/etc/ssh/${key.name}`).join(', ')}`, file: at('/etc/ssh') }
    : { id: 'ssh-host-keys', status: 'pass', message: 'no SSH host keys', file: at('/etc/ssh') };
};

const persistentNet: Rule = async (files, at) =>
  (await files.exists(PERSISTENT_NET))
    ? { id: 'persistent-net', status: 'fail', message: `${PERSISTENT_NET} is present: the first VM's MAC address would be remembered`, file: at(PERSISTENT_NET) }
    : { id: 'persistent-net', status: 'pass', message: 'no persistent-net rule', file: at(PERSISTENT_NET) };

const machineId: Rule = async (files, at) => {
  const content = await files.readText('/etc/machine-id');
  const file = at('/etc/machine-id');
  if (content === undefined) return { id: 'machine-id', status: 'warn', message: 'no /etc/machine-id; systemd expects an empty file in an image', file };
  if (content === '') return { id: 'machine-id', status: 'pass', message: 'empty', file };
  if (content.trim() === 'uninitialized') return { id: 'machine-id', status: 'pass', message: '"uninitialized" (systemd treats it as a first boot)', file };
  return { id: 'machine-id', status: 'fail', message: `holds an id (${content.trim().slice(0, 32)}): every VM would share it; seal empties it`, file };
};

const packageInstalled: Rule = async (files, at) => {
  const missing = [];
  if (!(await files.exists('/usr/bin/gce-firstboot'))) missing.push('/usr/bin/gce-firstboot');
  if (!(await files.exists('/var/lib/dpkg/info/gce-firstboot.list'))) missing.push('/var/lib/dpkg/info/gce-firstboot.list');
  return missing.length
    ? { id: 'package-installed', status: 'fail', message: `gce-firstboot is not installed: missing ${missing.join(', ')}`, file: at('/usr/bin/gce-firstboot') }
    : { id: 'package-installed', status: 'pass', message: 'gce-firstboot installed (dpkg)', file: at('/var/lib/dpkg/info/gce-firstboot.list') };
};

/** The units our package enables (units/*.service, WantedBy=multi-user.target). */
const OUR_UNITS = ['gce-firstboot-early.service', 'gce-firstboot.service'];

const unitsEnabled: Rule = async (files, at) => {
  const wantsDirs = ((await files.list('/etc/systemd/system')) ?? []).filter((entry) => entry.name.endsWith('.wants')).map((entry) => `/etc/systemd/system/${entry.name}`);
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

const fstabRoot: Rule = async (files, at, root) => {
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

const serialConsole: Rule = async (files, at) => {
  const file = at(GRUB_CFG);
  const grub = await files.readText(GRUB_CFG);
  if (grub === undefined) return { id: 'serial-console', status: 'warn', message: `no ${GRUB_CFG}: the boot loader's kernel line was not checked`, file };
  const kernelLines = grub.split('\n').map((line) => line.trim()).filter((line) => /^linux(efi|16)?\s/.test(line));
  if (kernelLines.length === 0) return { id: 'serial-console', status: 'fail', message: 'no linux line in grub.cfg', file };
  const without = kernelLines.filter((line) => !line.split(/\s+/).includes(SERIAL_CONSOLE));
  return without.length
    ? { id: 'serial-console', status: 'fail', message: `${without.length} of ${kernelLines.length} kernel line(s) lack ${SERIAL_CONSOLE}: ${without[0]}`, file }
    : { id: 'serial-console', status: 'pass', message: `${SERIAL_CONSOLE} on every kernel line (${kernelLines.length})`, file };
};

const kernelConfig: Rule = async (files, at) => {
  const configs = ((await files.list('/boot')) ?? []).filter((entry) => entry.name.startsWith('config-')).map((entry) => `/boot/${entry.name}`);
  if (configs.length === 0) return { id: 'kernel-config', status: 'warn', message: 'no /boot/config-*: kernel options not checked', file: at('/boot') };
  const missing: string[] = [];
  const modular: string[] = [];
  for (const config of configs) {
    const values = new Map(((await files.readText(config)) ?? '').split('\n').map((line) => line.split('=', 2) as [string, string]));
    const notSet = REQUIRED_KERNEL_OPTIONS.filter((option) => values.get(option) !== 'y' && values.get(option) !== 'm');
    const asModules = REQUIRED_KERNEL_OPTIONS.filter((option) => values.get(option) === 'm');
    if (notSet.length) missing.push(`${config}: ${notSet.map((option) => `${option}${values.has(option) ? `=${values.get(option)}` : ' not set'}`).join(', ')}`);
    if (asModules.length) modular.push(`${config}: ${asModules.map((option) => `${option}=m`).join(', ')}`);
  }
  const file = at(configs.join(', '));
  if (missing.length) return { id: 'kernel-config', status: 'fail', message: `required options missing: ${missing.join('; ')}`, file };
  if (modular.length) return { id: 'kernel-config', status: 'warn', message: `built as modules (the initramfs must carry them): ${modular.join('; ')}`, file };
  return { id: 'kernel-config', status: 'pass', message: `${REQUIRED_KERNEL_OPTIONS.join(', ')} built in`, file };
};

const RULES: readonly Rule[] = [sshHostKeys, persistentNet, machineId, packageInstalled, unitsEnabled, fstabRoot, serialConsole, kernelConfig];

/** The rules that look at files inside the root file system. */
export async function contentRules(files: Ext4Files, diskLabel: string, root: RootFileSystem): Promise<RuleResult[]> {
  const at = (guestPath: string) => `${diskLabel}:${guestPath}`;
  const results: RuleResult[] = [];
  for (const rule of RULES) results.push(await rule(files, at, root));
  return results;
}
