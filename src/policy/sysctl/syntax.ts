/** What a sysctl key and value may look like in our config and our file. */

const KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_@:+-]+)+$/;
const VALUE_TOKEN = /^[A-Za-z0-9_.:+/-]+$/;
const MAX_VALUE_LENGTH = 256;

/** Returns a reason when `key = value` is not a setting we would write, undefined when fine. */
export function checkSetting(key: string, value: string): string | undefined {
  if (!KEY.test(key)) {
    return `"${key}" is not a sysctl key (dotted form such as net.ipv4.ip_forward; letters, digits, _ - @ : +)`;
  }
  if (/[\r\n\0]/.test(value)) return 'the value must be on one line';
  const tokens = value.trim().split(/[ \t]+/);
  if (value.trim() === '' || value.length > MAX_VALUE_LENGTH || !tokens.every((token) => VALUE_TOKEN.test(token))) {
    return `value "${value.trim()}" is not a plain number or word (or several, separated by spaces)`;
  }
  return undefined;
}

/**
 * The kernel prints multi-value entries (net.ipv4.tcp_rmem, ping_group_range) with tabs; config
 * files use spaces. Values are compared in this form.
 */
export function normalizeValue(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

/** sysctl.d accepts "net/ipv4/ip_forward"; when the first separator is a slash, dots and slashes swap. */
export function normalizeKey(key: string): string {
  const firstSeparator = key.search(/[./]/);
  if (firstSeparator < 0 || key[firstSeparator] === '.') return key;
  return key.replace(/[./]/g, (separator) => (separator === '/' ? '.' : '/'));
}

export function asInteger(value: string | undefined): number | undefined {
  return value !== undefined && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}
