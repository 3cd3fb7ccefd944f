import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resident memory of a process, whole (VmRSS) and split: anonymous (heap, JIT code) and file-backed (the executable's pages). */
export interface Memory { rssKb: number; anonKb: number; fileKb: number }

export function readMemory(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: num('VmRSS'), anonKb: num('RssAnon'), fileKb: num('RssFile') };
  } catch {
    return undefined;
  }
}

/**
 * Drops a file's pages from the page cache (GNU dd: count=0 iflag=nocache), so that the next start
 * maps it as a VM's first boot does: from disk, by read-around. Without it the file-backed RSS of
 * one and the same executable moved by up to 9 MB with what the page cache happened to hold (a
 * freshly written binary is wholly cached, and fault-around then maps 16 pages per fault).
 */
export function evictFromPageCache(file: string): void {
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The reference: a bare `node -e` doing nothing, measured after the same settle time. */
export async function bareNodeIdle(settleMs = 3000): Promise<Memory> {
  evictFromPageCache(process.execPath);
  const child = spawn('node', ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  await sleep(settleMs);
  const memory = readMemory(child.pid!);
  child.kill('SIGTERM');
  if (!memory) throw new Error('bare node exited before it was measured');
  return memory;
}

export const mb = (kb: number): string => (kb / 1024).toFixed(1);
