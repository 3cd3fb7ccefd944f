import { isInstanceId, type MetadataView } from '../metadata/view.js';
import { runPass, type PassOptions } from '../pass/run-pass.js';
import type { MachineIdentity, PolicyModule } from '../policy/types.js';
import { summarize, type ModuleResult, type Report } from '../report/model.js';
import type { StateStore } from '../state/store.js';

/** The corner of the state file that records the instance's first-boot apply. */
const LIFECYCLE_STATE = 'lifecycle';

interface SetUpRecord {
  productUuid?: string;
  instanceId?: string;
  at: string;
}

/**
 * Whether this instance's first-boot apply is done (docs/lifecycle.md): there is a record, and
 * neither the SMBIOS UUID (known without network) nor the instance id is known to differ from it.
 * When they cannot be compared (metadata down, no SMBIOS UUID) the record counts: writing nothing
 * is the safe guess, and the first pass that learns a new instance id starts its first boot.
 */
export function firstBootDone(state: StateStore, machine: MachineIdentity, instanceId: string | undefined): boolean {
  const record = state.forModule(LIFECYCLE_STATE).get<SetUpRecord>('setUp');
  if (!record) return false;
  const differs = (recorded: string | undefined, now: string | undefined): boolean => recorded !== undefined && now !== undefined && recorded !== now;
  return !differs(record.productUuid, machine.productUuid) && !differs(record.instanceId, instanceId);
}

/** The metadata server's instance id when it answers with a valid one. */
export async function instanceIdOf(metadata: MetadataView): Promise<string | undefined> {
  if (!metadata.available) return undefined;
  const id = await metadata.instanceId().catch(() => undefined);
  return isInstanceId(id) ? id : undefined;
}

export async function rememberFirstBoot(state: StateStore, machine: MachineIdentity, instanceId: string | undefined, at: Date): Promise<void> {
  const record: SetUpRecord = { ...(machine.productUuid ? { productUuid: machine.productUuid } : {}), ...(instanceId ? { instanceId } : {}), at: at.toISOString() };
  await state.forModule(LIFECYCLE_STATE).set('setUp', record);
}

/**
 * What an automatic pass (a unit's stage, a daemon pass) may do:
 * first-boot: apply everything due (a new instance is brought to the published values);
 * report: check only, except per-instance work a new instance id still asks for;
 * apply: fix all drift (enforce mode, or a remediation request).
 */
export type PassPlan = 'first-boot' | 'report' | 'apply';

export function planPass(mode: 'report' | 'enforce', setUp: boolean): PassPlan {
  if (mode === 'enforce') return 'apply';
  return setUp ? 'report' : 'first-boot';
}

type PassBase = Omit<PassOptions, 'modules' | 'mode' | 'respectFrequency'>;

/** Runs one planned pass over `modules`. */
export async function runPlannedPass(plan: PassPlan, modules: readonly PolicyModule[], base: PassBase): Promise<Report> {
  if (plan === 'apply') return runPass({ ...base, modules, mode: 'apply', respectFrequency: false });
  if (plan === 'first-boot') return runPass({ ...base, modules, mode: 'apply', respectFrequency: true });
  // Per-instance modules act only for an instance they have not acted for: on the same instance
  // they write nothing (ssh-host-keys keeps its own duty that sshd never starts keyless).
  const due = await runPass({ ...base, modules: modules.filter((m) => m.frequency === 'per-instance'), mode: 'apply', respectFrequency: true });
  const checked = await runPass({ ...base, modules: modules.filter((m) => m.frequency !== 'per-instance'), mode: 'check', respectFrequency: true });
  const byId = new Map([...due.modules, ...checked.modules].map((result) => [result.id, result]));
  const results = modules.map((m) => byId.get(m.id)).filter((result): result is ModuleResult => result !== undefined);
  return { ...checked, instanceId: due.instanceId ?? checked.instanceId, mode: 'check', modules: results, summary: summarize(results) };
}

/**
 * After an automatic pass: a first-boot or apply pass that reached the metadata server (so the
 * network-stage work could be done) completes the instance's first-boot apply.
 */
export async function recordPass(state: StateStore, plan: PassPlan, report: Report, machine: MachineIdentity, setUp: boolean, at: Date): Promise<void> {
  if (setUp || plan === 'report' || report.summary.metadataUnreachable) return;
  await rememberFirstBoot(state, machine, report.instanceId, at);
}
