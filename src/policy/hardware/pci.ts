import type { Host } from '../../host/host.js';

export interface PciDevice {
  slot: string;
  vendor: string;
  device: string;
  subsystemDevice: string | undefined;
  /** The PCI driver bound to the device, and for virtio devices the virtio driver on top. */
  drivers: string[];
  /** False for a virtio device whose virtio driver (virtio_net, virtio_scsi) is not bound. */
  fullyBound: boolean;
}

const DEVICES = 'bus/pci/devices';
const basename = (link: string): string => link.split('/').pop() ?? link;
const hexId = (text: string | undefined): string | undefined => (text && /^0x[0-9a-f]{4}$/i.test(text) ? text.slice(2).toLowerCase() : undefined);

/** Every PCI device sysfs shows, with its ids and bound drivers; devices with unreadable ids are skipped. */
export async function listPciDevices(host: Host): Promise<{ devices: PciDevice[]; unreadable: string[] }> {
  const devices: PciDevice[] = [];
  const unreadable: string[] = [];
  for (const slot of await host.readSysDir(DEVICES)) {
    const vendor = hexId(await host.readSys(`${DEVICES}/${slot}/vendor`));
    const device = hexId(await host.readSys(`${DEVICES}/${slot}/device`));
    if (!vendor || !device) {
      unreadable.push(slot);
      continue;
    }
    const pciDriver = await host.readSysLink(`${DEVICES}/${slot}/driver`);
    const drivers = pciDriver ? [basename(pciDriver)] : [];
    let fullyBound = drivers.length > 0;
    const virtioChild = (await host.readSysDir(`${DEVICES}/${slot}`)).find((name) => /^virtio\d+$/.test(name));
    if (virtioChild) {
      const virtioDriver = await host.readSysLink(`${DEVICES}/${slot}/${virtioChild}/driver`);
      if (virtioDriver) drivers.push(basename(virtioDriver));
      else fullyBound = false;
    } else if (vendor === '1af4' && pciDriver) {
      fullyBound = false;
    }
    devices.push({ slot, vendor, device, subsystemDevice: hexId(await host.readSys(`${DEVICES}/${slot}/subsystem_device`)), drivers, fullyBound });
  }
  return { devices, unreadable };
}
