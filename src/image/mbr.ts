import { MBR_TYPE, type Partition } from './partition.js';

export const SECTOR = 512;
/** The boot code area before the disk signature and the partition entries. */
const BOOT_CODE_END = 440;

export interface Mbr {
  partitions: Partition[];
  /** Non-zero bytes in the boot code area: something (GRUB's boot.img, ...) a BIOS would run. */
  hasBootCode: boolean;
  /** A GPT's protective entry (type 0xEE) is present. */
  protective: boolean;
}

/** The MBR in sector 0, or undefined without its 55 AA signature. */
export function parseMbr(sector: Buffer): Mbr | undefined {
  if (sector.length < SECTOR || sector[510] !== 0x55 || sector[511] !== 0xaa) return undefined;
  const partitions: Partition[] = [];
  for (let index = 0; index < 4; index += 1) {
    const entry = sector.subarray(446 + index * 16, 462 + index * 16);
    const type = entry[4]!;
    if (type === 0) continue;
    partitions.push({ number: index + 1, bootable: entry[0] === 0x80, mbrType: type, startBytes: entry.readUInt32LE(8) * SECTOR, sizeBytes: entry.readUInt32LE(12) * SECTOR });
  }
  return {
    partitions,
    hasBootCode: sector.subarray(0, BOOT_CODE_END).some((byte) => byte !== 0),
    protective: partitions.some((partition) => partition.mbrType === MBR_TYPE.gptProtective),
  };
}
