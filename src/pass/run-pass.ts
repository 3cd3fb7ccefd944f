import type { Host } from '../host/host.js';
import type { MetadataView } from '../metadata/view.js';
import { MetadataUnreachableError } from '../metadata/errors.js';
import type { StateStore } from '../state/store.js';
import type { OptionValue } from '../config/schema.js';
import { isDrift, type Change, type Finding, type Logger, type MachineIdentity, type ModuleContext, type PolicyModule } from '../policy/types.js';
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
  console(lines: readonly string[]): Promise<void>;
  /** Checked between modules: an aborted pass stops before the next module, never inside a write. */
  signal?: AbortSignal;
}

/** The instance a per-instance module was applied for: VM UUID and instance id, whichever are known. */
function instanceKey(machine: MachineIdentity, instanceId: string | undefined): string {
  return `${machine.productUuid ?? ''}/${instanceId ?? ''}`;
}

function mayApply(module: PolicyModule, options: PassOptions, instanceId: string | undefined): boolean {
  if (!options.respectFrequency || module.frequency === 'always') return true;
  const record = options.state.record(module.id);
  if (module.frequency === 'per-boot') return record.appliedBoot !== options.machine.bootId;
  return record.appliedInstance !== instanceKey(options.machine, instanceId);
}

/** The instance id, asked of the metadata server only when some module uses the server anyway. */
async function knownInstanceId(options: PassOptions): Promise<string | undefined> {
  const asks = options.modules.some((module) => module.needsMetadata || module.alsoInNetworkStage);
  if (!options.metadata.available || !asks) return options.state.instanceId;
  try {
    const id = await options.metadata.instanceId();
    if (id && /^\d{1,32}$/.test(id)) {
      await options.state.recordMachine({ instanceId: id, productUuid: options.machine.productUuid });
      return id;
    }
    options.log.warn(`metadata instance/id ${JSON.stringify(id?.slice(0, 40))} is not a valid instance id; ignored`);
  } catch (error) {
    options.log.warn(`instance id not known: ${(error as Error).message}`);
  }
  return options.state.instanceId;
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
  const results: ModuleResult[] = [];
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
