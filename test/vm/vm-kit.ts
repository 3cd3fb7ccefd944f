// What every VM test file shares: finding our .deb, building an image (rootfs cached), booting it
// with the agent and reading the boot, and the checks every agent image must pass on its first
// boot (issue 6's list, applied by boot.test.ts and by every image of matrix.test.ts).
import { it, expect } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";
import { bootImage, defaultEmulatorCommand, defaultMetadata, OVMF, REPO_ROOT, type BootOptions, type BootResult } from "./boot.js";
import {
  agentPasses, changesOf, findingsOf, fingerprintsByType, inGuestCheck, isDrift, keyFileTimes, printedFingerprintBlocks, unitTimes,
} from "./agent-log.js";
import type { ParsedSerialPass } from "../../src/report/serial-parse.js";

export const SKIP_VM = process.env.GCE_FIRSTBOOT_SKIP_VM === "1";
export const VM_DIR = join(REPO_ROOT, "test/vm");
export const VM_TIMEOUT_MS = Number(process.env.GCE_FIRSTBOOT_VM_TIMEOUT ?? 900) * 1000;
const TOOLS = ["qemu-system-x86_64", "mmdebstrap", "sfdisk", "mke2fs", "debugfs", "grub-mkimage", "socat", "mkfs.vfat", "mcopy", "mmd"];

/**
 * Our .deb: $GCE_FIRSTBOOT_DEB, else the newest out/gce-firstboot_*.deb (`npm run package`, which
 * test/run-all.sh runs first). GCE_FIRSTBOOT_DEB= (set, empty) means no agent.
 */
export function findDeb(): string | undefined {
  const env = process.env.GCE_FIRSTBOOT_DEB;
  if (env !== undefined) return env || undefined;
  const out = join(REPO_ROOT, "out");
  if (!existsSync(out)) return undefined;
  const debs = readdirSync(out)
    .filter((f) => /^gce-firstboot_.*\.deb$/.test(f))
    .map((f) => join(out, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return debs[0];
}

/** Run a command without blocking the event loop (a long execFileSync starves vitest's RPC). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    let out = "";
    p.stdout.on("data", (b: Buffer) => { out += b.toString(); });
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolvePromise(out.trim()) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`)));
  });
}

/** Packages whose files (not commands) the harness needs: GRUB's BIOS and EFI modules, OVMF. */
const FILE_PACKAGES: [string, string][] = [
  ["/usr/lib/grub/i386-pc/boot.img", "grub-pc-bin"],
  ["/usr/lib/grub/x86_64-efi/linux.mod", "grub-efi-amd64-bin"],
  [OVMF.code, "ovmf"],
];

async function ensureTools(): Promise<void> {
  await run("bash", [join(REPO_ROOT, "test/setup/ensure-tools.sh"), ...TOOLS]);
  const missing = FILE_PACKAGES.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg);
  if (missing.length) {
    await run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "--no-install-recommends", ...missing], {
      DEBIAN_FRONTEND: "noninteractive",
    });
  }
}

/**
 * Build (rootfs from cache) and return the image directory. `env` carries the image's
 * GCE_FIRSTBOOT_VM_* settings (release, network stack, extra packages, layout).
 */
export async function buildImage(deb: string | undefined, outDir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  await ensureTools();
  const t0 = performance.now();
  const rootfs = (await run("bash", [join(VM_DIR, "build-rootfs.sh")], env)).split("\n").pop()!;
  const t1 = performance.now();
  mkdirSync(outDir, { recursive: true });
  await run("bash", [join(VM_DIR, "build-image.sh"), rootfs, deb ?? "", outDir], env);
  const t2 = performance.now();
  console.log(`vm: ${outDir}: rootfs ${((t1 - t0) / 1000).toFixed(1)} s, image ${((t2 - t1) / 1000).toFixed(1)} s`);
  return outDir;
}

export async function timedBoot(name: string, opts: BootOptions): Promise<BootResult> {
  const r = await bootImage(opts);
  console.log(`vm: ${name}: serial log ${r.serialLog}; timings (s since QEMU start) ${JSON.stringify(r.timings)}`);
  return r;
}

/** The built CLI with --json, as an operator or image builder would run it: exit code and parsed output. */
export async function cliJson<T>(args: string[]): Promise<{ exit: number | null } & T> {
  const p = spawn(process.execPath, [join(REPO_ROOT, "dist/src/cli/main.js"), ...args, "--json"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  p.stdout.on("data", (b: Buffer) => { out += b.toString(); });
  const [exit] = (await once(p, "exit")) as [number | null];
  return { exit, ...(JSON.parse(out) as T) };
}

/** One agent boot, read: the boot itself, every agent pass, the latest per instance, the in-guest check. */
export interface AgentBoot {
  r: BootResult;
  passes: ParsedSerialPass[];
  latest: ParsedSerialPass | undefined;
  parseExit: number | null;
  unreadable: number;
  check: ReturnType<typeof inGuestCheck>;
  hostkeys: Record<string, string>;
}

/** Boots with the agent; the emulator serves defaultMetadata(uuid, instanceId) unless opts say otherwise. */
export async function agentBoot(name: string, opts: BootOptions & { uuid: string; instanceId: string }): Promise<AgentBoot> {
  const r = await timedBoot(name, { metadata: defaultMetadata(opts.uuid, opts.instanceId), ...opts });
  const parsed = await cliJson<{ instances: ParsedSerialPass[]; unreadableLines: number }>(["report", "parse", `${r.serialLog}.raw`]);
  return {
    r,
    passes: agentPasses(r.lines.map((l) => l.line)),
    latest: parsed.instances.find((p) => p.instance === opts.instanceId),
    parseExit: parsed.exit,
    unreadable: parsed.unreadableLines,
    check: inGuestCheck(r.sections["check:agent-check"]),
    hostkeys: fingerprintsByType(r.sections.hostkeys ?? []),
  };
}

export const KEY_TYPES = ["ECDSA", "ED25519", "RSA"];

/**
 * A module is compliant at the end of the boot when the agent's in-guest check says so (proof it
 * ran) and its latest pass on the serial console carries no drift finding for it.
 */
export function expectCompliant(b: AgentBoot, module: string): void {
  const status = b.check.report?.modules.find((m) => m.id === module);
  expect(status, `in-guest check has no module ${module} (exit ${b.check.exit})`).toBeDefined();
  expect(status!.status, JSON.stringify(status!.findings)).toBe("compliant");
  expect(b.latest, "no agent pass for this instance on the serial console").toBeDefined();
  expect(findingsOf([b.latest!], module).filter(isDrift)).toEqual([]);
}

/** The checks every boot must pass, agent or not. */
export function basicBootChecks(boot: () => BootResult, uuid: () => string): void {
  it("boots, runs the report unit and powers itself off", () => {
    const r = boot();
    const tail = r.lines.slice(-15).map((l) => `${l.t.toFixed(1)} ${l.line}`).join("\n");
    expect(r.timedOut, `timed out; see ${r.serialLog}; last lines:\n${tail}`).toBe(false);
    expect(r.reportComplete, `no VMTEST-END; see ${r.serialLog}`).toBe(true);
    expect(r.sections.state?.[0], `system state; failed units: ${r.sections.failed?.join("; ")}`).toBe("running");
  });

  it("has Compute Engine's virtual hardware", () => {
    const r = boot();
    expect(r.sections.product_uuid?.[0]).toBe(uuid());
    expect(r.sections.ip?.join("\n")).toMatch(/^\d+: ens4\s+inet 169\.254\.0\.15\/16/m);
    const kernel = r.lines.find((l) => /\] Linux version /.test(l.line));
    expect(kernel?.line).toMatch(/cloud-amd64/);
    expect(r.lines.some((l) => /console \[ttyS0\] enabled/.test(l.line))).toBe(true);
  });

  it.skipIf(!defaultEmulatorCommand())("reaches the metadata emulator through 169.254.169.254", () => {
    expect(boot().sections.metadata?.[0]).toMatch(/^\d+$/);
  });
}

/**
 * Who sets the host name and makes the host keys on an image's first boot. We do, unless cloud-init
 * is installed: it runs before our units, and we adopt what it did (src/policy/coexistence).
 */
export interface FirstBootMakers { hostname: "gce-firstboot" | "cloud-init"; keys: "gce-firstboot" | "cloud-init" }
const OURS: FirstBootMakers = { hostname: "gce-firstboot", keys: "gce-firstboot" };

/** Issue 6's first-boot checks: what the agent must have done by the end of a new instance's first boot. */
export function firstBootChecks(boot: () => AgentBoot, uuid: string, makers: FirstBootMakers = OURS): void {
  basicBootChecks(() => boot().r, () => uuid);

  it("the serial log holds the agent's passes, all readable by report parse", () => {
    const b1 = boot();
    expect(b1.unreadable).toBe(0);
    expect(b1.parseExit === 0 || b1.parseExit === 1, `report parse exit ${b1.parseExit}`).toBe(true);
    expect(b1.latest, "no pass for the instance id").toBeDefined();
    expect(b1.passes.every((p) => p.complete)).toBe(true);
    expect(b1.passes.some((p) => p.mode === "apply"), "no apply pass (the early unit's)").toBe(true);
  });

  it("the host-key unit finished (no timeout) before sshd started; the early unit (beside sshd) succeeded", () => {
    const b1 = boot();
    const keys = unitTimes(b1.r.sections.show ?? [], "gce-firstboot-host-keys.service");
    const early = unitTimes(b1.r.sections.show ?? [], "gce-firstboot-early.service");
    const ssh = unitTimes(b1.r.sections.show ?? [], "ssh.service");
    expect(keys.result, b1.r.sections.journal?.filter((l) => /gce-firstboot-host-keys|make-host-keys/.test(l)).join("\n")).toBe("success");
    expect(keys.activeEnter).toBeDefined();
    expect(ssh.execMainStart, "ssh.service never started").toBeDefined();
    expect(ssh.execMainStart!).toBeGreaterThan(keys.activeEnter!);
    expect(early.result, b1.r.sections.journal?.filter((l) => /gce-firstboot-early/.test(l)).join("\n")).toBe("success");
  });

  it(`has the hostname from metadata (set by ${makers.hostname})`, () => {
    const b1 = boot();
    expect(b1.r.sections.hostname?.[0]).toBe("vm1");
    if (makers.hostname === "gce-firstboot") {
      const changes = changesOf(b1.passes, "hostname");
      expect(changes.find((c) => c.key === "/etc/hostname")?.action).toBe("set to vm1");
      expect(changes.some((c) => c.key === "kernel hostname")).toBe(true);
    }
    expectCompliant(b1, "hostname");
  });

  if (makers.keys === "cloud-init") {
    it("adopts the host keys cloud-init made: no key written by us, every fingerprint block shows them", () => {
      const b1 = boot();
      const made = changesOf(b1.passes, "ssh-host-keys").filter((c) => c.key.startsWith("/etc/ssh/ssh_host_"));
      expect(made, "the agent wrote host keys beside cloud-init").toEqual([]);
      expect(Object.keys(b1.hostkeys).sort()).toEqual(KEY_TYPES);
      const printed = printedFingerprintBlocks(b1.r.lines.map((l) => l.line));
      expect(printed.length, "no fingerprint block on the console").toBeGreaterThan(0);
      for (const block of printed) expect(block).toEqual(b1.hostkeys);
      expectCompliant(b1, "ssh-host-keys");
    });
  } else it("generates the host keys and prints their fingerprints on the console", () => {
    const b1 = boot();
    const made = changesOf(b1.passes, "ssh-host-keys").filter((c) => c.key.startsWith("/etc/ssh/ssh_host_"));
    expect(made.map((c) => c.key).sort()).toEqual(["ecdsa", "ed25519", "rsa"].map((t) => `/etc/ssh/ssh_host_${t}_key`));
    expect(Object.keys(b1.hostkeys).sort()).toEqual(KEY_TYPES);
    const printed = printedFingerprintBlocks(b1.r.lines.map((l) => l.line));
    expect(printed.length).toBe(1);
    expect(printed[0]).toEqual(b1.hostkeys);
    expectCompliant(b1, "ssh-host-keys");
  });

  it("starts sshd only after the host keys exist, and only once", () => {
    const b1 = boot();
    const ssh = unitTimes(b1.r.sections.show ?? [], "ssh.service");
    expect(ssh.execMainStart, "ssh.service never started").toBeDefined();
    expect(ssh.restarts, "sshd restarted (it failed before)").toBe(0);
    const keys = keyFileTimes(b1.r.sections.keyfiles ?? [], b1.r.sections.clock ?? []);
    expect(Object.keys(keys).length).toBe(6);
    for (const [path, t] of Object.entries(keys)) expect(t, path).toBeLessThan(ssh.execMainStart!);
    expect(b1.r.sections.journal?.join("\n")).not.toMatch(/no hostkeys available/);
  });

  it("sets the published kernel settings (sysctl)", () => {
    const b1 = boot();
    expect(b1.r.sections.sysctl).toEqual([
      "net.ipv4.ip_forward = 0",
      "net.ipv4.tcp_syncookies = 1",
      "net.ipv4.conf.all.accept_redirects = 0",
      "kernel.randomize_va_space = 2",
    ]);
    expectCompliant(b1, "sysctl");
  });

  it("keeps the clock in UTC", () => {
    const b1 = boot();
    expect(b1.r.sections.timezone).toEqual(["/usr/share/zoneinfo/Etc/UTC", "UTC"]);
    expectCompliant(b1, "timezone");
  });

  it("makes metadata.google.internal chrony's only source", () => {
    const b1 = boot();
    expect(b1.r.sections.chrony).toEqual(["server metadata.google.internal iburst"]);
    expectCompliant(b1, "ntp");
  });

  it("sets MTU 1460 on ens4", () => {
    const b1 = boot();
    expect(b1.r.sections.ip?.join("\n")).toMatch(/^\d+: ens4: .* mtu 1460 /m);
    expect(changesOf(b1.passes, "mtu").some((c) => c.key === "link ens4")).toBe(true);
    expectCompliant(b1, "mtu");
  });

  it("makes the sshd settings compliant", () => {
    expectCompliant(boot(), "sshd");
  });

  it("the hardware module sees virtio-net 1af4:1000 and virtio-scsi 1af4:1004, drivers bound", () => {
    const seen = findingsOf([boot().latest!], "hardware").map((f) => f.actual);
    expect(seen.some((a) => /^\S+ 1af4:1000, driver .*virtio_net/.test(a)), seen.join("\n")).toBe(true);
    expect(seen.some((a) => /^\S+ 1af4:1004, driver .*virtio_scsi/.test(a)), seen.join("\n")).toBe(true);
  });
}
