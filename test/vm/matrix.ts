// The VM boot matrix (issue 17 item 1, issue 20 item 2, issue 15's VM proofs): the images people
// build for Compute Engine, combined so that each boot covers several differences (each boot
// costs minutes under TCG). boot.test.ts keeps the default image (Debian 12, networkd, MBR).
export interface MatrixImage {
  /** out/vm/<name>/ */
  name: string;
  release: "bookworm" | "trixie";
  net: "networkd" | "netplan" | "ifupdown" | "networkmanager";
  /** Who writes ens4's netplan file: the harness (default) or cloud-init, which renders its own at boot. */
  netConfig?: "harness" | "cloud-init";
  /** Debian packages installed with their defaults. */
  extra: string[];
  layout: "mbr" | "gpt";
  firmware: "bios" | "uefi";
  /** Files copied over the root last (path → content), e.g. cloud-init's datasource list. */
  files?: Record<string, string>;
  /** Lifecycle events booted after the first boot, in this order, on the same disk (issue 15). */
  events: LifecycleEvent[];
  /** In the default run (`npm test`); `GCE_FIRSTBOOT_VM_MATRIX=all` (npm run test:vm-matrix) boots all. */
  inDefaultRun: boolean;
  covers: string;
}

/**
 * keys-deleted-reboot: `rm /etc/ssh/ssh_host_*` written into the disk, then a boot of the same
 * instance. metadata-down-report: an admin's time zone (Europe/Berlin) written into the disk, then
 * a boot with the metadata server unreachable, in report mode (the shipped default).
 */
export type LifecycleEvent = "keys-deleted-reboot" | "metadata-down-report";

export const MATRIX: MatrixImage[] = [
  {
    name: "d13-netplan-grub-uefi",
    release: "trixie",
    net: "netplan",
    extra: ["grub-cloud-amd64"],
    layout: "gpt",
    firmware: "uefi",
    events: ["keys-deleted-reboot", "metadata-down-report"],
    inDefaultRun: true,
    covers: "Debian 13; netplan → networkd; grub-cloud-amd64 (update-grub path, console on /proc/cmdline from boot 2); GPT BIOS+EFI booted by OVMF; keys deleted, then a reboot; metadata server unreachable in report mode",
  },
  {
    name: "d12-ifupdown-guest-agent",
    release: "bookworm",
    net: "ifupdown",
    extra: ["google-guest-agent"],
    layout: "mbr",
    firmware: "bios",
    // Not metadata-down-report here: Debian's google-guest-agent never gets ready without the
    // metadata server (its Type=notify start times out and restarts), so the boot never finishes.
    events: [],
    inDefaultRun: false,
    covers: "Debian 12; ifupdown + isc-dhcp-client; google-guest-agent (package defaults: keys once, hostkeys/* attributes)",
  },
  {
    name: "d13-networkmanager",
    release: "trixie",
    net: "networkmanager",
    extra: [],
    layout: "mbr",
    firmware: "bios",
    events: [],
    inDefaultRun: false,
    covers: "Debian 13; NetworkManager (package defaults: its automatic profile on ens4)",
  },
  {
    name: "d13-ifupdown-dhcpcd",
    release: "trixie",
    net: "ifupdown",
    extra: [],
    layout: "mbr",
    firmware: "bios",
    events: [],
    inDefaultRun: false,
    covers: "Debian 13; ifupdown + dhcpcd-base (Debian 13's default DHCP client, Priority important) on ifupdown's own `iface ens4 inet dhcp`",
  },
  {
    // cloud-init on Debian 13 goes with netplan → networkd, as in Debian's own cloud images. Not with
    // NetworkManager: Debian's cloud-init runs its network stage before sysinit.target, ordered
    // after networkd and ifupdown only, so on Debian it starts before NetworkManager and fails
    // (booted 2026-12-02: cloud-init-network.service failed, ens4 still down); the RHEL family's
    // cloud-init units wait for NetworkManager, that combination is RHEL's. Not with ifupdown +
    // dhcpcd-base: cloud-init 25.1 (GCE datasource) renders /etc/network/interfaces.d/50-cloud-init
    // with `iface ens4 inet6 dhcp`, which ifupdown serves with dhclient only (booted 2026-12-02:
    // "No DHCPv6 client software found!", ifup failed to bring up ens4, networking.service and
    // cloud-init-network.service failed). docs/image-builders.md tells builders.
    name: "d13-netplan-cloud-init",
    release: "trixie",
    net: "netplan",
    netConfig: "cloud-init",
    // e2fsprogs: cloud-init's resizefs runs resize2fs, which Debian 13's minbase no longer has (not
    // Priority required); without it cloud-init-network.service fails. Debian's cloud images carry it.
    extra: ["cloud-init", "e2fsprogs"],
    layout: "mbr",
    firmware: "bios",
    files: { "/etc/cloud/cloud.cfg.d/90-vm-test-gce.cfg": "datasource_list: [ GCE ]\n" },
    events: [],
    inDefaultRun: false,
    covers: "Debian 13; netplan → networkd with ens4's config rendered by cloud-init; cloud-init (package defaults, GCE datasource: it sets the host name and makes the keys once, we adopt and publish them)",
  },
];

/** GCE_FIRSTBOOT_VM_MATRIX: unset = the default run's images, `all`, `none`, or names separated by commas. */
export function selectedImages(choice = process.env.GCE_FIRSTBOOT_VM_MATRIX): MatrixImage[] {
  if (choice === undefined || choice === "") return MATRIX.filter((i) => i.inDefaultRun);
  if (choice === "all") return MATRIX;
  if (choice === "none") return [];
  const names = choice.split(",").map((n) => n.trim());
  const unknown = names.filter((n) => !MATRIX.some((i) => i.name === n));
  if (unknown.length) throw new Error(`GCE_FIRSTBOOT_VM_MATRIX: unknown image ${unknown.join(", ")} (${MATRIX.map((i) => i.name).join(", ")})`);
  return MATRIX.filter((i) => names.includes(i.name));
}

/** The build scripts' environment for an image. */
export function imageEnv(image: MatrixImage, overlay?: string): NodeJS.ProcessEnv {
  return {
    GCE_FIRSTBOOT_VM_RELEASE: image.release,
    GCE_FIRSTBOOT_VM_NET: image.net,
    GCE_FIRSTBOOT_VM_NET_CONFIG: image.netConfig ?? "harness",
    GCE_FIRSTBOOT_VM_EXTRA: image.extra.join(","),
    GCE_FIRSTBOOT_VM_LAYOUT: image.layout,
    GCE_FIRSTBOOT_VM_NO_TAR: "1",
    ...(overlay ? { GCE_FIRSTBOOT_VM_OVERLAY: overlay } : {}),
  };
}
