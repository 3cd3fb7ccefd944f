import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportOf, runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { startDaemon, stopDaemon, waitFor } from '../daemon/harness.js';
import { SERIAL_PREFIX } from '../../src/report/serial-protocol.js';
import { hostileImage, linkManagedFilesInside } from './hostile-image.js';

const ROOT_HASH = '$6$image$0123456789abcdef';

function lockRootConfig(): string {
  const file = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
  writeFileSync(file, '[accounts]\nenforce = lock-root\n');
  return file;
}

/** The image's /etc/shadow target gets a real root hash, so that lock-root has something to lock. */
function giveRootAHash(root: string): string {
  const shadow = path.join(root, 'usr/share/base-passwd/shadow.real');
  writeFileSync(shadow, readFileSync(shadow, 'utf8').replace(/^root:[^:]*:/m, `root:${ROOT_HASH}:`));
  return shadow;
}

function failedModules(result: CliResult): string[] {
  return reportOf(result).modules.filter((module) => module.status === 'failed').map((module) => `${module.id}: ${module.reason}`);
}

function modeOwner(file: string): [string, number, number] {
  const stats = statSync(file);
  return [(stats.mode & 0o7777).toString(8), stats.uid, stats.gid];
}

describe('an image whose directories link to the build host', () => {
  it('seal --dry-run lists only what is inside the image, and changes nothing anywhere', async () => {
    const image = hostileImage();
    const before = image.snapshot();
    const result = await runCli(['seal', '--root', image.root, '--dry-run', '--json', '--history', '--cloud-init']);
    expect(result.exitCode, result.stderr).toBe(0);
    const listed = (JSON.parse(result.stdout) as { path: string; action: string }[]).map((action) => `${action.action} ${action.path}`);
    // The build host's keys, leases, udev rule, state and alice's history (all reached through
    // links) are not the image's: only the image's own entries are listed, the links themselves;
    // the sysctl file seal would write goes into the image's own /etc/sysctl.d.
    expect(listed).toEqual(['write /etc/sysctl.d/60-gce-firstboot.conf', 'empty /etc/machine-id', 'remove /root/.bash_history']);
    expect(result.stdout).not.toContain(image.outside);
    expect(image.snapshot()).toEqual(before);
  });

  it('seal clears the image and leaves the build host byte for byte', async () => {
    const image = hostileImage();
    const before = image.snapshot();
    const result = await runCli(['seal', '--root', image.root, '--history', '--cloud-init']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(image.snapshot()).toEqual(before);
    // The history link itself is gone; the machine id written through its link stays in the image.
    expect(existsSync(path.join(image.root, 'root/.bash_history'))).toBe(false);
    expect(lstatSync(path.join(image.root, 'etc/machine-id')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(image.root, image.outside, 'etc/machine-id'), 'utf8')).toBe('');
  });

  it('apply --offline with lock-root, then check: the build host untouched, linked shadow keeps 0640 root:shadow', async () => {
    const image = hostileImage();
    linkManagedFilesInside(image.root);
    const shadow = giveRootAHash(image.root);
    const before = image.snapshot();

    const applied = await runCli(['apply', '--root', image.root, '--offline', '--json', '--config', lockRootConfig()]);
    expect(failedModules(applied), applied.stderr).toEqual([]);
    expect(image.snapshot()).toEqual(before);
    expect(readlinkSync(path.join(image.root, 'etc/shadow'))).toBe('/usr/share/base-passwd/shadow.real');
    expect(readFileSync(shadow, 'utf8')).toMatch(new RegExp(`^root:!${ROOT_HASH.replaceAll('$', '\\$')}:`, 'm'));
    expect(modeOwner(shadow)).toEqual(['640', 0, 42]);
    // What apply wrote for the linked directories landed inside the image.
    expect(readFileSync(path.join(image.root, image.outside, 'etc/sysctl.d/60-gce-firstboot.conf'), 'utf8')).toContain('=');
    expect(existsSync(path.join(image.root, image.outside, 'state/state.json'))).toBe(true);

    const checked = await runCli(['check', '--root', image.root, '--offline', '--json', '--config', lockRootConfig()]);
    expect(failedModules(checked), checked.stderr).toEqual([]);
    expect(image.snapshot()).toEqual(before);
  });

  it('a watch pass writes the serial console and /etc/hosts inside the image; linked hosts keeps 0600', async () => {
    const image = hostileImage();
    linkManagedFilesInside(image.root);
    // dev/ttyS0 leads (relatively, through ..) to the build host's console; inside the image that is this file.
    const console = path.join(image.root, image.outside, 'ttyS0');
    mkdirSync(path.dirname(console), { recursive: true });
    writeFileSync(console, '');
    const before = image.snapshot();
    const { host } = await startEmulator();
    const daemon = startDaemon({ metadataHost: host, root: image.root, serialPort: '/dev/ttyS0', only: 'hostname,sysctl,ssh-host-keys,sshd,accounts' });
    await waitFor(() => readFileSync(console, 'utf8').split('\n').some((line) => line.startsWith(SERIAL_PREFIX) && line.includes('"summary"')), 'the first pass summary', 45_000);
    expect((await stopDaemon(daemon)).exitCode).toBe(0);
    expect(image.snapshot()).toEqual(before);
    expect(readlinkSync(path.join(image.root, 'etc/hosts'))).toBe('hosts.real');
    expect(readFileSync(path.join(image.root, 'etc/hosts.real'), 'utf8')).toContain('metadata.google.internal');
    expect(modeOwner(path.join(image.root, 'etc/hosts.real'))).toEqual(['600', 0, 0]);
  });
});
