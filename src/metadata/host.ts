export const DEFAULT_METADATA_HOST = '169.254.169.254';
/** The header the server sends and wants; a server without it is not the metadata server. */
export const METADATA_FLAVOR = 'Google';

/** host[:port]: the explicit one, then GCE_METADATA_HOST, then the link-local IP (no DNS on the boot path). */
export function resolveMetadataHost(explicit?: string): string {
  return explicit || process.env.GCE_METADATA_HOST || DEFAULT_METADATA_HOST;
}
