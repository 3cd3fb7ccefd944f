import path from 'node:path';
import type { Host } from '../../host/host.js';
import type { KeyOwner } from '../other-agents.js';
import type { KeyRecord } from './identity.js';

/**
 * The two files shared with /usr/lib/gce-firstboot/make-host-keys (packaging/make-host-keys), the
 * helper that makes the keys before sshd: the plan this module writes for it, and the receipt it
 * leaves. Both are KEY=VALUE lines in the state directory; neither side evaluates the other's text.
 */
export const PLAN_NAME = 'host-keys.plan';
export const RECEIPT_NAME = 'host-keys.made';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Receipt {
  /** The boot in which the helper ran (kernel.random.boot_id). */
  boot?: string;
  /** The SMBIOS UUID the keys on disk are made for after its run; `keep` when it cannot tell. */
  madeFor: string;
  replaced: boolean;
  made: string[];
  /** Newer than the plan (or no plan): what it says is not recorded by the agent yet. */
  newerThanPlan: boolean;
}

const statePath = (host: Host, name: string): string => path.posix.join(host.stateDir, name);

/**
 * The plan's made-for: the UUID the recorded keys were made for, or `keep` (keys present are kept:
 * another agent makes them, the record is damaged or names no UUID). The helper replaces every key
 * only when this VM's UUID is another one, which is this module's rule where no network is needed.
 */
export function planText(types: readonly string[], record: KeyRecord | undefined, owner: KeyOwner, damaged: boolean): string {
  const madeFor = owner === 'gce-firstboot' && !damaged && record?.productUuid && UUID.test(record.productUuid) ? record.productUuid : 'keep';
  return `# Written by gce-firstboot (ssh-host-keys); read by /usr/lib/gce-firstboot/make-host-keys before sshd.\ntypes=${types.join(' ')}\nmade-for=${madeFor}\n`;
}

/** Written also when unchanged: a plan newer than the receipt says the receipt is recorded. */
export async function writePlan(host: Host, text: string): Promise<void> {
  await host.writeText(statePath(host, PLAN_NAME), text, { mode: 0o600, backup: false });
}

/** The plan as it is on disk; undefined when absent or unreadable. */
export async function readPlan(host: Host): Promise<string | undefined> {
  return host.readText(statePath(host, PLAN_NAME)).catch(() => undefined);
}

/** The helper's receipt; undefined when absent or not in its shape (then it is ignored). */
export async function readReceipt(host: Host): Promise<Receipt | undefined> {
  const file = await host.lstat(statePath(host, RECEIPT_NAME));
  if (!file?.isFile() || file.size > 4096) return undefined;
  const text = await host.readText(statePath(host, RECEIPT_NAME)).catch(() => undefined);
  if (text === undefined) return undefined;
  const fields = new Map(text.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const));
  const madeFor = fields.get('made-for') ?? '';
  if (madeFor !== 'keep' && !UUID.test(madeFor)) return undefined;
  const plan = await host.lstat(statePath(host, PLAN_NAME));
  const boot = fields.get('boot');
  return {
    ...(boot ? { boot } : {}),
    madeFor,
    replaced: fields.get('replaced') === 'yes',
    made: (fields.get('made') ?? '').split(' ').filter((name) => /^ssh_host_[a-z0-9]+_key$/.test(name)),
    newerThanPlan: !plan || file.mtimeMs > plan.mtimeMs,
  };
}
