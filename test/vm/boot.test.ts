// Layer 3 of the tests: build an image in Compute Engine's format (rootfs cached), boot it
// under QEMU with the metadata emulator behind 169.254.169.254, check the serial log.
// Skips only with GCE_FIRSTBOOT_SKIP_VM=1. Needs root (mmdebstrap, chroot, dpkg).
import { describe, it, expect, beforeAll } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { bootImage, defaultEmulatorCommand, REPO_ROOT, type BootResult } from "./boot.js";

const SKIP = process.env.GCE_FIRSTBOOT_SKIP_VM === "1";
if (SKIP) console.log("test/vm/boot.test.ts: VM boot test skipped (GCE_FIRSTBOOT_SKIP_VM=1)");

const VM = join(REPO_ROOT, "test/vm");
const TOOLS = ["qemu-system-x86_64", "mmdebstrap", "sfdisk", "mke2fs", "debugfs", "grub-mkimage", "socat"];

/** Our .deb: $GCE_FIRSTBOOT_DEB, else the newest out/gce-firstboot_*.deb, else none. */
export function findDeb(): string | undefined {
  const env = process.env.GCE_FIRSTBOOT_DEB;
  if (env) return env;
  const out = join(REPO_ROOT, "out");
  if (!existsSync(out)) return undefined;
  const debs = readdirSync(out).filter((f) => /^gce-firstboot_.*\.deb$/.test(f)).sort();
  return debs.length ? join(out, debs[debs.length - 1]!) : undefined;
}

/** Run a command without blocking the event loop (a long execFileSync starves vitest's RPC). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    let out = "";
    p.stdout.on("data", (b: Buffer) => { out += b.toString(); });
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolvePromise(out.trim()) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`)));
  });
}

async function ensureTools(): Promise<void> {
  await run("bash", [join(REPO_ROOT, "test/setup/ensure-tools.sh"), ...TOOLS]);
  // grub-mkimage can come from grub-common alone; the BIOS modules are in grub-pc-bin.
  if (!existsSync("/usr/lib/grub/i386-pc/boot.img")) {
    await run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "--no-install-recommends", "grub-pc-bin"], {
      DEBIAN_FRONTEND: "noninteractive",
    });
  }
}

/** Build (rootfs from cache) and return the image directory. */
export async function buildImage(deb: string | undefined, outDir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  await ensureTools();
  const t0 = performance.now();
  const rootfs = (await run("bash", [join(VM, "build-rootfs.sh")], env)).split("\n").pop()!;
  const t1 = performance.now();
  mkdirSync(outDir, { recursive: true });
  await run("bash", [join(VM, "build-image.sh"), rootfs, deb ?? "", outDir], env);
  const t2 = performance.now();
  console.log(`vm: rootfs ${((t1 - t0) / 1000).toFixed(1)} s, image ${((t2 - t1) / 1000).toFixed(1)} s`);
  return outDir;
}

const deb = findDeb();

describe.skipIf(SKIP)(`VM boot (${deb ? `with ${deb}` : "baseline, no agent"})`, () => {
  let r: BootResult;
  const uuid = "6b0a3a6e-2f0e-4c43-9d4b-1e1f4b1a0c01";

  beforeAll(async () => {
    const dir = await buildImage(deb, join(REPO_ROOT, "out/vm", deb ? "agent" : "baseline"));
    r = await bootImage({
      disk: join(dir, "disk.raw"),
      uuid,
      serialLog: join(dir, "serial.log"),
      // boot.ts's own default is 300 s; an idle 2-core machine needs ~70 s, but with the rest
      // of the suite running beside it (load ~10) a boot took 174 s and another passed 300 s.
      timeoutMs: Number(process.env.GCE_FIRSTBOOT_VM_TIMEOUT ?? 600) * 1000,
    });
    console.log(`vm: serial log ${r.serialLog}`);
    console.log(`vm: timings (s since QEMU start) ${JSON.stringify(r.timings)}`);
  }, 30 * 60_000);

  it("boots, runs the report unit and powers itself off", () => {
    const tail = r.lines.slice(-15).map((l) => `${l.t.toFixed(1)} ${l.line}`).join("\n");
    expect(r.timedOut, `timed out; see ${r.serialLog}; last lines:\n${tail}`).toBe(false);
    expect(r.reportComplete, `no VMTEST-END; see ${r.serialLog}`).toBe(true);
    expect(r.sections.state?.[0], `system state; failed units: ${r.sections.failed?.join("; ")}`).toBe("running");
  });

  it("has Compute Engine's virtual hardware", () => {
    expect(r.sections.product_uuid?.[0]).toBe(uuid);
    expect(r.sections.ip?.join("\n")).toMatch(/^\d+: ens4\s+inet 169\.254\.0\.15\/16/m);
    const kernel = r.lines.find((l) => /\] Linux version /.test(l.line));
    expect(kernel?.line).toMatch(/cloud-amd64/);
    expect(r.lines.some((l) => /console \[ttyS0\] enabled/.test(l.line))).toBe(true);
  });

  it("starts sshd with fresh host keys", () => {
    expect(r.timings.sshdActive).toBeDefined();
    expect(r.timings.kernelFirstLine!).toBeLessThan(r.timings.sshdActive!);
    expect(r.timings.sshdActive!).toBeLessThan(r.timings.qemuExit);
    expect(r.sections.hostkeys?.length).toBe(3);
    expect(r.sections.journal?.join("\n")).toMatch(/Started ssh\.service/);
  });

  it.skipIf(!defaultEmulatorCommand())("reaches the metadata emulator through 169.254.169.254", () => {
    expect(r.sections.metadata?.[0]).toMatch(/^\d+$/);
  });

  // Issue 6 item 3 (the lead): report parse over r.serialLog — hostname applied, keys before
  // sshd, sysctls/UTC/chrony/MTU/sshd compliant, 1af4:1000 and 1af4:1004, second boot.
  if (deb) it.todo("agent checks from the serial log (issue 6 item 3)");
});
