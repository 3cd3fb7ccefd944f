/**
 * The fields of os-release(5) the agent uses. Everything else in the file is ignored; a value that
 * is not well-formed for its field is taken as absent, never guessed at.
 */
export interface OsRelease {
  /** Lower-case distribution id: debian, ubuntu, rhel, rocky, almalinux, centos, fedora ... */
  id: string | undefined;
  /** ID_LIKE, split: the distributions this one derives from (rocky: rhel centos fedora). */
  idLike: string[];
  /** VERSION_ID: 12, 13, 9.4, 24.04; absent on Debian testing. */
  versionId: string | undefined;
  /** For messages only; control characters removed. */
  prettyName: string | undefined;
}

/** Only the start of a file is parsed: a real os-release is under 1 KiB. */
const MAX_TEXT = 64 * 1024;
/** A longer value is not any distribution's: it is taken as absent. */
const MAX_VALUE = 256;
const ID = /^[a-z0-9._-]+$/;
const VERSION_ID = /^[A-Za-z0-9._~-]+$/;
const ASSIGNMENT = /^([A-Z][A-Z0-9_]*)=(.*)$/;

/** A shell-style value: unquoted, '...' or "..." (with \\ \" \$ \` escapes); undefined when malformed. */
function unquote(raw: string): string | undefined {
  const value = raw.trim();
  if (value.startsWith("'")) return value.length >= 2 && value.endsWith("'") && !value.slice(1, -1).includes("'") ? value.slice(1, -1) : undefined;
  if (value.startsWith('"')) {
    if (value.length < 2 || !value.endsWith('"')) return undefined;
    let out = '';
    const inner = value.slice(1, -1);
    for (let i = 0; i < inner.length; i++) {
      const char = inner[i]!;
      if (char === '\\' && i + 1 < inner.length && '\\"$`'.includes(inner[i + 1]!)) out += inner[++i];
      else if (char === '"' || char === '$' || char === '`') return undefined;
      else out += char;
    }
    return out;
  }
  return /^[^\s"'$`\\;|&<>()]*$/.test(value) ? value : undefined;
}

/** The os-release fields from a file's text; garbage lines are skipped, the last assignment wins. */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const line of text.slice(0, MAX_TEXT).split('\n')) {
    const match = ASSIGNMENT.exec(line.trim());
    if (!match) continue;
    const value = unquote(match[2]!);
    if (value === undefined || value.length > MAX_VALUE) fields.delete(match[1]!);
    else fields.set(match[1]!, value);
  }
  const id = fields.get('ID');
  const versionId = fields.get('VERSION_ID');
  const pretty = fields.get('PRETTY_NAME')?.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return {
    id: id !== undefined && ID.test(id) ? id : undefined,
    idLike: (fields.get('ID_LIKE') ?? '').split(/\s+/).filter((like) => ID.test(like)),
    versionId: versionId !== undefined && VERSION_ID.test(versionId) ? versionId : undefined,
    prettyName: pretty || undefined,
  };
}
