/** Where a config lives, how it is sectioned, and what we want in it. */
export interface Target {
  /** server or client */
  side: 'server' | 'client';
  main: string;
  dropInDir: string;
  /** [keyword as written, value], in the order we write them. */
  settings: readonly (readonly [string, string])[];
  opensSection(keyword: string, value: string): boolean;
}

/**
 * Seed 004's sshd_config values (passwords off, no root login, keep-alive under GCE's 10-minute
 * idle cut). Its `AllowTcpForwarding yes` is OpenSSH's default: written first, it could only undo
 * a stricter `no` of the distribution or the image, so it is left out (see README).
 */
export const SERVER_SETTINGS: readonly (readonly [string, string])[] = [
  ['PasswordAuthentication', 'no'],
  ['PermitRootLogin', 'no'],
  ['PermitTunnel', 'no'],
  ['X11Forwarding', 'no'],
  ['HostbasedAuthentication', 'no'],
  ['ClientAliveInterval', '420'],
];

/** Seed 004's ssh_config values (StrictHostKeyChecking no, Protocol 2 and Ciphers are left out: see README). */
export const CLIENT_SETTINGS: readonly (readonly [string, string])[] = [
  ['ForwardAgent', 'no'],
  ['ForwardX11', 'no'],
  ['HostbasedAuthentication', 'no'],
  ['ServerAliveInterval', '420'],
  ['Tunnel', 'no'],
];

export function serverTarget(): Target {
  return {
    side: 'server',
    main: '/etc/ssh/sshd_config',
    dropInDir: `/etc/ssh/sshd_config.d`,
    settings: SERVER_SETTINGS,
    opensSection: (keyword) => keyword === 'match',
  };
}

export function clientTarget(settings: readonly (readonly [string, string])[]): Target {
  return {
    side: 'client',
    main: '/etc/ssh/ssh_config',
    dropInDir: '/etc/ssh/ssh_config.d',
    settings,
    opensSection: (keyword, value) => keyword === 'match' || (keyword === 'host' && value.trim() !== '*'),
  };
}
