import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from '../host/host.js';
import { checkContainer, DISK_MEMBER } from './container-rules.js';
import { contentRules } from './content-rules.js';
import { readDiskLayout } from './disk-layout.js';
import { Ext4Files } from './ext4-files.js';
import { formatBytes, sizeRules, type RuleResult } from './rule.js';

export interface ImageCheck {
  path: string;
  kind: 'tarball' | 'disk';
  rules: RuleResult[];
  summary: { pass: number; fail: number; warn: number };
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Partition table, root file system and the files inside it. */
async function diskRules(host: Host, disk: string, label: string): Promise<RuleResult[]> {
  const layout = await readDiskLayout(disk, label);
  if (!layout.root) return layout.rules;
  const files = new Ext4Files(host, disk, layout.root.partition.startBytes);
  try {
    return [...layout.rules, ...(await contentRules(files, label, layout.root))];
  } catch (error) {
    const hint = (error as Error).message.includes('not found') ? ' (debugfs comes with e2fsprogs)' : '';
    return [...layout.rules, { id: 'root-files', status: 'fail', message: `cannot read files in the root file system: ${(error as Error).message}${hint}`, file: label }];
  }
}

async function rawDiskRules(host: Host, disk: string, label: string): Promise<RuleResult[]> {
  const stats = await fs.stat(disk);
  const allocated = stats.blocks * 512;
  const sparse: RuleResult =
    allocated < stats.size
      ? { id: 'sparse', status: 'pass', message: `${formatBytes(allocated)} allocated of ${formatBytes(stats.size)} apparent`, file: label }
      : { id: 'sparse', status: 'warn', message: `not sparse: ${formatBytes(allocated)} allocated of ${formatBytes(stats.size)} apparent`, file: label };
  return [...sizeRules(stats.size, label), sparse, ...(await diskRules(host, disk, label))];
}

/** Extracts disk.raw (sparse-aware) to a temp dir, checks it there, removes it. */
async function tarballDiskRules(host: Host, tarball: string, label: string): Promise<RuleResult[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gce-firstboot-image-'));
  try {
    const result = await host.run('tar', ['-xSzf', tarball, '-C', dir, DISK_MEMBER], { timeoutMs: 30 * 60_000 });
    if (result.exitCode !== 0) return [{ id: 'extract', status: 'fail', message: `tar could not extract ${DISK_MEMBER}: ${result.stderr.trim()}`, file: label }];
    return await diskRules(host, path.join(dir, DISK_MEMBER), `${label}:${DISK_MEMBER}`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Every rule for disk.raw or image.tar.gz, in the order the import meets them. */
export async function checkImage(host: Host, file: string): Promise<ImageCheck> {
  const label = path.basename(file);
  const looksLikeTarball = /\.(tar\.gz|tgz)$/.test(file);
  let kind: ImageCheck['kind'] = 'disk';
  let rules: RuleResult[];
  if (await startsWithGzipMagic(file)) {
    kind = 'tarball';
    const container = await checkContainer(file, label);
    rules = container.disk ? [...container.rules, ...(await tarballDiskRules(host, file, label))] : container.rules;
  } else if (looksLikeTarball) {
    kind = 'tarball';
    rules = [{ id: 'gzip', status: 'fail', message: 'not gzip-compressed (no 1f 8b magic); the import needs a .tar.gz', file: label }];
  } else {
    rules = await rawDiskRules(host, file, label);
  }
  const count = (status: RuleResult['status']) => rules.filter((rule) => rule.status === status).length;
  return { path: file, kind, rules, summary: { pass: count('pass'), fail: count('fail'), warn: count('warn') } };
}
