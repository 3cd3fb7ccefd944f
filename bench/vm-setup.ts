// What `npm run bench:vm` needs before a boot, and what makes a boot unusable as a result.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The VM test's tools (test/vm/boot.test.ts): socat relays 169.254.169.254 to the emulator. */
export const VM_TOOLS = ['qemu-system-x86_64', 'mmdebstrap', 'sfdisk', 'mke2fs', 'debugfs', 'grub-mkimage', 'socat'];

/** Installs the missing tools as `npm test` does (test/setup/ensure-tools.sh); throws when it cannot. */
export function ensureVmTools(repo: string): void {
  execFileSync('bash', [join(repo, 'test/setup/ensure-tools.sh'), ...VM_TOOLS], { stdio: ['ignore', 'inherit', 'inherit'] });
  // grub-mkimage can come from grub-common alone; the BIOS modules are in grub-pc-bin.
  if (!existsSync('/usr/lib/grub/i386-pc/boot.img')) {
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', '--no-install-recommends', 'grub-pc-bin'],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

/**
 * Why the guest could not reach the metadata server, from the harness's `VMTEST metadata` line
 * (a curl of instance/id at the end of the boot), or undefined when it answered with the id.
 * Without it every way's hostname is "never": a broken bench, not a result.
 */
export function metadataProblem(sections: Record<string, string[]>, instanceId: string): string | undefined {
  const lines = sections.metadata;
  if (!lines) return 'the boot printed no VMTEST metadata line (report unit missing or the boot did not finish)';
  const answer = lines.join(' ').trim();
  return answer === instanceId ? undefined : `the guest could not read instance/id from the metadata server: ${answer || '(empty answer)'}`;
}
