import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { desiredMtu, VPC_MTU_MAX, VPC_MTU_MIN, type DesiredMtu } from './desired-mtu.js';
import { primaryNic, type Nic } from './primary-nic.js';
import { configuredNicName, persistenceFor, type Persistence } from './stacks.js';
import { interfaceNameProblem } from './interface-name.js';
import { ownedState, putOwned, type OwnedState } from '../../edit/owned-text.js';

interface Observed {
  nicName: string;
  /** Why nicName cannot go into a hook or match rule (then nothing is persisted). */
  nicNameProblem: string | undefined;
  /** Network config we could not read (a bad Name= glob), reported as warnings. */
  notes: string[];
  /** The running NIC (live only). */
  live: Nic | undefined;
  persistence: Persistence | undefined;
  persisted: OwnedState | undefined;
}

async function observe(ctx: ModuleContext, want: DesiredMtu): Promise<Observed> {
  const option = String(ctx.options.interface);
  const live = ctx.host.live ? await primaryNic(ctx.host, option) : undefined;
  const nicName = option || live?.name || (await configuredNicName(ctx.host));
  const nicNameProblem = interfaceNameProblem(nicName);
  const notes: string[] = [];
  const persistence = nicNameProblem ? undefined : await persistenceFor(ctx.host, nicName, want.mtu, notes, live?.name === nicName ? live.mac : undefined);
  return { nicName, nicNameProblem, notes, live, persistence, persisted: persistence && (await ownedState(ctx.host, persistence)) };
}

function diff(want: DesiredMtu, have: Observed, ctx: ModuleContext): Finding[] {
  const findings: Finding[] = [];
  const add = (finding: Omit<Finding, 'module'>): void => void findings.push({ module: 'mtu', ...finding });
  if (have.nicNameProblem) {
    add({ key: 'primary NIC name', expected: 'a Linux interface name', actual: `refused: ${have.nicNameProblem}`, severity: 'warning', fixable: false });
    return findings;
  }
  add({ key: 'source', expected: `${want.mtu} from ${want.source}`, actual: `primary NIC ${have.nicName}${have.live ? ` (${have.live.how})` : ''}`, severity: 'info', fixable: false });
  for (const note of have.notes) add({ key: 'network config', expected: 'readable [Match] sections', actual: note, severity: 'warning', fixable: false });
  if (want.rejected) add({ key: 'metadata mtu', expected: `${VPC_MTU_MIN}-${VPC_MTU_MAX}`, actual: want.rejected, severity: 'warning', fixable: false });

  const expected = `${want.mtu} (${want.source})`;
  if (ctx.host.live) {
    if (!have.live) add({ key: 'primary NIC', expected: String(ctx.options.interface) || 'a default-route or non-loopback interface', actual: '(none)', severity: 'warning', fixable: false });
    else if (have.live.mtu !== want.mtu) add({ key: `link ${have.live.name}`, expected, actual: String(have.live.mtu ?? '(unknown)') });
  }

  const persistence = have.persistence;
  if (!persistence) {
    add({ key: 'persistence', expected: `MTU ${want.mtu} persisted for ${have.nicName}`, actual: 'no supported network stack manages it (ifupdown+dhclient, ifupdown+dhcpcd, systemd-networkd, NetworkManager)', severity: 'warning', fixable: false });
    return findings;
  }
  if (have.persisted === 'broken') {
    add({ key: persistence.path, expected: `${expected} for ${have.nicName} via ${persistence.stack}`, actual: `one gce-firstboot ${persistence.block} marker without the other: file left untouched`, fixable: false });
  } else if (have.persisted !== 'in place') {
    add({ key: persistence.path, expected: `${expected} for ${have.nicName} via ${persistence.stack}`, actual: have.persisted === 'absent' ? '(absent)' : 'edited or outdated content' });
  }
  for (const conflict of persistence.conflicts) {
    add({ key: `${persistence.stack} MTU`, expected, actual: 'overridden', cause: `${conflict}; not edited by gce-firstboot`, fixable: false });
  }
  return findings;
}

async function apply(ctx: ModuleContext, want: DesiredMtu, findings: Finding[]): Promise<Change[]> {
  const have = await observe(ctx, want);
  const changes: Change[] = [];
  if (have.persistence && findings.some((f) => f.key === have.persistence!.path && f.fixable !== false) && (await putOwned(ctx.host, have.persistence))) {
    changes.push({ module: 'mtu', key: have.persistence.path, action: `persisted MTU ${want.mtu} for ${have.nicName} (${have.persistence.stack})`, path: have.persistence.path });
  }
  const link = findings.find((f) => f.key.startsWith('link '));
  if (link && have.live) {
    const result = await ctx.host.run('ip', ['link', 'set', 'dev', have.live.name, 'mtu', String(want.mtu)]);
    if (result.exitCode === 0) changes.push({ module: 'mtu', key: link.key, action: `set MTU ${want.mtu}` });
    else ctx.log.warn(`mtu: ip link set dev ${have.live.name} mtu ${want.mtu}: ${result.stderr.trim()}`);
  }
  return changes;
}

export const mtuModule = defineModule<DesiredMtu, Observed>({
  id: 'mtu',
  title: 'MTU of the primary NIC (VPC MTU from metadata, default 1460)',
  frequency: 'per-boot',
  stage: 'network',
  needsMetadata: true,
  options: {
    mtu: { type: 'integer', default: 1460, min: VPC_MTU_MIN, max: VPC_MTU_MAX, description: 'MTU when metadata gives none (a default VPC is 1460)' },
    interface: {
      type: 'string',
      default: '',
      pattern: /^(?!\.\.?$)([A-Za-z0-9_.-]{1,15})?$/,
      patternHint: 'an interface name (at most 15 characters) or empty for automatic',
      description: 'primary NIC; empty = the default-route interface (live) or the one the network config names',
    },
  },
  desired: desiredMtu,
  observe,
  diff,
  apply,
});
