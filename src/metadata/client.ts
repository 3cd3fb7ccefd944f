import type { Got, Response } from 'got';
import { linkSignals } from './linked-signal.js';
import { MetadataResponseError, MetadataUnreachableError } from './errors.js';
import { decodeUtf8, parseJsonBody } from './body.js';
import { METADATA_FLAVOR, resolveMetadataHost } from './host.js';

let gotModule: Promise<typeof import('got')> | undefined;
/**
 * got (with node:http, tls, dns, zlib) is loaded on the first request, not at start: the early
 * stage never talks to the metadata server, and under emulation every module loaded at start
 * delays sshd.
 */
function loadGot(): Promise<typeof import('got')> {
  gotModule ??= import('got');
  return gotModule;
}

export { DEFAULT_METADATA_HOST, resolveMetadataHost } from './host.js';

export interface MetadataClientOptions {
  /** host[:port]; defaults to GCE_METADATA_HOST, then the link-local IP (no DNS on the boot path). */
  host?: string;
  /** Timeout of one request, ms. */
  requestTimeoutMs?: number;
  /** How long to keep retrying an unreachable or failing server, ms (0 = one try). */
  retryBudgetMs?: number;
  /** Responses larger than this are refused rather than buffered. */
  maxBodyBytes?: number;
  /** Aborts every request and retry wait of this client (the daemon's stop). */
  signal?: AbortSignal;
  /**
   * Told once per client, when a request failed and the client starts waiting within its budget:
   * a person at a terminal learns why the command is quiet before the budget runs out.
   */
  onRetrying?: (problem: string, remainingMs: number) => void;
}

export interface WatchResult {
  value: unknown;
  etag: string;
}

/** A client for the Compute Engine metadata server (computeMetadata/v1). */
export class MetadataClient {
  readonly host: string;
  private http?: Promise<Got>;
  private readonly requestTimeoutMs: number;
  private readonly retryBudgetMs: number;
  private readonly maxBodyBytes: number;
  private readonly signal: AbortSignal | undefined;
  private retryUntil: number | undefined;
  private onRetrying: MetadataClientOptions['onRetrying'];

  constructor(options: MetadataClientOptions = {}) {
    this.host = resolveMetadataHost(options.host);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 3_000;
    this.retryBudgetMs = options.retryBudgetMs ?? 0;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.signal = options.signal;
    this.onRetrying = options.onRetrying;
  }

  private httpClient(): Promise<Got> {
    this.http ??= loadGot().then(({ default: got }) =>
      got.extend({
        prefixUrl: `http://${this.host}/computeMetadata/v1`,
        headers: { 'Metadata-Flavor': METADATA_FLAVOR, 'user-agent': 'gce-firstboot' },
        followRedirect: false,
        throwHttpErrors: false,
        responseType: 'buffer',
        retry: { limit: 0 },
        dnsCache: false,
      }),
    );
    return this.http;
  }

  /** A leaf value as text; undefined when the server says 404 (absent). */
  async getText(path: string): Promise<string | undefined> {
    const response = await this.request('GET', path, {});
    return response === undefined ? undefined : decodeUtf8(response.body, path);
  }

  /** A subtree as JSON (recursive=true&alt=json); undefined when absent. */
  async getJson(path: string): Promise<unknown> {
    const response = await this.request('GET', path, { recursive: 'true', alt: 'json' });
    if (response === undefined) return undefined;
    return parseJsonBody(response.body, path);
  }

  /**
   * Long-polls until the subtree's ETag differs from `lastEtag` or the server's timeout passes.
   * Pass 'NONE' (or nothing) as the first ETag to get the current value at once.
   */
  async watch(path: string, lastEtag = 'NONE', timeoutSec = 60, signal?: AbortSignal): Promise<WatchResult | undefined> {
    const response = await this.request(
      'GET',
      path,
      { recursive: 'true', alt: 'json', wait_for_change: 'true', last_etag: lastEtag, timeout_sec: String(timeoutSec) },
      { timeoutMs: (timeoutSec + 10) * 1000, signal, retry: false },
    );
    if (response === undefined) return undefined;
    return { value: parseJsonBody(response.body, path), etag: String(response.headers.etag ?? '') };
  }

  /** Writes a guest attribute; returns false when guest attributes are off (403/404). */
  async putGuestAttribute(key: string, value: string): Promise<boolean> {
    try {
      await this.request('PUT', `instance/guest-attributes/${key}`, {}, { body: value, retry: false });
      return true;
    } catch (error) {
      if (error instanceof MetadataResponseError && /HTTP (403|404)/.test(error.message)) return false;
      throw error;
    }
  }

  private async request(
    method: 'GET' | 'PUT',
    path: string,
    searchParams: Record<string, string>,
    options: { timeoutMs?: number; body?: string; signal?: AbortSignal; retry?: boolean } = {},
  ): Promise<Response<Buffer> | undefined> {
    const signals = [options.signal, this.signal].filter((signal): signal is AbortSignal => signal !== undefined);
    if (signals.length < 2) return this.requestWithRetries(method, path, searchParams, signals.length ? { ...options, signal: signals[0] } : options);
    const linked = linkSignals(signals);
    try {
      return await this.requestWithRetries(method, path, searchParams, { ...options, signal: linked.signal });
    } finally {
      linked.dispose();
    }
  }

  private async requestWithRetries(
    method: 'GET' | 'PUT',
    path: string,
    searchParams: Record<string, string>,
    options: { timeoutMs?: number; body?: string; signal?: AbortSignal; retry?: boolean },
  ): Promise<Response<Buffer> | undefined> {
    // The retry budget is the client's, not each request's: a silent server costs one budget in
    // total (a pass makes one client), however many paths the modules ask for.
    this.retryUntil ??= Date.now() + this.retryBudgetMs;
    const deadline = options.retry === false ? Date.now() : this.retryUntil;
    let lastProblem = 'no answer';
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.once(method, path, searchParams, options);
        if (response.statusCode === 404 && method === 'GET') return undefined;
        if (response.statusCode >= 200 && response.statusCode < 300) return response;
        if (response.statusCode < 500) {
          throw new MetadataResponseError(`metadata ${path}: HTTP ${response.statusCode}`);
        }
        lastProblem = `HTTP ${response.statusCode}`;
      } catch (error) {
        if (error instanceof MetadataResponseError) throw error;
        if (options.signal?.aborted) throw error;
        lastProblem = error instanceof (await loadGot()).RequestError ? `${(error as { code: string }).code}: ${(error as Error).message}` : String(error);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new MetadataUnreachableError(`metadata server ${this.host} unreachable (${lastProblem})`);
      }
      this.onRetrying?.(lastProblem, remaining);
      this.onRetrying = undefined;
      await sleep(Math.min(remaining, backoffMs(attempt)), options.signal);
    }
  }

  private async once(
    method: 'GET' | 'PUT',
    path: string,
    searchParams: Record<string, string>,
    options: { timeoutMs?: number; body?: string; signal?: AbortSignal },
  ): Promise<Response<Buffer>> {
    const http = await this.httpClient();
    const request = http(path.replace(/^\/+/, ''), {
      method,
      searchParams,
      body: options.body,
      timeout: { request: options.timeoutMs ?? this.requestTimeoutMs },
      signal: options.signal,
    });
    request.on('downloadProgress', (progress) => {
      if (progress.transferred > this.maxBodyBytes) request.cancel('body over the size cap');
    });
    let response: Response<Buffer>;
    try {
      response = (await request) as unknown as Response<Buffer>;
    } catch (error) {
      if (request.isCanceled) {
        throw new MetadataResponseError(`metadata ${path}: response larger than ${this.maxBodyBytes} bytes refused`);
      }
      if (error instanceof (await loadGot()).HTTPError) return (error as { response: Response<Buffer> }).response;
      throw error;
    }
    if (response.statusCode >= 300 && response.statusCode < 400) {
      throw new MetadataResponseError(`metadata ${path}: redirect (HTTP ${response.statusCode}) refused`);
    }
    if (response.headers['metadata-flavor'] !== METADATA_FLAVOR) {
      throw new MetadataResponseError(`metadata ${path}: response lacks Metadata-Flavor: Google; not the metadata server`);
    }
    if (response.body.length > this.maxBodyBytes) {
      throw new MetadataResponseError(`metadata ${path}: response larger than ${this.maxBodyBytes} bytes refused`);
    }
    return response;
  }
}

/** Exponential backoff with full jitter: 100 ms doubling to 5 s. */
function backoffMs(attempt: number): number {
  const cap = Math.min(5_000, 100 * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
