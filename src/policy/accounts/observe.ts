import type { Host } from '../../host/host.js';
import { encryptMethod, hasKernelSymbols, pamModulesUsed, parsePasswd, rootPasswordField, type PasswdEntry } from './files.js';
import { parseSocketTable, type Listener } from './listening.js';

export const QUALITY_MODULES = ['pam_pwquality.so', 'pam_cracklib.so'] as const;
export const LOCKOUT_MODULES = ['pam_faillock.so', 'pam_tally2.so'] as const;

export interface Observed {
  /** Root's password field; null when /etc/shadow is absent, 'malformed' text when unparseable. */
  rootPassword: { field: string } | { problem: string };
  passwd: { entries: PasswdEntry[]; badLines: number[] } | { problem: string };
  encryptMethod: string | undefined;
  loginDefsPresent: boolean;
  pamFiles: string[];
  quality: string[];
  lockout: string[];
  systemMaps: { path: string; symbols: boolean }[];
  sockets: { listeners: Listener[]; problems: string[] } | { skipped: string };
}

async function observeRoot(host: Host): Promise<Observed['rootPassword']> {
  const shadow = await host.readText('/etc/shadow');
  if (shadow === undefined) return { problem: '/etc/shadow absent' };
  const field = rootPasswordField(shadow);
  return field === undefined ? { problem: '/etc/shadow has no well-formed root line (9 fields)' } : { field };
}

async function observeSockets(host: Host): Promise<Observed['sockets']> {
  if (!host.live) return { skipped: 'not the running system (no --live): listening ports not checked' };
  const listeners: Listener[] = [];
  const problems: string[] = [];
  for (const [file, protocol] of [['tcp', 'tcp'], ['tcp6', 'tcp'], ['udp', 'udp'], ['udp6', 'udp']] as const) {
    const text = await host.readProc(`net/${file}`);
    if (text === undefined) continue;
    const parsed = parseSocketTable(text, protocol);
    listeners.push(...parsed.listeners);
    if (parsed.badLines.length) problems.push(`${host.procDir}/net/${file}: unparseable line(s) ${parsed.badLines.slice(0, 5).join(', ')}`);
  }
  return { listeners, problems };
}

async function observePam(host: Host): Promise<Pick<Observed, 'pamFiles' | 'quality' | 'lockout'>> {
  const names = (await host.readDir('/etc/pam.d')).filter((n) => n.startsWith('common-') || n === 'system-auth' || n === 'password-auth');
  const quality = new Set<string>();
  const lockout = new Set<string>();
  for (const name of names) {
    const text = (await host.readText(`/etc/pam.d/${name}`)) ?? '';
    for (const m of pamModulesUsed(text, QUALITY_MODULES)) quality.add(`${m} in ${name}`);
    for (const m of pamModulesUsed(text, LOCKOUT_MODULES)) lockout.add(`${m} in ${name}`);
  }
  return { pamFiles: names, quality: [...quality], lockout: [...lockout] };
}

async function observeSystemMaps(host: Host): Promise<Observed['systemMaps']> {
  const maps: Observed['systemMaps'] = [];
  for (const name of (await host.readDir('/boot')).filter((n) => n.startsWith('System.map'))) {
    const path = `/boot/${name}`;
    const stats = await host.lstat(path);
    // Anything but a readable regular file is judged as if it held symbols: we cannot tell otherwise.
    const text = stats?.isFile() ? await host.readText(path) : undefined;
    maps.push({ path, symbols: text === undefined || hasKernelSymbols(text) });
  }
  return maps;
}

export async function observeAccounts(host: Host): Promise<Observed> {
  const passwdText = await host.readText('/etc/passwd');
  const loginDefs = await host.readText('/etc/login.defs');
  return {
    rootPassword: await observeRoot(host),
    passwd: passwdText === undefined ? { problem: '/etc/passwd absent' } : parsePasswd(passwdText),
    encryptMethod: loginDefs === undefined ? undefined : encryptMethod(loginDefs),
    loginDefsPresent: loginDefs !== undefined,
    ...(await observePam(host)),
    systemMaps: await observeSystemMaps(host),
    sockets: await observeSockets(host),
  };
}
