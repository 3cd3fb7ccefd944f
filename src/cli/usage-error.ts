/** Bad command line: one line to stderr, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
