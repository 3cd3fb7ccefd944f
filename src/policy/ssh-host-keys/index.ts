import { isInstanceId } from '../../metadata/view.js';
import { MetadataUnreachableError } from '../../metadata/errors.js';
import { ApplyIncomplete, defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { hostKeyOwner, type KeyOwner } from '../other-agents.js';
import { judgeKeys, usableUuid, type KeyRecord, type MachineNow, type Verdict } from './identity.js';
import { generateKey, hostKeyFiles, installKey, keyPath, readKeyFiles, SCRATCH_NAME, scratchLeftovers, SSH_DIR, type KeyFile } from './key-files.js';
import { publishKeys } from './publish.js';
import { planText, readPlan, readReceipt, writePlan } from './helper-files.js';

const ID = 'ssh-host-keys';
/** The key record's own file, <state dir>/host-keys.json: a damaged state.json cannot take it with it. */
const RECORD = 'host-keys';
/** Where earlier versions kept the record: inside state.json (read when the own file is absent). */
const LEGACY_RECORD = 'keys';
export const KEY_TYPES = ['rsa', 'ecdsa', 'ed25519'] as const;
export const BEGIN_MARKER = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
export const END_MARKER = '-----END SSH HOST KEY FINGERPRINTS-----';
/** What a pass after sshd started says about keys it may not change. */
/** Set by gce-firstboot-early.service, which runs beside sshd after gce-firstboot-host-keys.service. */
export const HELPER_ENV = 'GCE_FIRSTBOOT_KEYS_BY_HELPER';
const planPath = `/var/lib/gce-firstboot/host-keys.plan`;
const NEXT_BOOT = 'keys change only before sshd starts: made by the next boot\'s early stage (or now: gce-firstboot apply --stage early --only ssh-host-keys)';

interface Desired {
  types: readonly string[];
  machine: MachineNow;
  /** Whether this pass reached the metadata server (and so can publish). */
  metadataReachable: boolean;
  /** Whether this pass may write keys (it runs before sshd, and make-host-keys did not settle them this boot). */
  beforeSshd: boolean;
}

interface Missing {
  type: string;
  /** absent, or a file that is empty or no key ssh-keygen can read */
  why: 'absent' | 'empty or unreadable';
}

interface Observed {
  keys: KeyFile[];
  missing: Missing[];
  record: KeyRecord | undefined;
  recordDamage?: string;
  owner: { owner: KeyOwner; why: string };
  verdict: Verdict;
  /** Scratch directories of a killed run (its ssh-keygen may have outlived it). */
  leftovers: string[];
  /** make-host-keys made keys for this VM that the record does not have yet: `record` is built from them. */
  fromHelper?: { why: string; made: string[]; replaced: boolean };
  /** The plan make-host-keys follows, when one is there and is not what the record says. */
  stalePlan?: { want: string; have?: string };
}

async function instanceIdIfReachable(ctx: ModuleContext): Promise<{ instanceId?: string; reachable: boolean }> {
  if (!ctx.metadata.available) return { reachable: false };
  try {
    const id = await ctx.metadata.instanceId();
    return { reachable: true, ...(isInstanceId(id) ? { instanceId: id } : {}) };
  } catch (error) {
    if (error instanceof MetadataUnreachableError) return { reachable: false };
    throw error;
  }
}

async function desired(ctx: ModuleContext): Promise<Desired> {
  if ((ctx.options.types as readonly string[]).length === 0) throw new Error('types: name at least one key type (rsa, ecdsa, ed25519)');
  const { instanceId, reachable } = await instanceIdIfReachable(ctx);
  const productUuid = usableUuid(ctx.machine.productUuid);
  // Without the metadata server: the instance id recorded on this same VM (never a cloned disk's).
  const id = instanceId ?? ctx.instanceId;
  // make-host-keys ran before sshd in this boot, or this pass runs beside sshd (the early unit sets
  // HELPER_ENV): the keys are settled before sshd by the helper (or the unit's fallback); this pass only records.
  const receipt = await readReceipt(ctx.host);
  const settledByHelper = process.env[HELPER_ENV] === '1' || (receipt?.boot !== undefined && receipt.boot === ctx.machine.bootId);
  return {
    types: ctx.options.types as readonly string[],
    machine: { ...(productUuid ? { productUuid } : {}), ...(id ? { instanceId: id } : {}) },
    metadataReachable: reachable,
    beforeSshd: ctx.beforeSshd && !settledByHelper,
  };
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  const keys = await readKeyFiles(ctx.host);
  const stored = await ctx.state.loadRecord<KeyRecord>(RECORD);
  let record = stored.value ?? (stored.damage ? undefined : ctx.state.get<KeyRecord>(LEGACY_RECORD));
  const state = ctx.state.summary();
  const ranHereBefore = state.damaged || (state.instanceId !== undefined && state.productUuid === ctx.machine.productUuid);
  const owner = await hostKeyOwner(ctx.host);
  const usable = keys.filter((key) => key.fingerprint !== undefined);
  const helper = await helperRecord(ctx, want, owner.owner, usable);
  if (helper) record = helper.record;
  const verdict = judgeKeys(
    Object.fromEntries(usable.map((key) => [key.name, key.fingerprint!])),
    // A record saved in this pass (over a damaged one) is the record; the damage is still reported.
    { record, ...(stored.damage && !record ? { recordDamage: stored.damage } : {}), ranHereBefore, owner: owner.owner },
    want.machine,
  );
  const missing = want.types
    .filter((type) => !usable.some((key) => key.type === type))
    .map((type): Missing => ({ type, why: keys.some((key) => key.type === type) ? 'empty or unreadable' : 'absent' }));
  const plan = await readPlan(ctx.host);
  const planWanted = planText(want.types, record, owner.owner, stored.damage !== undefined);
  return {
    keys, missing, record, ...(stored.damage ? { recordDamage: stored.damage } : {}), owner, verdict, leftovers: await scratchLeftovers(ctx.host),
    ...(helper ? { fromHelper: helper.from } : {}),
    // A wrong plan is drift, and so is none beside a record (an earlier version's): without it
    // make-host-keys only makes missing keys, and a cloned disk would keep them.
    ...(plan !== planWanted && (plan !== undefined || stored.value !== undefined) ? { stalePlan: { want: planWanted, ...(plan !== undefined ? { have: plan } : {}) } } : {}),
  };
}

/**
 * The record of the keys make-host-keys made before sshd for this VM (its receipt names this VM's
 * SMBIOS UUID and is newer than the plan this module last wrote); undefined when there is none.
 */
async function helperRecord(ctx: ModuleContext, want: Desired, owner: KeyOwner, usable: readonly KeyFile[]): Promise<{ record: KeyRecord; from: NonNullable<Observed['fromHelper']> } | undefined> {
  const receipt = await readReceipt(ctx.host);
  if (!receipt?.newerThanPlan || owner !== 'gce-firstboot' || !want.machine.productUuid || receipt.madeFor !== want.machine.productUuid) return undefined;
  return {
    record: {
      fingerprints: Object.fromEntries(usable.map((key) => [key.name, key.fingerprint!])),
      ...want.machine,
      publish: 'pending',
      madeAt: ctx.host.now().toISOString(),
    },
    from: {
      why: `made before sshd by make-host-keys${receipt.made.length ? ` (${receipt.made.join(', ')}${receipt.replaced ? ', all replaced' : ''})` : ''}: not recorded yet`,
      made: receipt.made.filter((name) => usable.some((key) => key.name === name)),
      replaced: receipt.replaced,
    },
  };
}

function describe(machine: MachineNow): string {
  return `made on this machine (UUID ${machine.productUuid ?? 'unknown'}, instance ${machine.instanceId ?? 'unknown'})`;
}

function finding(key: string, expected: string, actual: string, extra: Partial<Finding> = {}): Finding {
  return { module: ID, key, expected, actual, ...extra };
}

/** A key change this pass may not make (sshd runs): reported, left to the next early stage. */
const afterSshd = (want: Desired): Partial<Finding> => (want.beforeSshd ? {} : { fixable: false, cause: NEXT_BOOT });

function diff(want: Desired, have: Observed): Finding[] {
  const findings: Finding[] = have.leftovers.map((name) => finding(keyPath(name), 'absent', 'left by an interrupted run'));
  if (have.recordDamage) {
    findings.push(finding('key record', 'readable', have.recordDamage, { fixable: false, cause: 'where the keys were made is unknown: they are kept; an apply records them again (the damaged file is kept as host-keys.json.unusable)' }));
  }
  if (have.stalePlan) {
    findings.push(finding(planPath, 'the record\'s plan', have.stalePlan.have === undefined ? 'absent (a record without one: written by an earlier version)' : 'not what the key record says (damaged or edited)'));
  }
  if (have.verdict.replace) return [finding('host keys', describe(want.machine), have.verdict.replace, afterSshd(want)), ...findings];
  for (const { type, why } of have.missing) {
    findings.push(finding(keyPath(`ssh_host_${type}_key`), 'present', `(${why})`, afterSshd(want)));
  }
  for (const key of have.keys) {
    if (key.privateMode & 0o077) findings.push(finding(`mode ${keyPath(key.name)}`, '0600', key.privateMode.toString(8).padStart(4, '0')));
    if (key.publicMode !== undefined && key.publicMode !== 0o644) {
      findings.push(finding(`mode ${keyPath(key.name)}.pub`, '0644', key.publicMode.toString(8).padStart(4, '0')));
    }
  }
  const { learned, note, adopt } = have.verdict;
  if (have.fromHelper && !adopt) findings.push(finding('identity record', describe(want.machine), have.fromHelper.why));
  else if (adopt) findings.push(finding('identity record', describe({ ...have.record, ...want.machine }), adopt));
  else if (learned.productUuid || learned.instanceId) {
    findings.push(finding('identity record', describe({ ...have.record, ...learned }), `recorded: ${describe({ ...have.record })}`));
  }
  if (note) findings.push(finding('identity', 'SMBIOS UUID or instance id known', note, { severity: 'warning', fixable: false }));
  if (have.record?.publish === 'pending') {
    findings.push(
      want.metadataReachable
        ? finding('guest attributes hostkeys/*', 'published', 'pending')
        : finding('guest attributes hostkeys/*', 'published', 'pending: published by the next pass that reaches the metadata server', { severity: 'info', fixable: false }),
    );
  }
  if (have.record?.publish === 'unavailable') {
    findings.push(finding('guest attributes hostkeys/*', 'published', 'guest attributes are switched off for this instance (HTTP 403/404)', { severity: 'info', fixable: false }));
  }
  return findings;
}

/**
 * Generates the given types in parallel (RSA takes seconds under emulation), each on its own: one
 * refused type (FIPS refuses ed25519) does not keep the others from being made. Installs what was
 * made; returns the names installed and why the others failed.
 */
async function makeKeys(ctx: ModuleContext, types: readonly string[], replaceAll: boolean): Promise<{ made: string[]; failed: string[] }> {
  const scratch = await ctx.host.scratchDir(SSH_DIR, SCRATCH_NAME);
  const made: string[] = [];
  const failed: string[] = [];
  try {
    const generated = await Promise.allSettled(types.map((type) => generateKey(ctx.host, scratch, type)));
    if (replaceAll) {
      for (const name of await hostKeyFiles(ctx.host)) await ctx.host.remove(keyPath(name), { backup: false });
    }
    for (const [index, result] of generated.entries()) {
      const name = `ssh_host_${types[index]!}_key`;
      if (result.status === 'rejected') {
        failed.push((result.reason as Error).message);
        continue;
      }
      // Renamed over an empty or unreadable file of that name: only that file is replaced.
      await installKey(ctx.host, result.value, name);
      made.push(name);
    }
  } finally {
    await ctx.host.discard(scratch);
  }
  if (made.length && ctx.host.live && ctx.host.root === '/' && (await ctx.host.hasCommand('restorecon'))) {
    await ctx.host.run('restorecon', ['-FR', keyPath('')]);
  }
  return { made, failed };
}

async function printFingerprints(ctx: ModuleContext, keys: readonly KeyFile[]): Promise<void> {
  await ctx.console([BEGIN_MARKER, ...keys.map((key) => key.fingerprintLine ?? `${key.name}: unreadable`), END_MARKER]);
}

/** The record of the keys now on disk, made for (or adopted by) this machine. */
async function recordOf(ctx: ModuleContext, want: Desired, owner: KeyOwner, publish?: KeyRecord['publish']): Promise<KeyRecord> {
  const keys = (await readKeyFiles(ctx.host)).filter((key) => key.fingerprint !== undefined);
  return {
    fingerprints: Object.fromEntries(keys.map((key) => [key.name, key.fingerprint!])),
    ...want.machine,
    publish: publish ?? (owner === 'google-guest-agent' ? 'other-agent' : 'pending'),
    madeAt: ctx.host.now().toISOString(),
  };
}

/** Saves the record and the plan make-host-keys follows at the next boot. */
async function saveRecord(ctx: ModuleContext, record: KeyRecord, want: Desired, owner: KeyOwner): Promise<void> {
  await ctx.state.saveRecord(RECORD, record);
  if (ctx.state.get(LEGACY_RECORD) !== undefined) await ctx.state.set(LEGACY_RECORD, undefined);
  await writePlan(ctx.host, planText(want.types, record, owner, false));
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const changes: Change[] = [];
  const before = await observe(ctx, want);
  const { verdict, owner } = before;
  let record = before.record;
  const failed: string[] = [];
  const replaceAll = verdict.replace !== undefined;
  const toMake = !want.beforeSshd ? [] : replaceAll ? [...want.types] : before.missing.map((missing) => missing.type);
  if (toMake.length) {
    // Written first: a run killed while replacing leaves this mark, and the next early pass replaces again.
    if (replaceAll) await saveRecord(ctx, { ...(record ?? { fingerprints: {}, publish: 'pending', madeAt: ctx.host.now().toISOString() }), replacing: true }, want, owner.owner);
    const result = await makeKeys(ctx, toMake, replaceAll);
    failed.push(...result.failed);
    record = await recordOf(ctx, want, owner.owner);
    await saveRecord(ctx, record, want, owner.owner);
    await printFingerprints(ctx, await readKeyFiles(ctx.host));
    for (const name of result.made) {
      const why = before.missing.find((missing) => `ssh_host_${missing.type}_key` === name)?.why;
      const action = replaceAll ? `made new (${verdict.replace})` : why === 'absent' ? 'generated (was missing)' : 'made new (the file was empty or unreadable)';
      changes.push({ module: ID, key: keyPath(name), action, path: keyPath(name) });
    }
  } else if (!replaceAll && findings.some((f) => f.key === 'identity record' || f.key === 'key record')) {
    const fingerprintsChanged = verdict.adopt !== undefined;
    record = fingerprintsChanged || !record ? await recordOf(ctx, want, owner.owner) : { ...record, ...verdict.learned };
    await saveRecord(ctx, record, want, owner.owner);
    const helper = before.fromHelper;
    if (helper) {
      // The keys sshd serves from this boot on: on the serial console, as when the agent makes them.
      await printFingerprints(ctx, await readKeyFiles(ctx.host));
      for (const name of helper.made) {
        const action = helper.replaced
          ? 'made new by make-host-keys before sshd (all replaced: made for another VM, or template keys)'
          : 'generated by make-host-keys before sshd (was missing, empty or unreadable)';
        changes.push({ module: ID, key: keyPath(name), action, path: keyPath(name) });
      }
    }
    changes.push({ module: ID, key: 'identity record', action: `recorded ${describe(want.machine)}; keys ${helper ? 'made before sshd by make-host-keys' : 'kept'}${verdict.adopt ? ` (${verdict.adopt})` : ''}` });
  }
  if (before.stalePlan) {
    await writePlan(ctx.host, before.stalePlan.want);
    changes.push({ module: ID, key: planPath, action: 'rewritten from the key record' });
  }
  for (const name of before.leftovers) {
    if (await ctx.host.discard(keyPath(name))) changes.push({ module: ID, key: keyPath(name), action: 'removed (left by an interrupted run)' });
  }
  for (const finding of findings.filter((f) => f.key.startsWith('mode '))) {
    const path = finding.key.slice('mode '.length);
    await ctx.host.chmod(path, Number.parseInt(finding.expected, 8));
    changes.push({ module: ID, key: finding.key, action: `set to ${finding.expected}`, path });
  }
  if (record?.publish === 'pending' && want.metadataReachable) {
    const publish = await publishKeys(ctx, Object.keys(record.fingerprints));
    record = { ...record, publish };
    await saveRecord(ctx, record, want, owner.owner);
    if (publish !== 'pending') changes.push({ module: ID, key: 'guest attributes hostkeys/*', action: publish === 'done' ? 'published' : 'not published: guest attributes off' });
  }
  if (failed.length) {
    throw new ApplyIncomplete(`${failed.join('; ')}; sshd starts with the other types (a type the crypto policy refuses: leave it out of [ssh-host-keys] types)`, changes);
  }
  return changes;
}

export const sshHostKeysModule = defineModule<Desired, Observed>({
  id: ID,
  title: 'SSH host keys unique to this VM',
  frequency: 'per-instance',
  selfGated: true,
  stage: 'early',
  alsoInNetworkStage: true,
  needsMetadata: false,
  options: {
    types: {
      type: 'list',
      default: KEY_TYPES,
      values: KEY_TYPES,
      description: 'host key types to generate (rsa, ecdsa, ed25519)',
    },
  },
  desired,
  observe,
  diff,
  apply,
});
