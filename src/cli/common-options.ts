import type { ParseArgsConfig } from 'node:util';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import { UsageError } from './usage-error.js';
import { metadataHostProblem } from '../metadata/host.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Options every command that looks at a machine takes. */
export const COMMON_OPTIONS = {
  root: { type: 'string', default: '/' },
  config: { type: 'string' },
  'metadata-host': { type: 'string' },
  only: { type: 'string' },
  skip: { type: 'string' },
  json: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'info' },
  live: { type: 'boolean', default: false },
  offline: { type: 'boolean', default: false },
  // For tests: where the kernel's sysctl tree, sysfs and procfs are.
  'proc-sys': { type: 'string' },
  'sys-dir': { type: 'string' },
  'proc-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionsConfig;

export const COMMON_HELP = `Options:
  --root DIR             operate on files below DIR (default /)
  --config FILE          config file (default /etc/gce-firstboot/gce-firstboot.conf under the root)
  --metadata-host H[:P]  metadata server (default: [core] metadata_host, GCE_METADATA_HOST, 169.254.169.254)
  --only a,b             run only these modules
  --skip a,b             skip these modules
  --offline              never ask the metadata server (modules that need it are skipped)
  --live                 with --root other than /, also change the running kernel (hostname, sysctl, links)
  --json                 print the report as JSON on stdout (logs stay on stderr)
  --log-level LEVEL      error, warn, info or debug (default info)
  -h, --help             this help`;

export interface CommonValues {
  root: string;
  config?: string;
  'metadata-host'?: string;
  only?: string;
  skip?: string;
  json: boolean;
  'log-level': string;
  live: boolean;
  offline: boolean;
  'proc-sys'?: string;
  'sys-dir'?: string;
  'proc-dir'?: string;
  help: boolean;
}

export function checkLogLevel(level: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  return level as LogLevel;
}

export function splitIds(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((id) => id.trim()).filter(Boolean);
}

/** --metadata-host and GCE_METADATA_HOST, each checked where it is given (the config file's [core] metadata_host is checked as the config is read). */
export function checkMetadataHostInputs(flag: string | undefined): void {
  for (const [source, value] of [['--metadata-host', flag], ['GCE_METADATA_HOST', process.env.GCE_METADATA_HOST]] as const) {
    if (!value) continue;
    const problem = metadataHostProblem(value);
    if (problem) throw new UsageError(`${source} ${JSON.stringify(value)}: ${problem}`);
  }
}
