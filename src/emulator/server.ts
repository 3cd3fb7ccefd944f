import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { assign, etagOf, lookup, textForm, type Tree, type TreeValue } from './tree.js';
import type { Faults } from './faults.js';

const PREFIX = '/computeMetadata/v1/';
const GUEST_ATTRIBUTES = 'instance/guest-attributes/';
/** Test-only control endpoints, for an emulator running in another process. */
const CONTROL = '/emulator/';

export interface RecordedRequest {
  method: string;
  url: string;
  time: number;
}

interface Waiter {
  path: string;
  lastEtag: string;
  send: () => void;
}

/** Directory keys the real server renders in camelCase in JSON; user-chosen keys stay verbatim. */
function jsonForm(value: TreeValue, parentKey = ''): TreeValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((child) => jsonForm(child));
  const verbatim = parentKey === 'attributes' || parentKey === 'guest-attributes';
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      verbatim ? key : key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
      jsonForm(child, key),
    ]),
  );
}

/**
 * An HTTP server on loopback that answers like the Compute Engine metadata server for the paths
 * the agent uses, with switches for the faults a real boot can meet.
 */
export class MetadataEmulator {
  private tree: Tree;
  private guestAttributes: Tree = {};
  private waiters = new Set<Waiter>();
  private sockets = new Set<Socket>();
  private server?: http.Server;
  faults: Faults = {};
  readonly requests: RecordedRequest[] = [];

  constructor(tree: Tree = {}) {
    this.tree = structuredClone(tree);
  }

  /** Starts listening; returns "host:port" for GCE_METADATA_HOST / --metadata-host. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, resolve);
    });
    const address = this.server.address() as AddressInfo;
    return `${address.address}:${address.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.waiters.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get(path: string): TreeValue | undefined {
    return lookup(this.tree, path);
  }

  /** Changes one value (undefined deletes it) and wakes long-polls whose subtree changed. */
  set(path: string, value: TreeValue | undefined): void {
    assign(this.tree, path, value);
    this.wakeWaiters();
  }

  setTree(tree: Tree): void {
    this.tree = structuredClone(tree);
    this.wakeWaiters();
  }

  guestAttribute(key: string): TreeValue | undefined {
    return lookup(this.guestAttributes, key);
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.waiters]) {
      if (etagOf(lookup(this.tree, waiter.path)) !== waiter.lastEtag) waiter.send();
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.requests.push({ method: request.method ?? '', url: request.url ?? '', time: Date.now() });
    const faults = this.faults;
    if (faults.drop) {
      request.socket.destroy();
      return;
    }
    if (faults.delayMs) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
    const url = new URL(request.url ?? '/', 'http://metadata');
    if (url.pathname.startsWith(CONTROL)) return this.handleControl(request, response, url);
    if (!url.pathname.startsWith(PREFIX) && url.pathname !== PREFIX.slice(0, -1)) {
      return this.reply(response, 404, 'not found\n');
    }
    if (request.headers['metadata-flavor'] !== 'Google') {
      return this.reply(response, 403, 'Missing Metadata-Flavor:Google header.\n');
    }
    if (faults.serverErrors && faults.serverErrors > 0) {
      faults.serverErrors--;
      return this.reply(response, 503, 'service unavailable\n');
    }
    if (faults.redirectTo) {
      response.writeHead(302, { Location: faults.redirectTo, 'Metadata-Flavor': 'Google' });
      response.end();
      return;
    }
    const path = decodeURIComponent(url.pathname.slice(PREFIX.length));
    if (path.startsWith(GUEST_ATTRIBUTES)) return this.handleGuestAttribute(request, response, path.slice(GUEST_ATTRIBUTES.length));
    if (request.method !== 'GET') return this.reply(response, 405, 'method not allowed\n');
    const query = url.searchParams;
    if (query.get('wait_for_change')?.toLowerCase() === 'true') {
      const lastEtag = query.get('last_etag') ?? 'NONE';
      const timeoutSec = Number(query.get('timeout_sec') ?? '60');
      if (etagOf(lookup(this.tree, path)) === lastEtag) {
        return this.waitThenAnswer(response, path, lastEtag, query, timeoutSec);
      }
    }
    this.answer(response, path, query);
  }

  private waitThenAnswer(response: ServerResponse, path: string, lastEtag: string, query: URLSearchParams, timeoutSec: number): void {
    const waiter: Waiter = {
      path,
      lastEtag,
      send: () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        this.answer(response, path, query);
      },
    };
    const timer = setTimeout(waiter.send, Math.max(0, timeoutSec) * 1000);
    response.on('close', () => {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    });
    this.waiters.add(waiter);
  }

  private answer(response: ServerResponse, path: string, query: URLSearchParams): void {
    const value = lookup(this.tree, path);
    if (value === undefined) return this.reply(response, 404, 'not found\n');
    const wantJson = query.get('alt') === 'json' || (query.get('recursive')?.toLowerCase() === 'true' && query.get('alt') !== 'text');
    const lastKey = path.split('/').filter(Boolean).at(-1) ?? '';
    const body = wantJson ? JSON.stringify(jsonForm(value, lastKey)) : textForm(value);
    this.reply(response, 200, body, etagOf(value), wantJson ? 'application/json' : 'application/text');
  }

  private handleControl(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        const what = url.pathname.slice(CONTROL.length);
        if (what === 'value' && request.method === 'PUT') this.set(url.searchParams.get('path') ?? '', body);
        else if (what === 'faults' && request.method === 'PUT') this.faults = body ?? {};
        else if (what === 'guest-attributes' && request.method === 'GET') {
          return this.reply(response, 200, JSON.stringify(this.guestAttributes));
        } else if (what === 'requests' && request.method === 'GET') {
          return this.reply(response, 200, JSON.stringify(this.requests));
        } else return this.reply(response, 404, 'unknown control endpoint\n');
        this.reply(response, 200, 'ok\n');
      } catch (error) {
        this.reply(response, 400, `${(error as Error).message}\n`);
      }
    });
  }

  private handleGuestAttribute(request: IncomingMessage, response: ServerResponse, key: string): void {
    const offStatus = this.faults.guestAttributesStatus;
    if (offStatus) return this.reply(response, offStatus, 'guest attributes are not enabled\n');
    if (request.method === 'PUT') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        // Guest attributes live apart from the tree, so a PUT never wakes long-polls on it.
        assign(this.guestAttributes, key, Buffer.concat(chunks).toString('utf8'));
        this.reply(response, 200, '');
      });
      return;
    }
    const value = lookup(this.guestAttributes, key);
    if (value === undefined) return this.reply(response, 404, 'not found\n');
    this.reply(response, 200, typeof value === 'object' ? JSON.stringify(value) : String(value), etagOf(value));
  }

  private reply(response: ServerResponse, status: number, body: string, etag?: string, contentType = 'application/text'): void {
    const faults = this.faults;
    const headers: Record<string, string> = { 'Content-Type': contentType };
    if (!faults.noFlavorHeader) headers['Metadata-Flavor'] = 'Google';
    if (etag) headers.ETag = etag;
    let payload: Buffer = Buffer.from(body, 'utf8');
    if (status === 200 && faults.oversizeBytes) payload = Buffer.alloc(faults.oversizeBytes, 'x');
    if (status === 200 && faults.nonUtf8) payload = Buffer.from([0xc3, 0x28, 0xff, 0xfe]);
    if (status === 200 && faults.truncate) {
      response.writeHead(status, { ...headers, 'Content-Length': String(payload.length + 64) });
      response.write(payload.subarray(0, Math.ceil(payload.length / 2)));
      response.socket?.destroy();
      return;
    }
    response.writeHead(status, { ...headers, 'Content-Length': String(payload.length) });
    response.end(payload);
  }
}
