import { chmodSync, chownSync, cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURE_ROOTS, tempDir } from '../helpers/sandbox.js';

/**
 * A build host's files that an image's links point at. Everything here must come out of any run
 * byte for byte, with its mode and owner: it plays the build host's /etc, /home and /var.
 */
const SENTINEL: readonly { file: string; content: string; mode: number; gid?: number }[] = [
  { file: 'etc/hostname', content: 'build-host\n', mode: 0o644 },
  { file: 'etc/machine-id', content: '0123456789abcdef0123456789abcdef\n', mode: 0o444 },
  { file: 'etc/hosts', content: '127.0.0.1 localhost build-host\n', mode: 0o600 },
  { file: 'etc/shadow', content: 'root:$6$buildhost$hash:19000:0:99999:7:::\n', mode: 0o640, gid: 42 },
  { file: 'etc/ssh/ssh_host_ed25519_key', content: 'BUILD HOST PRIVATE KEY\n', mode: 0o600 },
  { file: 'etc/ssh/ssh_host_ed25519_key.pub', content: 'ssh-ed25519 AAAAbuildhost\n', mode: 0o644 },
  { file: 'etc/ssh/sshd_config', content: 'PermitRootLogin yes\n', mode: 0o644 },
  { file: 'etc/sysctl.d/99-build-host.conf', content: 'kernel.sysrq = 1\n', mode: 0o644 },
  { file: 'etc/udev/rules.d/70-persistent-net.rules', content: 'SUBSYSTEM=="net", NAME="eth9"\n', mode: 0o644 },
  { file: 'var/lib/dhcp/dhclient.eth0.leases', content: 'lease { fixed-address 192.0.2.9; }\n', mode: 0o644 },
  { file: 'state/state.json', content: '{"version":1,"instanceId":"build-host","modules":{}}\n', mode: 0o600 },
  { file: 'home/alice/.bash_history', content: 'ssh admin@prod\n', mode: 0o600 },
  { file: 'ttyS0', content: 'the build host console\n', mode: 0o620 },
];

/** How many `..` it takes to climb from anywhere in a test root to / (more is clamped by the kernel and by us). */
const UP = Array(20).fill('..').join('/');

export interface HostileImage {
  /** The temp dir holding both. */
  dir: string;
  /** The image: Debian 12 with links to `outside` (absolute and relative) where the agent looks. */
  root: string;
  /** The sentinel tree (a stand-in for the build host). */
  outside: string;
  /** Type, mode, owner and content of every path under `outside`. */
  snapshot(): Map<string, string>;
}

/** `link` in the image points at `target` under the sentinel: absolutely, or relatively through a `..` chain. */
function linkOut(root: string, outside: string, link: string, target: string, how: 'absolute' | 'relative'): void {
  const linkPath = path.join(root, link);
  rmSync(linkPath, { recursive: true, force: true });
  mkdirSync(path.dirname(linkPath), { recursive: true });
  symlinkSync(how === 'absolute' ? path.join(outside, target) : `${UP}${path.join(outside, target)}`, linkPath);
}

export function snapshotTree(top: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const stats = lstatSync(full);
      const body = stats.isSymbolicLink() ? `-> ${readlinkSync(full)}` : stats.isFile() ? readFileSync(full, 'utf8') : '';
      entries.set(path.relative(top, full), `${(stats.mode & 0o177777).toString(8)} ${stats.uid}:${stats.gid} ${body}`);
      if (stats.isDirectory()) walk(full);
    }
  };
  walk(top);
  return entries;
}

/**
 * A hostile image: a real Debian 12 fixture whose directories and files the agent touches are
 * links leading outside it — absolute links (re-anchored by a correct resolver) and relative ones
 * climbing with `..` past the root — plus a sentinel tree outside, in the same temp dir.
 */
export function hostileImage(): HostileImage {
  const dir = tempDir('gfb-hostile-');
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  cpSync(path.join(FIXTURE_ROOTS, 'debian-12'), root, { recursive: true, verbatimSymlinks: true });
  for (const { file, content, mode, gid } of SENTINEL) {
    const full = path.join(outside, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    chmodSync(full, mode);
    chownSync(full, 0, gid ?? 0);
  }
  // A world-writable sticky directory, as /tmp: a bug that chmods the state directory shows here.
  chmodSync(path.join(outside, 'state'), 0o1777);

  linkOut(root, outside, 'etc/ssh', 'etc/ssh', 'absolute');
  linkOut(root, outside, 'etc/sysctl.d', 'etc/sysctl.d', 'absolute');
  linkOut(root, outside, 'etc/udev/rules.d', 'etc/udev/rules.d', 'relative');
  linkOut(root, outside, 'etc/machine-id', 'etc/machine-id', 'absolute');
  linkOut(root, outside, 'etc/hostname', 'etc/hostname', 'relative');
  linkOut(root, outside, 'var/lib/dhcp', 'var/lib/dhcp', 'absolute');
  linkOut(root, outside, 'var/lib/gce-firstboot', 'state', 'relative');
  linkOut(root, outside, 'home/alice', 'home/alice', 'absolute');
  linkOut(root, outside, 'dev/ttyS0', 'ttyS0', 'relative');
  linkOut(root, outside, 'root/.bash_history', 'home/alice/.bash_history', 'absolute');
  return { dir, root, outside, snapshot: () => snapshotTree(outside) };
}

/** Managed files that are links inside the image, to files with narrow modes (today's live-system bug). */
export function linkManagedFilesInside(root: string): void {
  const shadow = path.join(root, 'usr/share/base-passwd/shadow.real');
  mkdirSync(path.dirname(shadow), { recursive: true });
  writeFileSync(shadow, readFileSync(path.join(root, 'etc/shadow')));
  chmodSync(shadow, 0o640);
  chownSync(shadow, 0, 42);
  rmSync(path.join(root, 'etc/shadow'));
  symlinkSync('/usr/share/base-passwd/shadow.real', path.join(root, 'etc/shadow'));

  const hosts = path.join(root, 'etc/hosts.real');
  writeFileSync(hosts, readFileSync(path.join(root, 'etc/hosts')));
  chmodSync(hosts, 0o600);
  rmSync(path.join(root, 'etc/hosts'));
  symlinkSync('hosts.real', path.join(root, 'etc/hosts'));
}
