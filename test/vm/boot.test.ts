// Layer 3 of the tests: build an image in Compute Engine's format (rootfs cached), boot it
// under QEMU with the metadata emulator behind 169.254.169.254, check the serial log.
// Skips only with GCE_FIRSTBOOT_SKIP_VM=1. Needs root (mmdebstrap, chroot, dpkg).
// The default image: Debian 12, systemd-networkd, MBR, no GRUB package; matrix.test.ts boots the others.
import { describe, it, expect, beforeAll } from "vitest";
import { join } from "node:path";
import { copyDisk, writeFileIntoDisk, REPO_ROOT, type BootResult } from "./boot.js";
import { changesOf, findingsOf, isDrift, keyFileTimes, printedFingerprintBlocks, unitTimes } from "./agent-log.js";
import {
  agentBoot, basicBootChecks, buildImage, cliJson, findDeb, firstBootChecks, KEY_TYPES, SKIP_VM as SKIP, timedBoot,
  VM_TIMEOUT_MS as timeoutMs, type AgentBoot,
} from "./vm-kit.js";

if (SKIP) console.log("test/vm/boot.test.ts: VM boot test skipped (GCE_FIRSTBOOT_SKIP_VM=1)");

const deb = findDeb();

describe.skipIf(SKIP || deb !== undefined)("VM boot (baseline, no agent)", () => {
  let r: BootResult;
  const uuid = "6b0a3a6e-2f0e-4c43-9d4b-1e1f4b1a0c01";

  beforeAll(async () => {
    const dir = await buildImage(undefined, join(REPO_ROOT, "out/vm/baseline"));
    r = await timedBoot("baseline", { disk: join(dir, "disk.raw"), uuid, serialLog: join(dir, "serial.log"), timeoutMs });
  }, 30 * 60_000);

  basicBootChecks(() => r, () => uuid);

  it("starts sshd with fresh host keys", () => {
    expect(r.timings.sshdActive).toBeDefined();
    expect(r.timings.kernelFirstLine!).toBeLessThan(r.timings.sshdActive!);
    expect(r.timings.sshdActive!).toBeLessThan(r.timings.qemuExit);
    expect(r.sections.hostkeys?.length).toBe(3);
    expect(r.sections.journal?.join("\n")).toMatch(/Started ssh\.service/);
  });
});

describe.skipIf(SKIP || deb === undefined)(`VM boot with the agent (${deb})`, () => {
  const first = { uuid: "6b0a3a6e-2f0e-4c43-9d4b-1e1f4b1a0c01", instanceId: "1234567890123456789" };
  const other = { uuid: "0c3e6f52-8d1a-4c2b-b7f4-5a9e2d1c3b02", instanceId: "9876543210987654321" };
  const dir = join(REPO_ROOT, "out/vm/agent");
  const disk = join(dir, "boot.raw");
  let image: { exit: number | null; rules: { id: string; status: string; message: string }[] };
  let b1: AgentBoot;

  beforeAll(async () => {
    await buildImage(deb, dir);
    const t0 = performance.now();
    image = await cliJson<{ rules: { id: string; status: string; message: string }[] }>(["image", "check", join(dir, "image.tar.gz")]);
    console.log(`vm: image check ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The boots write to a copy: the image stays as built, and boot 2 and 3 see boot 1's disk.
    copyDisk(join(dir, "disk.raw"), disk);
    b1 = await agentBoot("boot 1 (first boot)", { disk, persistent: true, ...first, serialLog: join(dir, "serial-1.log"), timeoutMs });
  }, 40 * 60_000);

  it("image check passes on the built image.tar.gz (sealed by the packaged gce-firstboot)", () => {
    const failed = image.rules.filter((r) => r.status === "fail");
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(image.exit).toBe(0);
    for (const id of ["ssh-host-keys", "machine-id", "package-installed", "units-enabled", "serial-console"]) {
      expect(image.rules.find((r) => r.id === id)?.status, id).toBe("pass");
    }
  });

  describe("first boot", () => {
    firstBootChecks(() => b1, first.uuid);
  });

  describe("second boot of the same disk, same instance, drift injected", () => {
    let b2: AgentBoot;
    beforeAll(async () => {
      // As if someone edited the instance: a sysctl file read after ours turns forwarding on.
      writeFileIntoDisk(disk, "/etc/sysctl.d/99-drift.conf", "net.ipv4.ip_forward = 1\n");
      b2 = await agentBoot("boot 2 (same instance, drift)", { disk, persistent: true, ...first, serialLog: join(dir, "serial-2.log"), timeoutMs });
    }, 30 * 60_000);

    it("boots and reports; drift the agent cannot fix does not fail its units", () => {
      expect(b2.r.timedOut).toBe(false);
      expect(b2.r.reportComplete).toBe(true);
      expect(unitTimes(b2.r.sections.show ?? [], "gce-firstboot-early.service").result).toBe("success");
      expect(b2.r.sections.state?.[0], `failed units: ${b2.r.sections.failed?.join("; ")}`).toBe("running");
    });

    it("keeps the host keys", () => {
      expect(Object.keys(b2.hostkeys).sort()).toEqual(KEY_TYPES);
      expect(b2.hostkeys).toEqual(b1.hostkeys);
      expect(changesOf(b2.passes, "ssh-host-keys").filter((c) => c.key.startsWith("/etc/ssh/"))).toEqual([]);
    });

    it("reports the later sysctl file as the admin's override (file and line), not as drift to fight", () => {
      const override = findingsOf(b2.passes, "sysctl").filter((f) => f.key === "net.ipv4.ip_forward at boot");
      expect(override.length, JSON.stringify(findingsOf(b2.passes, "sysctl"))).toBeGreaterThan(0);
      expect(override[0]!.cause).toMatch(/^override: \/etc\/sysctl\.d\/99-drift\.conf:1/);
      expect(isDrift(override[0]!)).toBe(false);
      expect(changesOf(b2.passes, "sysctl")).toEqual([]);
    });
  });

  describe("third boot of the same disk as a new instance (new SMBIOS UUID and instance id)", () => {
    let b3: AgentBoot;
    beforeAll(async () => {
      b3 = await agentBoot("boot 3 (new instance)", { disk, persistent: true, ...other, serialLog: join(dir, "serial-3.log"), timeoutMs });
    }, 30 * 60_000);

    it("boots and reports", () => {
      expect(b3.r.timedOut).toBe(false);
      expect(b3.r.reportComplete).toBe(true);
      expect(b3.r.sections.product_uuid?.[0]).toBe(other.uuid);
    });

    it("regenerates every host key and prints the new fingerprints", () => {
      expect(Object.keys(b3.hostkeys).sort()).toEqual(KEY_TYPES);
      for (const type of KEY_TYPES) expect(b3.hostkeys[type], type).not.toBe(b1.hostkeys[type]);
      const made = changesOf(b3.passes, "ssh-host-keys").filter((c) => c.key.startsWith("/etc/ssh/ssh_host_"));
      expect(made.length).toBe(3);
      expect(made.every((c) => /^made new/.test(c.action))).toBe(true);
      expect(printedFingerprintBlocks(b3.r.lines.map((l) => l.line)).at(-1)).toEqual(b3.hostkeys);
    });

    it("starts sshd only after the new keys", () => {
      const ssh = unitTimes(b3.r.sections.show ?? [], "ssh.service");
      expect(ssh.execMainStart, "ssh.service never started").toBeDefined();
      const keys = keyFileTimes(b3.r.sections.keyfiles ?? [], b3.r.sections.clock ?? []);
      for (const [path, t] of Object.entries(keys)) expect(t, path).toBeLessThan(ssh.execMainStart!);
    });
  });
});
