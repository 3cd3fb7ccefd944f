import http from 'node:http';
import { parseJsonBody } from './body.js';
import { MetadataResponseError } from './errors.js';
import { METADATA_FLAVOR, resolveMetadataHost } from './host.js';
import type { WatchResult } from './client.js';

export interface ResidentClientOptions {
  host?: string;
  /** Timeout of one request that is not a long poll, ms. */
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
}

interface Answer {
  status: number;
  etag: string;
  body: Buffer;
}

/**
 * The resident daemon's metadata client on node:http: the attribute long poll (wait_for_change,
 * ETag) and the guest-attribute PUTs, one try each (the caller backs off). The pass uses
 * MetadataClient (got, with retries); loading got costs the resident ~20 MB (src/metadata/README.md).
 * Same rules as MetadataClient: Metadata-Flavor required, redirects and oversized bodies refused.
 */
export class ResidentMetadataClient {
  readonly host: string;
  private readonly requestTimeoutMs: number;
  private readonly maxBodyBytes: number;

  constructor(options: ResidentClientOptions = {}) {
    this.host = resolveMetadataHost(options.host);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 3_000;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  }

  /** Long-polls until the subtree's ETag differs from `lastEtag`; undefined when absent (404). */
  async watch(path: string, lastEtag = 'NONE', timeoutSec = 60, signal?: AbortSignal): Promise<WatchResult | undefined> {
    const query = new URLSearchParams({ recursive: 'true', alt: 'json', wait_for_change: 'true', last_etag: lastEtag, timeout_sec: String(timeoutSec) });
    const answer = await this.request('GET', `${path}?${query}`, (timeoutSec + 10) * 1000, signal);
    if (answer.status === 404) return undefined;
    this.requireOk(answer, path);
    return { value: parseJsonBody(answer.body, path), etag: answer.etag };
  }

  /** Writes a guest attribute; false when guest attributes are off (403/404). */
  async putGuestAttribute(key: string, value: string, signal?: AbortSignal): Promise<boolean> {
    const path = `instance/guest-attributes/${key}`;
    const answer = await this.request('PUT', path, this.requestTimeoutMs, signal, value);
    if (answer.status === 403 || answer.status === 404) return false;
    this.requireOk(answer, path);
    return true;
  }

  private requireOk(answer: Answer, path: string): void {
    if (answer.status < 200 || answer.status >= 300) throw new MetadataResponseError(`metadata ${path}: HTTP ${answer.status}`);
  }

  private request(method: 'GET' | 'PUT', pathAndQuery: string, timeoutMs: number, signal: AbortSignal | undefined, body?: string): Promise<Answer> {
    const name = pathAndQuery.split('?')[0]!;
    return new Promise((resolve, reject) => {
      const request = http.request(
        `http://${this.host}/computeMetadata/v1/${pathAndQuery.replace(/^\/+/, '')}`,
        {
          method,
          headers: { 'Metadata-Flavor': METADATA_FLAVOR, 'user-agent': 'gce-firstboot', ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
          timeout: timeoutMs,
          ...(signal ? { signal } : {}),
          // A fresh connection per request: nothing pooled between long polls an hour apart.
          agent: false,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            response.resume();
            return reject(new MetadataResponseError(`metadata ${name}: redirect (HTTP ${status}) refused`));
          }
          if (response.headers['metadata-flavor'] !== METADATA_FLAVOR) {
            response.resume();
            return reject(new MetadataResponseError(`metadata ${name}: response lacks Metadata-Flavor: Google; not the metadata server`));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxBodyBytes) {
              request.destroy(new MetadataResponseError(`metadata ${name}: response larger than ${this.maxBodyBytes} bytes refused`));
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', reject);
          response.on('end', () => {
            if (!response.complete) return reject(new Error(`metadata ${name}: connection closed before the whole response`));
            resolve({ status, etag: String(response.headers.etag ?? ''), body: Buffer.concat(chunks) });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`metadata ${name}: no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }
}
