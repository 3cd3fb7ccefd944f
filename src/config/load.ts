import { parse } from 'ini';
import { ConfigError, defaultsOf, parseOption, type OptionValue, type OptionValues } from './schema.js';
import { CORE_OPTIONS } from './core-options.js';
import type { PolicyModule } from '../policy/types.js';
import { shown } from '../text/shown.js';

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

/** Longest reason an error repeats (it may quote a value, or list the known keys). */
const REASON_MAX = 400;

function fail(file: string, where: string, reason: string): never {
  throw new ConfigError(`${shown(file)}: ${where}: ${shown(reason, REASON_MAX)}`);
}

/**
 * Names every object has (`__proto__`, `constructor`, `toString`, ...): as a section or key they
 * would reach the object's prototype instead of a setting. The ini parser drops `__proto__`
 * silently, so the text is checked line by line before it is parsed.
 */
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Far beyond any real config; the ini parser takes minutes and gigabytes on a 50 MB line. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_LINE = 4096;

/** What is refused before the ini parser sees the text: sizes, and names that reach a prototype. */
function checkLines(text: string, file: string): void {
  if (text.length > MAX_FILE_BYTES) fail(file, 'file', `is ${text.length} characters long; a config file holds at most ${MAX_FILE_BYTES}`);
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.length > MAX_LINE) fail(file, `line ${index + 1}`, `is ${line.length} characters long (at most ${MAX_LINE}): "${shown(line)}"`);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) continue;
    const section = /^\[(.*)\]$/.exec(trimmed)?.[1];
    const names = section !== undefined ? section.split('.') : [trimmed.split('=')[0]!.trim().replace(/\[\]$/, '')];
    const reserved = names.find((name) => RESERVED.has(name.trim()));
    if (reserved !== undefined) fail(file, `line ${index + 1}`, `"${reserved.trim()}" is a reserved name, not a ${section !== undefined ? 'section' : 'key'}`);
  }
}

function has<T extends object>(object: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(object, key);
}

/** Parses the INI config against the core and module schemas. Any unknown or bad key is an error. */
export function parseConfig(text: string | undefined, file: string, modules: readonly PolicyModule[]): AgentConfig {
  let raw: Record<string, unknown> = {};
  // A byte order mark, as Windows editors save UTF-8, is not part of the first line.
  if (text?.startsWith('\uFEFF')) text = text.slice(1);
  if (text !== undefined) {
    if (text.includes('\0')) fail(file, 'file', 'contains NUL bytes; not a text config');
    checkLines(text, file);
    try {
      raw = parse(text) as Record<string, unknown>;
    } catch (error) {
      fail(file, 'file', `cannot parse: ${(error as Error).message}`);
    }
  }
  const byId = new Map(modules.map((module) => [module.id, module]));
  const core = defaultsOf(CORE_OPTIONS);
  const moduleConfigs: Record<string, ModuleConfig> = Object.fromEntries(
    modules.map((module) => [module.id, { enabled: true, options: defaultsOf(module.options), extraOptions: Object.create(null) as Record<string, string> }]),
  );
  for (const [section, body] of Object.entries(raw)) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      fail(file, `key "${section}"`, 'every key must be inside a [section] ([core] or a module id)');
    }
    const entries = flatten(body as Record<string, unknown>);
    if (section === 'core') {
      for (const [key, value] of entries) {
        const where = `[core] ${shown(key)}`;
        if (!has(CORE_OPTIONS, key)) fail(file, where, `unknown key; known: ${Object.keys(CORE_OPTIONS).join(', ')}`);
        core[key] = parseOrFail(file, where, () => parseOption(CORE_OPTIONS[key], value));
      }
      continue;
    }
    const module = byId.get(section);
    if (!module) fail(file, `[${shown(section)}]`, `unknown section; known: core, ${[...byId.keys()].join(', ')}`);
    const target = moduleConfigs[section]!;
    for (const [key, value] of entries) {
      const where = `[${section}] ${shown(key)}`;
      if (key === 'enabled') {
        target.enabled = parseOrFail(file, where, () => parseOption({ type: 'boolean', default: true, description: '' }, value)) as boolean;
        continue;
      }
      const spec = has(module.options, key) ? module.options[key] : undefined;
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
