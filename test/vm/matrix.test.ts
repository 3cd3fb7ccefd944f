// The VM boot matrix (matrix.ts): each image built with the same harness as boot.test.ts, booted
// with our .deb, given the first-boot checks, a forced DHCP renewal, and the lifecycle events and
// coexistence checks its contents call for. Skips with GCE_FIRSTBOOT_SKIP_VM=1 or without a .deb.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { copyDisk, removeFromDisk, symlinkInDisk, REPO_ROOT } from "./boot.js";
import {
  changesOf, dhcpRenewal, findingsOf, fingerprintsByType, hostkeyAttributes, keyFileTimes, printedFingerprintBlocks, servedKeys, unitTimes,
} from "./agent-log.js";
import { agentBoot, buildImage, findDeb, firstBootChecks, KEY_TYPES, SKIP_VM, VM_TIMEOUT_MS as timeoutMs, type AgentBoot } from "./vm-kit.js";
import { imageEnv, selectedImages, type MatrixImage } from "./matrix.js";

const deb = findDeb();
const images = SKIP_VM || !deb ? [] : selectedImages();
const FIRST = { uuid: "6b0a3a6e-2f0e-4c43-9d4b-1e1f4b1a0c01", instanceId: "1234567890123456789" };
// Compute Engine's DHCP server hands out the instance's FQDN as option 12.
const DHCP_HOSTNAME = "vm1.c.proj.internal";
const KEY_FILES = ["ecdsa", "ed25519", "rsa"].flatMap((t) => [`/etc/ssh/ssh_host_${t}_key`, `/etc/ssh/ssh_host_${t}_key.pub`]);

/** The stack the mtu module must name for an image (src/policy/mtu/stacks.ts). */
function mtuStack(image: MatrixImage): string {
  if (image.net === "ifupdown") return image.release === "trixie" ? "ifupdown/dhcpcd" : "ifupdown/dhclient";
  return image.net === "networkmanager" ? "NetworkManager" : "systemd-networkd";
}

if (!images.length) console.log(`test/vm/matrix.test.ts: no image to boot (${SKIP_VM ? "GCE_FIRSTBOOT_SKIP_VM=1" : deb ? "GCE_FIRSTBOOT_VM_MATRIX" : "no .deb"})`);

/** The overlay directory holding an image's extra files. */
function overlayFor(image: MatrixImage, dir: string): string | undefined {
  if (!image.files) return undefined;
  const overlay = join(dir, "overlay");
  rmSync(overlay, { recursive: true, force: true });
  for (const [path, content] of Object.entries(image.files)) {
    mkdirSync(dirname(join(overlay, path)), { recursive: true });
    writeFileSync(join(overlay, path), content);
  }
  return overlay;
}

/** Keys change once, before sshd (by us or by cloud-init), and sshd serves exactly the keys that one generation printed. */
function keysChangedOnceBeforeSshd(boot: () => AgentBoot): void {
  it("the host keys change once, before sshd, and sshd serves them", () => {
    const b = boot();
    const ssh = unitTimes(b.r.sections.show ?? [], "ssh.service");
    expect(ssh.execMainStart, "ssh.service never started").toBeDefined();
    expect(ssh.restarts, "sshd restarted").toBe(0);
    const keys = keyFileTimes(b.r.sections.keyfiles ?? [], b.r.sections.clock ?? []);
    for (const [path, t] of Object.entries(keys)) expect(t, `${path} written after sshd started`).toBeLessThan(ssh.execMainStart!);
    // A second generation would print a second, different block; the adopting agent may repeat the same one.
    const printed = printedFingerprintBlocks(b.r.lines.map((l) => l.line));
    expect(printed.length, "no fingerprint block on the console").toBeGreaterThan(0);
    for (const block of printed) expect(b.hostkeys, "the key files are not the ones printed at generation").toEqual(block);
    expect(Object.keys(servedKeys(b.r.sections.served)).length, "sshd serves no key").toBeGreaterThanOrEqual(3);
  });
}

for (const image of images) {
  describe(`VM matrix: ${image.name}`, () => {
    const dir = join(REPO_ROOT, "out/vm", image.name);
    const disk = join(dir, "boot.raw");
    const bootOpts = { disk, persistent: true, firmware: image.firmware, dhcpHostname: DHCP_HOSTNAME, timeoutMs, ...FIRST };
    let b1: AgentBoot;
    let boots = 1;
    /** The latest boot of this disk: each lifecycle event starts from it. */
    let last: AgentBoot;

    beforeAll(async () => {
      mkdirSync(dir, { recursive: true });
      await buildImage(deb, dir, imageEnv(image, overlayFor(image, dir)));
      copyDisk(join(dir, "disk.raw"), disk);
      b1 = await agentBoot(`${image.name} boot 1`, { ...bootOpts, serialLog: join(dir, "serial-1.log") });
      last = b1;
    }, 60 * 60_000);

    describe("first boot", () => {
      const byCloudInit = image.extra.includes("cloud-init") ? "cloud-init" : "gce-firstboot";
      firstBootChecks(() => b1, FIRST.uuid, { hostname: byCloudInit, keys: byCloudInit });

      it(`boots with the firmware asked for (${image.firmware})`, () => {
        expect(b1.r.sections.firmware).toEqual([image.firmware]);
      });

      it("keeps the MTU from metadata and the host name through a DHCP renewal forced in the guest", () => {
        const renewal = dhcpRenewal(b1.r.sections["check:dhcp-renew"]);
        expect(renewal.stack).toBe(image.net === "netplan" ? "networkd" : image.net);
        expect(renewal.exit, "the renewal command failed").toBe(0);
        expect(renewal.addrAfter).toBe("169.254.0.15/16");
        expect(renewal.mtuAfter).toBe(1460);
        expect(renewal.hostnameAfter).toBe("vm1");
      });

      it(`persists the MTU through ${mtuStack(image)}, with no warning that no stack manages ens4`, () => {
        expect(findingsOf(b1.passes, "mtu").filter((f) => f.key === "persistence")).toEqual([]);
        const persisted = changesOf(b1.passes, "mtu").filter((c) => c.action.startsWith("persisted MTU"));
        expect(persisted.map((c) => c.action)).toContain(`persisted MTU 1460 for ens4 (${mtuStack(image)})`);
      });

      if (image.extra.some((p) => p === "google-guest-agent" || p === "cloud-init")) {
        keysChangedOnceBeforeSshd(() => b1);
      }

      if (image.extra.some((p) => p === "google-guest-agent" || p === "cloud-init")) {
        it("the hostkeys/* guest attributes equal the keys sshd serves", () => {
          const served = servedKeys(b1.r.sections.served);
          const published = hostkeyAttributes(b1.r.guestAttributes);
          expect(Object.keys(published).length, JSON.stringify(b1.r.guestAttributes)).toBeGreaterThan(0);
          for (const [alg, blob] of Object.entries(published)) expect(blob, alg).toBe(served[alg]);
        });
      }

      if (image.extra.includes("grub-cloud-amd64")) {
        it("the serial-console change reaches /boot/grub/grub.cfg through update-grub", () => {
          const grub = b1.r.sections.grubcfg ?? [];
          const change = changesOf(b1.passes, "serial-console").find((c) => c.key === "bootloader config");
          expect(grub.some((l) => /generated by grub-mkconfig/.test(l)), `grub.cfg not regenerated; change: ${change?.action}`).toBe(true);
          const kernels = grub.filter((l) => /^\s*linux\s/.test(l));
          expect(kernels.length).toBeGreaterThan(0);
          for (const l of kernels) expect(l).toMatch(/console=ttyS0,38400n8/);
        });
      }
    });

    if (image.events.includes("keys-deleted-reboot")) {
      describe("keys deleted, then a reboot (same instance)", () => {
        let b2: AgentBoot;
        beforeAll(async () => {
          removeFromDisk(disk, KEY_FILES);
          const n = ++boots;
          b2 = await agentBoot(`${image.name} boot ${n} (keys deleted)`, { ...bootOpts, serialLog: join(dir, `serial-${n}.log`) });
          last = b2;
        }, 30 * 60_000);

        it("boots with no failed unit", () => {
          expect(b2.r.reportComplete, `no VMTEST-END; see ${b2.r.serialLog}`).toBe(true);
          expect(b2.r.sections.failed ?? [], `failed units`).toEqual([]);
          expect(b2.r.sections.state?.[0]).toBe("running");
        });

        it("sshd starts once and serves fresh keys of every type", () => {
          const ssh = unitTimes(b2.r.sections.show ?? [], "ssh.service");
          expect(ssh.execMainStart, "ssh.service never started").toBeDefined();
          expect(ssh.restarts, "sshd restarted (it failed before)").toBe(0);
          expect(Object.keys(b2.hostkeys).sort()).toEqual(KEY_TYPES);
          for (const type of KEY_TYPES) expect(b2.hostkeys[type], type).not.toBe(b1.hostkeys[type]);
          const served = servedKeys(b2.r.sections.served);
          expect(Object.keys(served).sort()).toEqual(["ecdsa-sha2-nistp256", "ssh-ed25519", "ssh-rsa"]);
          expect(fingerprintsByType(b2.r.sections.hostkeys ?? [])).toEqual(b2.hostkeys);
        });

        if (image.extra.includes("grub-cloud-amd64")) {
          it("the kernel runs with console=ttyS0,38400n8 from the second boot on (GRUB's regenerated grub.cfg)", () => {
            expect(b2.r.sections.cmdline?.[0]).toMatch(/(^| )console=ttyS0,38400n8( |$)/);
          });
        }
      });
    }

    if (image.events.includes("metadata-down-report")) {
      describe("an admin's change, then a boot with the metadata server unreachable (report mode)", () => {
        let before: AgentBoot;
        let b2: AgentBoot;
        beforeAll(async () => {
          before = last;
          symlinkInDisk(disk, "/etc/localtime", "/usr/share/zoneinfo/Europe/Berlin");
          // Nothing listens on port 9 of the host: the guest's connections to 169.254.169.254 are refused.
          const n = ++boots;
          b2 = await agentBoot(`${image.name} boot ${n} (metadata unreachable)`, {
            ...bootOpts, metadataUrl: "http://127.0.0.1:9", serialLog: join(dir, `serial-${n}.log`),
          });
          last = b2;
        }, 30 * 60_000);

        it("boots and reports, the metadata server unreachable", () => {
          expect(b2.r.reportComplete, `no VMTEST-END; see ${b2.r.serialLog}`).toBe(true);
          expect(b2.r.sections.metadata?.[0] ?? "").not.toMatch(/^\d+$/);
        });

        it("the admin's time zone is still there afterwards, and nothing of ours changed it", () => {
          expect(b2.r.sections.timezone?.[0]).toBe("/usr/share/zoneinfo/Europe/Berlin");
          expect(changesOf(b2.passes, "timezone")).toEqual([]);
        });

        it("the host keys stay, and sshd starts once", () => {
          expect(Object.keys(b2.hostkeys).sort()).toEqual(KEY_TYPES);
          expect(b2.hostkeys).toEqual(before.hostkeys);
          expect(unitTimes(b2.r.sections.show ?? [], "ssh.service").restarts).toBe(0);
        });
      });
    }
  });
}

if (!images.length) describe.skip("VM matrix (no image selected)", () => { it("boots the selected images", () => undefined); });
