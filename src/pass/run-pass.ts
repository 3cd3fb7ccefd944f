import type { Host } from '../host/host.js';
import { isInstanceId, type MetadataView } from '../metadata/view.js';
import { MetadataUnreachableError } from '../metadata/errors.js';
import type { StateStore } from '../state/store.js';
import type { OptionValue } from '../config/schema.js';
import { ApplyIncomplete, isDrift, type Change, type Finding, type Logger, type MachineIdentity, type ModuleContext, type PolicyModule } from '../policy/types.js';
import { REPORT_VERSION, summarize, type ModuleResult, type Report } from '../report/model.js';

export type PassMode = 'check' | 'apply' | 'dry-run';

export interface ModuleSettings {
  options: Record<string, OptionValue>;
  extraOptions: Record<string, string>;
}

export interface PassOptions {
  host: Host;
  modules: readonly PolicyModule[];
  settings: (moduleId: string) => ModuleSettings;
  metadata: MetadataView;
  state: StateStore;
  log: Logger;
  mode: PassMode;
  /** Automatic runs (boot, daemon) apply per-instance/per-boot modules only when those are new. */
  respectFrequency: boolean;
  machine: MachineIdentity;
  /**
   * Whether this pass runs before sshd starts (the early stage, or a root that is not the running
   * system); absent means after: the daemon's passes never write host keys.
   */
  beforeSshd?: boolean;
  console(lines: readonly string[]): Promise<void>;
  /** Checked between modules: an aborted pass stops before the next module, never inside a write. */
  signal?: AbortSignal;
}

/** The instance a per-instance module was applied for: VM UUID and instance id, whichever are known. */
function instanceKey(machine: MachineIdentity, instanceId: string | undefined): string {
  return `${machine.productUuid ?? ''}/${instanceId ?? ''}`;
}

function mayApply(module: PolicyModule, options: PassOptions, instanceId: string | undefined): boolean {
  if (!options.respectFrequency || module.frequency === 'always' || (module.selfGated && options.beforeSshd)) return true;
  const record = options.state.record(module.id);
  if (module.frequency === 'per-boot') return record.appliedBoot !== options.machine.bootId;
  return record.appliedInstance !== instanceKey(options.machine, instanceId);
}

/**
 * The instance id recorded in state, when it is this VM's: recorded with this VM's SMBIOS UUID
 * (both absent counts: a VM without one). A cloned disk's recorded id belongs to another VM.
 */
function recordedInstanceId(options: PassOptions): string | undefined {
  return options.state.productUuid === options.machine.productUuid ? options.state.instanceId : undefined;
}

/**
 * The instance id the pass acts for, asked of the metadata server only when some module uses the
 * server anyway. Only an apply records it: check and dry-run write nothing.
 */
async function knownInstanceId(options: PassOptions): Promise<string | undefined> {
  const asks = options.modules.some((module) => module.needsMetadata || module.alsoInNetworkStage);
  if (!options.metadata.available || !asks) return recordedInstanceId(options);
  try {
    const id = await options.metadata.instanceId();
    if (isInstanceId(id)) {
      if (options.mode === 'apply') await options.state.recordMachine({ instanceId: id, productUuid: options.machine.productUuid });
      return id;
    }
    options.log.warn(`metadata instance/id ${JSON.stringify(id?.slice(0, 40))} is not a valid instance id; ignored`);
  } catch (error) {
    options.log.warn(`instance id not known: ${(error as Error).message}`);
  }
  return recordedInstanceId(options);
}

/** A state file that could not be read: reported in the pass that found it (the next write sets it aside). */
function stateDamage(options: PassOptions): ModuleResult | undefined {
  const damage = options.state.damage;
  if (!damage) return undefined;
  const finding: Finding = {
    module: 'state',
    key: options.state.statePath,
    expected: 'readable, version 1',
    actual: damage,
    fixable: false,
    cause: 'read as "nothing known": instance identity unknown, host keys kept; an apply keeps the file as state.json.unusable and starts a new one',
  };
  return { id: 'state', title: 'gce-firstboot state', status: 'drift', findings: [finding], changes: [] };
}

async function runModule(module: PolicyModule, options: PassOptions, instanceId: string | undefined): Promise<ModuleResult> {
  const settings = options.settings(module.id);
  const ctx: ModuleContext = {
    host: options.host,
    metadata: options.metadata,
    options: settings.options,
    extraOptions: settings.extraOptions,
    state: options.state.forModule(module.id),
    log: options.log,
    machine: options.machine,
    ...(instanceId ? { instanceId } : {}),
    beforeSshd: options.beforeSshd ?? false,
    console: options.console,
  };
  const base = { id: module.id, title: module.title };
  try {
    const desired = await module.desired(ctx);
    let findings: Finding[] = module.diff(desired, await module.observe(ctx, desired), ctx);
    let changes: Change[] = [];
    const fixable = findings.filter((f) => isDrift(f) && f.fixable !== false);
    if (options.mode === 'apply' && fixable.length > 0 && module.apply && mayApply(module, options, instanceId)) {
      changes = await module.apply(ctx, desired, fixable);
      findings = module.diff(desired, await module.observe(ctx, desired), ctx);
      if (!findings.some(isDrift)) await options.state.markApplied(module.id, instanceKey(options.machine, instanceId), options.machine.bootId, options.host.now());
    }
    const drifted = findings.some(isDrift);
    const status = drifted ? 'drift' : changes.length ? 'applied' : 'compliant';
    return { ...base, status, findings, changes };
  } catch (error) {
    if (error instanceof ApplyIncomplete) {
      options.log.error(`${module.id}: ${error.message}`);
      const findings = await (async () => {
        const desired = await module.desired(ctx);
        return module.diff(desired, await module.observe(ctx, desired), ctx);
      })().catch(() => []);
      return { ...base, status: 'failed', findings, changes: error.changes, reason: error.message };
    }
    if (error instanceof MetadataUnreachableError) {
      return { ...base, status: 'skipped', findings: [], changes: [], reason: error.message, metadataUnreachable: true };
    }
    options.log.error(`${module.id}: ${(error as Error).message}`);
    return { ...base, status: 'failed', findings: [], changes: [], reason: (error as Error).message };
  }
}

/** One pass over the modules: observe, compare, and (in apply mode) fix and observe again. */
export async function runPass(options: PassOptions): Promise<Report> {
  const instanceId = await knownInstanceId(options);
  const damage = stateDamage(options);
  if (damage && options.mode === 'apply') await options.state.setAsideDamaged();
  const results: ModuleResult[] = damage ? [damage] : [];
  for (const module of options.modules) {
    if (options.signal?.aborted) break;
    if (module.needsMetadata && !options.metadata.available) {
      results.push({ id: module.id, title: module.title, status: 'skipped', findings: [], changes: [], reason: 'needs the metadata server; not consulted in this stage' });
      continue;
    }
    options.log.debug(`${module.id}: ${options.mode}`);
    results.push(await runModule(module, options, instanceId));
  }
  return {
    version: REPORT_VERSION,
    mode: options.mode,
    time: options.host.now().toISOString(),
    instanceId,
    modules: results,
    summary: summarize(results),
  };
}
