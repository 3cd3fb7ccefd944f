/** What state remembers about the host keys: their fingerprints and the machine they were made on. */
export interface KeyRecord {
  /** File name (ssh_host_ed25519_key) -> SHA256 fingerprint. */
  fingerprints: Record<string, string>;
  productUuid?: string;
  instanceId?: string;
  /** pending until a pass with the metadata server has put the public keys in guest attributes. */
  publish: 'pending' | 'done' | 'unavailable';
  madeAt: string;
}

export interface MachineNow {
  productUuid?: string;
  instanceId?: string;
}

export type Verdict =
  | { replace: true; reason: string }
  | { replace: false; note?: string; learned: MachineNow };

/** Keys on disk, by file name -> fingerprint (undefined when ssh-keygen cannot read the key). */
export type KeysOnDisk = Record<string, string | undefined>;

/**
 * The identity rule: keys not recorded as made on this machine are replaced; recorded keys are
 * replaced only when a known UUID or instance id differs from the recorded one; ids that became
 * known since are learned (recorded) without replacing anything.
 */
export function judgeKeys(keys: KeysOnDisk, record: KeyRecord | undefined, now: MachineNow): Verdict {
  const names = Object.keys(keys);
  if (names.length === 0) return { replace: true, reason: 'no host keys' };
  if (!record) return { replace: true, reason: 'host keys present but not recorded as made on this machine (template keys)' };
  const unrecorded = names.filter((name) => keys[name] === undefined || record.fingerprints[name] !== keys[name]);
  if (unrecorded.length) {
    return { replace: true, reason: `${unrecorded.join(', ')} not the key(s) recorded as made on this machine` };
  }
  if (record.productUuid && now.productUuid && record.productUuid !== now.productUuid) {
    return { replace: true, reason: `made on VM ${record.productUuid}, this VM is ${now.productUuid} (disk cloned?)` };
  }
  if (record.instanceId && now.instanceId && record.instanceId !== now.instanceId) {
    return { replace: true, reason: `made on instance ${record.instanceId}, this is instance ${now.instanceId} (disk cloned?)` };
  }
  const learned: MachineNow = {};
  if (now.productUuid && !record.productUuid) learned.productUuid = now.productUuid;
  if (now.instanceId && !record.instanceId) learned.instanceId = now.instanceId;
  const note =
    !now.productUuid && !now.instanceId
      ? 'neither the SMBIOS UUID nor the instance id is known: the recorded keys are kept'
      : undefined;
  return { replace: false, learned, ...(note ? { note } : {}) };
}

/** A usable SMBIOS UUID: the right shape and not the all-zero placeholder some hypervisors give. */
export function usableUuid(uuid: string | undefined): string | undefined {
  if (!uuid || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) return undefined;
  return /^[0-]+$/.test(uuid) ? undefined : uuid;
}
