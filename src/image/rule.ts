/** The outcome of one image rule, with the file (or the file inside the disk) it read. */
export interface RuleResult {
  id: string;
  /** info: a fact worth knowing that neither passes nor fails the image. */
  status: 'pass' | 'fail' | 'warn' | 'info';
  message: string;
  file: string;
}

export const GIB = 1024 ** 3;

/**
 * The import limit for disk.raw: seed 004 (packaging requirements): "100 GB or less, and a whole
 * number of GB (10 GB or 11 GB, not 10.5 GB)". Seed 003 names no limit, so the older one stands.
 */
export const MAX_DISK_GIB = 100;

export function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${(bytes / GIB).toFixed(bytes % GIB === 0 ? 0 : 2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

/** Rules on disk.raw's size, whether read from the file or from its tar header. */
export function sizeRules(bytes: number, file: string): RuleResult[] {
  const whole = bytes > 0 && bytes % GIB === 0;
  return [
    {
      id: 'size-whole-gib',
      status: whole ? 'pass' : 'fail',
      message: whole ? `${formatBytes(bytes)}` : `${bytes} bytes (${formatBytes(bytes)}) is not a whole number of GiB`,
      file,
    },
    {
      id: 'size-limit',
      status: bytes <= MAX_DISK_GIB * GIB ? 'pass' : 'fail',
      message: `${formatBytes(bytes)}; the import takes at most ${MAX_DISK_GIB} GiB`,
      file,
    },
  ];
}
