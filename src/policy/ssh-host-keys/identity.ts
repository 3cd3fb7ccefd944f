import type { KeyOwner } from '../other-agents.js';

/** What we remember about the host keys (in its own file): their fingerprints and the machine they were made for. */
export interface KeyRecord {
  /** File name (ssh_host_ed25519_key) -> SHA256 fingerprint. */
  fingerprints: Record<string, string>;
  productUuid?: string;
  instanceId?: string;
  /**
   * pending until a pass with the metadata server has put the public keys in guest attributes;
   * other-agent when google-guest-agent makes and publishes the keys.
   */
  publish: 'pending' | 'done' | 'unavailable' | 'other-agent';
  madeAt: string;
  /** Set while a replacement is under way: a run killed in the middle leaves it, and the next early pass replaces again. */
  replacing?: boolean;
}

export interface MachineNow {
  productUuid?: string;
  instanceId?: string;
}

/** What is known besides the keys: the record, the state file, who makes keys on this machine. */
export interface KeyContext {
  record: KeyRecord | undefined;
  /** Why the record file could not be read (its keys' origin is then unknown). */
  recordDamage?: string;
  /** gce-firstboot ran on this VM before: its state names this VM, or is damaged (unknown, so not a template). */
  ranHereBefore: boolean;
  owner: KeyOwner;
}

export interface Verdict {
  /** Why every key is to be replaced (template keys, another machine's keys). */
  replace?: string;
  /** Why keys present are kept and recorded as this machine's (ids newly known are in `learned`). */
  adopt?: string;
  learned: MachineNow;
  /** A warning: nothing identifies the machine. */
  note?: string;
}

/** Keys on disk, by file name -> fingerprint (only keys ssh-keygen can read). */
export type KeysOnDisk = Record<string, string>;

/** Why the record's machine is positively not this one; undefined when it is, or cannot be told. */
function otherMachine(record: KeyRecord, now: MachineNow): string | undefined {
  if (record.productUuid && now.productUuid && record.productUuid !== now.productUuid) {
    return `made on VM ${record.productUuid}, this VM is ${now.productUuid} (disk cloned?)`;
  }
  if (record.instanceId && now.instanceId && record.instanceId !== now.instanceId) {
    return `made on instance ${record.instanceId}, this is instance ${now.instanceId} (disk cloned?)`;
  }
  // A VM's SMBIOS UUID does not appear later: keys recorded where none was readable (a build host,
  // a chroot) were made elsewhere, unless the instance id says it is the same instance.
  if (!record.productUuid && now.productUuid && !(record.instanceId && record.instanceId === now.instanceId)) {
    return `made where no SMBIOS UUID was readable (an image build?), this VM is ${now.productUuid}`;
  }
  return undefined;
}

function learnedIds(record: KeyRecord | undefined, now: MachineNow): MachineNow {
  return {
    ...(now.productUuid && !record?.productUuid ? { productUuid: now.productUuid } : {}),
    ...(now.instanceId && !record?.instanceId ? { instanceId: now.instanceId } : {}),
  };
}

/**
 * The identity rule. Keys are replaced only when they are positively not this machine's: made for
 * another VM or instance by the record, or a template's (no record, and nothing says gce-firstboot
 * ran on this VM before). A damaged record or state means "unknown": keys kept. When another agent
 * makes the keys, they are never replaced, only recorded.
 */
export function judgeKeys(keys: KeysOnDisk, known: KeyContext, now: MachineNow): Verdict {
  const names = Object.keys(keys);
  if (names.length === 0) return { learned: {} };
  const { record } = known;
  const unrecorded = names.filter((name) => record?.fingerprints[name] !== keys[name]);
  if (known.owner !== 'gce-firstboot') {
    return { ...(unrecorded.length || !record ? { adopt: `made by ${known.owner}, which makes the host keys on this machine` } : {}), learned: learnedIds(record, now) };
  }
  if (known.recordDamage) return { adopt: 'the key record is damaged: where they were made is unknown, so they are kept', learned: {} };
  if (!record) {
    if (!known.ranHereBefore) return { replace: 'host keys present but not recorded as made on this machine (template keys)', learned: {} };
    return { adopt: 'not recorded, but gce-firstboot ran on this VM before: kept as this VM\'s', learned: {} };
  }
  if (record.replacing) return { replace: 'an earlier replacement was interrupted', learned: {} };
  const elsewhere = otherMachine(record, now);
  if (elsewhere) return { replace: elsewhere, learned: {} };
  const note = !now.productUuid && !now.instanceId ? 'neither the SMBIOS UUID nor the instance id is known: the keys are kept' : undefined;
  return {
    ...(unrecorded.length ? { adopt: `${unrecorded.join(', ')}: not the recorded key(s), made on this machine since: kept` } : {}),
    learned: learnedIds(record, now),
    ...(note ? { note } : {}),
  };
}

/** A usable SMBIOS UUID: the right shape and not the all-zero placeholder some hypervisors give. */
export function usableUuid(uuid: string | undefined): string | undefined {
  if (!uuid || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) return undefined;
  return /^[0-]+$/.test(uuid) ? undefined : uuid;
}
