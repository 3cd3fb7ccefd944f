import type { Host } from '../../host/host.js';

/** The first existing path of several, if any. */
export async function firstExisting(host: Host, paths: readonly string[]): Promise<string | undefined> {
  for (const candidate of paths) if (await host.exists(candidate)) return candidate;
  return undefined;
}

/**
 * Restarts a unit so it reads its new configuration, only on the running system (root /) and only
 * if it was running (try-restart). Returns what happened, for the change record.
 */
export async function restartUnit(host: Host, unit: string): Promise<{ restarted: boolean; note: string }> {
  if (host.root !== '/') return { restarted: false, note: `${unit} not restarted: --root is not the running system` };
  if (!(await host.hasCommand('systemctl'))) return { restarted: false, note: `${unit} not restarted: no systemctl` };
  const result = await host.run('systemctl', ['try-restart', unit], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) return { restarted: false, note: `systemctl try-restart ${unit} failed: ${result.stderr.trim().split('\n')[0]}` };
  return { restarted: true, note: `${unit} restarted (if it was running)` };
}
