import { spawn } from 'node:child_process';
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

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The reference: a bare `node -e` doing nothing, measured after the same settle time. */
export async function bareNodeIdle(settleMs = 3000): Promise<Memory> {
  const child = spawn('node', ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  await sleep(settleMs);
  const memory = readMemory(child.pid!);
  child.kill('SIGTERM');
  if (!memory) throw new Error('bare node exited before it was measured');
  return memory;
}

export const mb = (kb: number): string => (kb / 1024).toFixed(1);
