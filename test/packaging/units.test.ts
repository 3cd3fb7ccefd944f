// The systemd units as installed: systemd-analyze verify (the real parser) and the ordering,
// timeout and hardening decisions that issue 5 and issue 10.7 ask for.
import { cpSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, UNITS, ensureTools, parseUnit, run, type RunResult } from './helpers.js';

const unitText = (name: string) => readFileSync(join(ROOT, 'units', name), 'utf8');
const hostKeys = parseUnit(unitText('gce-firstboot-host-keys.service'));
const early = parseUnit(unitText('gce-firstboot-early.service'));
const daemon = parseUnit(unitText('gce-firstboot.service'));
const get = (u: typeof early, section: string, key: string): string[] =>
  (u.get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
const one = (u: typeof early, section: string, key: string): string | undefined => u.get(section)?.get(key)?.at(-1);

/**
 * systemd-analyze verify checks that ExecStart= exists on the machine, and we must not put
 * /usr/bin/gce-firstboot on the real one. --root=DIR makes it look everything up in DIR: a
 * copy of the system's unit directory, our units, and stand-in executables.
 */
let root: string;
function verify(...units: string[]): Promise<RunResult> {
  return run('systemd-analyze', ['verify', `--root=${root}`, ...units]);
}

beforeAll(async () => {
  await ensureTools('systemd-analyze');
  root = mkdtempSync(join(tmpdir(), 'gfb-units-'));
  mkdirSync(join(root, 'lib/systemd'), { recursive: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/lib/gce-firstboot'), { recursive: true });
  cpSync('/lib/systemd/system', join(root, 'lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  for (const u of UNITS) cpSync(join(ROOT, 'units', u), join(root, 'lib/systemd/system', u));
  mkdirSync(join(root, 'bin'), { recursive: true });
  // Stand-ins for the commands the units run (kill: ExecReload; sh, ssh-keygen: the fallback).
  for (const cmd of ['usr/bin/gce-firstboot', 'usr/lib/gce-firstboot/make-host-keys', 'usr/bin/kill', 'usr/bin/ssh-keygen', 'bin/sh']) {
    writeFileSync(join(root, cmd), '#!/bin/sh\n');
    chmodSync(join(root, cmd), 0o755);
  }
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('systemd-analyze verify', () => {
  it('passes on all three units', async () => {
    const r = await verify(...UNITS);
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  // systemd-analyze only warns about a bad value (exit 0), hence the test above asserts
  // that it says nothing at all. These two prove that it looks at what we give it.
  it('is a real check: a bad value in a copy of the unit is reported', async () => {
    const broken = unitText('gce-firstboot.service').replace(/^Type=notify$/m, 'Type=notifyy');
    writeFileSync(join(root, 'lib/systemd/system/gce-firstboot-broken.service'), broken);
    expect((await verify('gce-firstboot-broken.service')).stderr).toMatch(/notifyy/);
  });
  it('is a real check: a missing executable fails it', async () => {
    const broken = unitText('gce-firstboot.service').replace(/^ExecStart=\/usr\/bin\/gce-firstboot/m, 'ExecStart=/usr/bin/gce-firstboot-missing');
    writeFileSync(join(root, 'lib/systemd/system/gce-firstboot-missing.service'), broken);
    const r = await verify('gce-firstboot-missing.service');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/gce-firstboot-missing/);
  });
});

describe('gce-firstboot-host-keys.service (the only unit on sshd\'s path: no agent start, no network, bounded)', () => {
  it('is a oneshot that stays active and runs the sh helper, not the agent', () => {
    expect(one(hostKeys, 'Service', 'Type')).toBe('oneshot');
    expect(one(hostKeys, 'Service', 'RemainAfterExit')).toBe('yes');
    expect(one(hostKeys, 'Service', 'ExecStart')).toBe('/usr/lib/gce-firstboot/make-host-keys');
  });
  it('is ordered before both names of the SSH server, after local file systems', () => {
    expect(get(hostKeys, 'Unit', 'Before')).toEqual(expect.arrayContaining(['ssh.service', 'sshd.service']));
    expect(get(hostKeys, 'Unit', 'After')).toContain('local-fs.target');
  });
  it('neither waits for nor pulls in the network or the agent, and never makes sshd depend on it', () => {
    const deps = ['After', 'Wants', 'Requires', 'BindsTo', 'Requisite'].flatMap((k) => get(hostKeys, 'Unit', k));
    expect(deps.filter((d) => /network|gce-firstboot/.test(d))).toEqual([]);
    expect(get(hostKeys, 'Unit', 'RequiredBy')).toEqual([]);
    expect(get(hostKeys, 'Install', 'RequiredBy')).toEqual([]);
  });
  it('is bounded to 90 s, and 60 s more for the fallback', () => {
    expect(one(hostKeys, 'Service', 'TimeoutStartSec')).toBe('90');
    expect(one(hostKeys, 'Service', 'TimeoutStopSec')).toBe('60');
  });
  it('is started by multi-user.target', () => {
    expect(get(hostKeys, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });

  // The fallback line as written in the unit, run in a mount namespace whose /etc/ssh is an
  // empty temp dir (the real /etc/ssh is never touched), with the $SERVICE_RESULT systemd sets.
  const fallback = one(hostKeys, 'Service', 'ExecStopPost')!;
  const runFallback = async (result: string): Promise<string[]> => {
    await ensureTools('ssh-keygen', 'unshare');
    const etcSsh = mkdtempSync(join(tmpdir(), 'gfb-etc-ssh-'));
    const r = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind "$0" /etc/ssh && ${fallback}`, etcSsh], {
      env: { ...process.env, SERVICE_RESULT: result },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const made = readdirSync(etcSsh).sort();
    rmSync(etcSsh, { recursive: true, force: true });
    return made;
  };
  it('when the helper failed or timed out, generates the missing host keys before sshd starts', async () => {
    expect(await runFallback('timeout')).toEqual(expect.arrayContaining(['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub', 'ssh_host_rsa_key', 'ssh_host_ecdsa_key']));
  }, 120_000);
  it('when the helper succeeded, the fallback does nothing', async () => {
    expect(await runFallback('success')).toEqual([]);
  }, 120_000);
});

describe('gce-firstboot-early.service (no network, beside sshd, bounded)', () => {
  it('is a oneshot that stays active and runs the early stage, telling it that the keys are settled', () => {
    expect(one(early, 'Service', 'Type')).toBe('oneshot');
    expect(one(early, 'Service', 'RemainAfterExit')).toBe('yes');
    expect(one(early, 'Service', 'ExecStart')).toBe('/usr/bin/gce-firstboot apply --stage early');
    expect(get(early, 'Service', 'Environment')).toContain('GCE_FIRSTBOOT_KEYS_BY_HELPER=1');
  });
  it('counts exit 1 (drift it cannot fix) as success, not as a failed unit; 4 (a module failed) stays a failure', () => {
    expect(get(early, 'Service', 'SuccessExitStatus')).toEqual(['1']);
  });
  it('is off sshd\'s path: after the host-key unit, not before sshd; still before Google\'s guest agent (its set_host_keys switch)', () => {
    expect(get(early, 'Unit', 'After')).toEqual(expect.arrayContaining(['local-fs.target', 'gce-firstboot-host-keys.service']));
    expect(get(early, 'Unit', 'Before')).not.toContain('ssh.service');
    expect(get(early, 'Unit', 'Before')).not.toContain('sshd.service');
    expect(get(early, 'Unit', 'Before')).toContain('google-guest-agent.service');
  });
  it('neither waits for nor pulls in the network', () => {
    const deps = ['After', 'Wants', 'Requires', 'BindsTo', 'Requisite'].flatMap((k) => get(early, 'Unit', k));
    expect(deps.filter((d) => /network/.test(d))).toEqual([]);
  });
  it('yields the CPU to sshd and the daemon (lowest priority), is bounded to 300 s and has no key fallback of its own (the host-key unit has it)', () => {
    expect(one(early, 'Service', 'Nice')).toBe('19');
    expect(one(early, 'Service', 'TimeoutStartSec')).toBe('300');
    expect(one(early, 'Service', 'ExecStopPost')).toBeUndefined();
  });
  it('is started by multi-user.target', () => {
    expect(get(early, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });
});

describe('gce-firstboot.service (the daemon)', () => {
  it('is Type=notify with NotifyAccess=all (systemd-notify is a child process)', () => {
    expect(one(daemon, 'Service', 'Type')).toBe('notify');
    expect(one(daemon, 'Service', 'NotifyAccess')).toBe('all');
    expect(one(daemon, 'Service', 'ExecStart')).toBe('/usr/bin/gce-firstboot watch');
  });
  it('waits for the network, the host keys and sshd\'s start, not for the early stage (the hostname does not wait for it)', () => {
    expect(get(daemon, 'Unit', 'Wants')).toContain('network-online.target');
    expect(get(daemon, 'Unit', 'After')).toEqual(
      expect.arrayContaining(['network-online.target', 'gce-firstboot-host-keys.service', 'ssh.service', 'sshd.service']),
    );
    expect(get(daemon, 'Unit', 'After')).not.toContain('gce-firstboot-early.service');
  });
  it('blocks nothing: not ordered before sshd or any other unit', () => {
    expect(get(daemon, 'Unit', 'Before')).toEqual([]);
  });
  it('stops within 5 s and restarts on failure', () => {
    expect(one(daemon, 'Service', 'TimeoutStopSec')).toBe('5');
    expect(one(daemon, 'Service', 'Restart')).toBe('on-failure');
    expect(one(daemon, 'Service', 'TimeoutStartSec')).toMatch(/^\d+$/);
  });
  it('is started by multi-user.target', () => {
    expect(get(daemon, 'Install', 'WantedBy')).toEqual(['multi-user.target']);
  });
});

describe.each([
  ['gce-firstboot-early.service', early],
  ['gce-firstboot.service', daemon],
])('hardening of %s leaves the agent able to do its job', (_name, unit) => {
  it('keeps /etc and /boot writable (update-grub, grub2-mkconfig, System.map) and /usr read-only', () => {
    expect(one(unit, 'Service', 'ProtectSystem') ?? 'no').toBe('no');
    expect(get(unit, 'Service', 'ReadOnlyPaths')).toEqual(['/usr']);
    expect(get(unit, 'Service', 'ReadWritePaths')).toEqual([]);
  });
  it('leaves /proc/sys writable and the real UTS namespace (sysctl, hostname)', () => {
    expect(one(unit, 'Service', 'ProtectKernelTunables') ?? 'no').toBe('no');
    expect(one(unit, 'Service', 'ProtectHostname') ?? 'no').toBe('no');
  });
  it('keeps /dev/ttyS0 reachable and lets V8 JIT', () => {
    for (const key of ['PrivateDevices', 'ProtectClock', 'MemoryDenyWriteExecute', 'PrivateNetwork']) {
      expect(one(unit, 'Service', key) ?? 'no').toBe('no');
    }
    expect(one(unit, 'Service', 'DevicePolicy') ?? 'auto').toBe('auto');
  });
  it('allows netlink (MTU) and IP (metadata server)', () => {
    expect(get(unit, 'Service', 'RestrictAddressFamilies')).toEqual(
      expect.arrayContaining(['AF_UNIX', 'AF_INET', 'AF_INET6', 'AF_NETLINK']),
    );
  });
  it('owns its 0700 state directory', () => {
    expect(one(unit, 'Service', 'StateDirectory')).toBe('gce-firstboot');
    expect(one(unit, 'Service', 'StateDirectoryMode')).toBe('0700');
  });
});
