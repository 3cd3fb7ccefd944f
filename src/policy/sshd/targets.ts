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

/** Seed 004's sshd_config values (passwords off, no root login, keep-alive under GCE's 10-minute idle cut). */
export const SERVER_SETTINGS: readonly (readonly [string, string])[] = [
  ['PasswordAuthentication', 'no'],
  ['PermitRootLogin', 'no'],
  ['PermitTunnel', 'no'],
  ['AllowTcpForwarding', 'yes'],
  ['X11Forwarding', 'no'],
  ['HostbasedAuthentication', 'no'],
  ['ClientAliveInterval', '420'],
];

/** Seed 004's ssh_config values (StrictHostKeyChecking no and Protocol 2 are left out: unsafe / obsolete). */
export const CLIENT_SETTINGS: readonly (readonly [string, string])[] = [
  ['ForwardAgent', 'no'],
  ['ForwardX11', 'no'],
  ['HostbasedAuthentication', 'no'],
  ['ServerAliveInterval', '420'],
  ['Tunnel', 'no'],
];

/** Seed 004's client cipher list, verbatim (arcfour* are gone from current OpenSSH). */
export const SEED_CIPHERS = ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'arcfour256', 'arcfour128', 'aes128-cbc', '3des-cbc'] as const;

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
