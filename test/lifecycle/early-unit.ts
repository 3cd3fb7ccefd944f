// One boot's first-boot units as systemd runs them: gce-firstboot-host-keys.service's own ExecStart=
// (packaging/make-host-keys) and ExecStopPost= lines (Type=oneshot, RemainAfterExit=yes: ExecStopPost=
// runs at boot only when the start failed or timed out), then gce-firstboot-early.service's ExecStart=
// with its Environment=, with the real agent and the real ssh-keygen, inside a private mount
// namespace: /usr/bin/gce-firstboot is the built CLI, /usr/lib/gce-firstboot/make-host-keys the
// repository's script, /etc and /var/lib are overlays whose writes land in a temp dir, /etc/ssh and
// /var/lib/gce-firstboot are the test's directories, /sys/class/dmi/id/product_uuid is the machine's
// (a tmpfs over /sys/class). The machine's own /etc, /usr and /var/lib are never written.
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CLI } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/sandbox.js';
import { parseUnit } from '../packaging/helpers.js';

const keysUnit = parseUnit(readFileSync(path.join(REPO, 'units/gce-firstboot-host-keys.service'), 'utf8'));
const earlyUnit = parseUnit(readFileSync(path.join(REPO, 'units/gce-firstboot-early.service'), 'utf8'));
const line = (unit: typeof keysUnit, key: string): string => unit.get('Service')!.get(key)!.at(-1)!;
export const HELPER = '/usr/lib/gce-firstboot/make-host-keys';
export const EXEC_START = line(keysUnit, 'ExecStart');
export const EXEC_STOP_POST = line(keysUnit, 'ExecStopPost');
const EARLY_START = line(earlyUnit, 'ExecStart');
const EARLY_ENV = (earlyUnit.get('Service')!.get('Environment') ?? []).join(' ');
const SUCCESS_EXIT_STATUS = (keysUnit.get('Service')!.get('SuccessExitStatus') ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean).map(Number);
/** systemd's PATH for services. */
const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Machine {
  /** Stands in for /etc/ssh. */
  sshDir: string;
  /** Stands in for /var/lib/gce-firstboot. */
  stateDir: string;
  /** Stands in for /dev/ttyS0. */
  serialPath: string;
  /** Where the overlays keep their writes. */
  scratch: string;
  /** The VM's SMBIOS UUID; change it to boot the disk as another VM. */
  uuid: string;
}

export interface UnitRun {
  /** make-host-keys' exit code (undefined when it was killed). */
  exitCode: number | undefined;
  /** $SERVICE_RESULT as systemd sets it. */
  serviceResult: 'success' | 'exit-code' | 'timeout';
  fallbackRan: boolean;
  /** The agent's early stage, run after the keys (beside sshd). */
  agentExitCode: number | undefined;
  output: string;
}

/**
 * A machine with an empty /etc/ssh and no state; the agent's config enables only the host keys
 * (sshd and sysctl would change the test host's running kernel and real config otherwise).
 */
export function newMachine(config = ''): Machine {
  const scratch = tempDir('gfb-unit-');
  const machine = { sshDir: path.join(scratch, 'ssh'), stateDir: path.join(scratch, 'state'), serialPath: path.join(scratch, 'ttyS0'), scratch, uuid: randomUUID() };
  for (const dir of ['ssh', 'state', 'usr-bin/upper', 'usr-bin/work', 'usr-lib/upper/gce-firstboot', 'usr-lib/work', 'etc/upper/gce-firstboot', 'etc/work', 'var-lib/upper/gce-firstboot', 'var-lib/work']) {
    mkdirSync(path.join(scratch, dir), { recursive: true, mode: 0o700 });
  }
  writeFileSync(machine.serialPath, '');
  writeFileSync(path.join(scratch, 'usr-bin/upper/gce-firstboot'), `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`);
  chmodSync(path.join(scratch, 'usr-bin/upper/gce-firstboot'), 0o755);
  copyFileSync(path.join(REPO, 'packaging/make-host-keys'), path.join(scratch, 'usr-lib/upper/gce-firstboot/make-host-keys'));
  chmodSync(path.join(scratch, 'usr-lib/upper/gce-firstboot/make-host-keys'), 0o755);
  writeFileSync(
    path.join(scratch, 'etc/upper/gce-firstboot/gce-firstboot.conf'),
    `[core]\nserial_port = ${machine.serialPath}\n[coexistence]\nenabled = false\n[sshd]\nenabled = false\n[sysctl]\nenabled = false\n${config}`,
  );
  return machine;
}

/** The machine's mounts (see the top of this file). */
function mounts(machine: Machine): string {
  const s = machine.scratch;
  return `set -e
mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=${s}/usr-bin/upper,workdir=${s}/usr-bin/work /usr/bin
mount -t overlay overlay -o lowerdir=/usr/lib,upperdir=${s}/usr-lib/upper,workdir=${s}/usr-lib/work /usr/lib
mount -t overlay overlay -o lowerdir=/etc,upperdir=${s}/etc/upper,workdir=${s}/etc/work /etc
mount -t overlay overlay -o lowerdir=/var/lib,upperdir=${s}/var-lib/upper,workdir=${s}/var-lib/work /var/lib
mount --bind ${machine.sshDir} /etc/ssh
mount --bind ${machine.stateDir} /var/lib/gce-firstboot
mount -t tmpfs tmpfs /sys/class
mkdir -p /sys/class/dmi/id
echo ${machine.uuid} > /sys/class/dmi/id/product_uuid
set +e
`;
}

/**
 * The mounts, then the host-key unit's ExecStart; with `killWhen`, it is killed (as at TimeoutStartSec)
 * once that file appears, and so is the process whose pid the file holds (a hung ssh-keygen).
 */
function script(machine: Machine, killWhen: string | undefined): string {
  return `${mounts(machine)}
${EXEC_START} &
helper=$!
${killWhen ? `while [ ! -e ${killWhen} ]; do sleep 0.05; done; kill -KILL $helper $(cat ${killWhen})` : ''}
wait $helper
echo "exit=$?"
`;
}

/**
 * One boot up to sshd and the early stage beside it: the host-key unit's ExecStart, its ExecStopPost
 * when systemd would run it (sshd starts after these), then the early unit's ExecStart.
 */
export async function bootEarlyUnit(machine: Machine, options: { path?: string; killWhen?: string } = {}): Promise<UnitRun> {
  const env = { PATH: options.path ? `${options.path}:${SERVICE_PATH}` : SERVICE_PATH, HOME: '/root', LANG: 'C.UTF-8' };
  const start = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script(machine, options.killWhen)], { reject: false, env, extendEnv: false, all: true });
  const killed = start.stdout.includes('exit=137');
  const code = Number(/exit=(\d+)/.exec(start.stdout)?.[1]);
  const exitCode = killed ? undefined : code;
  const serviceResult = killed ? 'timeout' : code === 0 || SUCCESS_EXIT_STATUS.includes(code) ? 'success' : 'exit-code';
  let output = start.all ?? '';
  let fallbackRan = false;
  if (serviceResult !== 'success') {
    fallbackRan = true;
    const post = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind "$0" /etc/ssh && ${EXEC_STOP_POST}`, machine.sshDir], {
      reject: false,
      env: { PATH: SERVICE_PATH, SERVICE_RESULT: serviceResult },
      extendEnv: false,
      all: true,
    });
    output += post.all ?? '';
    if (post.exitCode !== 0) throw new Error(`ExecStopPost failed (${post.exitCode}):\n${output}`);
  }
  const early = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${mounts(machine)}\nenv ${EARLY_ENV} ${EARLY_START}`], {
    reject: false, env: { ...env, PATH: SERVICE_PATH }, extendEnv: false, all: true,
  });
  output += early.all ?? '';
  return { exitCode, serviceResult, fallbackRan, agentExitCode: early.exitCode, output };
}
