import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { FIXTURE_ROOTS, tempDir } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { CLI } from '../helpers/cli.js';

/**
 * Runs apply on a root prepared inside a private mount namespace (so the tmpfs or read-only
 * bind mount exists only there), then prints the exit code and the files a test compares.
 */
async function applyInNamespace(prepare: string, metadataHost: string): Promise<{ exitCode: string; hostname: string; hosts: string; stderr: string }> {
  const root = tempDir('gfb-disk-');
  const script = `
set -e
R="$1"; FIXTURE="$2"; CLI="$3"; HOST="$4"
${prepare}
set +e
"${process.execPath}" "$CLI" apply --root "$R" --metadata-host "$HOST" 2>"$R.stderr" >/dev/null
echo "exit=$?"
echo "hostname=$(cat "$R/etc/hostname")"
echo "hosts=$(md5sum < "$R/etc/hosts" | cut -c1-32)"
cat "$R.stderr" >&2
`;
  const result = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, path.join(FIXTURE_ROOTS, 'debian-12'), CLI, metadataHost], { reject: false });
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(String(result.stdout))?.[1] ?? `(no ${name}: ${result.stderr})`;
  return { exitCode: field('exit'), hostname: field('hostname'), hosts: field('hosts'), stderr: String(result.stderr) };
}

const fixtureHostsMd5 = async () => (await execa('sh', ['-c', `md5sum < "${path.join(FIXTURE_ROOTS, 'debian-12/etc/hosts')}" | cut -c1-32`])).stdout.trim();

describe('disk trouble', () => {
  it('a full disk (tiny tmpfs): a clear error, non-zero exit, originals intact', async () => {
    const { host } = await startEmulator();
    const outcome = await applyInNamespace(
      `mount -t tmpfs -o size=512k tmpfs "$R"
cp -a "$FIXTURE/." "$R/"
dd if=/dev/zero of="$R/filler" bs=4k 2>/dev/null || true`,
      host,
    );
    expect(outcome.exitCode).not.toBe('0');
    expect(outcome.stderr).toMatch(/ENOSPC|no space left/i);
    expect(outcome.hostname).toBe('debian');
    expect(outcome.hosts).toBe(await fixtureHostsMd5());
  });

  it('a read-only root: a clear error, non-zero exit, originals intact', async () => {
    const { host } = await startEmulator();
    const outcome = await applyInNamespace(
      `cp -a "$FIXTURE/." "$R/"
mount --bind "$R" "$R"
mount -o remount,bind,ro "$R"`,
      host,
    );
    expect(outcome.exitCode).not.toBe('0');
    expect(outcome.stderr).toMatch(/EROFS|read-only/i);
    expect(outcome.hostname).toBe('debian');
    expect(outcome.hosts).toBe(await fixtureHostsMd5());
  });
});
