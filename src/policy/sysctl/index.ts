import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { bootOrder, parseAssignments } from './conf-files.js';
import { FLOOR_KEYS, PUBLISHED_SYSCTLS } from './published.js';
import { checkSetting, normalizeValue } from './syntax.js';
import { expectedText, overriddenBy, OWN_FILE, persistedValue, renderOwnFile, satisfies, type Observed, type Rule } from './plan.js';

interface Desired {
  rules: Rule[];
}

const PUBLISHED_KEYS = PUBLISHED_SYSCTLS.map(([key]) => key);

/** Published values, minus skip_keys, with config overrides (an override is exact, never a floor). */
async function desired(ctx: ModuleContext): Promise<Desired> {
  const skipped = new Set(ctx.options.skip_keys as readonly string[]);
  const overrides = new Map(Object.entries(ctx.extraOptions).map(([key, value]) => [key, normalizeValue(value)]));
  const rules: Rule[] = [];
  for (const [key, value] of PUBLISHED_SYSCTLS) {
    if (skipped.has(key)) continue;
    const override = overrides.get(key);
    rules.push(override === undefined ? { key, value, floor: FLOOR_KEYS.has(key), source: 'published' } : { key, value: override, floor: false, source: 'config' });
  }
  for (const [key, value] of overrides) {
    if (!PUBLISHED_KEYS.includes(key) && !skipped.has(key)) rules.push({ key, value, floor: false, source: 'config' });
  }
  return { rules: forwardingFirst(rules) };
}

const FORWARDING = /(^net\.ipv4\.ip_forward|\.forwarding)$/;

/**
 * Forwarding switches go first, at runtime and in our file: when one changes, the kernel resets
 * accept_redirects (and IPv6's router settings) of every interface to match, which would undo
 * what was written before it.
 */
function forwardingFirst(rules: Rule[]): Rule[] {
  return [...rules.filter((rule) => FORWARDING.test(rule.key)), ...rules.filter((rule) => !FORWARDING.test(rule.key))];
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  const runtime = new Map<string, string | undefined>();
  if (ctx.host.live) {
    for (const rule of want.rules) {
      const value = await ctx.host.readSysctl(rule.key);
      runtime.set(rule.key, value === undefined ? undefined : normalizeValue(value));
    }
  }
  const ownText = await ctx.host.readText(OWN_FILE);
  const ownValues = new Map((ownText === undefined ? [] : parseAssignments(ownText, OWN_FILE)).map((a) => [a.key, a.value]));
  const others = (await bootOrder(ctx.host)).filter((file) => file.path !== OWN_FILE);
  return { live: ctx.host.live, runtime, ownText, ownValues, others };
}

/** The lines our file should hold, given what we observed. */
function plannedLines(want: Desired, have: Observed): [string, string][] {
  return want.rules.flatMap((rule): [string, string][] => {
    const value = persistedValue(rule, have);
    return value === undefined ? [] : [[rule.key, value]];
  });
}

function diff(want: Desired, have: Observed): Finding[] {
  const findings: Finding[] = [];
  const add = (finding: Omit<Finding, 'module'>): void => void findings.push({ module: 'sysctl', ...finding });
  const planned = new Map(plannedLines(want, have));

  for (const rule of want.rules) {
    const value = planned.get(rule.key);
    const fileKey = `${OWN_FILE} ${rule.key}`;
    if (value === undefined) {
      // Live, the value is unknown only when the kernel lacks the key: the 'unsupported' finding says so.
      if (!have.live) add({ key: fileKey, expected: expectedText(rule), actual: "left to the kernel's default until a --live run reads it (it may be stricter)", severity: 'info', fixable: false });
    } else if (have.ownValues.get(rule.key) !== value) {
      add({ key: fileKey, expected: value, actual: have.ownValues.get(rule.key) ?? '(absent)' });
    }

    const override = overriddenBy(rule, have);
    if (override) {
      // An author's or admin's later file wins, at boot and at runtime: reported, never fought.
      add({
        key: `${rule.key} at boot`,
        expected: expectedText(rule),
        actual: override.value,
        severity: 'warning',
        cause: `override: ${override.where} sets ${rule.key} = ${override.value} and is read after ${OWN_FILE}; left alone, at runtime too`,
        fixable: false,
      });
      continue;
    }
    if (!have.live) continue;
    const current = have.runtime.get(rule.key);
    if (current === undefined) {
      add({ key: rule.key, expected: expectedText(rule), actual: '(not in this kernel)', severity: 'unsupported', fixable: false });
    } else if (!satisfies(rule, current)) {
      add({ key: rule.key, expected: expectedText(rule), actual: current });
    }
  }
  const content = renderOwnFile([...planned]);
  if (have.ownText !== content && !findings.some((f) => f.key.startsWith(`${OWN_FILE} `) && f.severity !== 'info')) {
    add({ key: OWN_FILE, expected: 'the file as gce-firstboot writes it', actual: have.ownText === undefined ? '(absent)' : 'edited or outdated content' });
  }
  return findings;
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const have = await observe(ctx, want);
  const lines = plannedLines(want, have);
  const changes: Change[] = [];
  if (findings.some((f) => f.key === OWN_FILE || f.key.startsWith(`${OWN_FILE} `))) {
    await ctx.host.writeText(OWN_FILE, renderOwnFile(lines), { mode: 0o644 });
    changes.push({ module: 'sysctl', key: OWN_FILE, action: `wrote ${lines.length} settings`, path: OWN_FILE });
  }
  const planned = new Map(lines);
  let forwardingWritten = false;
  for (const rule of want.rules) {
    const value = planned.get(rule.key) ?? rule.value;
    const drifted = findings.some((f) => f.key === rule.key);
    // A forwarding switch just written may have reset this key since it was observed.
    const current = forwardingWritten && !drifted && ctx.host.live ? await ctx.host.readSysctl(rule.key).catch(() => undefined) : undefined;
    const reset = current !== undefined && current !== value && !overriddenBy(rule, have);
    if (!drifted && !reset) continue;
    try {
      await ctx.host.writeSysctl(rule.key, value);
      if (FORWARDING.test(rule.key)) forwardingWritten = true;
      changes.push({ module: 'sysctl', key: rule.key, action: `set to ${value} at runtime` });
    } catch (error) {
      ctx.log.warn(`sysctl: cannot set ${rule.key} = ${value}: ${(error as Error).message}`);
    }
  }
  return changes;
}

export const sysctlModule = defineModule<Desired, Observed>({
  id: 'sysctl',
  title: 'Kernel security settings (sysctl)',
  frequency: 'always',
  stage: 'early',
  needsMetadata: false,
  options: {
    skip_keys: {
      type: 'list',
      default: [],
      values: PUBLISHED_KEYS,
      description: 'published keys gce-firstboot leaves alone (neither written nor checked)',
    },
  },
  extraKeys: {
    description: 'any other "key = value" sets that sysctl exactly (overriding the published value, and any floor)',
    validate: checkSetting,
  },
  desired,
  observe,
  diff,
  apply,
});
