// Fast unit test of agent-log.ts on lines taken from a real first boot's serial log (no VM).
import { describe, it, expect } from "vitest";
import {
  agentPasses, changesOf, dhcpRenewal, findingsOf, fingerprintsByType, hostkeyAttributes, inGuestCheck, keyFileTimes,
  printedFingerprintBlocks, servedKeys, unitTimes,
} from "./agent-log.js";

const T = '"time":"2026-11-23T13:08:14.535Z","instance":"1234567890123456789"';
const U = '"time":"2026-11-23T13:08:50.500Z","instance":"1234567890123456789"';
const log = [
  "[   76.142324] localhost gce-firstboot[327]: pass (start)",
  "-----BEGIN SSH HOST KEY FINGERPRINTS-----",
  "256 SHA256:PZdgco0f8uWynNkWDnUvS11eVfV5aauQbVd0XpTPeC4 /etc/ssh/ssh_host_ecdsa_key.pub (ECDSA)",
  "256 SHA256:fTTr5bBSWjwLFxk1Bh6FVlVfenXYmwA7a9kU7nBPgjM /etc/ssh/ssh_host_ed25519_key.pub (ED25519)",
  "3072 SHA256:WvdPwFTtJF5gOSBP5DIyOCjqNX24n8mEP2vC8zDKLaE /etc/ssh/ssh_host_rsa_key.pub (RSA)",
  "-----END SSH HOST KEY FINGERPRINTS-----",
  `gce-firstboot/1 {"v":1,"event":"start",${T},"mode":"check"}`,
  `gce-firstboot/1 {"v":1,"event":"change",${T},"module":"hostname","key":"/etc/hostname","action":"set to vm1","path":"/etc/hostname"}`,
  // A kernel line landing in front of ours on the shared console.
  `[  104.1] random: crng init done gce-firstboot/1 {"v":1,"event":"finding",${T},"module":"sshd","key":"/etc/ssh/sshd_config.d/10-gce-firstboot.conf","expected":"PasswordAuthentication no","actual":"(absent)"}`,
  `gce-firstboot/1 {"v":1,"event":"summary",${T},"mode":"check","action":"drift: sshd 1","summary":{"compliant":false,"modules":14,"drift":1,"changes":1,"failed":0,"skipped":0,"metadataUnreachable":false}}`,
  `gce-firstboot/1 {"v":1,"event":"start",${U},"mode":"check"}`,
  `gce-firstboot/1 {"v":1,"event":"finding",${U},"module":"hardware","key":"scsi (virtio-scsi 1af4:1004)","expected":"present, driver bound","actual":"0000:00:03.0 1af4:1004, driver virtio-pci + virtio_scsi","severity":"info","fixable":false}`,
  `gce-firstboot/1 {"v":1,"event":"summary",${U},"mode":"check","action":"compliant, 14 modules","summary":{"compliant":true,"modules":14,"drift":0,"changes":0,"failed":0,"skipped":0,"metadataUnreachable":false}}`,
];

describe("agent-log", () => {
  it("keeps every pass of one instance, not only the latest", () => {
    const passes = agentPasses(log);
    expect(passes.map((p) => p.summary.compliant)).toEqual([false, true]);
    expect(passes.every((p) => p.complete)).toBe(true);
    expect(changesOf(passes, "hostname").map((c) => c.action)).toEqual(["set to vm1"]);
    expect(findingsOf(passes, "sshd").map((f) => f.actual)).toEqual(["(absent)"]);
    expect(findingsOf(passes.slice(1), "hardware")[0]?.severity).toBe("info");
  });

  it("reads the printed fingerprint block as ssh-keygen -lf prints it", () => {
    const [block] = printedFingerprintBlocks(log);
    expect(block).toEqual(fingerprintsByType([
      "256 SHA256:PZdgco0f8uWynNkWDnUvS11eVfV5aauQbVd0XpTPeC4 no comment (ECDSA)",
      "256 SHA256:fTTr5bBSWjwLFxk1Bh6FVlVfenXYmwA7a9kU7nBPgjM no comment (ED25519)",
      "3072 SHA256:WvdPwFTtJF5gOSBP5DIyOCjqNX24n8mEP2vC8zDKLaE no comment (RSA)",
    ]));
    expect(Object.keys(block!)).toEqual(["ECDSA", "ED25519", "RSA"]);
  });

  it("reads unit times (never started = undefined) and puts key ctimes on the monotonic clock", () => {
    const show = [
      "Result=exit-code", "NRestarts=5", "ExecMainStartTimestampMonotonic=0", "Id=ssh.service", "ActiveState=failed", "",
      "Result=success", "NRestarts=0", "ExecMainStartTimestampMonotonic=66901535", "Id=gce-firstboot.service",
      "ActiveEnterTimestampMonotonic=99981778",
    ];
    expect(unitTimes(show, "ssh.service")).toEqual({ execMainStart: undefined, activeEnter: undefined, result: "exit-code", restarts: 5 });
    expect(unitTimes(show, "gce-firstboot.service").activeEnter).toBeCloseTo(99.981778, 6);
    const times = keyFileTimes(["1000.5 /etc/ssh/ssh_host_rsa_key"], ["1010.0 103.70"]);
    expect(times["/etc/ssh/ssh_host_rsa_key"]).toBeCloseTo(94.2, 6);
  });

  it("reads the in-guest check's JSON and exit code; a cut-off JSON gives no report", () => {
    expect(inGuestCheck(["{", '  "summary": {"compliant": true}', "}", "exit 0"])).toEqual({ report: { summary: { compliant: true } }, exit: 0 });
    expect(inGuestCheck(["{", "exit 1"])).toEqual({ exit: 1 });
    expect(inGuestCheck(undefined)).toEqual({});
  });

  it("reads a forced DHCP renewal's outcome (checks.d/dhcp-renew.sh)", () => {
    const section = [
      "before mtu 1460 hostname vm1", "stack ifupdown", "command sh -c ifdown ens4 && ifup ens4", "exit 0",
      "after mtu 1500", "after hostname vm1.c.proj.internal", "after addr 169.254.0.15/16",
    ];
    expect(dhcpRenewal(section)).toEqual({
      stack: "ifupdown", exit: 0, mtuAfter: 1500, hostnameAfter: "vm1.c.proj.internal", addrAfter: "169.254.0.15/16",
    });
    expect(dhcpRenewal(["stack none"])).toEqual({ stack: "none" });
  });

  it("compares the keys sshd serves with the hostkeys/* guest attributes, blob by blob", () => {
    const served = servedKeys(["127.0.0.1:22 SSH-2.0-OpenSSH_10.0p2", "ecdsa-sha2-nistp256 AAAAE2Vj", "ssh-ed25519 AAAAC3Nz", "ssh-rsa AAAAB3Nz"]);
    expect(served).toEqual({ "ecdsa-sha2-nistp256": "AAAAE2Vj", "ssh-ed25519": "AAAAC3Nz", "ssh-rsa": "AAAAB3Nz" });
    const attributes = { hostkeys: { "ssh-ed25519": "ssh-ed25519 AAAAC3Nz root@vm1\n", "ssh-rsa": "AAAAB3Nz" }, other: "x" };
    expect(hostkeyAttributes(attributes)).toEqual({ "ssh-ed25519": "AAAAC3Nz", "ssh-rsa": "AAAAB3Nz" });
    expect(hostkeyAttributes({})).toEqual({});
  });
});
