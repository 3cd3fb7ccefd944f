import { MetadataUnreachableError } from '../../metadata/errors.js';
import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { judgeKeys, usableUuid, type KeyRecord, type MachineNow, type Verdict } from './identity.js';
import { generateKey, hostKeyFiles, installKey, keyPath, readKeyFiles, SCRATCH_NAME, scratchLeftovers, SSH_DIR, type KeyFile } from './key-files.js';
import { publishKeys } from './publish.js';

const ID = 'ssh-host-keys';
const RECORD = 'keys';
export const KEY_TYPES = ['rsa', 'ecdsa', 'ed25519'] as const;
export const BEGIN_MARKER = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
export const END_MARKER = '-----END SSH HOST KEY FINGERPRINTS-----';

interface Desired {
  types: readonly string[];
  machine: MachineNow;
  /** Whether this pass reached the metadata server (and so can publish). */
  metadataReachable: boolean;
}

interface Observed {
  keys: KeyFile[];
  record: KeyRecord | undefined;
  verdict: Verdict;
  /** Scratch directories of a killed run (its ssh-keygen may have outlived it). */
  leftovers: string[];
}

async function instanceIdIfReachable(ctx: ModuleContext): Promise<{ instanceId?: string; reachable: boolean }> {
  if (!ctx.metadata.available) return { reachable: false };
  try {
    const id = await ctx.metadata.instanceId();
    return { reachable: true, ...(id && /^\d{1,32}$/.test(id) ? { instanceId: id } : {}) };
  } catch (error) {
    if (error instanceof MetadataUnreachableError) return { reachable: false };
    throw error;
  }
}

async function desired(ctx: ModuleContext): Promise<Desired> {
  if ((ctx.options.types as readonly string[]).length === 0) throw new Error('types: name at least one key type (rsa, ecdsa, ed25519)');
  const { instanceId, reachable } = await instanceIdIfReachable(ctx);
  const productUuid = usableUuid(ctx.machine.productUuid);
  return {
    types: ctx.options.types as readonly string[],
    machine: { ...(productUuid ? { productUuid } : {}), ...(instanceId ? { instanceId } : {}) },
    metadataReachable: reachable,
  };
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  const keys = await readKeyFiles(ctx.host);
  const record = ctx.state.get<KeyRecord>(RECORD);
  const verdict = judgeKeys(Object.fromEntries(keys.map((key) => [key.name, key.fingerprint])), record, want.machine);
  return { keys, record, verdict, leftovers: await scratchLeftovers(ctx.host) };
}

function describe(machine: MachineNow): string {
  return `made on this machine (UUID ${machine.productUuid ?? 'unknown'}, instance ${machine.instanceId ?? 'unknown'})`;
}

function diff(want: Desired, have: Observed): Finding[] {
  const finding = (key: string, expected: string, actual: string, extra: Partial<Finding> = {}): Finding => ({ module: ID, key, expected, actual, ...extra });
  const leftovers = have.leftovers.map((name) => finding(keyPath(name), 'absent', 'left by an interrupted run'));
  if (have.verdict.replace) return [finding('host keys', describe(want.machine), have.verdict.reason), ...leftovers];
  const findings: Finding[] = [...leftovers];
  const present = new Set(have.keys.map((key) => key.type));
  for (const type of want.types) {
    if (!present.has(type)) findings.push(finding(keyPath(`ssh_host_${type}_key`), 'present', '(absent)'));
  }
  for (const key of have.keys) {
    if (key.privateMode & 0o077) findings.push(finding(`mode ${keyPath(key.name)}`, '0600', key.privateMode.toString(8).padStart(4, '0')));
    if (key.publicMode !== undefined && key.publicMode !== 0o644) {
      findings.push(finding(`mode ${keyPath(key.name)}.pub`, '0644', key.publicMode.toString(8).padStart(4, '0')));
    }
  }
  const { learned, note } = have.verdict;
  if (learned.productUuid || learned.instanceId) {
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

/** Generates the given types in parallel (RSA takes seconds under emulation), then installs them. */
async function makeKeys(ctx: ModuleContext, types: readonly string[], replaceAll: boolean): Promise<string[]> {
  const scratch = await ctx.host.scratchDir(SSH_DIR, SCRATCH_NAME);
  const names = types.map((type) => `ssh_host_${type}_key`);
  try {
    const generated = await Promise.all(types.map((type) => generateKey(ctx.host, scratch, type)));
    if (replaceAll) {
      for (const name of await hostKeyFiles(ctx.host)) await ctx.host.remove(keyPath(name), { backup: false });
    }
    for (const [index, file] of generated.entries()) await installKey(ctx.host, file, names[index]!);
  } finally {
    await ctx.host.discard(scratch);
  }
  if (ctx.host.live && ctx.host.root === '/' && (await ctx.host.hasCommand('restorecon'))) {
    await ctx.host.run('restorecon', ['-FR', keyPath('')]);
  }
  return names;
}

async function printFingerprints(ctx: ModuleContext, keys: readonly KeyFile[]): Promise<void> {
  await ctx.console([BEGIN_MARKER, ...keys.map((key) => key.fingerprintLine ?? `${key.name}: unreadable`), END_MARKER]);
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const changes: Change[] = [];
  const before = await observe(ctx, want);
  let record = before.record;
  const replaceAll = findings.some((finding) => finding.key === 'host keys');
  const missing = replaceAll ? [...want.types] : want.types.filter((type) => !before.keys.some((key) => key.type === type));
  if (missing.length) {
    const names = await makeKeys(ctx, missing, replaceAll);
    const keys = await readKeyFiles(ctx.host);
    record = {
      fingerprints: Object.fromEntries(keys.map((key) => [key.name, key.fingerprint ?? ''])),
      ...want.machine,
      publish: 'pending',
      madeAt: ctx.host.now().toISOString(),
    };
    await ctx.state.set(RECORD, record);
    await printFingerprints(ctx, keys);
    const action = before.verdict.replace ? `made new (${before.verdict.reason})` : 'generated (was missing)';
    for (const name of names) changes.push({ module: ID, key: keyPath(name), action, path: keyPath(name) });
  }
  for (const name of before.leftovers) {
    if (await ctx.host.discard(keyPath(name))) changes.push({ module: ID, key: keyPath(name), action: 'removed (left by an interrupted run)' });
  }
  for (const finding of findings.filter((f) => f.key.startsWith('mode '))) {
    const path = finding.key.slice('mode '.length);
    await ctx.host.chmod(path, Number.parseInt(finding.expected, 8));
    changes.push({ module: ID, key: finding.key, action: `set to ${finding.expected}`, path });
  }
  if (record && !missing.length && findings.some((f) => f.key === 'identity record')) {
    record = { ...record, ...want.machine };
    await ctx.state.set(RECORD, record);
    changes.push({ module: ID, key: 'identity record', action: `recorded ${describe(want.machine)}; keys kept` });
  }
  if (record?.publish === 'pending' && want.metadataReachable) {
    const publish = await publishKeys(ctx, Object.keys(record.fingerprints));
    record = { ...record, publish };
    await ctx.state.set(RECORD, record);
    if (publish !== 'pending') changes.push({ module: ID, key: 'guest attributes hostkeys/*', action: publish === 'done' ? 'published' : 'not published: guest attributes off' });
  }
  return changes;
}

export const sshHostKeysModule = defineModule<Desired, Observed>({
  id: ID,
  title: 'SSH host keys unique to this VM',
  frequency: 'per-instance',
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
