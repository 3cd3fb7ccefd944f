import type { Finding, Severity } from '../types.js';
import type { KernelConfig } from './kconfig.js';
import type { KernelRequirement } from './requirements.js';

const MODULE = 'kernel-config';

function expectedText(req: KernelRequirement): string {
  if (typeof req.want === 'object') return `CONFIG_${req.name}>=${req.want.atLeast}`;
  return `CONFIG_${req.name}=${req.want} (${req.kind}: ${req.why})`;
}

function meets(req: KernelRequirement, value: string): boolean {
  if (typeof req.want === 'object') return /^(0x[0-9a-f]+|\d+)$/i.test(value) && Number(value) >= req.want.atLeast;
  return req.want === 'n' ? value === 'n' : value === 'y';
}

/** Judges one requirement against a config; no finding when it is met. */
export function evaluate(req: KernelRequirement, config: KernelConfig, recommendedSeverity: Severity): Finding[] {
  const x86 = config.get('X86') === 'y';
  const is64 = config.get('64BIT') === 'y' || config.get('X86_64') === 'y';
  const base = { module: MODULE, key: `CONFIG_${req.name}`, expected: expectedText(req), fixable: false };
  if ((req.x86Only && !x86) || (req.only32bit && (is64 || !x86))) return [];

  const name = req.names.find((candidate) => config.has(candidate));
  if (name === undefined) {
    if (req.removed) {
      return req.kind === 'required'
        ? [{ ...base, actual: `not in this kernel (${req.removed})`, severity: 'info' }]
        : [];
    }
    if (req.want === 'n') return [];
    return [{ ...base, actual: 'not set', severity: req.kind === 'required' ? 'drift' : recommendedSeverity }];
  }
  const value = config.get(name)!;
  if (meets(req, value)) return [];
  const actual = `CONFIG_${name}=${value}${name !== req.name ? ` (the newer name for ${req.name})` : ''}`;
  if (value === 'm' && req.moduleBoots) {
    return [{
      ...base,
      actual,
      severity: 'warning',
      cause: 'built as a module: the guest still boots when the initramfs carries it, but not without one',
    }];
  }
  return [{ ...base, actual, severity: req.kind === 'required' ? 'drift' : recommendedSeverity }];
}
