import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { Host } from '../../host/host.js';
import { findSealActions, type SealAction } from '../../seal/artefacts.js';
import { applySealActions, SealStopped } from '../../seal/apply-seal.js';
import { isRunningRoot } from '../../seal/running-root.js';
import { hardenImage, type HardenAction, type Hardening } from '../../seal/harden-image.js';
import { ALL_MODULES } from '../../policy/registry.js';
import { parseConfig } from '../../config/load.js';
import { moduleSettings, readConfig } from '../session.js';
import { createLogger } from '../logger.js';
import { isInstalledSystem, OS_RELEASE_FILES } from '../../distro/identify.js';
import { checkedRoot } from '../checked-root.js';
import { EXIT } from '../../report/exit-code.js';

const help = `Usage: gce-firstboot seal [--root DIR] [--dry-run] [--json] [--history] [--cloud-init] [--no-harden] [--yes]

Makes an installed system ready to be captured as an image. First it writes the early stage's
files into it, as \`apply --stage early --only sshd,sysctl\` would, so that sshd's and the
kernel's very first start on the image read them: the sshd/ssh hardening drop-ins and
/etc/sysctl.d/60-gce-firstboot.conf (files only: no sysctl is set and sshd is not reloaded, also
on the running system). A module disabled in the image's /etc/gce-firstboot/gce-firstboot.conf
(enabled = false) is left out, and its [sshd]/[sysctl] settings apply. A configuration the image's
sshd rejects with our drop-in, or an author's setting that wins over ours, is reported on one
line and the seal goes on. Then it removes the SSH host keys,
/etc/udev/rules.d/70-persistent-net.rules, DHCP leases (dhclient, NetworkManager, dhcpcd,
systemd-networkd), gce-firstboot's own state and backups; empties /etc/machine-id (the file
stays, mode 0444); removes /var/lib/dbus/machine-id unless it links to /etc/machine-id; resets
/etc/hostname to localhost. Prints each file it wrote and each thing it removed; nothing else is
changed, and nothing is kept in a backup (a backup would carry the host keys into the image).

  --root DIR     the system to seal (default /)
  --dry-run      print what would be written and removed; change nothing
  --json         print the list as a JSON array
  --history      also remove shell and REPL histories of root and /home/*
  --cloud-init   also remove cloud-init's state under /var/lib/cloud (when cloud-init is installed)
  --no-harden    do not write the sshd and sysctl files (for images whose sshd is managed otherwise)
  --yes          required to seal the running system (--root /)
  -h, --help     this help

Paths are resolved inside DIR as chroot would: a symlink in the image (even an absolute one)
never leads outside it, and a symlink that is itself an artefact is removed, not its target.

Exit codes: 0 sealed (or nothing to do); 2 usage error, the running root without --yes, a
DIR that does not exist or holds no installed system (no /etc/os-release or /usr/lib/os-release),
or a bad config in the image (nothing written); 4 the seal failed (what was done before the
failure is printed, then the failure on one line; a write or removal the system refuses, such as
EROFS, is one).`;

type SealEntry = SealAction | HardenAction;

function describe(actions: readonly SealEntry[], dryRun: boolean): string {
  if (actions.length === 0) return 'nothing to do: already sealed\n';
  const notes = { unwritten: 'not written', override: 'override' };
  const verbs = dryRun
    ? { write: 'would write', remove: 'would remove', empty: 'would empty', reset: 'would reset', ...notes }
    : { write: 'wrote', remove: 'removed', empty: 'emptied', reset: 'reset', ...notes };
  return actions.map((action) => `${verbs[action.action].padEnd(12)} ${action.path}  (${action.what})\n`).join('');
}

async function runSeal(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string', default: '/' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      history: { type: 'boolean', default: false },
      'cloud-init': { type: 'boolean', default: false },
      'no-harden': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const root = await checkedRoot(values.root);
  const running = await isRunningRoot(root);
  // Decided before anything is read or touched; a dry run changes nothing, so it needs no --yes.
  if (running && !values.yes && !values['dry-run']) {
    throw new UsageError("refusing to seal the running system (--root /) without --yes: it removes this machine's SSH host keys, machine id and hostname");
  }
  const host = new Host({ root, live: false });
  if (!(await isInstalledSystem(host))) {
    throw new UsageError(`--root ${values.root}: not an installed system (no ${OS_RELEASE_FILES.join(' or ')}); nothing sealed`);
  }
  const selection = { history: values.history, cloudInit: values['cloud-init'] };
  // Found first so that what it refuses (a directory where a file is emptied) is refused before
  // anything is written; found again after the hardening pass, which adds to our state.
  const found = await findSealActions(host, selection);
  // The image's config is read (and refused when bad) before anything is written too.
  const { text, file } = values['no-harden'] ? { text: undefined, file: '' } : await readConfig(host, undefined);
  const config = parseConfig(text, file, ALL_MODULES);
  // Our state as it was: what the hardening pass adds there is removed below without being listed.
  const stateBefore = (await host.exists(host.stateDir)) ? new Set(await host.readDir(host.stateDir)) : undefined;
  const hardening: Hardening = values['no-harden']
    ? { actions: [] }
    : await hardenImage(host, { config, settings: (id) => moduleSettings(config, id), log: createLogger('warn'), dryRun: values['dry-run'] });
  /** After a failure only what was done is printed, and nothing when nothing was. */
  const print = (done: readonly SealEntry[], failed = false): void => {
    const listed = done.filter((action) => !isPassScratch(host, action, stateBefore));
    if (failed && !listed.length) return;
    process.stdout.write(values.json ? `${JSON.stringify(listed, null, 2)}\n` : describe(listed, values['dry-run']));
  };
  if (hardening.failure) {
    print(hardening.actions, true);
    process.stderr.write(`gce-firstboot: seal stopped while writing the sshd and sysctl files (${hardening.failure}); nothing removed\n`);
    return EXIT.moduleFailed;
  }
  const actions = values['dry-run'] || values['no-harden'] ? found : await findSealActions(host, selection);
  // A state directory only the hardening pass made goes too, after its entries.
  if (!stateBefore && (await host.exists(host.stateDir))) actions.push({ action: 'remove', path: host.stateDir, what: 'gce-firstboot state' });
  if (!values['dry-run']) {
    try {
      await applySealActions(host, actions);
    } catch (error) {
      if (!(error instanceof SealStopped)) throw error;
      print([...hardening.actions, ...error.done], true);
      process.stderr.write(`gce-firstboot: ${error.message}\n`);
      return EXIT.moduleFailed;
    }
  }
  print([...hardening.actions, ...actions]);
  return 0;
}

/** Our state directory, or an entry of it, that only the hardening pass of this seal made (not the image's). */
function isPassScratch(host: Host, action: SealEntry, stateBefore: ReadonlySet<string> | undefined): boolean {
  if (action.action !== 'remove') return false;
  if (action.path === host.stateDir) return !stateBefore;
  return action.path.startsWith(`${host.stateDir}/`) && !stateBefore?.has(action.path.slice(host.stateDir.length + 1));
}

export const sealCommand: Command = {
  name: 'seal',
  help,
  run: runSeal,
};
