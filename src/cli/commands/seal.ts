import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { Host } from '../../host/host.js';
import { findSealActions, type SealAction } from '../../seal/artefacts.js';
import { applySealActions, SealStopped } from '../../seal/apply-seal.js';
import { isRunningRoot } from '../../seal/running-root.js';
import { isInstalledSystem, OS_RELEASE_FILES } from '../../distro/identify.js';
import { checkedRoot } from '../checked-root.js';
import { EXIT } from '../../report/exit-code.js';

const help = `Usage: gce-firstboot seal [--root DIR] [--dry-run] [--json] [--history] [--cloud-init] [--yes]

Makes an installed system ready to be captured as an image: removes the SSH host keys,
/etc/udev/rules.d/70-persistent-net.rules, DHCP leases (dhclient, NetworkManager, dhcpcd,
systemd-networkd), gce-firstboot's own state and backups; empties /etc/machine-id (the file
stays, mode 0444); removes /var/lib/dbus/machine-id unless it links to /etc/machine-id; resets
/etc/hostname to localhost. Prints each thing it removed; nothing else is changed, and nothing
is backed up (a backup would carry the host keys into the image).

  --root DIR     the system to seal (default /)
  --dry-run      print what would be removed; change nothing
  --json         print the list as a JSON array
  --history      also remove shell and REPL histories of root and /home/*
  --cloud-init   also remove cloud-init's state under /var/lib/cloud (when cloud-init is installed)
  --yes          required to seal the running system (--root /)
  -h, --help     this help

Paths are resolved inside DIR as chroot would: a symlink in the image (even an absolute one)
never leads outside it, and a symlink that is itself an artefact is removed, not its target.

Exit codes: 0 sealed (or nothing to do); 2 usage error, the running root without --yes, or a
DIR that does not exist or holds no installed system (no /etc/os-release or /usr/lib/os-release);
4 the seal failed (what was done before the failure is printed, then the failure on one line).`;

function describe(actions: readonly SealAction[], dryRun: boolean): string {
  if (actions.length === 0) return 'nothing to do: already sealed\n';
  const verbs = dryRun
    ? { remove: 'would remove', empty: 'would empty', reset: 'would reset' }
    : { remove: 'removed', empty: 'emptied', reset: 'reset' };
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
  const actions = await findSealActions(host, { history: values.history, cloudInit: values['cloud-init'] });
  const print = (done: readonly SealAction[]): void => {
    process.stdout.write(values.json ? `${JSON.stringify(done, null, 2)}\n` : describe(done, values['dry-run']));
  };
  if (!values['dry-run']) {
    try {
      await applySealActions(host, actions);
    } catch (error) {
      if (!(error instanceof SealStopped)) throw error;
      if (error.done.length) print(error.done);
      process.stderr.write(`gce-firstboot: ${error.message}\n`);
      return EXIT.moduleFailed;
    }
  }
  print(actions);
  return 0;
}

export const sealCommand: Command = {
  name: 'seal',
  help,
  run: runSeal,
};
