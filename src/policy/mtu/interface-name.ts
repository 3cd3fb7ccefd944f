import { shown } from '../../text/shown.js';

/** Linux IFNAMSIZ is 16 bytes with the terminating NUL. */
export const IFNAME_MAX = 15;
/**
 * What we let into a dhclient hook (a shell script) and NetworkManager's match-device=: the
 * characters real interface names use. The kernel itself refuses only "/", ":", blanks and
 * "."/".."; a name with quotes, `$`, `*` or a newline could be set by root with `ip link set name`,
 * and is refused here rather than quoted.
 */
const IFNAME = /^[A-Za-z0-9_.-]+$/;

/** Why `name` cannot be written into a hook or match rule, or undefined when it can. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > IFNAME_MAX) return `"${shown(name)}" is ${name.length} characters; Linux interface names hold at most ${IFNAME_MAX}`;
  if (name === '.' || name === '..') return `"${name}" is not an interface name`;
  if (!IFNAME.test(name)) return `"${shown(name)}" holds characters other than letters, digits, "_", "." and "-"`;
  return undefined;
}
