import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { setIniSwitch } from '../../edit/ini-switch.js';
import {
  CLOUD_INIT_DROP_IN,
  CLOUD_INIT_SWITCHES,
  GUEST_AGENT_CONFIG,
  GUEST_AGENT_SWITCHES,
  cloudInitInstalled,
  cloudInitValue,
  guestAgentInstalled,
  guestAgentValue,
  hostKeyOwner,
  type KeyOwner,
  type Overlap,
} from '../other-agents.js';

const ID = 'coexistence';
const DUTIES = ['host-keys', 'hostname'] as const;

interface Desired {
  duties: readonly string[];
  takeOver: readonly string[];
}

interface ObservedSwitch extends Overlap {
  current: string;
}

interface Observed {
  switches: ObservedSwitch[];
  keyOwner: { owner: KeyOwner; why: string };
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  const found: ObservedSwitch[] = [];
  if (await guestAgentInstalled(ctx.host)) {
    for (const overlap of GUEST_AGENT_SWITCHES) found.push({ ...overlap, agent: 'google-guest-agent', current: await guestAgentValue(ctx.host, overlap.switchName) });
  }
  if (await cloudInitInstalled(ctx.host)) {
    for (const overlap of CLOUD_INIT_SWITCHES) found.push({ ...overlap, agent: 'cloud-init', current: await cloudInitValue(ctx.host, overlap.switchName) });
  }
  return { switches: found.filter((overlap) => want.duties.includes(overlap.duty)), keyOwner: await hostKeyOwner(ctx.host) };
}

/**
 * cloud-init makes host keys in cloud-init.service, which runs before sysinit.target and so before
 * our early stage on every boot: a switch we set would only act from the next instance on, after
 * cloud-init had made this instance's keys. We leave that duty to it (see README).
 */
function cloudInitKeys(have: Observed): Finding {
  return {
    module: ID,
    key: 'host-keys: cloud-init',
    expected: 'one agent makes the host keys',
    actual: `cloud-init makes them (${have.keyOwner.why}) before gce-firstboot's early stage; gce-firstboot keeps them, makes missing types before sshd and publishes hostkeys/*`,
    severity: 'info',
    fixable: false,
    cause: 'to have gce-firstboot make them, put ssh_deletekeys: false and ssh_genkeytypes: [] in the image\'s /etc/cloud/cloud.cfg.d before its first boot',
  };
}

function diff(want: Desired, have: Observed): Finding[] {
  const findings: Finding[] = [];
  for (const overlap of have.switches) {
    if (overlap.agent === 'cloud-init' && overlap.duty === 'host-keys') {
      if (have.keyOwner.owner === 'cloud-init') findings.push(cloudInitKeys(have));
      continue;
    }
    if (overlap.current === overlap.offValue) continue;
    findings.push({
      module: ID,
      key: `${overlap.duty}: ${overlap.agent}`,
      expected: `only gce-firstboot does ${overlap.duty} (${overlap.switchName} = ${overlap.offValue} in ${overlap.file})`,
      actual: `${overlap.agent} does it too (${overlap.switchName} = ${overlap.current})`,
      ...(want.takeOver.includes(overlap.duty) ? {} : { severity: 'warning' as const, cause: `add ${overlap.duty} to [coexistence] take_over to let apply switch it off` }),
    });
  }
  findings.push({ module: ID, key: 'host keys made by', expected: 'one agent', actual: `${have.keyOwner.owner} (${have.keyOwner.why})`, severity: 'info', fixable: false });
  return findings;
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const { switches } = await observe(ctx, want);
  const changes: Change[] = [];
  for (const overlap of switches.filter((item) => findings.some((f) => f.key === `${item.duty}: ${item.agent}`))) {
    if (overlap.agent === 'google-guest-agent') {
      const [, section, key] = /^\[(.+)\] (.+)$/.exec(overlap.switchName)!;
      const text = (await ctx.host.readText(GUEST_AGENT_CONFIG)) ?? '';
      await ctx.host.writeText(GUEST_AGENT_CONFIG, setIniSwitch(text, section!, key!, overlap.offValue));
    } else {
      const text = (await ctx.host.readText(CLOUD_INIT_DROP_IN)) ?? '# Written by gce-firstboot: it does these duties itself.\n';
      const line = `${overlap.switchName}: ${overlap.offValue}`;
      const kept = text.split('\n').filter((l) => l !== '' && !l.startsWith(`${overlap.switchName}:`));
      await ctx.host.writeText(CLOUD_INIT_DROP_IN, `${[...kept, line].join('\n')}\n`);
    }
    changes.push({ module: ID, key: `${overlap.duty}: ${overlap.agent}`, action: `set ${overlap.switchName} = ${overlap.offValue}`, path: overlap.file });
  }
  return changes;
}

export const coexistenceModule = defineModule<Desired, Observed>({
  id: ID,
  title: 'No duty done twice by another agent',
  frequency: 'always',
  stage: 'early',
  needsMetadata: false,
  options: {
    take_over: {
      type: 'list',
      default: ['host-keys'],
      values: DUTIES,
      description: "duties apply switches off in google-guest-agent's (and for hostname cloud-init's) own configuration, in the early stage",
    },
    duties: { type: 'list', default: [...DUTIES], values: DUTIES, description: 'the duties gce-firstboot claims' },
  },
  desired: async (ctx) => ({ duties: ctx.options.duties as readonly string[], takeOver: ctx.options.take_over as readonly string[] }),
  observe,
  diff,
  apply,
});
