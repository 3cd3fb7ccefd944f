import type { Host } from '../host/host.js';
import { findManagedBlock, placeManagedBlockAtTop } from './managed-block.js';

/**
 * Text we own: a whole file (a drop-in), or, where the client reads one file only that an admin
 * may own too (dhcpcd's /etc/dhcpcd.enter-hook), a named managed block at the top of that file.
 */
export interface OwnedText {
  path: string;
  /** The file's content, or the block's lines (each ending in a newline). */
  content: string;
  /** The block's name when `path` is shared; undefined when the file is ours wholly. */
  block?: string;
}

export type OwnedState = 'in place' | 'absent' | 'different' | 'broken';

const blockLines = (content: string): string[] => content.replace(/\n$/, '').split('\n');

export async function ownedState(host: Host, owned: OwnedText): Promise<OwnedState> {
  const text = await host.readText(owned.path);
  if (owned.block === undefined) return text === undefined ? 'absent' : text === owned.content ? 'in place' : 'different';
  const found = findManagedBlock(text ?? '', owned.block);
  if (found.broken) return 'broken';
  if (!found.lines) return 'absent';
  return found.lines.join('\n') === blockLines(owned.content).join('\n') ? 'in place' : 'different';
}

/**
 * Puts the text in place. A whole file gets mode 0644; a block leaves the rest of the file byte for
 * byte, and the file its mode and owner (a new file: 0644). A block with one marker and not the
 * other is not ours to rewrite: nothing is written and false is returned.
 */
export async function putOwned(host: Host, owned: OwnedText): Promise<boolean> {
  if (owned.block === undefined) {
    await host.writeText(owned.path, owned.content, { mode: 0o644 });
    return true;
  }
  const text = (await host.readText(owned.path)) ?? '';
  if (findManagedBlock(text, owned.block).broken) return false;
  await host.writeText(owned.path, placeManagedBlockAtTop(text, blockLines(owned.content), owned.block));
  return true;
}
