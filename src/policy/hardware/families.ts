/**
 * What Compute Engine attaches per machine family (seed 003 and Compute Engine's machine-family
 * pages): the third generation and later (C3, C3D, C4, N4, H3, Z3, A3, X4...) reach disks only
 * through Google's NVMe controller and network only through gVNIC; the older families offer
 * virtio-scsi or NVMe, and virtio-net or gVNIC. Modern virtio ids (1041 net, 1048 scsi) use the
 * same drivers and are accepted with the legacy ones.
 */
export interface DeviceClass {
  /** What the finding key names, e.g. "disk controller". */
  what: string;
  ids: readonly string[];
  /** How the ids read in a finding key. */
  label: string;
  needsDriver: boolean;
}

const VIRTIO_NET = { ids: ['1af4:1000', '1af4:1041'], label: 'virtio-net 1af4:1000' };
const GVNIC = { ids: ['1ae0:0042'], label: 'gVNIC 1ae0:0042' };
const VIRTIO_SCSI = { ids: ['1af4:1004', '1af4:1048'], label: 'virtio-scsi 1af4:1004' };
const NVME = { ids: ['1ae0:001f'], label: 'NVMe 1ae0:001f' };

const NVME_GVNIC_ONLY = new Set(['a3', 'a4', 'c3', 'c3d', 'c4', 'c4a', 'c4d', 'h3', 'n4', 'x4', 'z3']);
const PIIX4 = [
  { what: 'PIIX4 ACPI bridge', ids: ['8086:7113'], label: '8086:7113', needsDriver: false },
  { what: 'PIIX4 ISA bridge', ids: ['8086:7110'], label: '8086:7110', needsDriver: false },
];

function either(what: string, ...choices: { ids: string[]; label: string }[]): DeviceClass {
  return { what, ids: choices.flatMap((choice) => choice.ids), label: choices.map((choice) => choice.label).join(' or '), needsDriver: true };
}

export interface FamilyExpectation {
  /** e.g. "c3", or undefined when the machine type is not known (offline, or not Compute Engine). */
  family: string | undefined;
  summary: string;
  devices: DeviceClass[];
}

/** "projects/1/machineTypes/c3-standard-4" → "c3"; undefined for anything else. */
export function familyOf(machineType: string | undefined): string | undefined {
  const name = machineType?.trim().split('/').pop() ?? '';
  const match = /^([a-z][a-z0-9]*?)-[a-z0-9-]+$/.exec(name);
  return match ? match[1] : undefined;
}

export function expectationFor(family: string | undefined): FamilyExpectation {
  if (family && NVME_GVNIC_ONLY.has(family)) {
    return {
      family,
      summary: `${family}: disks on NVMe only, network on gVNIC only`,
      // Third-generation machines have no PIIX4 chipset to expect: not checked there.
      devices: [either('ethernet', GVNIC), either('disk controller', NVME)],
    };
  }
  return {
    family,
    summary: `${family ?? 'machine family unknown'}: disks on virtio-scsi or NVMe, network on virtio-net or gVNIC`,
    devices: [either('ethernet', VIRTIO_NET, GVNIC), either('disk controller', VIRTIO_SCSI, NVME), ...PIIX4],
  };
}
