import { keepsTimezoneFile } from '../../distro/distro.js';
import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';

interface Desired {
  zone: string;
  linkTarget: string;
  /** Debian-family systems also name the zone in /etc/timezone. */
  writeTimezoneFile: boolean;
}

interface Observed {
  link: string | undefined;
  localtimeIsFile: boolean;
  timezoneFile: string | undefined;
  zoneInstalled: boolean;
}

async function desired(ctx: ModuleContext): Promise<Desired> {
  const zone = String(ctx.options.zone);
  return { zone, linkTarget: `/usr/share/zoneinfo/${zone}`, writeTimezoneFile: await keepsTimezoneFile(ctx.host) };
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  const stats = await ctx.host.lstat('/etc/localtime');
  return {
    link: await ctx.host.readLink('/etc/localtime'),
    localtimeIsFile: stats?.isFile() ?? false,
    timezoneFile: (await ctx.host.readText('/etc/timezone'))?.trim(),
    zoneInstalled: await ctx.host.exists(want.linkTarget),
  };
}

/** Debian writes "Etc/UTC" to /etc/timezone for UTC; either spelling is the same zone. */
function sameZone(a: string | undefined, b: string): boolean {
  const norm = (zone: string): string => zone.replace(/^Etc\//, '');
  return a !== undefined && norm(a) === norm(b);
}

function diff(want: Desired, have: Observed): Finding[] {
  const findings: Finding[] = [];
  const linkedZone = have.link?.replace(/^.*zoneinfo\//, '');
  if (!sameZone(linkedZone, want.zone) || !have.link?.includes('zoneinfo/')) {
    findings.push({
      module: 'timezone',
      key: '/etc/localtime',
      expected: `-> ${want.linkTarget}`,
      actual: have.link ? `-> ${have.link}` : have.localtimeIsFile ? 'a copied zone file' : '(absent)',
    });
  }
  if (want.writeTimezoneFile && !sameZone(have.timezoneFile, want.zone)) {
    findings.push({ module: 'timezone', key: '/etc/timezone', expected: want.zone === 'UTC' ? 'Etc/UTC' : want.zone, actual: have.timezoneFile ?? '(absent)' });
  }
  if (!have.zoneInstalled) {
    findings.push({
      module: 'timezone',
      key: 'tzdata',
      expected: `${want.linkTarget} installed`,
      actual: 'missing (glibc falls back to UTC)',
      severity: 'warning',
      fixable: false,
    });
  }
  return findings;
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const changes: Change[] = [];
  for (const finding of findings) {
    if (finding.key === '/etc/localtime') {
      await ctx.host.symlink(want.linkTarget, '/etc/localtime');
      changes.push({ module: 'timezone', key: finding.key, action: `linked to ${want.linkTarget}`, path: '/etc/localtime' });
    } else if (finding.key === '/etc/timezone') {
      await ctx.host.writeText('/etc/timezone', `${finding.expected}\n`);
      changes.push({ module: 'timezone', key: finding.key, action: `set to ${finding.expected}`, path: '/etc/timezone' });
    }
  }
  return changes;
}

export const timezoneModule = defineModule<Desired, Observed>({
  id: 'timezone',
  title: 'Time zone UTC',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {
    zone: {
      type: 'string',
      default: 'UTC',
      description: 'time zone (the requirements ask for UTC)',
      pattern: /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/,
      patternHint: 'a zoneinfo name such as UTC',
    },
  },
  desired,
  observe,
  diff,
  apply,
});
