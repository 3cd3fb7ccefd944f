import path from 'node:path';
import { findManagedBlock, placeManagedBlockAtTop } from '../../edit/managed-block.js';
import type { Host } from '../../host/host.js';
import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { includesDropIns, walkConfig } from './config-walk.js';
import { WEAK_CIPHERS_TEXT, checkedCipherList, isWeakCipher } from './ciphers.js';
import { profileOf } from '../../distro/distro.js';
import { cryptoPolicyFindings, readCryptoPolicy, type CryptoPolicy } from './crypto-policy.js';
import { effectiveClientCiphers } from './effective-ciphers.js';
import { CLIENT_SETTINGS, clientTarget, serverTarget, type Target } from './targets.js';
import { validateConfig } from './validate.js';

const ID = 'sshd';

interface Desired {
  targets: Target[];
  dropInName: string;
  /** The root's system-wide crypto policy (RHEL family): our drop-ins set no crypto keyword there. */
  cryptoPolicy?: CryptoPolicy;
  /** client_ciphers not written because the crypto policy decides ciphers. */
  ciphersLeftToPolicy: string[];
}

interface TargetView {
  target: Target;
  /** Whether the main file exists at all (no openssh-server/-client installed when not). */
  installed: boolean;
  mode: 'drop-in' | 'block';
  /** The drop-in file, or the main file holding our block. */
  ownPath: string;
  /** What we own there now (undefined when absent). */
  current?: string;
  wanted: string;
  blockBroken: boolean;
  /** The main and drop-in contents once ours is in place (nothing written yet). */
  candidate: Map<string, string>;
  /** Earlier lines that win over ours (sshd/ssh use the first value they read). */
  conflicts: { keyword: string; wanted: string; value: string; where: string }[];
}

interface Observed {
  views: TargetView[];
  /** The running system's effective client ciphers (`ssh -G`); undefined for another root. */
  effectiveCiphers?: string[];
}

const HEADER = [
  '# Written by gce-firstboot from Compute Engine\'s image requirements; changes here are put back.',
  '# sshd/ssh use the FIRST value they read: a line before the Include or a file sorting earlier wins.',
];

async function desired(ctx: ModuleContext): Promise<Desired> {
  const targets: Target[] = [];
  if (ctx.options.server) targets.push(serverTarget());
  const cryptoPolicy = await readCryptoPolicy(ctx.host);
  let ciphersLeftToPolicy: string[] = [];
  if (ctx.options.client) {
    const ciphers = await checkedCipherList(ctx.host, ctx.options.client_ciphers as readonly string[]);
    if (cryptoPolicy) ciphersLeftToPolicy = ciphers;
    targets.push(clientTarget(ciphers.length && !cryptoPolicy ? [...CLIENT_SETTINGS, ['Ciphers', ciphers.join(',')]] : CLIENT_SETTINGS));
  }
  return { targets, dropInName: String(ctx.options.drop_in), ...(cryptoPolicy ? { cryptoPolicy } : {}), ciphersLeftToPolicy };
}

function settingLines(target: Target): string[] {
  return target.settings.map(([keyword, value]) => `${keyword} ${value}`);
}

async function viewTarget(host: Host, target: Target, dropInName: string): Promise<TargetView> {
  const mainText = await host.readText(target.main);
  const base = { target, installed: mainText !== undefined, blockBroken: false, candidate: new Map<string, string>(), conflicts: [] };
  if (mainText === undefined) return { ...base, mode: 'block', ownPath: target.main, wanted: '' };
  const walk = { baseDir: '/etc/ssh', opensSection: target.opensSection };
  let ownPath: string;
  let result: TargetView;
  if (includesDropIns(mainText, target.dropInDir, walk)) {
    ownPath = `${target.dropInDir}/${dropInName}`;
    const wanted = [...HEADER, ...settingLines(target)].join('\n') + '\n';
    result = { ...base, mode: 'drop-in', ownPath, current: await host.readText(ownPath), wanted };
    result.candidate.set(ownPath, wanted);
  } else {
    ownPath = target.main;
    const block = findManagedBlock(mainText);
    const wanted = settingLines(target).join('\n');
    result = { ...base, mode: 'block', ownPath, current: block.lines?.join('\n'), wanted, blockBroken: block.broken };
    if (!block.broken) result.candidate.set(ownPath, placeManagedBlockAtTop(mainText, settingLines(target)));
  }
  const ours = (file: string, line: number): boolean => file === ownPath && (result.mode === 'drop-in' || line <= target.settings.length + 1);
  const directives = await walkConfig(host, target.main, { ...walk, overrides: result.candidate });
  for (const [keyword, value] of target.settings) {
    const first = directives.find((d) => d.keyword === keyword.toLowerCase());
    if (first && !ours(first.file, first.line) && first.value.toLowerCase() !== value.toLowerCase()) {
      result.conflicts.push({ keyword, wanted: value, value: first.value, where: `${first.file}:${first.line}` });
    }
  }
  return result;
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  const views = await Promise.all(want.targets.map((target) => viewTarget(ctx.host, target, want.dropInName)));
  const client = want.targets.find((target) => target.side === 'client');
  const effectiveCiphers = client && (await effectiveClientCiphers(ctx.host, client));
  return { views, ...(effectiveCiphers ? { effectiveCiphers } : {}) };
}

function diff(want: Desired, have: Observed): Finding[] {
  const findings: Finding[] = [];
  for (const v of have.views) {
    const file = path.posix.basename(v.target.main);
    if (!v.installed) {
      findings.push({ module: ID, key: v.target.main, expected: 'present', actual: `absent (OpenSSH ${v.target.side} not installed)`, severity: 'unsupported', fixable: false });
      continue;
    }
    if (v.blockBroken) {
      findings.push({ module: ID, key: `${v.ownPath} managed block`, expected: 'BEGIN and END markers', actual: 'one marker without the other: file left untouched', fixable: false });
    } else if (v.current !== v.wanted) {
      findings.push({
        module: ID,
        key: v.mode === 'drop-in' ? v.ownPath : `${v.ownPath} managed block`,
        expected: v.target.settings.map(([k, value]) => `${k} ${value}`).join(', '),
        actual: v.current === undefined ? '(absent)' : 'differs',
      });
    }
    for (const conflict of v.conflicts) {
      // The image's author or admin decided otherwise, in a file that sorts first: theirs stands.
      findings.push({
        module: ID,
        key: `${file} ${conflict.keyword}`,
        expected: conflict.wanted,
        actual: conflict.value,
        severity: 'info',
        cause: conflict.where.startsWith(`${v.target.main}:`)
          ? `override: ${conflict.where} sets it before the Include of our drop-in (the first value read wins); left alone`
          : `override: ${conflict.where} sets it first (the first value read wins); left alone`,
        fixable: false,
      });
    }
  }
  if (want.cryptoPolicy) findings.push(...cryptoPolicyFindings(ID, want.cryptoPolicy, want.targets.map((target) => target.side)));
  if (want.ciphersLeftToPolicy.length) {
    findings.push({
      module: ID,
      key: 'ssh_config Ciphers',
      expected: want.ciphersLeftToPolicy.join(','),
      actual: `not written: the system-wide crypto policy ${want.cryptoPolicy?.name ?? ''} decides ciphers`,
      severity: 'info',
      fixable: false,
    });
  }
  const weak = have.effectiveCiphers?.filter(isWeakCipher) ?? [];
  if (weak.length) {
    findings.push({
      module: ID,
      key: 'ssh -G ciphers',
      expected: WEAK_CIPHERS_TEXT,
      actual: weak.join(','),
      cause: 'the effective client cipher list (ssh -G) offers them: a Ciphers line in /etc/ssh/ssh_config or its drop-ins, or the crypto policy',
      fixable: false,
    });
  }
  return findings;
}

/** Reloads the running sshd so it reads the new settings; only on the live machine and only when it runs. */
async function reloadSshd(ctx: ModuleContext): Promise<string | undefined> {
  if (!ctx.host.live || ctx.host.root !== '/') return undefined;
  const units = (await profileOf(ctx.host)).ssh.units;
  // One call for every name: one line per unit, in order.
  const states = (await ctx.host.run('systemctl', ['is-active', ...units])).stdout.split('\n');
  const unit = units.find((_, i) => states[i]?.trim() === 'active');
  if (unit === undefined) return undefined;
  const reload = await ctx.host.run('systemctl', ['reload', unit]);
  if (reload.exitCode !== 0) throw new Error(`systemctl reload ${unit} failed: ${reload.stderr.trim()}`);
  return unit;
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const changes: Change[] = [];
  const keys = new Set(findings.map((finding) => finding.key));
  for (const v of (await observe(ctx, want)).views) {
    const key = v.mode === 'drop-in' ? v.ownPath : `${v.ownPath} managed block`;
    if (!keys.has(key) || v.blockBroken || !v.installed) continue;
    const { complaint, execNotRun } = await validateConfig(ctx.host, v.target, v.candidate);
    for (const where of execNotRun) ctx.log.info(`sshd: validated ${v.target.main} without running the Match exec at ${where}`);
    if (complaint) {
      const checker = v.target.side === 'server' ? 'sshd -t' : 'ssh -G';
      throw new Error(`${checker} rejects the ${v.target.side} configuration with our settings (${complaint}); ${v.ownPath} left unchanged`);
    }
    if (v.mode === 'drop-in') await ctx.host.mkdirp(v.target.dropInDir);
    await ctx.host.writeText(v.ownPath, v.candidate.get(v.ownPath)!, v.mode === 'drop-in' ? { mode: 0o644 } : {});
    const notReloaded = v.target.side === 'server' && ctx.host.root !== '/' ? `; ${(await profileOf(ctx.host)).ssh.units.join(' or ')} not reloaded: --root is not the running system` : '';
    changes.push({ module: ID, key, action: `${v.mode === 'drop-in' ? 'wrote drop-in' : 'placed managed block at the top'}${notReloaded}`, path: v.ownPath });
    if (v.target.side === 'server') {
      const reloaded = await reloadSshd(ctx);
      if (reloaded) changes.push({ module: ID, key: reloaded, action: 'reloaded' });
    }
  }
  return changes;
}

export const sshdModule = defineModule<Desired, Observed>({
  id: ID,
  title: 'sshd and ssh client settings',
  frequency: 'always',
  stage: 'early',
  needsMetadata: false,
  options: {
    server: { type: 'boolean', default: true, description: 'enforce the sshd_config settings' },
    client: { type: 'boolean', default: true, description: 'enforce the ssh_config client defaults' },
    drop_in: {
      type: 'string',
      default: '10-gce-firstboot.conf',
      description: 'drop-in file name in sshd_config.d/ and ssh_config.d/ (first value wins: sort it before the files it must beat)',
      pattern: /^[A-Za-z0-9_][A-Za-z0-9._-]*\.conf$/,
      patternHint: 'a file name ending in .conf',
    },
    client_ciphers: {
      type: 'list',
      default: [],
      description: "client Ciphers; empty (default) = no Ciphers line (OpenSSH's and the crypto policy's choice); a list must be supported and hold no CBC, 3DES, RC4 or arcfour",
    },
  },
  desired,
  observe,
  diff,
  apply,
});
