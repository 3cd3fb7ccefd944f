import type { Host } from '../../host/host.js';
import type { Finding } from '../types.js';
import { profileOf } from '../../distro/distro.js';
import { WEAK_CIPHERS_TEXT, ciphersIn, isWeakCipher } from './ciphers.js';

/** RHEL-family system-wide crypto policy: `update-crypto-policies` writes one back-end file per library. */
const POLICY_CONFIG = '/etc/crypto-policies/config';
const BACK_ENDS = { client: '/etc/crypto-policies/back-ends/openssh.config', server: '/etc/crypto-policies/back-ends/opensshserver.config' } as const;

export interface CryptoPolicy {
  /** The policy's name as /etc/crypto-policies/config has it (DEFAULT, LEGACY, FUTURE, DEFAULT:SHA1 …). */
  name: string;
  /** Per side: the back-end file and the Ciphers it allows, where it says. */
  backEnds: { side: 'client' | 'server'; file: string; ciphers?: string[] }[];
}

/** The root's crypto policy, or undefined where there is none (Debian, Ubuntu: their profile says so, nothing is read). */
export async function readCryptoPolicy(host: Host): Promise<CryptoPolicy | undefined> {
  if ((await profileOf(host)).cryptoPolicies === false) return undefined;
  const config = await host.readText(POLICY_CONFIG);
  const backEnds: CryptoPolicy['backEnds'] = [];
  for (const side of ['client', 'server'] as const) {
    const text = await host.readText(BACK_ENDS[side]);
    if (text !== undefined) backEnds.push({ side, file: BACK_ENDS[side], ciphers: ciphersIn(text) });
  }
  if (config === undefined && !backEnds.length) return undefined;
  const name = config?.split('\n').map((line) => line.replace(/#.*/, '').trim()).find(Boolean) ?? '(no /etc/crypto-policies/config)';
  return { name, backEnds };
}

/** Where the policy allows ciphers weaker than the seeds' intent: drift we leave to the admin's `update-crypto-policies`. */
export function cryptoPolicyFindings(module: string, policy: CryptoPolicy, sides: readonly ('client' | 'server')[]): Finding[] {
  return policy.backEnds.flatMap(({ side, file, ciphers }) => {
    if (!sides.includes(side)) return [];
    const weak = (ciphers ?? []).filter(isWeakCipher);
    if (!weak.length) return [];
    return [{
      module,
      key: `${file} Ciphers`,
      expected: WEAK_CIPHERS_TEXT,
      actual: weak.join(','),
      cause: `the system-wide crypto policy ${policy.name} (${POLICY_CONFIG}) allows them; gce-firstboot never overrides it: run update-crypto-policies --set DEFAULT`,
      fixable: false,
    }];
  });
}
