import path from 'node:path';
import type { Host } from '../host/host.js';
import { LEASE_DIRS } from '../distro/network-stacks.js';

/** One thing `seal` clears before an image is captured. */
export interface SealAction {
  /** remove: delete the file or tree; empty: keep the file with no content; reset: write `content`. */
  action: 'remove' | 'empty' | 'reset';
  path: string;
  /** What it is, for the printed list. */
  what: string;
  /** For reset: the content written. */
  content?: string;
}

export interface SealSelection {
  /** --history: shell and REPL histories of root and /home/* users. */
  history: boolean;
  /** --cloud-init: cloud-init's state under /var/lib/cloud, when cloud-init is installed. */
  cloudInit: boolean;
}

/** History files a login leaves in a home directory. */
const HISTORY_FILES: readonly string[] = [
  '.bash_history',
  '.zsh_history',
  '.sh_history',
  '.ash_history',
  '.history',
  '.local/share/fish/fish_history',
  '.python_history',
  '.node_repl_history',
  '.mysql_history',
  '.psql_history',
  '.sqlite_history',
  '.lesshst',
  '.viminfo',
];

const DBUS_MACHINE_ID = '/var/lib/dbus/machine-id';
const MACHINE_ID = '/etc/machine-id';
const SEALED_HOSTNAME = 'localhost';

async function matching(host: Host, dir: string, matches: (name: string) => boolean): Promise<string[]> {
  return (await host.readDir(dir)).filter(matches).map((name) => path.posix.join(dir, name));
}

async function removals(host: Host, paths: string[], what: string): Promise<SealAction[]> {
  const present: SealAction[] = [];
  for (const guestPath of paths) if (await host.exists(guestPath)) present.push({ action: 'remove', path: guestPath, what });
  return present;
}

async function machineIdActions(host: Host): Promise<SealAction[]> {
  const actions: SealAction[] = [];
  const content = await host.readText(MACHINE_ID);
  // An empty file (not a missing one) is what Debian's cloud images ship: systemd then treats the
  // boot as the first one and writes a fresh id.
  if (content !== '') actions.push({ action: 'empty', path: MACHINE_ID, what: 'machine id' });
  const dbusLink = await host.readLink(DBUS_MACHINE_ID);
  const pointsToEtc = dbusLink !== undefined && path.posix.resolve(path.posix.dirname(DBUS_MACHINE_ID), dbusLink) === MACHINE_ID;
  if (!pointsToEtc) actions.push(...(await removals(host, [DBUS_MACHINE_ID], 'D-Bus machine id')));
  return actions;
}

async function hostnameActions(host: Host): Promise<SealAction[]> {
  const content = await host.readText('/etc/hostname');
  if (content === undefined || content.trim() === SEALED_HOSTNAME) return [];
  return [{ action: 'reset', path: '/etc/hostname', what: `hostname, to ${SEALED_HOSTNAME}`, content: `${SEALED_HOSTNAME}\n` }];
}

async function historyActions(host: Host): Promise<SealAction[]> {
  const homes = ['/root', ...(await host.readDir('/home')).map((user) => `/home/${user}`)];
  return removals(host, homes.flatMap((home) => HISTORY_FILES.map((file) => `${home}/${file}`)), 'shell history');
}

async function cloudInitActions(host: Host): Promise<SealAction[]> {
  const installed = (await host.exists('/usr/bin/cloud-init')) || (await host.exists('/etc/cloud/cloud.cfg'));
  if (!installed) return [];
  return removals(host, await matching(host, '/var/lib/cloud', () => true), 'cloud-init state');
}

/** Our own state: instance id, key records, reports, the lock; the backups last (they hold copies). */
async function ownStateActions(host: Host): Promise<SealAction[]> {
  const backupDir = path.posix.join(host.stateDir, 'backup');
  const entries = await matching(host, host.stateDir, () => true);
  const ordered = [...entries.filter((entry) => entry !== backupDir), ...entries.filter((entry) => entry === backupDir)];
  return ordered.map((entry) => ({ action: 'remove', path: entry, what: entry === backupDir ? 'gce-firstboot backups' : 'gce-firstboot state' }));
}

/** Everything on this root that must not be captured into an image, in the order it is cleared. */
export async function findSealActions(host: Host, selection: SealSelection): Promise<SealAction[]> {
  const actions: SealAction[] = [];
  // A key-generation scratch dir a killed run left (/etc/ssh/.ssh_host_keys.gce-firstboot-*) holds private keys too.
  actions.push(...(await removals(host, await matching(host, '/etc/ssh', (name) => name.startsWith('ssh_host_') || name.startsWith('.ssh_host_keys.gce-firstboot-')), 'SSH host key')));
  actions.push(...(await removals(host, ['/etc/udev/rules.d/70-persistent-net.rules'], 'persistent network rule')));
  for (const { dir, what, matches } of LEASE_DIRS) actions.push(...(await removals(host, await matching(host, dir, matches), what)));
  actions.push(...(await machineIdActions(host)));
  actions.push(...(await hostnameActions(host)));
  if (selection.history) actions.push(...(await historyActions(host)));
  if (selection.cloudInit) actions.push(...(await cloudInitActions(host)));
  actions.push(...(await ownStateActions(host)));
  return actions;
}
