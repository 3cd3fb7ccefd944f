import type { Host } from '../host/host.js';
import type { ExtraKeys, OptionSpecs, OptionValue } from '../config/schema.js';
import type { MetadataView } from '../metadata/view.js';
import type { ModuleState } from '../state/store.js';

export type Frequency = 'per-instance' | 'per-boot' | 'always';
/** early: needs no network, runs before sshd; network: runs once the network is up. */
export type Stage = 'early' | 'network';
export type Severity = 'drift' | 'warning' | 'unsupported' | 'info';

/** One difference between what the machine should be and what it is. */
export interface Finding {
  module: string;
  key: string;
  expected: string;
  actual: string;
  /** drift (default) counts against compliance; warning/unsupported/info are reported only. */
  severity?: Severity;
  /** What made it differ, when known (a later sysctl.d file, a DHCP hook, another agent). */
  cause?: string;
  /** False when this module cannot fix it in-guest. */
  fixable?: boolean;
}

/** One thing a module changed. */
export interface Change {
  module: string;
  key: string;
  action: string;
  path?: string;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the machine is, as far as we know without asking twice. */
export interface MachineIdentity {
  /** SMBIOS system UUID (/sys/class/dmi/id/product_uuid): unique per VM, no network needed. */
  productUuid?: string;
  bootId?: string;
}

export interface ModuleContext {
  host: Host;
  metadata: MetadataView;
  options: Record<string, OptionValue>;
  /** Keys beyond the declared options (only for modules with extraKeys). */
  extraOptions: Record<string, string>;
  state: ModuleState;
  log: Logger;
  machine: MachineIdentity;
  /**
   * The instance id this pass acts for: the metadata server's, or in a pass without it the one
   * recorded on this same VM (same SMBIOS UUID); never a cloned disk's old one.
   */
  instanceId?: string;
  /**
   * Whether this pass runs before sshd starts (the early stage, or a root that is not the running
   * system). Only such a pass may write SSH host keys: once sshd runs, keys are never changed.
   */
  beforeSshd: boolean;
  /** Lines for the serial console (fingerprints and the like), written as they come. */
  console(lines: readonly string[]): Promise<void>;
}

export interface PolicyModule<Desired = unknown, Observed = unknown> {
  id: string;
  title: string;
  frequency: Frequency;
  stage: Stage;
  /**
   * An early module with work that only the network can finish (publishing host keys) also runs in
   * network-stage passes; its diff must then ask for nothing but that work.
   */
  alsoInNetworkStage?: boolean;
  /**
   * The module's own rule decides when it may change something (ssh-host-keys: keys change only
   * under the identity rule), so automatic passes before sshd do not hold its apply back by
   * frequency (a key deleted on the same instance is made at the next boot). Later passes keep to it.
   */
  selfGated?: boolean;
  /** Whether desired() asks the metadata server; such a module is skipped when it is unreachable. */
  needsMetadata: boolean;
  options: OptionSpecs;
  extraKeys?: ExtraKeys;
  desired(ctx: ModuleContext): Promise<Desired>;
  observe(ctx: ModuleContext, desired: Desired): Promise<Observed>;
  diff(desired: Desired, observed: Observed, ctx: ModuleContext): Finding[];
  /** Absent for check-only modules. Changes only what the findings name. */
  apply?(ctx: ModuleContext, desired: Desired, findings: Finding[]): Promise<Change[]>;
}

/** Thrown by apply when part of its work failed: the module fails, and what it did change is still reported. */
export class ApplyIncomplete extends Error {
  override readonly name = 'ApplyIncomplete';
  constructor(
    message: string,
    readonly changes: Change[],
  ) {
    super(message);
  }
}

/** Lets each module keep its own Desired/Observed types while living in one list. */
export function defineModule<D, O>(module: PolicyModule<D, O>): PolicyModule<unknown, unknown> {
  return module as unknown as PolicyModule<unknown, unknown>;
}

export function isDrift(finding: Finding): boolean {
  return (finding.severity ?? 'drift') === 'drift';
}
