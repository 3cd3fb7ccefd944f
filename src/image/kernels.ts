import { firstEntries, type GuestFiles } from './guest-files.js';

export interface Kernel {
  /** "6.1.0-28-cloud-amd64", from /boot/config-VERSION. */
  version: string;
  configPath: string;
  config: Map<string, string>;
  /** Module names (gve, virtio_scsi, ...) listed in the version's modules.dep or modules.builtin, when those exist. */
  modules?: Set<string>;
}

const MODULE_DIRS = ['/usr/lib/modules', '/lib/modules'];

function moduleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const file = line.split(':', 1)[0]!.trim();
    const match = /([^/]+)\.ko(\.[a-z]+)?$/.exec(file);
    if (match) names.add(match[1]!.replace(/-/g, '_'));
  }
  return names;
}

async function modulesOf(files: GuestFiles, version: string): Promise<Set<string> | undefined> {
  for (const dir of MODULE_DIRS) {
    const dep = await files.readText(`${dir}/${version}/modules.dep`);
    const builtin = await files.readText(`${dir}/${version}/modules.builtin`);
    if (dep !== undefined || builtin !== undefined) return moduleNames(`${dep ?? ''}\n${builtin ?? ''}`);
  }
  return undefined;
}

/** Every kernel with a /boot/config-* in the root, with its configuration and modules. */
export async function readKernels(files: GuestFiles): Promise<Kernel[]> {
  const kernels: Kernel[] = [];
  for (const entry of firstEntries(((await files.list('/boot')) ?? []).filter((candidate) => candidate.name.startsWith('config-')))) {
    const configPath = `/boot/${entry.name}`;
    const config = new Map(((await files.readText(configPath)) ?? '').split('\n').map((line) => line.split('=', 2) as [string, string]));
    const version = entry.name.slice('config-'.length);
    kernels.push({ version, configPath, config, modules: await modulesOf(files, version) });
  }
  return kernels;
}

/** "6.1.0-28-cloud-amd64" → [6, 1]. */
export function versionNumbers(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  return [major, minor];
}

/**
 * How a kernel provides a driver: built in (=y), as a module that modules.dep lists (=m, or an
 * out-of-tree module such as a DKMS build), as =m without the module on disk, or not at all.
 */
export function driverIn(kernel: Kernel, option: string, module: string): 'built-in' | 'module' | 'module-missing' | 'absent' {
  const value = kernel.config.get(option);
  if (value === 'y') return 'built-in';
  if (kernel.modules?.has(module)) return 'module';
  return value === 'm' ? 'module-missing' : 'absent';
}
