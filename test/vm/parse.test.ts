// Fast unit test of the serial-log parsing in boot.ts (no VM).
import { describe, it, expect } from "vitest";
import { cleanSerial, parseSerial, type SerialLine } from "./boot.js";

const at = (t: number, line: string): SerialLine => ({ t, line });

describe("parseSerial", () => {
  const lines = [
    at(7.0, "SeaBIOS (version 1.16.2-debian-1.16.2-1)"),
    at(7.5, "[    0.000000] Linux version 6.1.0-56-cloud-amd64"),
    at(7.9, "[    0.300000] late line"), // delayed: offset 7.6
    at(8.0, "[    0.600000] on time"), // offset 7.4 (smallest)
    at(60.0, "VMTEST-BEGIN"),
    at(60.1, "VMTEST state running"),
    at(60.2, "VMTEST show ExecMainStartTimestampMonotonic=45000000"),
    at(60.2, "VMTEST show Id=ssh.service"),
    at(60.2, "VMTEST show ActiveEnterTimestampMonotonic=46000000"),
    at(60.2, "VMTEST show "),
    at(60.2, "VMTEST show Id=gce-firstboot-early.service"),
    at(60.2, "VMTEST show ActiveEnterTimestampMonotonic=0"),
    at(60.3, "VMTEST-END"),
  ];

  it("maps guest monotonic time to host time by the least-delayed printk line", () => {
    const p = parseSerial(lines);
    expect(p.reportComplete).toBe(true);
    expect(p.sections.state).toEqual(["running"]);
    expect(p.timings.kernelFirstLine).toBe(7.5);
    expect(p.timings.guestOffset).toBeCloseTo(7.4, 6);
    expect(p.timings.sshdActive).toBeCloseTo(53.4, 6);
    expect(p.timings.agentEarlyActive).toBeUndefined(); // 0 = never active
    expect(p.timings.reportBegin).toBe(60.0);
  });

  it("reports an unfinished log", () => {
    expect(parseSerial(lines.slice(0, 6)).reportComplete).toBe(false);
  });

  it("strips terminal escapes", () => {
    expect(cleanSerial("\x1b[0;32m  OK  \x1b[0m] Started x\r")).toBe("  OK  ] Started x");
  });
});
