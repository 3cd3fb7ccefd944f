import { firstEntries, type GuestFiles } from './guest-files.js';
import type { RuleResult } from './rule.js';

export const SERIAL_CONSOLE = 'console=ttyS0,38400n8';

import { BLS_ENTRIES as BLS_DIR, GRUB_CFGS as ROOT_GRUB_CFGS, GRUBENV } from '../distro/grub.js';

/** A file system to look in and how a report names its files. */
export interface ConfigSource {
  files: GuestFiles;
  at: (guestPath: string) => string;
}

interface KernelLine {
  file: string;
  line: string;
}

const kernelLinesOfGrub = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => /^linux(efi|16)?\s/.test(line));

/** grub.cfg files in /EFI/<vendor>/ (the ESP itself) or /boot/efi/EFI/<vendor>/ (the ESP's mount point in the root). */
async function vendorGrubCfgs(files: GuestFiles, efiDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const vendor of firstEntries(await files.list(efiDir))) {
    const entries = (await files.list(`${efiDir}/${vendor.name}`)) ?? [];
    const cfg = entries.find((entry) => entry.name.toLowerCase() === 'grub.cfg');
    if (cfg) found.push(`${efiDir}/${vendor.name}/${cfg.name}`);
  }
  return found;
}

/** BLS entries: their `options` lines, with GRUB's $kernelopts taken from grubenv as grub does. */
async function blsLines(source: ConfigSource, dir: string, read: string[]): Promise<KernelLine[]> {
  const lines: KernelLine[] = [];
  const entries = firstEntries(((await source.files.list(dir)) ?? []).filter((entry) => entry.name.endsWith('.conf')));
  let kernelopts: string | undefined;
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    read.push(source.at(path));
    const text = (await source.files.readText(path)) ?? '';
    let options = text.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('options ')).map((line) => line.slice('options '.length)).join(' ');
    if (options.includes('$kernelopts')) {
      kernelopts ??= /^kernelopts=(.*)$/m.exec((await source.files.readText(GRUBENV)) ?? '')?.[1] ?? '';
      options = options.replace(/\$kernelopts/g, kernelopts);
    }
    lines.push({ file: source.at(path), line: `options ${options}`.trim() });
  }
  return lines;
}

/** Every kernel command line the boot loader can use, from each place it may keep them. */
async function kernelLines(root: ConfigSource, esp: ConfigSource | undefined): Promise<{ read: string[]; lines: KernelLine[] }> {
  const read: string[] = [];
  const lines: KernelLine[] = [];
  const grubFiles: [ConfigSource, string][] = [
    ...ROOT_GRUB_CFGS.map((path) => [root, path] as [ConfigSource, string]),
    ...(await vendorGrubCfgs(root.files, '/boot/efi/EFI')).map((path) => [root, path] as [ConfigSource, string]),
    ...(esp ? (await vendorGrubCfgs(esp.files, '/EFI')).map((path) => [esp, path] as [ConfigSource, string]) : []),
  ];
  for (const [source, path] of grubFiles) {
    const text = await source.files.readText(path);
    if (text === undefined) continue;
    read.push(source.at(path));
    lines.push(...kernelLinesOfGrub(text).map((line) => ({ file: source.at(path), line })));
  }
  lines.push(...(await blsLines(root, BLS_DIR, read)));
  if (esp) lines.push(...(await blsLines(esp, '/loader/entries', read)));
  return { read, lines };
}

/** console=ttyS0,38400n8 on every kernel line of GRUB (BIOS and EFI configurations) and of BLS entries. */
export async function serialConsoleRule(root: ConfigSource, esp: ConfigSource | undefined): Promise<RuleResult> {
  const { read, lines } = await kernelLines(root, esp);
  if (read.length === 0) {
    return { id: 'serial-console', status: 'warn', message: `no boot loader configuration (${ROOT_GRUB_CFGS.join(', ')}, EFI/*/grub.cfg, ${BLS_DIR}/*.conf): the kernel line was not checked`, file: root.at('/boot') };
  }
  if (lines.length === 0) return { id: 'serial-console', status: 'fail', message: `no kernel line in ${read.join(', ')}`, file: read[0]! };
  const without = lines.filter(({ line }) => !line.split(/\s+/).includes(SERIAL_CONSOLE));
  return without.length
    ? { id: 'serial-console', status: 'fail', message: `${without.length} of ${lines.length} kernel line(s) lack ${SERIAL_CONSOLE}: ${without[0]!.line} (${without[0]!.file})`, file: without[0]!.file }
    : { id: 'serial-console', status: 'pass', message: `${SERIAL_CONSOLE} on ${lines.length} kernel line(s); read ${read.join(', ')}`, file: read[0]! };
}
