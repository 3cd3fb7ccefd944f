/** Partition type GUIDs image check knows (the Discoverable Partitions / UEFI specifications). */
export const GPT_TYPE = {
  linuxRootX86_64: '4f68bce3-e8cd-4db1-96e7-fbcaf984b709',
  linuxFilesystem: '0fc63daf-8483-4772-8e79-3d69d8477de4',
  biosBoot: '21686148-6449-6e6f-744e-656564454649',
  efiSystem: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b',
} as const;

/** MBR partition type bytes. */
export const MBR_TYPE = { linux: 0x83, efiSystem: 0xef, gptProtective: 0xee } as const;
export const MBR_EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);

/** One partition of an MBR or a GPT, in bytes from the start of the disk. */
export interface Partition {
  number: number;
  startBytes: number;
  sizeBytes: number;
  /** MBR: the active flag (0x80). */
  bootable: boolean;
  /** MBR: the type byte. */
  mbrType?: number;
  /** GPT: the partition type GUID, lower case. */
  typeGuid?: string;
}

export const isEfiSystem = (partition: Partition) => partition.typeGuid === GPT_TYPE.efiSystem || partition.mbrType === MBR_TYPE.efiSystem;
export const isBiosBoot = (partition: Partition) => partition.typeGuid === GPT_TYPE.biosBoot;

/** How a report names a partition: "partition 2 (EFI system)". */
export function describePartition(partition: Partition): string {
  const type = Object.entries(GPT_TYPE).find(([, guid]) => guid === partition.typeGuid)?.[0];
  const names: Record<string, string> = { linuxRootX86_64: 'Linux root x86-64', linuxFilesystem: 'Linux filesystem', biosBoot: 'BIOS boot', efiSystem: 'EFI system' };
  if (type) return `partition ${partition.number} (${names[type]})`;
  if (partition.typeGuid) return `partition ${partition.number} (type ${partition.typeGuid})`;
  return `partition ${partition.number} (type 0x${partition.mbrType!.toString(16)})`;
}
