// make-host-keys on a machine whose firmware gives no SMBIOS UUID (no /sys/class/dmi: some
// hypervisors, arm64 boards): the keys are made, kept for this machine, and the journal gets the
// helper's one line, not a shell error about the missing file.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTools } from '../packaging/helpers.js';
import { REPO, tempDir } from '../helpers/sandbox.js';

beforeAll(() => ensureTools('ssh-keygen'), 300_000);

describe('a machine without DMI', () => {
  it('make-host-keys makes every key (0600, .pub 0644, even under an admin umask 077) and prints nothing but its own line', () => {
    const root = tempDir('gfb-nodmi-');
    mkdirSync(path.join(root, 'etc/ssh'), { recursive: true });
    const run = spawnSync('sh', ['-c', 'umask 077; exec sh "$0"', path.join(REPO, 'packaging/make-host-keys')], {
      env: { ...process.env, GCE_FIRSTBOOT_ROOT: root, GCE_FIRSTBOOT_SYS_DIR: path.join(root, 'no-sys'), GCE_FIRSTBOOT_PROC_DIR: path.join(root, 'no-proc') },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('make-host-keys: made ssh_host_rsa_key ssh_host_ecdsa_key ssh_host_ed25519_key');
    expect(readdirSync(path.join(root, 'etc/ssh')).filter((name) => name.startsWith('ssh_host_')).sort()).toHaveLength(6);
    for (const type of ['rsa', 'ecdsa', 'ed25519']) {
      const key = path.join(root, `etc/ssh/ssh_host_${type}_key`);
      execFileSync('ssh-keygen', ['-l', '-f', key]);
      expect([statSync(key).mode & 0o777, statSync(`${key}.pub`).mode & 0o777]).toEqual([0o600, 0o644]);
    }
    expect(readFileSync(path.join(root, 'var/lib/gce-firstboot/host-keys.made'), 'utf8')).toContain('made-for=keep\n');
  });
});
