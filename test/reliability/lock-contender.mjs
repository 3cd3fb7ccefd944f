// One contender for the run lock (lock-contention.test.ts): takes the lock of ROOT `trials`
// times and, while holding it, appends "enter PID", "tick PID"... and "leave PID" to a shared
// log. With one holder at a time, no line of one holder can follow another holder's "enter".
// Usage: node lock-contender.mjs ROOT LOG TRIALS, or ROOT - hold: take the lock once, print
// "held" and keep it until killed.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Host } from '../../dist/src/host/host.js';
import { RunLock } from '../../dist/src/state/run-lock.js';

const [root, evidence, trials] = process.argv.slice(2);
const host = new Host({ root, live: false });
const note = (event) => appendFileSync(evidence, `${event} ${process.pid}\n`);

if (trials === 'hold') {
  await RunLock.acquire(host, 600_000);
  process.stdout.write('held\n');
  setInterval(() => undefined, 60_000);
}

for (let trial = 0; trials !== 'hold' && trial < Number(trials); trial++) {
  const lock = await RunLock.acquire(host, 600_000);
  note('enter');
  for (let tick = Math.floor(Math.random() * 20); tick > 0; tick--) {
    note('tick');
    await sleep(1);
  }
  note('leave');
  await lock.release();
  await sleep(Math.floor(Math.random() * 30));
}
