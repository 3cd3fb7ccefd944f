import path from 'node:path';
import type { Host } from '../host/host.js';

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

/** A module's own corner of the state file. */
export interface ModuleState {
  get<T>(key: string): T | undefined;
  /** Saved at once, atomically. */
  set(key: string, value: unknown): Promise<void>;
}

/**
 * /var/lib/gce-firstboot/state.json: what we know across runs (instance id seen, what each
 * module applied when). Ours alone, never a config file, always written whole.
 */
export class StateStore {
  private file: StateFile = { version: 1, modules: {} };

  private constructor(private readonly host: Host) {}

  static async load(host: Host): Promise<StateStore> {
    const store = new StateStore(host);
    const text = await host.readText(store.statePath);
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as StateFile;
        if (parsed && parsed.version === 1 && typeof parsed.modules === 'object') store.file = parsed;
      } catch {
        // An unreadable state file is treated as no state; it is rewritten whole on the next save.
      }
    }
    return store;
  }

  get statePath(): string {
    return path.posix.join(this.host.stateDir, 'state.json');
  }

  get instanceId(): string | undefined {
    return this.file.instanceId;
  }

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
    };
  }

  async saveReport(report: unknown): Promise<void> {
    await this.ensureDir();
    await this.host.writeText(path.posix.join(this.host.stateDir, 'last-report.json'), JSON.stringify(report, null, 2) + '\n', { mode: 0o600 });
  }

  private async ensureDir(): Promise<void> {
    await this.host.mkdirp(this.host.stateDir, 0o700);
  }

  private async save(): Promise<void> {
    await this.ensureDir();
    await this.host.writeText(this.statePath, JSON.stringify(this.file, null, 2) + '\n', { mode: 0o600 });
  }
}
