import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface IdleResult { seconds: number; rssKb: number; cpuSec: number; wakeups: number; note: string }

interface ProcSample { rssKb: number; cpuTicks: number; voluntary: number }

function readProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" closing comm: utime is field 14, stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const num = (re: RegExp): number => Number(re.exec(status)?.[1] ?? NaN);
    return { rssKb: num(/^VmRSS:\s+(\d+)/m), cpuTicks: Number(fields[11]) + Number(fields[12]),
      voluntary: num(/^voluntary_ctxt_switches:\s+(\d+)/m) };
  } catch {
    return undefined;
  }
}

const ticksPerSec = 100; // USER_HZ on Linux x86-64

/** Starts the daemon, lets it settle 3 s, then measures CPU and wakeups over `seconds`. */
export async function sampleIdle(cmd: string, args: string[], seconds: number, env: NodeJS.ProcessEnv = process.env): Promise<IdleResult> {
  const child = spawn(cmd, args, { stdio: 'ignore', env });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(3000);
  const start = readProc(child.pid!);
  if (!start || exited) {
    return { seconds: 0, rssKb: 0, cpuSec: 0, wakeups: 0,
      note: 'watch exited within 3 s: this branch\'s watch is one check pass (the daemon is not merged)' };
  }
  const begun = Date.now();
  let last = start;
  while (Date.now() - begun < seconds * 1000 && !exited) {
    await sleep(1000);
    last = readProc(child.pid!) ?? last;
  }
  const observed = (Date.now() - begun) / 1000;
  const note = exited ? `watch exited after ${observed.toFixed(1)} s` : 'nothing changing';
  child.kill('SIGTERM');
  return { seconds: Math.round(observed), rssKb: last.rssKb, cpuSec: (last.cpuTicks - start.cpuTicks) / ticksPerSec,
    wakeups: last.voluntary - start.voluntary, note };
}
