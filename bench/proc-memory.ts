import { execFileSync } from 'node:child_process';
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
 * Drops an executable's pages from the page cache (GNU dd: count=0 iflag=nocache), so that its next
 * start maps it as a VM's first boot does: from disk, by read-around. Without it the file-backed RSS
 * of one and the same executable moved by up to 9 MB with what the page cache happened to hold (a
 * freshly written binary is wholly cached, and fault-around then maps 16 pages per fault).
 * `command` is a path, or `node` for the node running the bench.
 */
export function evictFromPageCache(command: string): void {
  const file = command === 'node' ? process.execPath : command;
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const mb = (kb: number): string => (kb / 1024).toFixed(1);
