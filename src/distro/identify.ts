import type { Host } from '../host/host.js';
import { parseOsRelease, type OsRelease } from './os-release.js';

/** os-release(5): /etc/os-release wins; /usr/lib/os-release only when it does not exist. */
export const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'] as const;

export type OsReleaseRead =
  | { state: 'found'; file: string; os: OsRelease }
  /** Neither file exists (a dangling link counts as missing, as it does for systemd). */
  | { state: 'missing' }
  /** A file is there but cannot be read (a link loop, a directory, a FIFO): the distribution is not guessed. */
  | { state: 'unreadable'; file: string; reason: string };

/** Reads the root's os-release through the confined Host: a link out of the root stays inside it. */
export async function readOsRelease(host: Host): Promise<OsReleaseRead> {
  for (const file of OS_RELEASE_FILES) {
    let text: string | undefined;
    try {
      text = await host.readText(file);
    } catch (error) {
      return { state: 'unreadable', file, reason: (error as Error).message };
    }
    if (text !== undefined) return { state: 'found', file, os: parseOsRelease(text) };
  }
  return { state: 'missing' };
}

/** Whether the root holds an installed system: systemd takes an os-release file as the mark of an OS tree. */
export async function isInstalledSystem(host: Host): Promise<boolean> {
  for (const file of OS_RELEASE_FILES) {
    if ((await host.readText(file).catch(() => undefined)) !== undefined) return true;
  }
  return false;
}
