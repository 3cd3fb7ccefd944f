import { serialPortProblem } from '../host/serial-port.js';
import { metadataHostProblem } from '../metadata/host.js';
import type { OptionSpecs } from './schema.js';

/** The [core] section: how the agent itself behaves. */
export const CORE_OPTIONS = {
  metadata_host: {
    type: 'string',
    default: '',
    description: 'host[:port] of the metadata server; empty = GCE_METADATA_HOST, else 169.254.169.254',
    problem: metadataHostProblem,
  },
  request_timeout_ms: { type: 'integer', default: 3000, min: 100, max: 60000, description: 'timeout of one metadata request' },
  boot_deadline_sec: {
    type: 'integer',
    default: 30,
    min: 0,
    max: 600,
    description: 'how long a pass keeps retrying an unreachable metadata server before going on without it',
  },
  mode: { type: 'enum', default: 'report', values: ['report', 'enforce'], description: 'watch: report drift, or fix it as found' },
  check_interval_sec: { type: 'integer', default: 600, min: 10, max: 86400, description: 'watch: seconds between passes' },
  serial_port: { type: 'string', default: '/dev/ttyS0', description: 'where report lines go (get-serial-port-output reads ttyS0)', problem: serialPortProblem },
} as const satisfies OptionSpecs;
