import { defineModule, type Finding, type ModuleContext, type Severity } from '../types.js';
import { evaluate } from './evaluate.js';
import { parseKernelConfig, type KernelConfig } from './kconfig.js';
import { KERNEL_REQUIREMENTS } from './requirements.js';
import { findKernelConfig } from './source.js';

interface Desired {
  recommendedSeverity: Severity;
}

type Observed =
  | { kind: 'found'; path: string; config: KernelConfig; badLines: number[] }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string };

const MODULE = 'kernel-config';
const CANNOT = 'a kernel build option; rebuild or replace the kernel';

async function observe(ctx: ModuleContext): Promise<Observed> {
  let source;
  try {
    source = await findKernelConfig(ctx.host);
  } catch (error) {
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  if (!source) return { kind: 'missing' };
  const parsed = parseKernelConfig(source.text);
  return { kind: 'found', path: source.path, config: parsed.options, badLines: parsed.badLines };
}

function diff(want: Desired, have: Observed): Finding[] {
  const base = { module: MODULE, key: 'kernel config', fixable: false };
  if (have.kind === 'missing') {
    return [{ ...base, expected: '/boot/config-<release> or /proc/config.gz', actual: 'none found; kernel options not checked', severity: 'warning' }];
  }
  if (have.kind === 'unreadable') return [{ ...base, expected: 'a readable kernel config', actual: have.reason, severity: 'drift' }];
  if (have.config.size === 0 || have.badLines.length > 0) {
    const lines = have.badLines.slice(0, 5).join(', ');
    return [{ ...base, expected: `a kernel .config at ${have.path}`, actual: have.config.size === 0 ? 'no CONFIG_ lines: not a kernel config' : `unparseable line(s) ${lines}`, severity: 'drift', cause: 'left unjudged' }];
  }
  const findings = KERNEL_REQUIREMENTS.flatMap((req) => evaluate(req, have.config, want.recommendedSeverity));
  return findings.map((finding) => ({ ...finding, cause: finding.cause ?? (finding.severity === 'info' ? undefined : `${have.path}; ${CANNOT}`) }));
}

export const kernelConfigModule = defineModule<Desired, Observed>({
  id: MODULE,
  title: 'Kernel build options for Compute Engine',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {
    recommended_severity: {
      type: 'enum',
      default: 'drift',
      values: ['drift', 'warning'],
      description: 'how a missing recommended security option counts (required options always count as drift)',
    },
  },
  desired: async (ctx) => ({ recommendedSeverity: String(ctx.options.recommended_severity) as Severity }),
  observe,
  diff,
});
