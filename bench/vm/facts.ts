// Read one boot's facts off the VMTEST lines (bench/vm/guest/checks.d/bench.sh and the
// harness's own sections). All times: guest seconds since kernel start.

export interface UnitFacts { [prop: string]: string }

export interface BootFacts {
  /** First time the kernel hostname equals the metadata hostname (FQDN or its first label). */
  hostnameSetSec?: number;
  hostnames: { sec: number; name: string }[];
  etcHostname?: string;
  /** First time each host key's .pub existed. */
  keySec: Record<string, number>;
  /** ssh.service ActiveEnterTimestampMonotonic: the last time it became active (Type=notify). */
  sshdActiveSec?: number;
  /** First "Started ssh.service" in the journal. */
  sshdFirstStartedSec?: number;
  sshRestarts?: number;
  /** max(hostname set, sshd active after the last host key): undefined if either never happened. */
  readySec?: number;
  state?: string;
  failed: string[];
  startupFinished?: string;
  units: Record<string, UnitFacts>;
}

function seconds(text: string): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

export function bootFacts(sections: Record<string, string[]>, metadataHostname: string): BootFacts {
  const lines = sections['check:bench'] ?? [];
  const targets = new Set([metadataHostname, metadataHostname.split('.')[0]!]);
  const facts: BootFacts = { hostnames: [], keySec: {}, failed: (sections.failed ?? []).filter((l) => l.trim()), units: {} };
  for (const line of lines) {
    let m = /^(\d+\.\d+) hostname (.*)$/.exec(line);
    if (m) {
      const sec = Number(m[1]);
      facts.hostnames.push({ sec, name: m[2]! });
      if (facts.hostnameSetSec === undefined && targets.has(m[2]!)) facts.hostnameSetSec = sec;
      continue;
    }
    m = /^(\d+\.\d+) key (\S+)$/.exec(line);
    if (m) { facts.keySec[m[2]!] ??= Number(m[1]); continue; }
    m = /^etc_hostname (.*)$/.exec(line);
    if (m) { facts.etcHostname = m[1]!; continue; }
    m = /^unit (\S+) (.*)$/.exec(line);
    if (m) {
      const props: UnitFacts = {};
      for (const kv of m[2]!.trim().split(/\s+/)) {
        const i = kv.indexOf('=');
        if (i > 0) props[kv.slice(0, i)] = kv.slice(i + 1);
      }
      facts.units[m[1]!] = props;
      continue;
    }
    m = /^ssh_first_started \[\s*(\d+\.\d+)\]/.exec(line);
    if (m) facts.sshdFirstStartedSec = Number(m[1]);
  }
  const ssh = facts.units['ssh.service'];
  if (ssh?.ActiveState === 'active' && ssh.ActiveEnterTimestampMonotonic && ssh.ActiveEnterTimestampMonotonic !== '0') {
    facts.sshdActiveSec = Number(ssh.ActiveEnterTimestampMonotonic) / 1e6;
  }
  if (ssh?.NRestarts !== undefined) facts.sshRestarts = seconds(ssh.NRestarts);
  facts.state = sections.state?.[0];
  facts.startupFinished = (sections.analyze ?? []).find((l) => l.startsWith('Startup finished'));
  const keyTimes = Object.values(facts.keySec);
  if (facts.hostnameSetSec !== undefined && facts.sshdActiveSec !== undefined && keyTimes.length > 0) {
    facts.readySec = Math.max(facts.hostnameSetSec, facts.sshdActiveSec, ...keyTimes);
  }
  return facts;
}

/** Key readiness: the time the last of the present host keys appeared. */
export function keysSec(f: BootFacts): number | undefined {
  const t = Object.values(f.keySec);
  return t.length ? Math.max(...t) : undefined;
}

/** sshd up with the keys: sshd active and every key already there (else sshd never loaded one). */
export function sshdWithKeysSec(f: BootFacts): number | undefined {
  const k = keysSec(f);
  if (f.sshdActiveSec === undefined || k === undefined) return undefined;
  return Math.max(f.sshdActiveSec, k);
}
