import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { appendLines, disableLines, DISABLED_PREFIX } from '../../edit/disabled-lines.js';
import { isSource, isWantedSource, readLineConfig, wordsOf, WANTED_SOURCE, type LineConfig, type LineFlavour } from './line-config.js';
import { readTimesyncd, timesyncdCompliant, TIMESYNCD_DROPIN, TIMESYNCD_DROPIN_TEXT, type TimesyncdConfig } from './timesyncd.js';
import { firstExisting, restartUnit } from './daemons.js';
import { DAEMON_BINARIES, lineDaemons, TIMESYNCD, unitName } from '../../distro/time-services.js';

const ADDED_COMMENT = '# added by gce-firstboot: the metadata server is the only time source';

interface Desired {
  source: string;
}

interface Observed {
  configs: LineConfig[];
  timesyncd: TimesyncdConfig | undefined;
  /** Daemon binaries present without any configuration file we know. */
  orphans: string[];
}

async function observe(ctx: ModuleContext): Promise<Observed> {
  const configs: LineConfig[] = [];
  for (const daemon of await lineDaemons(ctx.host)) {
    const main = await firstExisting(ctx.host, daemon.configs);
    if (main) configs.push(await readLineConfig(ctx.host, daemon.flavour, main));
  }
  const timesyncd = (await firstExisting(ctx.host, TIMESYNCD.markers)) ? await readTimesyncd(ctx.host) : undefined;
  const orphans: string[] = [];
  if (configs.length === 0) for (const binary of DAEMON_BINARIES) if (await ctx.host.exists(binary)) orphans.push(binary);
  return { configs, timesyncd, orphans };
}

function describeSources(config: LineConfig): string {
  const all = [...config.wanted, ...config.unwanted].filter((source) => source.file === config.main).sort((a, b) => a.number - b.number);
  return all.map((source) => source.line.trim()).join('; ') || '(no time source)';
}

function diff(want: Desired, have: Observed): Finding[] {
  const findings: Finding[] = [];
  const only = `only "${want.source}"`;
  for (const config of have.configs) {
    if (config.problems.length > 0) {
      findings.push({ module: 'ntp', key: config.main, expected: only, actual: `not understood, left alone: ${config.problems.join('; ')}`, fixable: false });
    } else if (config.unwanted.length > 0 || config.wanted.length === 0) {
      findings.push({ module: 'ntp', key: config.main, expected: only, actual: describeSources(config) });
    }
    for (const source of config.problems.length > 0 ? [] : config.authored) {
      findings.push({
        module: 'ntp',
        key: `${source.file}:${source.number}`,
        expected: only,
        actual: source.line.trim(),
        severity: 'warning',
        cause: `override: a time source added in ${source.file}:${source.number}, not in ${config.main}; left alone (an author's or admin's choice)`,
        fixable: false,
      });
    }
  }
  const timesyncd = have.timesyncd;
  if (timesyncd && timesyncd.problems.length > 0) {
    findings.push({ module: 'ntp', key: TIMESYNCD_DROPIN, expected: 'NTP=metadata.google.internal, FallbackNTP=', actual: `not understood, left alone: ${timesyncd.problems.join('; ')}`, fixable: false });
  } else if (timesyncd && !timesyncdCompliant(timesyncd)) {
    const ourFileInPlace = timesyncd.dropinText === TIMESYNCD_DROPIN_TEXT;
    findings.push({
      module: 'ntp',
      key: TIMESYNCD_DROPIN,
      expected: 'NTP=metadata.google.internal, FallbackNTP=',
      actual: `NTP=${timesyncd.servers.join(' ')}, FallbackNTP=${timesyncd.fallback?.join(' ') ?? '(compiled-in default pool)'}`,
      ...(timesyncd.overriddenBy.length ? { cause: `${ourFileInPlace ? 'override: ' : ''}${timesyncd.overriddenBy.join(', ')} sorts after our drop-in and adds servers${ourFileInPlace ? '; left alone' : ''}` } : {}),
      // Our drop-in is in place and a later one adds servers: the author's or admin's choice.
      ...(ourFileInPlace ? { fixable: false, ...(timesyncd.overriddenBy.length ? { severity: 'warning' as const } : {}) } : {}),
    });
  }
  for (const binary of have.orphans) {
    findings.push({ module: 'ntp', key: binary, expected: `a configuration with ${only}`, actual: 'installed, but no configuration file found', fixable: false });
  }
  if (have.configs.length === 0 && !timesyncd && have.orphans.length === 0) {
    findings.push({ module: 'ntp', key: 'time service', expected: 'chrony, ntpsec, ntp or systemd-timesyncd', actual: 'none installed', severity: 'warning', fixable: false });
  }
  return findings;
}

/** Comments out every other source in the daemon's files and adds ours to the main file when missing. */
async function fixLineConfig(ctx: ModuleContext, flavour: LineFlavour, main: string): Promise<Change[]> {
  const config = await readLineConfig(ctx.host, flavour, main);
  if (config.problems.length > 0) return [];
  const changes: Change[] = [];
  // Only the main file: sources in included files are the author's or admin's (an override).
  for (const [file, text] of [...config.texts].filter(([name]) => name === main)) {
    const edited = disableLines(text, (line) => {
      const words = wordsOf(flavour, line);
      return isSource(flavour, words) && !isWantedSource(words);
    });
    const addOurs = file === main && config.wanted.length === 0;
    if (edited.disabled.length === 0 && !addOurs) continue;
    await ctx.host.writeText(file, addOurs ? appendLines(edited.text, [ADDED_COMMENT, WANTED_SOURCE]) : edited.text);
    const actions = [
      ...(edited.disabled.length ? [`commented out ${edited.disabled.map((line) => JSON.stringify(line.trim())).join(', ')} (prefix "${DISABLED_PREFIX.trim()}")`] : []),
      ...(addOurs ? [`added "${WANTED_SOURCE}"`] : []),
    ];
    changes.push({ module: 'ntp', key: file, action: actions.join('; '), path: file });
  }
  return changes;
}

async function restartAfter(ctx: ModuleContext, changes: Change[], units: readonly string[]): Promise<Change[]> {
  if (changes.length === 0) return changes;
  const unit = await unitName(ctx.host, units);
  const outcome = await restartUnit(ctx.host, unit);
  if (outcome.restarted) return [...changes, { module: 'ntp', key: unit, action: outcome.note }];
  const last = changes[changes.length - 1]!;
  return [...changes.slice(0, -1), { ...last, action: `${last.action}; ${outcome.note}` }];
}

async function apply(ctx: ModuleContext, _want: Desired, findings: Finding[]): Promise<Change[]> {
  const keys = new Set(findings.map((finding) => finding.key));
  const changes: Change[] = [];
  for (const daemon of await lineDaemons(ctx.host)) {
    const main = await firstExisting(ctx.host, daemon.configs);
    if (main && keys.has(main)) changes.push(...(await restartAfter(ctx, await fixLineConfig(ctx, daemon.flavour, main), daemon.units)));
  }
  if (keys.has(TIMESYNCD_DROPIN)) {
    await ctx.host.writeText(TIMESYNCD_DROPIN, TIMESYNCD_DROPIN_TEXT, { mode: 0o644 });
    const written: Change = { module: 'ntp', key: TIMESYNCD_DROPIN, action: 'wrote NTP=metadata.google.internal and an empty FallbackNTP=', path: TIMESYNCD_DROPIN };
    changes.push(...(await restartAfter(ctx, [written], TIMESYNCD.units)));
  }
  return changes;
}

export const ntpModule = defineModule<Desired, Observed>({
  id: 'ntp',
  title: 'The metadata server as the only time source',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {},
  desired: async () => ({ source: WANTED_SOURCE }),
  observe,
  diff,
  apply,
});
