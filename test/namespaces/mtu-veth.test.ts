import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { reportOf, runCli } from '../helpers/cli.js';
import { defaultInstanceTree } from '../../src/emulator/default-tree.js';
import type { Tree } from '../../src/emulator/tree.js';

const EMULATOR = path.join(REPO, 'dist/src/emulator/main.js');

/**
 * A fresh network namespace with a veth pair and a default route over veth0; the metadata
 * emulator runs inside it (on the namespace's own loopback), then the CLI with --live.
 */
function namespaceScript(): string {
  return [
    'set -e',
    'ip link set lo up',
    'ip link add veth0 type veth peer name veth1',
    'ip link set dev veth0 address 42:01:0a:80:00:02',
    'ip addr add 10.9.0.2/24 dev veth0',
    'ip link set veth0 up && ip link set veth1 up',
    'if [ "$ROUTE" = yes ]; then ip route add default via 10.9.0.1 dev veth0; fi',
    `"$NODE" "${EMULATOR}" --listen 127.0.0.1:8089 --data "$OUT/tree.json" > "$OUT/emulator.log" 2>&1 &`,
    'EMU=$!',
    'for i in $(seq 100); do grep -q listening "$OUT/emulator.log" && break; sleep 0.1; done',
    'set +e',
    '"$@" --json > "$OUT/first.json"; echo "first=$?"',
    '"$@" --json > "$OUT/second.json"; echo "second=$?"',
    'ip -o link show dev veth0 | sed -n "s/.* mtu \\([0-9]*\\) .*/veth0-mtu=\\1/p"',
    'ip -o link show dev veth1 | sed -n "s/.* mtu \\([0-9]*\\) .*/veth1-mtu=\\1/p"',
    'kill $EMU',
  ].join('\n');
}

/** Runs `apply --live` twice in a fresh namespace; returns the output lines and the two reports. */
async function applyInNamespace(root: string, tree: Tree, route: boolean) {
  const out = tempDir('gfb-out-');
  writeFileSync(path.join(out, 'tree.json'), JSON.stringify(tree));
  const result = await runCli(['apply', '--root', root, '--only', 'mtu', '--live', '--metadata-host', '127.0.0.1:8089'], {
    prefix: ['unshare', '--net', '--', 'sh', '-c', namespaceScript(), 'sh'],
    env: { OUT: out, NODE: process.execPath, ROUTE: route ? 'yes' : 'no' },
  });
  const report = (name: string) => reportOf({ ...result, stdout: readFileSync(path.join(out, name), 'utf8') });
  return { lines: result.stdout.split('\n'), stderr: result.stderr, first: report('first.json'), second: report('second.json') };
}

describe('mtu on a veth inside a network namespace (--live)', () => {
  it('sets the metadata MTU 8896 on the default-route interface and persists it for that NIC', async () => {
    const root = sandboxRoot();
    writeFileSync(path.join(root, 'etc/network/interfaces.d/veth0'), 'allow-hotplug veth0\niface veth0 inet dhcp\n');
    const tree = defaultInstanceTree();
    (tree.instance as { 'network-interfaces': { mtu: number }[] })['network-interfaces'][0]!.mtu = 8896;
    const { lines, stderr, first, second } = await applyInNamespace(root, tree, true);
    expect(lines, stderr).toContain('first=0');
    expect(lines).toContain('second=0');
    expect(lines).toContain('veth0-mtu=8896');
    expect(lines).toContain('veth1-mtu=1500');
    expect(first.modules[0]!.findings.find((f) => f.key === 'source')?.actual).toBe('primary NIC veth0 (default route)');
    expect(first.modules[0]!.changes.map((c) => c.key)).toEqual(['/etc/dhcp/dhclient-enter-hooks.d/gce-firstboot-mtu', 'link veth0']);
    expect(readFileSync(path.join(root, 'etc/dhcp/dhclient-enter-hooks.d/gce-firstboot-mtu'), 'utf8')).toContain('if [ "$interface" = "veth0" ]; then\n\tnew_interface_mtu=8896\n');
    expect(second.summary.changes).toBe(0);
  });

  it('a cloud-init image (netplan matching the NIC by MAC, as cloud-init writes it): the drop-in goes to the .network of that MAC', async () => {
    const root = sandboxRoot('debian-12-networkd');
    const network = (mac: string) => `[Match]\nPermanentMACAddress=${mac}\nName=veth0\n\n[Network]\nDHCP=yes\n`;
    mkdirSync(path.join(root, 'run/systemd/network'), { recursive: true });
    writeFileSync(path.join(root, 'run/systemd/network/10-netplan-other.network'), network('42:01:0a:80:00:99'));
    writeFileSync(path.join(root, 'run/systemd/network/10-netplan-veth0.network'), network('42:01:0A:80:00:02'));
    const { lines, stderr, first } = await applyInNamespace(root, defaultInstanceTree(), true);
    expect(lines, stderr).toContain('first=0');
    expect(first.modules[0]!.changes.map((c) => c.key)).toEqual(['/etc/systemd/network/10-netplan-veth0.network.d/60-gce-firstboot-mtu.conf', 'link veth0']);
    expect(readFileSync(path.join(root, 'etc/systemd/network/10-netplan-veth0.network.d/60-gce-firstboot-mtu.conf'), 'utf8')).toContain('[Link]\nMTUBytes=1460\n');
  });

  it('without a default route takes the first non-loopback link', async () => {
    const root = sandboxRoot();
    const { lines, stderr, first } = await applyInNamespace(root, defaultInstanceTree(), false);
    // veth1 was created first (lower ifindex) and is the first link after lo.
    expect(lines, stderr).toContain('veth1-mtu=1460');
    expect(lines).toContain('veth0-mtu=1500');
    expect(first.modules[0]!.findings.find((f) => f.key === 'source')?.actual).toBe('primary NIC veth1 (first non-loopback link (no default route))');
    // Nothing in this root manages veth1: runtime only, and the report says so.
    expect(first.modules[0]!.findings.find((f) => f.key === 'persistence')?.severity).toBe('warning');
  });
});
