import { createHash } from 'node:crypto';

export type Tree = { [key: string]: TreeValue };
export type TreeValue = string | number | boolean | null | Tree | TreeValue[];

/** Walks a metadata path ("instance/attributes/foo") through the tree; undefined when absent. */
export function lookup(tree: TreeValue, path: string): TreeValue | undefined {
  let node: TreeValue | undefined = tree;
  for (const part of path.split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(part)] : node[part];
    if (node === undefined) return undefined;
  }
  return node;
}

/** Sets (or deletes, with undefined) the value at a path, creating directories on the way. */
export function assign(tree: Tree, path: string, value: TreeValue | undefined): void {
  const parts = path.split('/').filter(Boolean);
  const last = parts.pop();
  if (last === undefined) throw new Error('cannot replace the root');
  let node: Tree = tree;
  for (const part of parts) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  if (value === undefined) delete node[last];
  else node[last] = value;
}

export function etagOf(value: TreeValue | undefined): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest('hex').slice(0, 16);
}

/** The text form the real server gives: a leaf as itself, a directory as a listing. */
export function textForm(value: TreeValue): string {
  if (value === null) return '';
  if (Array.isArray(value)) return value.map((child, index) => (isDirectory(child) ? `${index}/` : `${index}`)).join('\n') + '\n';
  if (typeof value === 'object') {
    return Object.entries(value).map(([key, child]) => (isDirectory(child) ? `${key}/` : key)).join('\n') + '\n';
  }
  return String(value);
}

function isDirectory(value: TreeValue): boolean {
  return value !== null && typeof value === 'object';
}
