import { parse } from 'ini';
import { ConfigError, defaultsOf, parseOption, type OptionValue, type OptionValues } from './schema.js';
import { CORE_OPTIONS } from './core-options.js';
import type { PolicyModule } from '../policy/types.js';

export interface ModuleConfig {
  enabled: boolean;
  options: Record<string, OptionValue>;
  extraOptions: Record<string, string>;
}

export interface AgentConfig {
  file: string;
  core: OptionValues<typeof CORE_OPTIONS>;
  modules: Record<string, ModuleConfig>;
}

function fail(file: string, where: string, reason: string): never {
  throw new ConfigError(`${file}: ${where}: ${reason}`);
}

/** Parses the INI config against the core and module schemas. Any unknown or bad key is an error. */
export function parseConfig(text: string | undefined, file: string, modules: readonly PolicyModule[]): AgentConfig {
  let raw: Record<string, unknown> = {};
  if (text !== undefined) {
    if (text.includes('\0')) fail(file, 'file', 'contains NUL bytes; not a text config');
    try {
      raw = parse(text) as Record<string, unknown>;
    } catch (error) {
      fail(file, 'file', `cannot parse: ${(error as Error).message}`);
    }
  }
  const byId = new Map(modules.map((module) => [module.id, module]));
  const core = defaultsOf(CORE_OPTIONS);
  const moduleConfigs: Record<string, ModuleConfig> = Object.fromEntries(
    modules.map((module) => [module.id, { enabled: true, options: defaultsOf(module.options), extraOptions: {} }]),
  );
  for (const [section, body] of Object.entries(raw)) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      fail(file, `key "${section}"`, 'every key must be inside a [section] ([core] or a module id)');
    }
    const entries = flatten(body as Record<string, unknown>);
    if (section === 'core') {
      for (const [key, value] of entries) {
        const spec = (CORE_OPTIONS as Record<string, (typeof CORE_OPTIONS)[keyof typeof CORE_OPTIONS]>)[key];
        if (!spec) fail(file, `[core] ${key}`, `unknown key; known: ${Object.keys(CORE_OPTIONS).join(', ')}`);
        core[key] = parseOrFail(file, `[core] ${key}`, () => parseOption(spec, value));
      }
      continue;
    }
    const module = byId.get(section);
    if (!module) fail(file, `[${section}]`, `unknown section; known: core, ${[...byId.keys()].join(', ')}`);
    const target = moduleConfigs[section]!;
    for (const [key, value] of entries) {
      const where = `[${section}] ${key}`;
      if (key === 'enabled') {
        target.enabled = parseOrFail(file, where, () => parseOption({ type: 'boolean', default: true, description: '' }, value)) as boolean;
        continue;
      }
      const spec = module.options[key];
      if (spec) {
        target.options[key] = parseOrFail(file, where, () => parseOption(spec, value));
        continue;
      }
      const reason = module.extraKeys?.validate(key, String(value));
      if (!module.extraKeys) fail(file, where, `unknown key; known: enabled, ${Object.keys(module.options).join(', ')}`);
      if (reason) fail(file, where, reason);
      target.extraOptions[key] = String(value).trim();
    }
  }
  return { file, core: core as AgentConfig['core'], modules: moduleConfigs };
}

/** ini turns "a.b = 1" inside a section into nested objects only for section names; keys stay flat. */
function flatten(body: Record<string, unknown>): [string, unknown][] {
  return Object.entries(body).map(([key, value]) => {
    if (Array.isArray(value)) return [key, value.join(',')];
    return [key, value];
  });
}

function parseOrFail(file: string, where: string, parseValue: () => OptionValue): OptionValue {
  try {
    return parseValue();
  } catch (error) {
    fail(file, where, (error as Error).message);
  }
}
