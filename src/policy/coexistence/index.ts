import path from 'node:path';
import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { readIniSwitch, setIniSwitch } from '../../edit/ini-switch.js';
import {
  CLOUD_INIT_DEFAULTS,
  CLOUD_INIT_DROP_IN,
  CLOUD_INIT_MARKERS,
  CLOUD_INIT_SWITCHES,
  GUEST_AGENT_CONFIG,
  GUEST_AGENT_DEFAULTS,
  GUEST_AGENT_MARKERS,
  GUEST_AGENT_SWITCHES,
  type Overlap,
} from './agents.js';

interface Desired {
  duties: readonly string[];
  takeOver: boolean;
}

interface ObservedSwitch extends Overlap {
  current: string;
}

async function anyExists(ctx: ModuleContext, paths: readonly string[]): Promise<boolean> {
  for (const candidate of paths) if (await ctx.host.exists(candidate)) return true;
  return false;
}

/** cloud-init's top-level `key: value`, the last file in cloud.cfg then cloud.cfg.d/*.cfg order winning. */
async function cloudInitValue(ctx: ModuleContext, key: string): Promise<string | undefined> {
  const files = ['/etc/cloud/cloud.cfg', ...(await ctx.host.readDir('/etc/cloud/cloud.cfg.d')).filter((name) => name.endsWith('.cfg')).map((name) => path.posix.join('/etc/cloud/cloud.cfg.d', name))];
  let value: string | undefined;
  for (const file of files) {
    const match = new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec((await ctx.host.readText(file)) ?? '');
    if (match) value = match[1]!.toLowerCase();
  }
  return value;
}

async function observe(ctx: ModuleContext, want: Desired): Promise<ObservedSwitch[]> {
  const found: ObservedSwitch[] = [];
  if (await anyExists(ctx, GUEST_AGENT_MARKERS)) {
    const text = (await ctx.host.readText(GUEST_AGENT_CONFIG)) ?? '';
    for (const overlap of GUEST_AGENT_SWITCHES) {
      const [, section, key] = /^\[(.+)\] (.+)$/.exec(overlap.switchName)!;
      const current = readIniSwitch(text, section!, key!)?.toLowerCase() ?? GUEST_AGENT_DEFAULTS[overlap.switchName]!;
      found.push({ ...overlap, agent: 'google-guest-agent', current });
    }
  }
  if (await anyExists(ctx, CLOUD_INIT_MARKERS)) {
    for (const overlap of CLOUD_INIT_SWITCHES) {
      const current = (await cloudInitValue(ctx, overlap.switchName)) ?? CLOUD_INIT_DEFAULTS[overlap.switchName]!;
      found.push({ ...overlap, agent: 'cloud-init', current });
    }
  }
  return found.filter((overlap) => want.duties.includes(overlap.duty));
}

function diff(want: Desired, observed: ObservedSwitch[]): Finding[] {
  return observed
    .filter((overlap) => overlap.current !== overlap.offValue)
    .map((overlap) => ({
      module: 'coexistence',
      key: `${overlap.duty}: ${overlap.agent}`,
      expected: `only gce-firstboot does ${overlap.duty} (${overlap.switchName} = ${overlap.offValue} in ${overlap.file})`,
      actual: `${overlap.agent} does it too (${overlap.switchName} = ${overlap.current})`,
      ...(want.takeOver ? {} : { severity: 'warning' as const, cause: 'set [coexistence] take_over = true to let apply switch it off' }),
    }));
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const observed = await observe(ctx, want);
  const changes: Change[] = [];
  for (const overlap of observed.filter((item) => findings.some((f) => f.key === `${item.duty}: ${item.agent}`))) {
    if (overlap.agent === 'google-guest-agent') {
      const [, section, key] = /^\[(.+)\] (.+)$/.exec(overlap.switchName)!;
      const text = (await ctx.host.readText(GUEST_AGENT_CONFIG)) ?? '';
      await ctx.host.writeText(GUEST_AGENT_CONFIG, setIniSwitch(text, section!, key!, overlap.offValue));
    } else {
      const text = (await ctx.host.readText(CLOUD_INIT_DROP_IN)) ?? '# Written by gce-firstboot: it does these duties itself.\n';
      const line = `${overlap.switchName}: ${overlap.offValue}`;
      const kept = text.split('\n').filter((l) => l !== '' && !l.startsWith(`${overlap.switchName}:`));
      const extra = overlap.switchName === 'ssh_deletekeys' ? ['ssh_genkeytypes: []'] : [];
      const lines = [...kept.filter((l) => !extra.includes(l)), line, ...extra];
      await ctx.host.writeText(CLOUD_INIT_DROP_IN, `${lines.join('\n')}\n`);
    }
    changes.push({ module: 'coexistence', key: `${overlap.duty}: ${overlap.agent}`, action: `set ${overlap.switchName} = ${overlap.offValue}`, path: overlap.file });
  }
  return changes;
}

export const coexistenceModule = defineModule<Desired, ObservedSwitch[]>({
  id: 'coexistence',
  title: 'No duty done twice by another agent',
  frequency: 'always',
  stage: 'early',
  needsMetadata: false,
  options: {
    take_over: {
      type: 'boolean',
      default: false,
      description: "let apply switch off google-guest-agent's and cloud-init's host-key and hostname duties",
    },
    duties: { type: 'list', default: ['host-keys', 'hostname'], values: ['host-keys', 'hostname'], description: 'the duties gce-firstboot claims' },
  },
  desired: async (ctx) => ({ duties: ctx.options.duties as readonly string[], takeOver: Boolean(ctx.options.take_over) }),
  observe,
  diff,
  apply,
});
