// Reading the agent's evidence out of one boot's serial log: its own serial protocol lines (with
// the agent's parser, src/report/serial-parse.ts), the host-key fingerprint block it prints, and
// the VMTEST sections the test unit adds (unit timestamps, key files, the in-guest `check --json`).
import { parseSerialLine, parseSerialLog, type ParsedSerialPass } from "../../src/report/serial-parse.js";
import type { Report } from "../../src/report/model.js";
import type { Change, Finding } from "../../src/policy/types.js";
import { BEGIN_MARKER, END_MARKER } from "../../src/policy/ssh-host-keys/index.js";
import { unitProperties } from "./boot.js";

/**
 * Every whole pass in the log, in order. `report parse` keeps only the latest pass per instance;
 * a first boot's story (the early apply, then the daemon's first pass, then a check) needs them
 * all, so the log is cut at each `start` line and each piece goes through the same parser.
 */
export function agentPasses(lines: readonly string[]): ParsedSerialPass[] {
  const passes: ParsedSerialPass[] = [];
  let piece: string[] | undefined;
  for (const line of lines) {
    const event = parseSerialLine(line);
    if (event === undefined || event === "unreadable") continue;
    if (event.event === "start") piece = [];
    if (!piece) continue;
    piece.push(line);
    if (event.event === "summary") {
      passes.push(...parseSerialLog(piece.join("\n")).instances.values());
      piece = undefined;
    }
  }
  return passes;
}

export const changesOf = (passes: readonly ParsedSerialPass[], module: string): Change[] =>
  passes.flatMap((p) => p.modules.filter((m) => m.id === module).flatMap((m) => m.changes));

export const findingsOf = (passes: readonly ParsedSerialPass[], module: string): Finding[] =>
  passes.flatMap((p) => p.modules.filter((m) => m.id === module).flatMap((m) => m.findings));

export const isDrift = (f: Finding): boolean => (f.severity ?? "drift") === "drift";

/**
 * "SHA256:…" by key type (ECDSA, ED25519, RSA) from `ssh-keygen -lf` lines, also behind a syslog
 * prefix (cloud-init prints its block through syslog: `<14>Dec  2 … ec2: 256 SHA256:… (ECDSA)`).
 */
export function fingerprintsByType(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = /(?:^|\s)\d+ (SHA256:\S+) .*\((\w+)\)$/.exec(l.trim());
    if (m) out[m[2]!] = m[1]!;
  }
  return out;
}

/** The fingerprint blocks printed on the console (ours, or cloud-init's: one per key generation), in order. */
export function printedFingerprintBlocks(lines: readonly string[]): Record<string, string>[] {
  const blocks: Record<string, string>[] = [];
  let block: string[] | undefined;
  for (const line of lines) {
    if (line.endsWith(BEGIN_MARKER)) block = [];
    else if (line.endsWith(END_MARKER) && block) {
      blocks.push(fingerprintsByType(block));
      block = undefined;
    } else block?.push(line);
  }
  return blocks;
}

export interface UnitTimes {
  /** Guest monotonic seconds; undefined when the unit never got there. */
  execMainStart?: number;
  activeEnter?: number;
  result?: string;
  restarts?: number;
}

export function unitTimes(show: string[], unit: string): UnitTimes {
  const p = unitProperties(show)[unit] ?? {};
  const sec = (v: string | undefined) => (v && v !== "0" ? Number(v) / 1e6 : undefined);
  return {
    execMainStart: sec(p.ExecMainStartTimestampMonotonic),
    activeEnter: sec(p.ActiveEnterTimestampMonotonic),
    result: p.Result,
    restarts: p.NRestarts === undefined ? undefined : Number(p.NRestarts),
  };
}

/**
 * The host key files' ctimes (set when the agent renamed each into place) on the guest's
 * monotonic clock, through the realtime/uptime pair the test unit printed.
 */
export function keyFileTimes(keyfiles: string[], clock: string[]): Record<string, number> {
  const [realtime, uptime] = (clock[0] ?? "").split(" ").map(Number);
  if (realtime === undefined || uptime === undefined || Number.isNaN(realtime + uptime)) return {};
  const out: Record<string, number> = {};
  for (const l of keyfiles) {
    const [ctime, path] = l.split(" ");
    if (ctime && path) out[path] = Number(ctime) - realtime + uptime;
  }
  return out;
}

/** The in-guest `gce-firstboot check --json` (checks.d/agent-check.sh): report and exit code. */
export function inGuestCheck(section: string[] | undefined): { report?: Report; exit?: number } {
  if (!section?.length) return {};
  const last = section[section.length - 1]!;
  const exit = /^exit (\d+)$/.exec(last)?.[1];
  try {
    return { report: JSON.parse(section.slice(0, -1).join("\n")) as Report, exit: exit === undefined ? undefined : Number(exit) };
  } catch {
    return { exit: exit === undefined ? undefined : Number(exit) };
  }
}

/** What checks.d/dhcp-renew.sh saw: the stack, its renewal command's exit code, MTU and host name after. */
export interface DhcpRenewal {
  stack?: string;
  exit?: number;
  mtuAfter?: number;
  hostnameAfter?: string;
  addrAfter?: string;
}

export function dhcpRenewal(section: readonly string[] | undefined): DhcpRenewal {
  const out: DhcpRenewal = {};
  for (const l of section ?? []) {
    const [word, ...rest] = l.split(" ");
    const value = rest.join(" ");
    if (word === "stack") out.stack = value;
    else if (word === "exit") out.exit = Number(value);
    else if (word === "after" && rest[0] === "mtu") out.mtuAfter = Number(rest[1]);
    else if (word === "after" && rest[0] === "hostname") out.hostnameAfter = rest[1] ?? "";
    else if (word === "after" && rest[0] === "addr") out.addrAfter = rest[1] ?? "";
  }
  return out;
}

/** Public keys by algorithm ("ssh-ed25519" → base64 blob) from "ALG BASE64" lines (ssh-keyscan). */
export function servedKeys(section: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of section ?? []) {
    const [alg, blob] = l.trim().split(/\s+/);
    // OpenSSH 10's ssh-keyscan adds "# host:22 SSH-2.0-…" banner lines.
    if (alg && blob && /^(ssh-|ecdsa-|sk-)/.test(alg)) out[alg] = blob;
  }
  return out;
}

/**
 * The `hostkeys/*` guest attributes (algorithm → base64 blob) from the emulator's record, whose
 * values are "ALG BASE64 [comment]" lines or a bare blob.
 */
export function hostkeyAttributes(attributes: Record<string, unknown>): Record<string, string> {
  const hostkeys = attributes.hostkeys;
  const out: Record<string, string> = {};
  if (!hostkeys || typeof hostkeys !== "object") return out;
  for (const [alg, value] of Object.entries(hostkeys as Record<string, unknown>)) {
    if (typeof value !== "string") continue;
    const words = value.trim().split(/\s+/);
    out[alg] = words[0] === alg && words[1] ? words[1] : words[0]!;
  }
  return out;
}
