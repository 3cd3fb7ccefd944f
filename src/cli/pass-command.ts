import { parseArgs } from 'node:util';
import { COMMON_HELP, COMMON_OPTIONS, type CommonValues } from './common-options.js';
import { openSession } from './session.js';
import { UsageError } from './usage-error.js';
import { runPass, type PassMode } from '../pass/run-pass.js';
import type { Stage } from '../policy/types.js';
import { RunLock } from '../state/run-lock.js';
import { StateStore } from '../state/store.js';
import { EXIT, exitCodeFor } from '../report/exit-code.js';
import { renderHuman } from '../report/render-human.js';
import type { Report } from '../report/model.js';
import { publishToSerial } from '../daemon/serial-report.js';
import { firstBootDone, instanceIdOf, planPass, recordPass, runPlannedPass } from '../daemon/lifecycle.js';

const STAGES: readonly Stage[] = ['early', 'network'];
/** How long an apply waits for another run (e.g. the daemon's pass) to finish. */
const LOCK_WAIT_MS = 120_000;

export interface PassCommandSpec {
  mode: 'check' | 'apply';
  argv: string[];
}

export const STAGE_HELP = `  --stage STAGE          only modules of this stage: early (no network, before sshd) or network;
                         automatic runs use it, and then per-instance/per-boot modules apply only when new`;

function parseStage(value: string | undefined): Stage | undefined {
  if (value === undefined) return undefined;
  if (!(STAGES as readonly string[]).includes(value)) throw new UsageError(`--stage: expected early or network, got "${value}"`);
  return value as Stage;
}

export function printReport(report: Report, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderHuman(report));
}

/**
 * Node exits 1 on an uncaught exception or rejection, and the early unit counts 1 (drift it cannot
 * fix) as success, which would skip its host-key fallback: a crash exits as a failed module.
 */
function crashesAreFailures(): void {
  const fail = (error: unknown) => {
    process.stderr.write(`gce-firstboot: crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT.moduleFailed);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

/** check and apply: one pass over the selected modules, the report printed, the exit code returned. */
export async function runPassCommand({ mode, argv }: PassCommandSpec, help: string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, stage: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${help}\n\n${COMMON_HELP}\n`);
    return 0;
  }
  if (mode === 'check' && values['dry-run']) throw new UsageError('--dry-run is for apply; check never changes anything');
  const stage = parseStage(values.stage);
  crashesAreFailures();
  const session = await openSession(values as CommonValues, stage);
  const passMode: PassMode = mode === 'apply' ? (values['dry-run'] ? 'dry-run' : 'apply') : 'check';
  const lock = passMode === 'apply' ? await RunLock.acquire(session.host, LOCK_WAIT_MS) : undefined;
  try {
    // Read state only once the lock is ours: the run we waited for may just have changed it.
    const state = lock ? await StateStore.load(session.host) : session.state;
    const base = {
      host: session.host,
      settings: session.settings,
      metadata: session.metadataView(stage),
      state,
      log: session.log,
      // sshd of a root that is not the running system is not running: an image build may make keys.
      beforeSshd: stage === 'early' || (stage === undefined && !session.host.live),
      machine: session.machine,
      console: (lines: readonly string[]) => session.serial.writeLines(lines),
    };
    // A unit's automatic stage run follows the lifecycle (docs/lifecycle.md): after the
    // instance's first-boot apply, report mode writes nothing.
    const automatic = passMode === 'apply' && stage !== undefined;
    const setUp = automatic && firstBootDone(state, session.machine, stage === 'network' ? await instanceIdOf(base.metadata) : undefined);
    const plan = planPass(session.config.core.mode as 'report' | 'enforce', setUp);
    const report = automatic
      ? await runPlannedPass(plan, session.modules, base)
      : await runPass({ ...base, modules: session.modules, mode: passMode, respectFrequency: stage !== undefined });
    if (automatic && stage === 'network') await recordPass(state, plan, report, session.machine, setUp, session.host.now());
    if (passMode === 'apply') await state.saveReport(report);
    await publishToSerial(session.host, session.serial, report, lock !== undefined);
    printReport(report, values.json);
    return exitCodeFor(report);
  } finally {
    await lock?.release();
  }
}
