import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { lockRoot, rootPasswordField } from './files.js';
import { isAllowed } from './listening.js';
import { LOCKOUT_MODULES, QUALITY_MODULES, observeAccounts, type Observed } from './observe.js';

const MODULE = 'accounts';
const ENFORCEABLE = ['lock-root', 'remove-system-map'] as const;
/** Accounts whose shell is their job (they exist to run that one command at login). */
const SPECIAL_SHELLS = new Set(['sync', 'shutdown', 'halt']);
const NO_LOGIN_SHELLS = new Set(['/usr/sbin/nologin', '/sbin/nologin', '/bin/false', '/usr/bin/false']);
/** Stronger than SHA512 and the Debian 12 PAM default. */
const STRONGER_THAN_SHA512 = new Set(['YESCRYPT']);

interface Desired {
  enforce: readonly string[];
  requirePam: boolean;
}

type Draft = Omit<Finding, 'module'>;

function rootFindings(have: Observed, enforce: readonly string[]): Draft[] {
  const expected = 'locked (password field starts with ! or * in /etc/shadow)';
  if ('problem' in have.rootPassword) return [{ key: 'root password', expected, actual: have.rootPassword.problem, fixable: false }];
  const field = have.rootPassword.field;
  if (field.startsWith('!') || field.startsWith('*')) return [];
  return [{ key: 'root password', expected, actual: field === '' ? 'empty (no password!)' : 'a usable password hash', fixable: enforce.includes('lock-root') }];
}

function shellFindings(have: Observed): Draft[] {
  if ('problem' in have.passwd) return [{ key: '/etc/passwd', expected: 'system accounts with nologin shells', actual: have.passwd.problem }];
  const findings: Draft[] = have.passwd.badLines.map((line) => ({ key: `/etc/passwd line ${line}`, expected: 'name:x:uid:gid:gecos:home:shell', actual: 'malformed; left unjudged' }));
  for (const entry of have.passwd.entries) {
    if (entry.uid === 0 || entry.uid >= 1000 || SPECIAL_SHELLS.has(entry.name) || NO_LOGIN_SHELLS.has(entry.shell)) continue;
    findings.push({ key: `shell of ${entry.name} (uid ${entry.uid})`, expected: '/usr/sbin/nologin or /bin/false', actual: entry.shell || '(empty: /bin/sh)' });
  }
  return findings;
}

function passwordPolicyFindings(have: Observed, requirePam: boolean): Draft[] {
  const findings: Draft[] = [];
  const method = have.encryptMethod?.toUpperCase();
  if (method !== 'SHA512' && !(method && STRONGER_THAN_SHA512.has(method))) {
    findings.push({ key: 'ENCRYPT_METHOD', expected: 'SHA512 (or stronger: YESCRYPT)', actual: have.loginDefsPresent ? (have.encryptMethod ?? 'not set in /etc/login.defs (DES)') : '/etc/login.defs absent' });
  } else if (method !== 'SHA512') {
    findings.push({ key: 'ENCRYPT_METHOD', expected: 'SHA512', actual: `${have.encryptMethod}: stronger than SHA512, compliant`, severity: 'info' });
  }
  const where = have.pamFiles.length ? have.pamFiles.join(', ') : 'no /etc/pam.d/common-* or system-auth';
  // Seed 004's best practice, which stock Debian and RHEL images do not follow: a drift only when asked.
  const pam = requirePam ? {} : { severity: 'warning' as const, cause: 'recommended (seed 004); require_pam = true makes it drift' };
  if (!have.quality.length) findings.push({ key: 'PAM password quality', expected: QUALITY_MODULES.join(' or '), actual: `absent from ${where}`, ...pam });
  if (!have.lockout.length) findings.push({ key: 'PAM lockout', expected: LOCKOUT_MODULES.join(' or '), actual: `absent from ${where}`, ...pam });
  return findings;
}

function socketFindings(have: Observed): Draft[] {
  if ('skipped' in have.sockets) return [{ key: 'listening ports', expected: 'sshd 22, DHCP 68, NTP 123, loopback', actual: have.sockets.skipped, severity: 'info' }];
  const findings: Draft[] = have.sockets.problems.map((problem) => ({ key: 'listening ports', expected: 'readable socket tables', actual: problem, severity: 'warning' }));
  const seen = new Set<string>();
  for (const listener of have.sockets.listeners.filter((l) => !isAllowed(l))) {
    const key = `listening ${listener.protocol} ${listener.address}:${listener.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ key, expected: 'only sshd (tcp 22), DHCP (udp 68), NTP (udp 123) or loopback-only services', actual: 'listening' });
  }
  return findings;
}

function diff(want: Desired, have: Observed): Finding[] {
  const maps: Draft[] = have.systemMaps.map(({ path, symbols }) =>
    symbols
      ? { key: path, expected: 'absent (kernel symbol addresses)', actual: 'present', fixable: want.enforce.includes('remove-system-map') }
      : { key: path, expected: 'absent (kernel symbol addresses)', actual: 'a stub without symbols (as Debian ships it): harmless', severity: 'info' },
  );
  return [...rootFindings(have, want.enforce), ...shellFindings(have), ...passwordPolicyFindings(have, want.requirePam), ...maps, ...socketFindings(have)].map((draft) => ({
    module: MODULE,
    fixable: false,
    ...draft,
  }));
}

/** Runs only for findings `enforce` made fixable (the pass hands apply only those). */
async function apply(ctx: ModuleContext, _want: Desired, findings: Finding[]): Promise<Change[]> {
  const changes: Change[] = [];
  for (const finding of findings) {
    if (finding.key === 'root password') {
      const shadow = await ctx.host.readText('/etc/shadow');
      const field = shadow === undefined ? undefined : rootPasswordField(shadow);
      if (shadow === undefined || field === undefined || field.startsWith('!') || field.startsWith('*')) continue;
      await ctx.host.writeText('/etc/shadow', lockRoot(shadow));
      changes.push({ module: MODULE, key: finding.key, action: "locked ('!' prefixed to the password field)", path: '/etc/shadow' });
    } else if (finding.key.startsWith('/boot/System.map')) {
      if (await ctx.host.remove(finding.key)) changes.push({ module: MODULE, key: finding.key, action: 'removed', path: finding.key });
    }
  }
  return changes;
}

export const accountsModule = defineModule<Desired, Observed>({
  id: MODULE,
  title: 'Accounts, password policy and exposed services',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {
    enforce: {
      type: 'list',
      default: [],
      values: ENFORCEABLE,
      description: 'checks apply may fix: lock-root (prefix ! to root\'s password in /etc/shadow), remove-system-map (delete /boot/System.map*)',
    },
    require_pam: {
      type: 'boolean',
      default: false,
      description: 'count missing password-quality and lockout PAM modules as drift (default: warning)',
    },
  },
  desired: async (ctx) => ({ enforce: ctx.options.enforce as readonly string[], requirePam: ctx.options.require_pam === true }),
  observe: (ctx) => observeAccounts(ctx.host),
  diff,
  apply,
});
