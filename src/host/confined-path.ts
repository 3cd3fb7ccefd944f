import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** As many symlinks as the kernel follows in one lookup before ELOOP. */
export const MAX_SYMLINKS = 40;

/** A path the Host will not touch; `code` makes the CLI print the message alone, without a stack. */
export class HostPathError extends Error {
  override readonly name = 'HostPathError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function parts(text: string): string[] {
  return text.split('/').filter((part) => part !== '' && part !== '.');
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The path inside `root` that `guestPath` names, resolved the way chroot(2) would: component by
 * component, an absolute symlink re-anchored at the root, `..` never above it. The last component
 * is followed only with `followLast` (never for what is replaced, removed or chmodded). Missing
 * components are kept as written, so the result is also where a new file goes. Returns a guest
 * path (absolute, no `.`/`..`, no symlink among its existing components when it was checked).
 *
 * Synchronous on purpose: one lstat per component, cheaper than a thread-pool round trip each, and
 * callers that hand paths to commands need a plain string.
 */
export function chaseInRoot(root: string, guestPath: string, followLast: boolean): string {
  const pending = parts(guestPath);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    resolved.push(part);
    if (pending.length === 0 && !followLast) break;
    const real = path.join(root, ...resolved);
    let isLink: boolean;
    try {
      isLink = lstatSync(real).isSymbolicLink();
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    if (!isLink) continue;
    if (++links > MAX_SYMLINKS) {
      throw new HostPathError(`${guestPath}: too many levels of symbolic links (more than ${MAX_SYMLINKS}) under ${root}`, 'ELOOP');
    }
    const target = readlinkSync(real);
    resolved.pop();
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...parts(target));
  }
  return `/${resolved.join('/')}`;
}
