import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { markedLines, replaceMarkedLines } from '../../edit/marked-lines.js';
import { parseHostName, type HostName } from './validate.js';
import { shown } from '../../text/shown.js';
import { hostnameSetters, type HostnameSetter } from './dhcp-stacks.js';
import { putOwned } from '../../edit/owned-text.js';

const METADATA_HOSTS_LINE = '169.254.169.254 metadata.google.internal';
const FALLBACK_IP = '127.0.1.1';
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

type Desired = { name: HostName; hostsLines: string[] } | { refused: string; raw: string };

interface Observed {
  etcHostname: string | undefined;
  hostsLines: string[];
  live: string | undefined;
  dhcpSetters: HostnameSetter[];
}

async function desired(ctx: ModuleContext): Promise<Desired> {
  const raw = (await ctx.metadata.hostname()) ?? '';
  let name: HostName;
  try {
    name = parseHostName(raw);
  } catch (error) {
    return { refused: `metadata hostname "${shown(raw)}" refused: ${(error as Error).message}`, raw };
  }
  const primaryIp = (await ctx.metadata.networkInterfaces())[0]?.ip;
  const ip = primaryIp && IPV4.test(primaryIp) ? primaryIp : FALLBACK_IP;
  const hostsLines = [METADATA_HOSTS_LINE, name.fqdn === name.short ? `${ip} ${name.short}` : `${ip} ${name.fqdn} ${name.short}`];
  return { name, hostsLines };
}

async function observe(ctx: ModuleContext): Promise<Observed> {
  return {
    etcHostname: (await ctx.host.readText('/etc/hostname'))?.trim(),
    hostsLines: markedLines((await ctx.host.readText('/etc/hosts')) ?? ''),
    live: ctx.host.live ? await ctx.host.readSysctl('kernel.hostname') : undefined,
    dhcpSetters: await hostnameSetters(ctx),
  };
}

function diff(want: Desired, have: Observed, ctx: ModuleContext): Finding[] {
  const finding = (key: string, expected: string, actual: string | undefined, extra: Partial<Finding> = {}): Finding => ({
    module: 'hostname',
    key,
    expected,
    actual: actual ?? '(absent)',
    ...extra,
  });
  if ('refused' in want) return [finding('metadata', 'a valid RFC 1123 host name', want.raw, { fixable: false, cause: want.refused })];
  const findings: Finding[] = [];
  const active = have.dhcpSetters.filter((setter) => !setter.switchedOff);
  const cause = active.length ? active.map((setter) => `${setter.stack}: ${setter.evidence}`).join('; ') : undefined;
  const withCause = cause ? { cause } : {};
  if (have.etcHostname !== want.name.short) findings.push(finding('/etc/hostname', want.name.short, have.etcHostname, withCause));
  if (have.hostsLines.join('\n') !== want.hostsLines.join('\n')) {
    findings.push(finding('/etc/hosts', want.hostsLines.join('; '), have.hostsLines.join('; ') || undefined));
  }
  if (ctx.host.live && have.live !== want.name.short) findings.push(finding('kernel hostname', want.name.short, have.live, withCause));
  for (const setter of active) {
    findings.push(finding(`dhcp: ${setter.id}`, 'DHCP leaves the host name alone', setter.evidence, setter.broken ? { fixable: false } : {}));
  }
  return findings;
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  if ('refused' in want) return [];
  const changes: Change[] = [];
  const change = (key: string, action: string, path?: string): void => void changes.push({ module: 'hostname', key, action, path });
  for (const finding of findings) {
    if (finding.key === '/etc/hostname') {
      await ctx.host.writeText('/etc/hostname', `${want.name.short}\n`);
      change(finding.key, `set to ${want.name.short}`, '/etc/hostname');
    } else if (finding.key === '/etc/hosts') {
      const current = (await ctx.host.readText('/etc/hosts')) ?? '';
      await ctx.host.writeText('/etc/hosts', replaceMarkedLines(current, want.hostsLines));
      change(finding.key, `wrote ${want.hostsLines.length} managed lines`, '/etc/hosts');
    } else if (finding.key.startsWith('dhcp: ')) {
      const setter = (await hostnameSetters(ctx)).find((candidate) => `dhcp: ${candidate.id}` === finding.key && !candidate.switchedOff);
      if (setter && (await putOwned(ctx.host, setter.dropIn))) {
        change(finding.key, 'switched off through its own drop-in', setter.dropIn.path);
      }
    } else if (finding.key === 'kernel hostname') {
      await ctx.host.writeSysctl('kernel.hostname', want.name.short);
      change(finding.key, `set to ${want.name.short}`);
    }
  }
  return changes;
}

export const hostnameModule = defineModule<Desired, Observed>({
  id: 'hostname',
  title: 'Host name from the metadata server',
  frequency: 'per-boot',
  stage: 'network',
  needsMetadata: true,
  options: {},
  desired,
  observe,
  diff,
  apply,
});
