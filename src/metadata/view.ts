import type { MetadataClient } from './client.js';
import { MetadataUnreachableError } from './errors.js';

export interface NetworkInterface {
  ip?: string;
  mac?: string;
  mtu?: number;
}

/**
 * What one pass needs from the metadata server, each value fetched at most once per pass.
 * Without a client (the early stage) every getter throws MetadataUnreachableError.
 */
/** Compute Engine instance ids are decimal numbers (up to 20 digits today; 32 leaves room). */
export function isInstanceId(id: string | undefined): boolean {
  return id !== undefined && /^\d{1,32}$/.test(id);
}

export class MetadataView {
  private cache = new Map<string, Promise<unknown>>();

  constructor(private readonly client: MetadataClient | undefined, private readonly offlineReason = 'metadata not consulted') {}

  get available(): boolean {
    return this.client !== undefined;
  }

  text(path: string): Promise<string | undefined> {
    return this.memo(`text:${path}`, (client) => client.getText(path)) as Promise<string | undefined>;
  }

  json(path: string): Promise<unknown> {
    return this.memo(`json:${path}`, (client) => client.getJson(path));
  }

  async instanceId(): Promise<string | undefined> {
    return (await this.text('instance/id'))?.trim();
  }

  async hostname(): Promise<string | undefined> {
    return this.text('instance/hostname');
  }

  async instanceAttributes(): Promise<Record<string, string>> {
    const value = await this.json('instance/attributes/');
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TypeError('metadata instance/attributes/ is not an object');
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
  }

  async networkInterfaces(): Promise<NetworkInterface[]> {
    const value = await this.json('instance/network-interfaces/');
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new TypeError('metadata instance/network-interfaces/ is not a list');
    return value.map((item: unknown) => {
      const record = (item ?? {}) as Record<string, unknown>;
      const mtu = record.mtu === undefined ? undefined : Number(record.mtu);
      return {
        ip: typeof record.ip === 'string' ? record.ip : undefined,
        mac: typeof record.mac === 'string' ? record.mac : undefined,
        mtu: mtu !== undefined && Number.isInteger(mtu) ? mtu : undefined,
      };
    });
  }

  /**
   * Writes a guest attribute (not memoized: a write, not a read). False when guest attributes are
   * switched off for this instance (HTTP 403/404).
   */
  putGuestAttribute(key: string, value: string): Promise<boolean> {
    if (!this.client) return Promise.reject(new MetadataUnreachableError(this.offlineReason));
    return this.client.putGuestAttribute(key, value);
  }

  private memo(key: string, fetch: (client: MetadataClient) => Promise<unknown>): Promise<unknown> {
    if (!this.client) return Promise.reject(new MetadataUnreachableError(this.offlineReason));
    let pending = this.cache.get(key);
    if (!pending) {
      pending = fetch(this.client);
      this.cache.set(key, pending);
    }
    return pending;
  }
}
