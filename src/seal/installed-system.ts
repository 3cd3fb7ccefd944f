import type { Host } from '../host/host.js';

/** Every systemd-era distribution ships one of these; systemd takes it as the mark of an OS tree. */
const OS_RELEASE = ['/etc/os-release', '/usr/lib/os-release'];

/** Whether the root holds an installed system (an os-release file, resolved inside the root). */
export async function isInstalledSystem(host: Host): Promise<boolean> {
  for (const file of OS_RELEASE) {
    if ((await host.readText(file).catch(() => undefined)) !== undefined) return true;
  }
  return false;
}
