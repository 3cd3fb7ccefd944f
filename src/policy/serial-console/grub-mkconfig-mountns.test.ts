import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';
import { ensureTools } from '../../../test/packaging/helpers.js';

const CONSOLE = 'console=ttyS0,38400n8';
const KERNEL = 'vmlinuz-6.1.0-56-cloud-amd64';

/**
 * The running system as the module sees it (--root /), for real, without touching this machine:
 * a private mount namespace (and network namespace, for the run lock's name) where /etc is a
 * Debian 12 fixture plus this machine's /etc/grub.d, /boot a temp dir with a kernel, and /var/lib
 * a tmpfs (our state and the serial log). The real grub-mkconfig (grub-common) regenerates
 * /boot/grub/grub.cfg there. update-grub (grub2-common) is not installed here, so the module
 * falls back to `grub-mkconfig -o /boot/grub/grub.cfg`, which is all Debian's update-grub runs.
 */
function machine(): { etc: string; boot: string; config: string; out: string } {
  const root = sandboxRoot('debian-12');
  const etc = path.join(root, 'etc');
  cpSync('/etc/grub.d', path.join(etc, 'grub.d'), { recursive: true, verbatimSymlinks: true });
  const boot = path.join(root, 'boot');
  writeFileSync(path.join(boot, KERNEL), '');
  mkdirSync(path.join(boot, 'grub'));
  writeFileSync(path.join(boot, 'grub/grub.cfg'), `menuentry 'Debian GNU/Linux' {\n\tlinux\t/boot/${KERNEL} root=/dev/sda1 ro quiet\n}\n`);
  const config = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
  writeFileSync(config, '[core]\nserial_port = /var/lib/serial.log\n');
  return { etc, boot, config, out: tempDir('gfb-out-') };
}

async function applyInNamespace(m: ReturnType<typeof machine>, name: string) {
  const script = `mount --bind "$ETC" /etc && mount --bind "$BOOT" /boot && mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/gce-firstboot && "$@" --json > "$OUT/${name}.json"; echo "apply=$?"; "$@" --json > "$OUT/${name}-again.json"; echo "again=$?"`;
  const result = await runCli(['apply', '--root', '/', '--only', 'serial-console', '--offline', '--config', m.config], {
    prefix: ['unshare', '--mount', '--propagation', 'private', '--net', '--', 'sh', '-c', script, 'sh'],
    env: { ETC: m.etc, BOOT: m.boot, OUT: m.out },
  });
  const read = (file: string) => reportOf({ ...result, stdout: readFileSync(path.join(m.out, file), 'utf8') });
  return { result, first: read(`${name}.json`), again: read(`${name}-again.json`) };
}

describe('serial-console with GRUB installed, on the running system (real grub-mkconfig in a mount namespace)', () => {
  beforeAll(async () => {
    await ensureTools('unshare', 'grub-mkconfig');
  }, 300_000);

  it("Debian 12 with GRUB: the console goes into /etc/default/grub and the regenerated grub.cfg's kernel lines", async () => {
    const m = machine();
    const { result, first, again } = await applyInNamespace(m, 'apply');
    expect(result.stdout, result.stderr).toContain('apply=0');
    const changes = first.modules[0]!.changes as { key: string; action: string }[];
    expect(changes.find((c) => c.key === 'bootloader config')?.action).toBe('regenerated with grub-mkconfig -o /boot/grub/grub.cfg');
    expect(readFileSync(path.join(m.etc, 'default/grub'), 'utf8')).toContain(`GRUB_CMDLINE_LINUX="${CONSOLE}"`);
    const grubCfg = readFileSync(path.join(m.boot, 'grub/grub.cfg'), 'utf8');
    expect(grubCfg).toContain('### BEGIN /etc/grub.d/10_linux ###');
    const kernelLines = grubCfg.split('\n').filter((line) => /^\s*linux\s/.test(line));
    expect(kernelLines.length).toBeGreaterThan(0);
    for (const line of kernelLines) expect(line.split(/\s+/)).toContain(CONSOLE);
    // Nothing left to do: the generated file now has the console everywhere.
    expect(result.stdout).toContain('again=0');
    expect(again.summary.changes).toBe(0);
  });
});
