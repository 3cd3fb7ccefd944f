import path from 'node:path';
import type { Host } from '../host/host.js';
import { ATOMIC_WRITE_TEMP } from '../host/atomic-write.js';

interface ModuleRecord {
  /** When apply last succeeded, on which instance and boot (drives frequencies). */
  appliedInstance?: string;
  appliedBoot?: string;
  appliedAt?: string;
  data?: Record<string, unknown>;
}

interface StateFile {
  version: 1;
  instanceId?: string;
  productUuid?: string;
  modules: Record<string, ModuleRecord>;
}

/**
 * A small JSON file of its own beside state.json. `value` is absent when the file is absent or
 * damaged; `damage` says why the file found when the pass began could not be read, and stays
 * set for the whole pass, also after `saveRecord` replaced the file.
 */
export interface SideRecord<T> {
  value?: T;
  damage?: string;
}

/** What the state file says about where it was written, for modules that must judge identity. */
export interface StateSummary {
  /** state.json was there but could not be read. */
  damaged: boolean;
  /** The instance id recorded, and the SMBIOS UUID of the VM it was recorded on. */
  instanceId?: string;
  productUuid?: string;
}

/** A module's own corner of the state file. */
export interface ModuleState {
  get<T>(key: string): T | undefined;
  /** Saved at once, atomically. */
  set(key: string, value: unknown): Promise<void>;
  /**
   * A record kept in its own file (`<state dir>/<name>.json`, written atomically), so that a
   * damaged state.json cannot take it with it. Read once per pass: a damaged file stays reported
   * as damaged for the whole pass, also after `saveRecord` replaced it.
   */
  loadRecord<T>(name: string): Promise<SideRecord<T>>;
  /** Writes the record; a damaged file it replaces is kept as `<name>.json.unusable`. */
  saveRecord(name: string, value: unknown): Promise<void>;
  /** The state file as loaded at the start of the pass. */
  summary(): StateSummary;
}

/** Why state.json (or a side record) cannot be used; undefined when it can. */
function unusableReason(parsed: unknown): string | undefined {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
  const version = (parsed as { version?: unknown }).version;
  if (version !== 1) return `unknown version ${JSON.stringify(version)?.slice(0, 20) ?? 'none'} (this agent reads version 1)`;
  return undefined;
}

function parseJson(text: string): { value?: unknown; reason?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { reason: `not JSON (${(error as Error).message.slice(0, 80)})` };
  }
}

/**
 * /var/lib/gce-firstboot/state.json: what we know across runs (instance id seen, what each
 * module applied when). Ours alone, never a config file, always written whole. A file that
 * cannot be read (not JSON, unknown version) is never silently dropped: `damage` says why,
 * the pass reports it, and the next write keeps it as state.json.unusable before replacing it.
 */
export class StateStore {
  private file: StateFile = { version: 1, modules: {} };
  private damageReason: string | undefined;
  private damagedFileSetAside = false;
  private readonly records = new Map<string, SideRecord<unknown>>();

  private constructor(private readonly host: Host) {}

  static async load(host: Host): Promise<StateStore> {
    const store = new StateStore(host);
    const text = await host.readText(store.statePath);
    if (text === undefined) return store;
    const { value, reason } = parseJson(text);
    store.damageReason = reason ?? unusableReason(value);
    if (!store.damageReason) {
      const parsed = value as StateFile;
      store.file = { ...parsed, modules: typeof parsed.modules === 'object' && parsed.modules ? parsed.modules : {} };
    }
    return store;
  }

  /** A damaged state file is kept as state.json.unusable and a new one started (apply only). */
  async setAsideDamaged(): Promise<void> {
    if (this.damageReason && !this.damagedFileSetAside) await this.save();
  }

  get statePath(): string {
    return path.posix.join(this.host.stateDir, 'state.json');
  }

  /** Why state.json could not be used (it is then read as "nothing known"); undefined when fine or absent. */
  get damage(): string | undefined {
    return this.damageReason;
  }

  /** The last instance id recorded (by a pass that reached the metadata server). */
  get instanceId(): string | undefined {
    return this.file.instanceId;
  }

  /** The SMBIOS UUID of the machine the instance id was recorded on. */
  get productUuid(): string | undefined {
    return this.file.productUuid;
  }

  async recordMachine(identity: { instanceId?: string; productUuid?: string }): Promise<void> {
    const next = { ...this.file, ...Object.fromEntries(Object.entries(identity).filter(([, v]) => v !== undefined)) };
    if (next.instanceId === this.file.instanceId && next.productUuid === this.file.productUuid) return;
    this.file = next;
    await this.save();
  }

  record(moduleId: string): ModuleRecord {
    return (this.file.modules[moduleId] ??= {});
  }

  async markApplied(moduleId: string, instance: string | undefined, boot: string | undefined, at: Date): Promise<void> {
    Object.assign(this.record(moduleId), { appliedInstance: instance, appliedBoot: boot, appliedAt: at.toISOString() });
    await this.save();
  }

  forModule(moduleId: string): ModuleState {
    return {
      get: <T>(key: string) => this.record(moduleId).data?.[key] as T | undefined,
      set: async (key: string, value: unknown) => {
        const record = this.record(moduleId);
        record.data = { ...record.data, [key]: value };
        await this.save();
      },
      loadRecord: <T>(name: string) => this.loadRecord<T>(name),
      saveRecord: (name: string, value: unknown) => this.saveRecord(name, value),
      summary: () => ({
        damaged: this.damageReason !== undefined,
        ...(this.file.instanceId ? { instanceId: this.file.instanceId } : {}),
        ...(this.file.productUuid ? { productUuid: this.file.productUuid } : {}),
      }),
    };
  }

  async saveReport(report: unknown): Promise<void> {
    await this.ensureDir();
    await this.host.writeText(path.posix.join(this.host.stateDir, 'last-report.json'), JSON.stringify(report, null, 2) + '\n', { mode: 0o600 });
    await this.removeKilledRunTemps();
  }

  /**
   * Temp files of our atomic writes that a killed run left in the state directory. A write removes
   * its own target's before it starts, but a file this pass did not rewrite (the host-key plan
   * when unchanged) would keep them; the pass holds the run lock, so none is in use.
   */
  private async removeKilledRunTemps(): Promise<void> {
    for (const name of await this.host.readDir(this.host.stateDir)) {
      if (ATOMIC_WRITE_TEMP.test(name)) await this.host.discard(path.posix.join(this.host.stateDir, name));
    }
  }

  private recordPath(name: string): string {
    return path.posix.join(this.host.stateDir, `${name}.json`);
  }

  private async loadRecord<T>(name: string): Promise<SideRecord<T>> {
    let record = this.records.get(name);
    if (!record) {
      record = {};
      try {
        const text = await this.host.readText(this.recordPath(name));
        if (text !== undefined) {
          const { value, reason } = parseJson(text);
          const damage = reason ?? unusableReason(value);
          record = damage ? { damage } : { value: (value as { value: unknown }).value };
        }
      } catch (error) {
        record = { damage: `unreadable (${(error as Error).message.slice(0, 80)})` };
      }
      this.records.set(name, record);
    }
    return record as SideRecord<T>;
  }

  private async saveRecord(name: string, value: unknown): Promise<void> {
    const before = await this.loadRecord(name);
    await this.ensureDir();
    const file = this.recordPath(name);
    if (before.damage && before.value === undefined && (await this.host.exists(file)) && !(await this.host.exists(`${file}.unusable`))) {
      await this.host.rename(file, `${file}.unusable`);
    }
    await this.host.writeText(file, JSON.stringify({ version: 1, value }, null, 2) + '\n', { mode: 0o600 });
    this.records.set(name, { ...before, value });
  }

  private async ensureDir(): Promise<void> {
    await this.host.mkdirp(this.host.stateDir, 0o700);
  }

  private async save(): Promise<void> {
    await this.ensureDir();
    if (this.damageReason && !this.damagedFileSetAside) {
      // Kept for whoever looks into it; a later damaged file does not overwrite the first one kept.
      if (!(await this.host.exists(`${this.statePath}.unusable`))) await this.host.rename(this.statePath, `${this.statePath}.unusable`).catch(() => undefined);
      this.damagedFileSetAside = true;
    }
    await this.host.writeText(this.statePath, JSON.stringify(this.file, null, 2) + '\n', { mode: 0o600 });
  }
}
