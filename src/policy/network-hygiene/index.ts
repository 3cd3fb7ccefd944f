import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { sysctlFiles, sysctlSettings } from '../../edit/sysctl-d.js';
import { baseName } from '../../edit/config-dirs.js';

const PERSISTENT_NET = '/etc/udev/rules.d/70-persistent-net.rules';
const GENERATOR_NAME = '75-persistent-net-generator.rules';
const GENERATOR_PATHS = [`/lib/udev/rules.d/${GENERATOR_NAME}`, `/usr/lib/udev/rules.d/${GENERATOR_NAME}`];
/** A file of the same name in /etc/udev/rules.d (usually a link to /dev/null) masks the generator. */
const GENERATOR_MASK = `/etc/udev/rules.d/${GENERATOR_NAME}`;

const IPV6_FILE = '/etc/sysctl.d/61-gce-firstboot-ipv6.conf';
const IPV6_KEYS = ['net.ipv6.conf.all.disable_ipv6', 'net.ipv6.conf.default.disable_ipv6'];
const IPV6_TEXT = [
  '# managed by gce-firstboot: IPv6 off because [network-hygiene] disable_ipv6 = true.',
  '# Set it to false and delete this file to have IPv6 again (Compute Engine offers IPv6 subnets).',
  ...IPV6_KEYS.map((key) => `${key} = 1`),
  '',
].join('\n');

interface Desired {
  disableIpv6: boolean;
}

interface Observed {
  persistentNet: boolean;
  /** The old udev generator that writes 70-persistent-net.rules, when present and not masked. */
  generator: string | undefined;
  ipv6FileText: string | undefined;
  /** Later-sorting sysctl files that set our keys to something else. */
  ipv6Overrides: string[];
  /** Running kernel values (only with --live and disable_ipv6). */
  runtime: Record<string, string | undefined>;
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  let generator: string | undefined;
  if (!(await ctx.host.exists(GENERATOR_MASK))) {
    for (const candidate of GENERATOR_PATHS) if (!generator && (await ctx.host.exists(candidate))) generator = candidate;
  }
  const observed: Observed = {
    persistentNet: await ctx.host.exists(PERSISTENT_NET),
    generator,
    ipv6FileText: await ctx.host.readText(IPV6_FILE),
    ipv6Overrides: [],
    runtime: {},
  };
  if (!want.disableIpv6) return observed;
  for (const file of await sysctlFiles(ctx.host)) {
    if (file === IPV6_FILE || (file !== '/etc/sysctl.conf' && baseName(file) <= baseName(IPV6_FILE))) continue;
    const settings = sysctlSettings((await ctx.host.readText(file)) ?? '');
    if (settings.some(({ key, value }) => IPV6_KEYS.includes(key) && value !== '1')) observed.ipv6Overrides.push(file);
  }
  if (ctx.host.live) for (const key of IPV6_KEYS) observed.runtime[key] = await ctx.host.readSysctl(key);
  return observed;
}

function diff(want: Desired, have: Observed, ctx: ModuleContext): Finding[] {
  const findings: Finding[] = [];
  const finding = (key: string, expected: string, actual: string, extra: Partial<Finding> = {}): void =>
    void findings.push({ module: 'network-hygiene', key, expected, actual, ...extra });
  if (have.persistentNet) finding(PERSISTENT_NET, '(absent): a new instance must not remember the MACs of the image', 'present');
  if (have.generator) {
    finding(have.generator, 'absent or masked', 'present: it writes 70-persistent-net.rules again at the next boot', {
      severity: 'warning',
      fixable: false,
      cause: `mask it with: ln -s /dev/null ${GENERATOR_MASK}`,
    });
  }
  if (!want.disableIpv6) {
    if (have.ipv6FileText !== undefined) {
      finding(IPV6_FILE, 'not ours to keep: disable_ipv6 is false', 'present', { severity: 'info', fixable: false, cause: 'written when disable_ipv6 was true; delete it to have IPv6 after the next boot' });
    }
    return findings;
  }
  const overrides = have.ipv6Overrides.length ? { cause: `${have.ipv6Overrides.join(', ')} applied later sets IPv6 back` } : {};
  if (have.ipv6FileText !== IPV6_TEXT) {
    finding(IPV6_FILE, IPV6_KEYS.map((key) => `${key} = 1`).join('; '), have.ipv6FileText === undefined ? '(absent)' : 'different content', overrides);
  } else if (have.ipv6Overrides.length) {
    finding(IPV6_FILE, 'not overridden', 'overridden', { ...overrides, fixable: false });
  }
  if (ctx.host.live) {
    for (const key of IPV6_KEYS) {
      const value = have.runtime[key];
      if (value === undefined) finding(key, '1', 'this kernel has no IPv6', { severity: 'info', fixable: false });
      else if (value !== '1') finding(key, '1', value);
    }
  }
  return findings;
}

async function apply(ctx: ModuleContext, _want: Desired, findings: Finding[]): Promise<Change[]> {
  const changes: Change[] = [];
  for (const { key } of findings) {
    if (key === PERSISTENT_NET) {
      await ctx.host.remove(PERSISTENT_NET);
      changes.push({ module: 'network-hygiene', key, action: 'removed (backed up)', path: PERSISTENT_NET });
    } else if (key === IPV6_FILE) {
      await ctx.host.writeText(IPV6_FILE, IPV6_TEXT, { mode: 0o644 });
      changes.push({ module: 'network-hygiene', key, action: 'IPv6 disabled from the next boot', path: IPV6_FILE });
    } else if (IPV6_KEYS.includes(key)) {
      await ctx.host.writeSysctl(key, '1');
      changes.push({ module: 'network-hygiene', key, action: 'set to 1 in the running kernel' });
    }
  }
  return changes;
}

export const networkHygieneModule = defineModule<Desired, Observed>({
  id: 'network-hygiene',
  title: 'No remembered MAC addresses; IPv6 off only when asked',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {
    disable_ipv6: {
      type: 'boolean',
      default: false,
      description: 'turn IPv6 off (persisted in sysctl.d, and at runtime with --live); default: IPv6 left alone',
    },
  },
  desired: async (ctx) => ({ disableIpv6: ctx.options.disable_ipv6 === true }),
  observe,
  diff,
  apply,
});
