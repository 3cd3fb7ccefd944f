// Boot a disk.raw under QEMU with Compute Engine's virtual hardware, the metadata emulator
// behind 169.254.169.254, and the serial console captured with host timestamps.
//
// Library: `bootImage(opts)` (used by boot.test.ts, later by bench/).
// CLI (after `npm run build`):
//   node dist/test/vm/boot.js --disk out/vm/disk.raw [--uuid U] [--metadata FILE.json]
//        [--persistent] [--kernel DIR] [--timeout 300] [--log FILE] [--no-restrict] [--uefi]
//        [--dhcp-hostname NAME]
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { copyFileSync, createWriteStream, existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

/** The repository root: the nearest parent holding package.json (works from test/ and dist/test/). */
export const REPO_ROOT = ((): string => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, "package.json")) && dirname(d) !== d) d = dirname(d);
  return d;
})();

export interface MetadataTree {
  instance: Record<string, unknown>;
  project: Record<string, unknown>;
}

export function defaultMetadata(uuid: string, instanceId = "1234567890123456789"): MetadataTree {
  return {
    instance: {
      id: instanceId,
      hostname: "vm1.c.proj.internal",
      name: "vm1",
      zone: "projects/123/zones/us-central1-a",
      attributes: {},
      "network-interfaces": [{ ip: "169.254.0.15", mtu: 1460, mac: "52:54:00:12:34:56" }],
      "machine-type": "projects/123/machineTypes/e2-small",
      uuid,
    },
    project: { "project-id": "proj", "numeric-project-id": 123, attributes: {} },
  };
}

export interface BootOptions {
  disk: string;
  /** SMBIOS system UUID (the agent keys host-key identity on product_uuid). */
  uuid?: string;
  /** Metadata tree served by the emulator; default defaultMetadata(uuid). */
  metadata?: MetadataTree;
  /** Use an already running metadata server instead of starting the emulator. */
  metadataUrl?: string;
  /** Command that starts the emulator; it gets `--listen 127.0.0.1:0 --data FILE` appended. */
  emulatorCommand?: string[];
  /** Boot the disk itself (writes persist) instead of `snapshot=on`. Use a copy. */
  persistent?: boolean;
  /** Directory with vmlinuz, initrd.img, cmdline (from build-image.sh): direct kernel boot. */
  kernelDir?: string;
  timeoutMs?: number;
  /** Serial log path (timestamped); the raw bytes go to `${serialLog}.raw`. */
  serialLog?: string;
  /** slirp restrict=on: the guest reaches only the guestfwd target (default true). */
  restrict?: boolean;
  memoryMiB?: number;
  extraQemuArgs?: string[];
  /**
   * Firmware: SeaBIOS (default; Compute Engine boots images without UEFI_COMPATIBLE so) or OVMF,
   * UEFI (Debian's `ovmf` package; a fresh copy of its variable store per boot).
   */
  firmware?: "bios" | "uefi";
  /** Host name QEMU's DHCP server hands out (option 12), as Compute Engine's DHCP does. */
  dhcpHostname?: string;
  /** Called for every serial line as it arrives (host seconds since QEMU start). */
  onLine?: (t: number, line: string) => void;
}

export interface SerialLine { t: number; line: string }

export interface BootTimings {
  /** Host seconds from QEMU spawn. */
  kernelFirstLine?: number;
  /** host time − guest monotonic time, seconds (from printk timestamps). */
  guestOffset?: number;
  sshdActive?: number;
  agentEarlyActive?: number;
  reportBegin?: number;
  qemuExit: number;
}

export interface BootResult {
  serialLog: string;
  lines: SerialLine[];
  /** VMTEST lines grouped by section, in order. */
  sections: Record<string, string[]>;
  reportComplete: boolean;
  timedOut: boolean;
  exitCode: number | null;
  timings: BootTimings;
  accel: "kvm" | "tcg";
  uuid: string;
  qemuArgs: string[];
  /** The guest attributes the guest wrote to the emulator (read before it stops); {} without one. */
  guestAttributes: Record<string, unknown>;
}

/** OVMF from Debian's `ovmf` package (4 MiB flash layout). */
export const OVMF = { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd" };

export function chooseAccel(): "kvm" | "tcg" {
  const env = process.env.GCE_FIRSTBOOT_VM_ACCEL;
  if (env === "kvm" || env === "tcg") return env;
  // VM-NOTES: /dev/kvm exists on CI machines but hangs a stock guest; use KVM only when the
  // CPU flags show vmx/svm. Never "kvm:tcg".
  try {
    const flags = readFileSync("/proc/cpuinfo", "utf8");
    if (/^flags\s*:.*\b(vmx|svm)\b/m.test(flags) && existsSync("/dev/kvm")) return "kvm";
  } catch { /* fall through */ }
  return "tcg";
}

// ANSI escapes (agetty, systemd status colours) and other control chars out of serial lines.
// eslint-disable-next-line no-control-regex
const CTRL = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>c]|[\x00-\x08\x0b-\x1f\x7f]/g;
export function cleanSerial(s: string): string {
  return s.replace(CTRL, "");
}

const PRINTK = /^\[\s*(\d+\.\d+)\]/;

/** Start the metadata emulator; resolves with its URL and the process. */
export async function startEmulator(
  command: string[],
  tree: MetadataTree,
  workDir: string,
): Promise<{ url: string; proc: ChildProcess }> {
  const data = join(workDir, "metadata.json");
  writeFileSync(data, JSON.stringify(tree, null, 2));
  const [cmd, ...args] = command;
  if (!cmd) throw new Error("empty emulator command");
  const proc = spawn(cmd, [...args, "--listen", "127.0.0.1:0", "--data", data], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (b: Buffer) => { stderr += b.toString(); });
  const rl = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`emulator did not start in 15 s: ${stderr}`)), 15000);
    rl.on("line", (l) => {
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(l);
      if (m) { clearTimeout(timer); res(m[1]!); }
    });
    proc.on("exit", (c) => { clearTimeout(timer); rej(new Error(`emulator exited ${c}: ${stderr}`)); });
  });
  return { url, proc };
}

export function defaultEmulatorCommand(): string[] | undefined {
  const js = join(REPO_ROOT, "dist/src/emulator/main.js");
  return existsSync(js) ? [process.execPath, js] : undefined;
}

export async function bootImage(opts: BootOptions): Promise<BootResult> {
  const uuid = opts.uuid ?? randomUUID();
  const workDir = mkdtempSync(join(tmpdir(), "gce-firstboot-vm-"));
  const serialLog = opts.serialLog ?? join(workDir, "serial.log");
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const accel = chooseAccel();

  // Metadata: an explicit URL, else the emulator (if built), else nothing answers on :80.
  let emulator: ChildProcess | undefined;
  let metaPort = 9; // discard: connections are refused, the guest sees no metadata server
  let metaUrl = opts.metadataUrl;
  if (!metaUrl) {
    const cmd = opts.emulatorCommand ?? defaultEmulatorCommand();
    if (cmd) {
      const started = await startEmulator(cmd, opts.metadata ?? defaultMetadata(uuid), workDir);
      emulator = started.proc;
      metaUrl = started.url;
    } else {
      process.stderr.write("boot: no metadata emulator (dist/src/emulator/main.js not built); guest gets none\n");
    }
  }
  if (metaUrl) metaPort = Number(new URL(metaUrl).port);

  const restrict = opts.restrict ?? true;
  const netdev = [
    // Addresses pinned (slirp would pick .2.2/.2.3/.2.15 in a /16): gateway, DNS, and the
    // guest's DHCP address 169.254.0.15, as in defaultMetadata's network-interfaces.
    "user", "id=n0", "net=169.254.0.0/16", "host=169.254.0.2", "dns=169.254.0.3", "dhcpstart=169.254.0.15",
    // cmd: runs once per connection (a tcp: target answers only the first one). slirp hands the
    // command the connection as stdin, stdout and stderr: socat's own messages (e.g. "Connection
    // refused" when no emulator listens) would reach the guest as a reply, hence -lf /dev/null.
    `guestfwd=tcp:169.254.169.254:80-cmd:socat -lf /dev/null - TCP:127.0.0.1:${metaPort}`,
    ...(opts.dhcpHostname ? [`hostname=${opts.dhcpHostname}`] : []),
    ...(restrict ? ["restrict=on"] : []),
  ].join(",");
  const driveOpts = [
    `file=${opts.disk}`, "format=raw", "if=none", "id=d0", "cache=unsafe",
    ...(opts.persistent ? [] : ["snapshot=on"]),
  ].join(",");
  const firmware: string[] = [];
  if (opts.firmware === "uefi") {
    if (!existsSync(OVMF.code)) throw new Error(`${OVMF.code} missing (apt-get install ovmf)`);
    const vars = join(workDir, "OVMF_VARS.fd");
    copyFileSync(OVMF.vars, vars);
    firmware.push(
      "-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF.code}`,
      "-drive", `if=pflash,format=raw,unit=1,file=${vars}`,
    );
  }
  const args = [
    "-nodefaults", "-vga", "none", "-display", "none", "-no-reboot",
    ...firmware,
    "-machine", `pc,accel=${accel}`,
    // TCG: "max" has RDRAND, so the guest's crng is ready at once (qemu64 lacks it and
    // systemd waited ~6 s for entropy); Compute Engine's CPUs have RDRAND too. Not
    // "max,-svm,-vmx": three boots with it saw systemd-logind/networkd fail their starts
    // over and over and never finish; plain "max" booted cleanly on the same loaded machine.
    "-cpu", process.env.GCE_FIRSTBOOT_VM_CPU ?? (accel === "kvm" ? "host" : "max"),
    "-smp", process.env.GCE_FIRSTBOOT_VM_SMP ?? "1",
    "-m", String(opts.memoryMiB ?? 1024),
    "-smbios", `type=1,manufacturer=Google,product=Google Compute Engine,serial=GoogleCloud-1234,uuid=${uuid}`,
    // PCI slots as on Compute Engine: disk controller 00:03.0, NIC 00:04.0 → the NIC is ens4.
    "-device", "virtio-scsi-pci,id=scsi0,addr=3",
    "-drive", driveOpts,
    "-device", "scsi-hd,drive=d0,bus=scsi0.0,bootindex=1",
    "-netdev", netdev,
    // romfile= : no iPXE option ROM (faster, and not needed: we boot from disk).
    "-device", "virtio-net-pci,netdev=n0,addr=4,romfile=",
    "-chardev", "stdio,id=s0,signal=off",
    "-serial", "chardev:s0",
    // Compute Engine has four 16550A ports on IRQ 4, 3, 6, 7 (the hardware module checks them);
    // -nodefaults leaves only ttyS0, and QEMU would put ttyS2/3 on IRQ 4/3.
    ...[[1, 3], [2, 6], [3, 7]].flatMap(([index, irq]) => [
      "-chardev", `null,id=s${index}`,
      "-device", `isa-serial,chardev=s${index},index=${index},irq=${irq}`,
    ]),
    ...(opts.kernelDir
      ? [
          "-kernel", join(opts.kernelDir, "vmlinuz"),
          "-initrd", join(opts.kernelDir, "initrd.img"),
          "-append", readFileSync(join(opts.kernelDir, "cmdline"), "utf8").trim(),
        ]
      : []),
    ...(opts.extraQemuArgs ?? []),
  ];

  const out = createWriteStream(serialLog);
  const raw = createWriteStream(`${serialLog}.raw`);
  const lines: SerialLine[] = [];
  out.write(`# qemu-system-x86_64 ${args.map((a) => (/[\s,]/.test(a) ? JSON.stringify(a) : a)).join(" ")}\n`);
  out.write(`# started ${new Date().toISOString()} accel=${accel} uuid=${uuid} metadata=${metaUrl ?? "none"}\n`);

  const t0 = performance.now();
  const qemu = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
  let qemuErr = "";
  qemu.stderr!.on("data", (b: Buffer) => { qemuErr += b.toString(); });
  let partial = "";
  const emit = (line: string) => {
    const t = (performance.now() - t0) / 1000;
    const clean = cleanSerial(line);
    lines.push({ t, line: clean });
    out.write(`${t.toFixed(3).padStart(8)} ${clean}\n`);
    opts.onLine?.(t, clean);
  };
  qemu.stdout!.on("data", (b: Buffer) => {
    raw.write(b);
    partial += b.toString("latin1");
    const parts = partial.split(/\r?\n/);
    partial = parts.pop() ?? "";
    for (const p of parts) emit(p);
  });

  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; qemu.kill("SIGKILL"); }, timeoutMs);
  const [code] = (await once(qemu, "exit")) as [number | null];
  clearTimeout(timer);
  if (partial) emit(partial);
  const qemuExit = (performance.now() - t0) / 1000;
  const guestAttributes = metaUrl ? await readGuestAttributes(metaUrl) : {};
  emulator?.kill("SIGTERM");
  if (qemuErr.trim()) out.write(`# qemu stderr: ${qemuErr.trim()}\n`);
  out.write(`# exit ${code} after ${qemuExit.toFixed(3)} s${timedOut ? " (TIMEOUT, killed)" : ""}\n`);
  await Promise.all([new Promise((r) => out.end(r)), new Promise((r) => raw.end(r))]);

  const parsed = parseSerial(lines);
  return {
    serialLog, lines, ...parsed, timedOut, exitCode: code, accel, uuid, qemuArgs: args, guestAttributes,
    timings: { ...parsed.timings, qemuExit },
  };
}

/** The emulator's record of the guest attributes the guest PUT (its control endpoint); {} if it has none. */
async function readGuestAttributes(metaUrl: string): Promise<Record<string, unknown>> {
  try {
    const res = await fetch(new URL("/emulator/guest-attributes", metaUrl), { signal: AbortSignal.timeout(5000) });
    return res.ok ? ((await res.json()) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Pull the VMTEST sections and the timings out of timestamped serial lines. */
export function parseSerial(lines: SerialLine[]): {
  sections: Record<string, string[]>;
  reportComplete: boolean;
  timings: Omit<BootTimings, "qemuExit">;
} {
  const sections: Record<string, string[]> = {};
  let begin: number | undefined;
  let complete = false;
  let kernelFirstLine: number | undefined;
  let guestOffset: number | undefined;
  for (const { t, line } of lines) {
    const pk = PRINTK.exec(line);
    if (pk) {
      kernelFirstLine ??= t;
      const off = t - Number(pk[1]);
      // The smallest host−guest difference is the line that was delayed least.
      if (guestOffset === undefined || off < guestOffset) guestOffset = off;
    }
    if (line === "VMTEST-BEGIN") begin = t;
    else if (line === "VMTEST-END") complete = true;
    const m = /^VMTEST (\S+) ?(.*)$/.exec(line);
    if (m) (sections[m[1]!] ??= []).push(m[2]!);
  }
  // ActiveEnterTimestampMonotonic (µs, guest monotonic) → host seconds since QEMU start.
  const units = unitProperties(sections.show ?? []);
  const mono = (unit: string): number | undefined => {
    const v = units[unit]?.ActiveEnterTimestampMonotonic;
    if (!v || v === "0" || guestOffset === undefined) return undefined;
    return Number(v) / 1e6 + guestOffset;
  };
  return {
    sections,
    reportComplete: complete,
    timings: {
      kernelFirstLine, guestOffset,
      sshdActive: mono("ssh.service"),
      agentEarlyActive: mono("gce-firstboot-early.service"),
      reportBegin: begin,
    },
  };
}

/** `systemctl show` output (one block of Key=value lines per unit, blocks separated by "") by unit Id. */
export function unitProperties(show: string[]): Record<string, Record<string, string>> {
  const units: Record<string, Record<string, string>> = {};
  let block: Record<string, string> = {};
  for (const l of [...show, ""]) {
    if (l === "") {
      if (block.Id) units[block.Id] = block;
      block = {};
      continue;
    }
    const eq = l.indexOf("=");
    if (eq > 0) block[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return units;
}

/** A sparse copy of a disk to boot with `persistent: true` (second-boot tests). */
export function copyDisk(src: string, dst: string): string {
  execFileSync("cp", ["--sparse=always", src, dst]);
  return dst;
}

/** Byte offset of the root file system in a disk build-image.sh made: its Linux partition, MBR or GPT. */
export function rootPartitionOffset(disk: string): number {
  const table = (JSON.parse(execFileSync("sfdisk", ["--json", disk], { encoding: "utf8" })) as {
    partitiontable: { sectorsize?: number; partitions: { start: number; type: string }[] };
  }).partitiontable;
  const root = table.partitions.find((p) => p.type === "83" || p.type.toUpperCase() === "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
  if (!root) throw new Error(`${disk}: no Linux partition`);
  return root.start * (table.sectorsize ?? 512);
}

/** Runs debugfs requests (read-write) on the root file system of a disk that is not running: no mount. */
function debugfsOnDisk(disk: string, requests: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "gce-firstboot-vm-debugfs-"));
  try {
    writeFileSync(join(dir, "requests"), `${requests.join("\n")}\n`);
    return execFileSync("debugfs", ["-w", "-f", join(dir, "requests"), `${disk}?offset=${rootPartitionOffset(disk)}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes a file into the ext4 root of a disk that is not running, with e2fsprogs' debugfs: no
 * mount, no loop device. Drift injected between two boots of the same disk. The file is created
 * (mode 0644, root-owned); an existing one is left as it is and this throws.
 */
export function writeFileIntoDisk(disk: string, guestPath: string, content: string): void {
  const dir = mkdtempSync(join(tmpdir(), "gce-firstboot-vm-file-"));
  const local = join(dir, "file");
  writeFileSync(local, content, { mode: 0o644 });
  let out: string;
  try {
    out = debugfsOnDisk(disk, [`write ${local} ${guestPath}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!/Allocated inode/.test(out)) throw new Error(`debugfs could not write ${guestPath} into ${disk}: ${out.trim()}`);
}

/** Deletes files from the root of a disk that is not running (an admin's `rm` before a reboot). */
export function removeFromDisk(disk: string, guestPaths: string[]): void {
  debugfsOnDisk(disk, guestPaths.map((p) => `rm ${p}`));
  const left = guestPaths.filter((p) => existsInDisk(disk, p));
  if (left.length) throw new Error(`debugfs could not remove ${left.join(", ")} from ${disk}`);
}

function existsInDisk(disk: string, guestPath: string): boolean {
  const r = spawnSync("debugfs", ["-R", `stat ${guestPath}`, `${disk}?offset=${rootPartitionOffset(disk)}`], { encoding: "utf8" });
  return !/File not found/.test(`${r.stdout}${r.stderr}`);
}

/** Replaces a path in the root of a disk that is not running with a symbolic link (e.g. /etc/localtime). */
export function symlinkInDisk(disk: string, guestPath: string, target: string): void {
  debugfsOnDisk(disk, [`rm ${guestPath}`, `symlink ${guestPath} ${target}`]);
}

// ---- CLI ------------------------------------------------------------------------------------
function parseArgs(argv: string[]): BootOptions & { metadataFile?: string } {
  const o: BootOptions & { metadataFile?: string } = { disk: "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case "--disk": o.disk = next(); break;
      case "--uuid": o.uuid = next(); break;
      case "--metadata": o.metadataFile = next(); break;
      case "--metadata-url": o.metadataUrl = next(); break;
      case "--persistent": o.persistent = true; break;
      case "--kernel": o.kernelDir = next(); break;
      case "--timeout": o.timeoutMs = Number(next()) * 1000; break;
      case "--log": o.serialLog = next(); break;
      case "--no-restrict": o.restrict = false; break;
      case "--uefi": o.firmware = "uefi"; break;
      case "--dhcp-hostname": o.dhcpHostname = next(); break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!o.disk) throw new Error("--disk is required");
  if (o.metadataFile) o.metadata = JSON.parse(readFileSync(o.metadataFile, "utf8")) as MetadataTree;
  return o;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  o.onLine = (t, l) => process.stderr.write(`${t.toFixed(3).padStart(8)} ${l}\n`);
  const r = await bootImage(o);
  const { lines: _l, qemuArgs: _q, ...summary } = r;
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = r.reportComplete && !r.timedOut ? 0 : 1;
}
