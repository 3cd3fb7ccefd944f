import path from 'node:path';
import type { Host } from '../host/host.js';
import { readIniSwitch } from '../edit/ini-switch.js';

/**
 * What the other agents that do our duties (google-guest-agent, cloud-init) are configured to do,
 * read from their own files. Shared by the coexistence module (which reports and switches them)
 * and ssh-host-keys (which must know who makes the keys); not a module itself.
 */

/** Another agent that may do one of our duties, and the switch that turns its part off. */
export interface Overlap {
  agent: 'google-guest-agent' | 'cloud-init';
  duty: 'host-keys' | 'hostname';
  /** Where the switch lives and what it is called, for the finding's text. */
  switchName: string;
  file: string;
  /** The switch's value that means "the other agent leaves this to us". */
  offValue: string;
}

export const GUEST_AGENT_CONFIG = '/etc/default/instance_configs.cfg';
export const CLOUD_INIT_DROP_IN = '/etc/cloud/cloud.cfg.d/99-gce-firstboot.cfg';

export const GUEST_AGENT_MARKERS = [
  '/usr/bin/google_guest_agent',
  '/lib/systemd/system/google-guest-agent.service',
  '/usr/lib/systemd/system/google-guest-agent.service',
  '/usr/bin/google_instance_setup',
  '/lib/systemd/system/google-instance-setup.service',
  '/usr/lib/systemd/system/google-instance-setup.service',
];
export const CLOUD_INIT_MARKERS = ['/usr/bin/cloud-init', '/etc/cloud/cloud.cfg'];
/** cloud-init's own off switch for the whole program (cloud-init-generator). */
const CLOUD_INIT_DISABLED = '/etc/cloud/cloud-init.disabled';

export const GUEST_AGENT_SWITCHES: readonly Omit<Overlap, 'agent'>[] = [
  { duty: 'host-keys', switchName: '[InstanceSetup] set_host_keys', file: GUEST_AGENT_CONFIG, offValue: 'false' },
  { duty: 'hostname', switchName: '[Unstable] set_hostname', file: GUEST_AGENT_CONFIG, offValue: 'false' },
];

/**
 * cloud-init's host-key switches are ssh_deletekeys and ssh_genkeytypes together (with
 * ssh_genkeytypes non-empty it still makes missing types, before our early stage).
 */
export const CLOUD_INIT_SWITCHES: readonly Omit<Overlap, 'agent'>[] = [
  { duty: 'host-keys', switchName: 'ssh_deletekeys', file: CLOUD_INIT_DROP_IN, offValue: 'false' },
  { duty: 'hostname', switchName: 'preserve_hostname', file: CLOUD_INIT_DROP_IN, offValue: 'true' },
];

/** The guest agent's defaults when the switch is not set: it does both duties. */
export const GUEST_AGENT_DEFAULTS: Record<string, string> = {
  '[InstanceSetup] set_host_keys': 'true',
  '[Unstable] set_hostname': 'true',
};

/** cloud-init's defaults: it deletes and regenerates keys per instance and sets the hostname. */
export const CLOUD_INIT_DEFAULTS: Record<string, string> = { ssh_deletekeys: 'true', preserve_hostname: 'false', ssh_genkeytypes: 'rsa, ecdsa, ed25519' };

async function anyExists(host: Host, paths: readonly string[]): Promise<boolean> {
  for (const candidate of paths) if (await host.exists(candidate)) return true;
  return false;
}

export async function guestAgentInstalled(host: Host): Promise<boolean> {
  return anyExists(host, GUEST_AGENT_MARKERS);
}

/** Installed and not switched off as a whole. */
export async function cloudInitInstalled(host: Host): Promise<boolean> {
  return (await anyExists(host, CLOUD_INIT_MARKERS)) && !(await host.exists(CLOUD_INIT_DISABLED));
}

/** A guest agent switch's effective value ("[Section] key"), its default when unset. */
export async function guestAgentValue(host: Host, switchName: string): Promise<string> {
  const [, section, key] = /^\[(.+)\] (.+)$/.exec(switchName)!;
  const text = (await host.readText(GUEST_AGENT_CONFIG)) ?? '';
  return readIniSwitch(text, section!, key!)?.toLowerCase() ?? GUEST_AGENT_DEFAULTS[switchName]!;
}

/**
 * cloud-init's top-level `key: value`, the last of cloud.cfg then cloud.cfg.d/*.cfg winning, its
 * default when unset. A block list (value on the following `- item` lines) reads as "list".
 */
export async function cloudInitValue(host: Host, key: string): Promise<string> {
  const dropIns = (await host.readDir('/etc/cloud/cloud.cfg.d')).filter((name) => name.endsWith('.cfg'));
  let value: string | undefined;
  for (const file of ['/etc/cloud/cloud.cfg', ...dropIns.map((name) => path.posix.join('/etc/cloud/cloud.cfg.d', name))]) {
    const match = new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec((await host.readText(file)) ?? '');
    if (match) value = match[1]!.replace(/\s+#.*$/, '').trim().toLowerCase() || 'list';
  }
  return value ?? CLOUD_INIT_DEFAULTS[key]!;
}

export type KeyOwner = 'gce-firstboot' | 'cloud-init' | 'google-guest-agent';

/** Who makes the SSH host keys on a new instance, by the other agents' own configuration. */
export async function hostKeyOwner(host: Host): Promise<{ owner: KeyOwner; why: string }> {
  if (await cloudInitInstalled(host)) {
    const deletes = await cloudInitValue(host, 'ssh_deletekeys');
    const types = await cloudInitValue(host, 'ssh_genkeytypes');
    if (!['false', 'no', 'off'].includes(deletes) || types !== '[]') {
      return { owner: 'cloud-init', why: `cloud-init: ssh_deletekeys = ${deletes}, ssh_genkeytypes = ${types}` };
    }
  }
  if ((await guestAgentInstalled(host)) && (await guestAgentValue(host, '[InstanceSetup] set_host_keys')) !== 'false') {
    return { owner: 'google-guest-agent', why: `google-guest-agent: [InstanceSetup] set_host_keys = ${await guestAgentValue(host, '[InstanceSetup] set_host_keys')}` };
  }
  return { owner: 'gce-firstboot', why: 'no other agent makes host keys' };
}
