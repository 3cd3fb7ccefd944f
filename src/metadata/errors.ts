/** The metadata server could not be reached (or never answered properly) within the budget. */
export class MetadataUnreachableError extends Error {
  override readonly name = 'MetadataUnreachableError';
}

/** Something answered, but it is not the metadata server or its answer cannot be used. */
export class MetadataResponseError extends Error {
  override readonly name = 'MetadataResponseError';
}
