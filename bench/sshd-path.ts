// Issue 18 item 3 on this machine: make-host-keys against `ssh-keygen -A`, both making RSA, ECDSA
// and Ed25519 keys. The RSA key's time is luck (a prime search: 0.1–2.5 s here), the same luck for
// both ways since both run one `ssh-keygen` RSA 3072 generation; so the ratio of the two wall times
// over a few dozen rounds moves by ±15 % between runs (bench/RESULTS.md 0.11). What make-host-keys
// adds to the key making is a fixed cost (its shell, mktemp, mv, and one ssh-keygen start per type
// where -A has one in all), which is measured here without luck: both ways making only ECDSA and
// Ed25519 (-A finds an RSA key file present and skips that type), timed to the microsecond.
// The estimate of the 3-key ratio is then (mean of ssh-keygen -A + that cost) / mean of -A, with
// one more ssh-keygen start added to the cost for the third type (an upper bound: it runs beside
// the others).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize, type Summary } from './stats.js';

/** Wall seconds of one command, measured around spawn and exit (no /usr/bin/time: its 10 ms steps are the whole cost here). */
function wallOf(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolveWall, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: 'ignore', env });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code === 0) resolveWall(seconds);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
    });
  });
}

async function inScratchRoot<T>(prepare: (root: string) => void, run: (root: string) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), 'bench-sshd-path-'));
  try {
    mkdirSync(join(root, 'etc/ssh'), { recursive: true });
    prepare(root);
    return await run(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export interface FixedCost {
  /** make-host-keys, plan `types=ecdsa ed25519`, fresh root. */
  helper: Summary;
  /** `ssh-keygen -A -f ROOT` with an RSA key file present: ECDSA and Ed25519 made. */
  keygen: Summary;
  /** One `ssh-keygen -t ed25519`: the start of one key maker, what the third type adds at most. */
  oneStart: Summary;
  /** helper − keygen + oneStart, from the means: the helper's cost beyond making 3 keys, seconds. */
  seconds: number;
}

/** Interleaved rounds of the three luck-free measurements; one discarded warm-up round. */
export async function fixedCost(helperPath: string, rounds: number): Promise<FixedCost> {
  const helper: number[] = [];
  const keygen: number[] = [];
  const oneStart: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const h = await inScratchRoot(
      (root) => {
        mkdirSync(join(root, 'var/lib/gce-firstboot'), { recursive: true, mode: 0o700 });
        writeFileSync(join(root, 'var/lib/gce-firstboot/host-keys.plan'), 'types=ecdsa ed25519\nmade-for=none\n');
      },
      (root) => wallOf('sh', [helperPath], { ...process.env, GCE_FIRSTBOOT_ROOT: root }));
    const k = await inScratchRoot(
      (root) => writeFileSync(join(root, 'etc/ssh/ssh_host_rsa_key'), 'present: -A makes no RSA key\n'),
      (root) => wallOf('ssh-keygen', ['-A', '-f', root]));
    const o = await inScratchRoot(() => undefined, (root) => wallOf('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-C', '', '-f', join(root, 'key')]));
    if (i === 0) continue;
    helper.push(h);
    keygen.push(k);
    oneStart.push(o);
  }
  const [sh, sk, so] = [summarize(helper), summarize(keygen), summarize(oneStart)];
  return { helper: sh, keygen: sk, oneStart: so, seconds: sh.mean - sk.mean + so.mean };
}

/** The 3-key ratio from the luck-free cost and the mean of `ssh-keygen -A` making all three. */
export function estimatedRatio(cost: FixedCost, keygenThreeKeys: Summary): number {
  return (keygenThreeKeys.mean + cost.seconds) / keygenThreeKeys.mean;
}

export function describeFixedCost(cost: FixedCost): string {
  const ms = (s: Summary): string => `${(s.mean * 1000).toFixed(1)} ms`;
  return `luck-free, means of ${cost.helper.n} rounds: make-host-keys (ECDSA + Ed25519) ${ms(cost.helper)}, ssh-keygen -A (the same two) ${ms(cost.keygen)}, one more ssh-keygen start ${ms(cost.oneStart)}: fixed cost ${(cost.seconds * 1000).toFixed(1)} ms`;
}
