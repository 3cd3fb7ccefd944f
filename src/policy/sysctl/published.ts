/**
 * The kernel settings Compute Engine's custom-image requirements ask for (seed 003, "Kernel
 * security settings"; seed 004 adds net.ipv4.tcp_rfc1337), in the order the page lists them.
 */
export const PUBLISHED_SYSCTLS: readonly (readonly [key: string, value: string])[] = [
  ['net.ipv4.tcp_syncookies', '1'],
  ['net.ipv4.conf.all.accept_source_route', '0'],
  ['net.ipv4.conf.default.accept_source_route', '0'],
  ['net.ipv4.conf.all.accept_redirects', '0'],
  ['net.ipv4.conf.default.accept_redirects', '0'],
  ['net.ipv4.conf.all.secure_redirects', '1'],
  ['net.ipv4.conf.default.secure_redirects', '1'],
  ['net.ipv4.ip_forward', '0'],
  ['net.ipv4.conf.all.send_redirects', '0'],
  ['net.ipv4.conf.default.send_redirects', '0'],
  ['net.ipv4.conf.all.rp_filter', '1'],
  ['net.ipv4.conf.default.rp_filter', '1'],
  ['net.ipv4.icmp_echo_ignore_broadcasts', '1'],
  ['net.ipv4.icmp_ignore_bogus_error_responses', '1'],
  ['net.ipv4.conf.all.log_martians', '1'],
  ['net.ipv4.conf.default.log_martians', '1'],
  ['net.ipv4.tcp_rfc1337', '1'],
  ['kernel.randomize_va_space', '2'],
  ['fs.protected_hardlinks', '1'],
  ['fs.protected_symlinks', '1'],
  ['kernel.kptr_restrict', '1'],
  ['kernel.yama.ptrace_scope', '1'],
  ['kernel.perf_event_paranoid', '2'],
];

/**
 * Keys where a higher number is stricter (FIELD-NOTES, "floors"): the published value is a
 * minimum, and a stricter value the machine already has is kept. Debian's kernel boots with
 * perf_event_paranoid = 3; writing the published 2 would weaken it.
 */
export const FLOOR_KEYS: ReadonlySet<string> = new Set(['kernel.perf_event_paranoid', 'kernel.kptr_restrict', 'kernel.yama.ptrace_scope']);
