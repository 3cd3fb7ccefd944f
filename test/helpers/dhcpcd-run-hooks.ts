import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { sandboxRoot } from './sandbox.js';
import { debRoot } from './deb-tool.js';
import { ensureTools } from '../packaging/helpers.js';

/**
 * A Debian 13 root as an ifupdown image has it: the debian-13 fixture, Debian 13's real
 * dhcpcd-base unpacked into it (dhcpcd, dhcpcd-run-hooks and its hooks, dhcpcd.conf) and the
 * installer's stanza for ens4, which ifupdown serves with dhcpcd (no dhclient in the root).
 */
export async function debian13DhcpcdRoot(): Promise<string> {
  await ensureTools('unshare', 'ip', 'dpkg-deb');
  const dhcpcd = await debRoot('dhcpcd-base', 'trixie');
  const root = sandboxRoot('debian-13');
  cpSync(path.join(dhcpcd, 'usr'), path.join(root, 'usr'), { recursive: true, verbatimSymlinks: true });
  cpSync(path.join(dhcpcd, 'etc'), path.join(root, 'etc'), { recursive: true });
  mkdirSync(path.join(root, 'etc/network/interfaces.d'), { recursive: true });
  writeFileSync(path.join(root, 'etc/network/interfaces'), 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\nallow-hotplug ens4\niface ens4 inet dhcp\n');
  return root;
}

/** One dhcpcd event for ens4: its reason, the lease variables dhcpcd passes, the link MTU just before. */
export interface DhcpcdEvent {
  reason: 'PREINIT' | 'CARRIER' | 'BOUND' | 'RENEW' | 'REBIND' | 'REBOOT';
  lease?: Record<string, string>;
  linkMtuBefore?: number;
}

export interface AfterEvent {
  reason: string;
  mtu: number;
  hostname: string;
  /** What the hooks printed (an admin's hook, dhcpcd's syslog lines). */
  output: string[];
}

const quoted = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;

/**
 * Runs the root's real /usr/lib/dhcpcd/dhcpcd-run-hooks for each event, with the environment
 * dhcpcd gives it, in fresh network, UTS and mount namespaces: ens4 is one end of a veth pair there, the
 * host name the namespace's own, /etc the root's (the enter hook, /etc/resolv.conf), /usr/lib the
 * host's with the root's dhcpcd files over it, /run and /sys the namespace's. Nothing reaches this
 * machine's network, host name or files.
 */
export async function runDhcpcdEvents(root: string, start: { hostname: string; mtu: number }, events: readonly DhcpcdEvent[]): Promise<AfterEvent[]> {
  const lines = [
    'set -e',
    'mount --bind "$ROOT/etc" /etc',
    'mount -t overlay overlay -o lowerdir="$ROOT/usr/lib":/usr/lib /usr/lib',
    'mount -t tmpfs tmpfs /run',
    'mount -t sysfs sysfs /sys',
    'ip link set lo up',
    'ip link add ens4 type veth peer name ens4-peer',
    `ip link set dev ens4 mtu ${start.mtu} up`,
    `echo ${quoted(start.hostname)} > /proc/sys/kernel/hostname`,
    'set +e',
  ];
  for (const event of events) {
    if (event.linkMtuBefore !== undefined) lines.push(`ip link set dev ens4 mtu ${event.linkMtuBefore}`);
    const env = {
      reason: event.reason, interface: 'ens4', protocol: 'dhcp', pid: '1234', ifcarrier: 'up', ifwireless: '0', ifflags: '69699',
      if_up: 'true', if_down: 'false', if_configured: 'true', ...event.lease,
    };
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${quoted(value)}`).join(' ');
    lines.push(`echo "event ${event.reason}"`);
    lines.push(`env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ${assignments} /bin/sh /usr/lib/dhcpcd/dhcpcd-run-hooks 2>&1`);
    lines.push(`echo "after ${event.reason} mtu $(cat /sys/class/net/ens4/mtu) hostname $(cat /proc/sys/kernel/hostname)"`);
  }
  const result = await execa('unshare', ['--mount', '--propagation', 'private', '--net', '--uts', '--', 'sh', '-c', lines.join('\n')], { env: { ROOT: root }, reject: false });
  if (result.exitCode !== 0) throw new Error(`dhcpcd-run-hooks namespace failed (${result.exitCode}): ${result.stderr}`);
  const after: AfterEvent[] = [];
  let output: string[] = [];
  for (const line of result.stdout.split('\n')) {
    const done = /^after (\S+) mtu (\d+) hostname (.*)$/.exec(line);
    if (done) {
      after.push({ reason: done[1]!, mtu: Number(done[2]), hostname: done[3]!, output });
      output = [];
    } else if (!line.startsWith('event ')) output.push(line);
  }
  return after;
}
