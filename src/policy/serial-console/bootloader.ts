import type { Host } from '../../host/host.js';
import type { Change } from '../types.js';
import { BLS_ENTRIES, blsCommand, EFI_DIR, grubCfgPaths, grubHint, grubRegenerators } from '../../distro/grub.js';

export interface BootloaderState {
  /** The generated file whose kernel entries we looked at (grub.cfg or the BLS entries directory). */
  config: string | undefined;
  /** Whether some kernel entry lacks the argument. */
  missing: boolean;
  /** What would regenerate it on the running system, when present. */
  command: { program: string; args: string[] } | undefined;
  hint: string;
}

function lacks(lines: string[], token: string): boolean {
  return lines.some((line) => !line.split(/\s+/).includes(token));
}

/** The distribution's own way to regenerate what `config` is (see grubRegenerators; grubby for BLS entries), when installed. */
async function regenerateCommand(host: Host, config: string | undefined, token: string): Promise<BootloaderState['command']> {
  if (config === BLS_ENTRIES) return (await installed(host, 'grubby')) ? blsCommand(token) : undefined;
  for (const candidate of await grubRegenerators(host, config)) if (await installed(host, candidate.program)) return candidate;
  return undefined;
}

/** On the running system: on PATH. For another root (an image): in that root's sbin/bin, for the hint. */
async function installed(host: Host, program: string): Promise<boolean> {
  if (host.root === '/') return host.hasCommand(program);
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (await host.exists(`${dir}/${program}`)) return true;
  return false;
}

const kernelLinesOf = (text: string | undefined): string[] => (text ?? '').split('\n').filter((line) => /^\s*linux(16|efi)?\s/.test(line));

/**
 * The grub.cfg with the kernel entries: /boot/grub, /boot/grub2, else one on the EFI system
 * partition (/boot/efi/EFI/<vendor>/grub.cfg: RHEL 8-style UEFI images keep the real one there;
 * RHEL 9's is a stub that loads /boot/grub2/grub.cfg, and its entries are BLS).
 */
async function findGrubCfg(host: Host): Promise<string | undefined> {
  for (const candidate of await grubCfgPaths(host)) if (await host.exists(candidate)) return candidate;
  for (const vendor of await host.readDir(EFI_DIR)) {
    const candidate = `${EFI_DIR}/${vendor}/grub.cfg`;
    if (kernelLinesOf(await host.readText(candidate).catch(() => undefined)).length > 0) return candidate;
  }
  return undefined;
}

/** Whether the generated bootloader config already passes `token` to every kernel entry. */
export async function bootloaderState(host: Host, token: string): Promise<BootloaderState> {
  let config = await findGrubCfg(host);
  const kernelLines = kernelLinesOf(config && (await host.readText(config)));
  const blsFiles = (await host.readDir(BLS_ENTRIES)).filter((name) => name.endsWith('.conf'));
  let missing = lacks(kernelLines, token);
  if (kernelLines.length === 0 && blsFiles.length > 0) {
    config = BLS_ENTRIES;
    const options: string[] = [];
    for (const name of blsFiles) options.push(...((await host.readText(`${BLS_ENTRIES}/${name}`)) ?? '').split('\n').filter((line) => /^options\s/.test(line)));
    missing = lacks(options, token);
  }
  const command = await regenerateCommand(host, config, token);
  const hint = command ? [command.program, ...command.args].join(' ') : await grubHint(host, config, token);
  return { config, missing, command, hint };
}

/** Regenerates the bootloader config on the running system; elsewhere says what to run. */
export async function regenerateBootloader(host: Host, state: BootloaderState): Promise<Change> {
  const change = (action: string): Change => ({ module: 'serial-console', key: 'bootloader config', action });
  if (host.root !== '/') return change(`not regenerated (--root is not the running system): run ${state.hint} in the image`);
  if (!state.command) return change(`not regenerated: no update-grub, grub2-mkconfig or grubby here; run the bootloader's own tool`);
  const result = await host.run(state.command.program, state.command.args, { timeoutMs: 120_000 });
  const line = [state.command.program, ...state.command.args].join(' ');
  return change(result.exitCode === 0 ? `regenerated with ${line}` : `${line} failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n').pop()}`);
}
