export const DEFAULT_METADATA_HOST = '169.254.169.254';
/** The header the server sends and wants; a server without it is not the metadata server. */
export const METADATA_FLAVOR = 'Google';

/** host[:port]: the explicit one, then GCE_METADATA_HOST, then the link-local IP (no DNS on the boot path). */
export function resolveMetadataHost(explicit?: string): string {
  return explicit || process.env.GCE_METADATA_HOST || DEFAULT_METADATA_HOST;
}

/**
 * Why `value` is not a usable host[:port], or undefined when it is: a DNS name or IPv4 address, or
 * an IPv6 address in brackets, and an optional port 1-65535. Checked before any request, so that a
 * typo fails at once instead of being retried as an unreachable server for the whole boot budget.
 */
export function metadataHostProblem(value: string): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return 'expected host or host:port (a name, an IPv4 address or [IPv6])';
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return `port ${match[2]} is not 1-65535`;
  return undefined;
}
