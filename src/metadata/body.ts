import { MetadataResponseError } from './errors.js';

/** A response body as text; invalid UTF-8 is refused, not replaced. */
export function decodeUtf8(body: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new MetadataResponseError(`metadata ${path}: response is not valid UTF-8`);
  }
}

export function parseJsonBody(body: Buffer, path: string): unknown {
  const text = decodeUtf8(body, path);
  try {
    return JSON.parse(text);
  } catch {
    throw new MetadataResponseError(`metadata ${path}: response is not valid JSON`);
  }
}
