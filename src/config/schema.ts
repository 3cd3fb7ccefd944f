import { shown } from '../text/shown.js';

/** How one config key is typed, defaulted and checked. */
export type OptionSpec =
  | { type: 'boolean'; default: boolean; description: string }
  | { type: 'string'; default: string; description: string; pattern?: RegExp; patternHint?: string; problem?: (text: string) => string | undefined }
  | { type: 'integer'; default: number; description: string; min?: number; max?: number }
  | { type: 'enum'; default: string; values: readonly string[]; description: string }
  | { type: 'list'; default: readonly string[]; description: string; values?: readonly string[] };

export type OptionSpecs = Record<string, OptionSpec>;

/** Keys a section accepts beyond its declared ones (e.g. sysctl names), checked by one function. */
export interface ExtraKeys {
  description: string;
  /** Returns a reason when the key or value is bad, undefined when fine. */
  validate(key: string, value: string): string | undefined;
}

export type OptionValue = boolean | string | number | readonly string[];

export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends { type: 'boolean' }
    ? boolean
    : S[K] extends { type: 'integer' }
      ? number
      : S[K] extends { type: 'list' }
        ? readonly string[]
        : string;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses one raw INI value against its spec; throws a reason (without file/key) when bad. */
export function parseOption(spec: OptionSpec, raw: unknown): OptionValue {
  const text = String(raw).trim();
  switch (spec.type) {
    case 'boolean': {
      if (raw === true || /^(true|yes|on|1)$/i.test(text)) return true;
      if (raw === false || /^(false|no|off|0)$/i.test(text)) return false;
      throw new Error(`expected true or false, got "${shown(text)}"`);
    }
    case 'integer': {
      if (!/^-?\d+$/.test(text)) throw new Error(`expected a whole number, got "${shown(text)}"`);
      const value = Number(text);
      if (spec.min !== undefined && value < spec.min) throw new Error(`must be at least ${spec.min}, got ${value}`);
      if (spec.max !== undefined && value > spec.max) throw new Error(`must be at most ${spec.max}, got ${value}`);
      return value;
    }
    case 'enum': {
      if (!spec.values.includes(text)) throw new Error(`expected one of ${spec.values.join(', ')}, got "${shown(text)}"`);
      return text;
    }
    case 'list': {
      const items = text.split(/[\s,]+/).filter(Boolean);
      const bad = spec.values ? items.filter((item) => !spec.values!.includes(item)) : [];
      if (bad.length) throw new Error(`unknown item(s) ${shown(bad.join(', '))}; allowed: ${spec.values!.join(', ')}`);
      return items;
    }
    case 'string': {
      if (spec.pattern && !spec.pattern.test(text)) throw new Error(`"${shown(text)}" is not ${spec.patternHint ?? `matching ${spec.pattern}`}`);
      const problem = text === '' ? undefined : spec.problem?.(text);
      if (problem) throw new Error(`"${shown(text)}": ${problem}`);
      return text;
    }
  }
}

export function defaultsOf(specs: OptionSpecs): Record<string, OptionValue> {
  // Null prototype: a key from the file is never looked up on Object.prototype.
  return Object.assign(Object.create(null) as Record<string, OptionValue>, Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, spec.default])));
}
