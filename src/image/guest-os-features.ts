import { driverIn, versionNumbers, type Kernel } from './kernels.js';
import type { RuleResult } from './rule.js';

/** One `--guest-os-features` flag and whether this image qualifies; undefined when the image's files cannot tell. */
export interface GuestOsFeature {
  feature: string;
  qualifies: boolean | undefined;
  reason: string;
}

interface Evidence {
  uefi: boolean;
  /** The root's kernels; undefined when the root's files could not be read. */
  kernels?: Kernel[];
  /** Why the kernels are unknown. */
  unreadable?: string;
}

type Check = (evidence: Evidence, kernels: Kernel[]) => { qualifies: boolean; reason: string };

const everyKernel = (kernels: Kernel[], test: (kernel: Kernel) => string | undefined): { qualifies: boolean; reason: string } => {
  const problems = kernels.map((kernel) => test(kernel)).filter((problem): problem is string => problem !== undefined);
  return problems.length ? { qualifies: false, reason: problems.join('; ') } : { qualifies: true, reason: '' };
};

function driver(option: string, module: string, what: string): Check {
  return (_evidence, kernels) => {
    const result = everyKernel(kernels, (kernel) => {
      const how = driverIn(kernel, option, module);
      if (how === 'built-in' || how === 'module') return undefined;
      return how === 'module-missing' ? `${kernel.version}: ${option}=m, but no ${module}.ko in its modules.dep` : `${kernel.version}: no ${module} driver (${option} not set, no ${module}.ko)`;
    });
    return result.qualifies ? { qualifies: true, reason: `${what} (${kernels.map((kernel) => `${kernel.version}: ${driverIn(kernel, option, module)}`).join(', ')})` } : result;
  };
}

function uefiAnd(option: string, what: string): Check {
  return (evidence, kernels) => {
    if (!evidence.uefi) return { qualifies: false, reason: 'needs UEFI_COMPATIBLE first' };
    const result = everyKernel(kernels, (kernel) => (kernel.config.get(option) === 'y' ? undefined : `${kernel.version}: ${option} not =y`));
    return result.qualifies ? { qualifies: true, reason: `UEFI boot and ${what} (${option}=y)` } : result;
  };
}

const KERNEL_CHECKS: Record<string, Check> = {
  VIRTIO_SCSI_MULTIQUEUE: (_evidence, kernels) => {
    const result = everyKernel(kernels, (kernel) => {
      if (driverIn(kernel, 'CONFIG_SCSI_VIRTIO', 'virtio_scsi') === 'absent') return `${kernel.version}: no virtio_scsi driver`;
      const [major, minor] = versionNumbers(kernel.version);
      return major > 3 || (major === 3 && minor >= 17) ? undefined : `${kernel.version}: virtio_scsi has multiqueue from Linux 3.17`;
    });
    return result.qualifies ? { qualifies: true, reason: 'virtio_scsi in a kernel of 3.17 or later' } : result;
  },
  GVNIC: driver('CONFIG_GVE', 'gve', 'the gve driver for gVNIC'),
  IDPF: driver('CONFIG_IDPF', 'idpf', 'the idpf driver'),
  SEV_CAPABLE: uefiAnd('CONFIG_AMD_MEM_ENCRYPT', 'AMD memory encryption'),
  SEV_SNP_CAPABLE: (evidence, kernels) => {
    const sev = uefiAnd('CONFIG_AMD_MEM_ENCRYPT', 'AMD memory encryption')(evidence, kernels);
    if (!sev.qualifies) return sev;
    const result = everyKernel(kernels, (kernel) => (['y', 'm'].includes(kernel.config.get('CONFIG_SEV_GUEST') ?? '') ? undefined : `${kernel.version}: CONFIG_SEV_GUEST not set`));
    return result.qualifies ? { qualifies: true, reason: `${sev.reason} and the SEV guest driver (CONFIG_SEV_GUEST)` } : result;
  },
  TDX_CAPABLE: uefiAnd('CONFIG_INTEL_TDX_GUEST', 'the TDX guest support'),
};

/** The guest OS features image check can judge from the disk, and MULTI_IP_SUBNET, which it cannot. */
export function guestOsFeatures(evidence: Evidence): GuestOsFeature[] {
  const features: GuestOsFeature[] = [
    evidence.uefi
      ? { feature: 'UEFI_COMPATIBLE', qualifies: true, reason: 'an EFI system partition with an EFI binary at the removable path' }
      : { feature: 'UEFI_COMPATIBLE', qualifies: false, reason: 'no EFI binary at \\EFI\\BOOT\\BOOTX64.EFI on an EFI system partition' },
  ];
  for (const [feature, check] of Object.entries(KERNEL_CHECKS)) {
    if (!evidence.kernels) features.push({ feature, qualifies: undefined, reason: evidence.unreadable ?? 'the root file system was not read' });
    else if (evidence.kernels.length === 0) features.push({ feature, qualifies: undefined, reason: 'no /boot/config-* to tell what the kernel supports' });
    else features.push({ feature, ...check(evidence, evidence.kernels) });
  }
  features.push({ feature: 'MULTI_IP_SUBNET', qualifies: undefined, reason: "not decided by the image's files: add it when the guest's network setup takes a netmask other than /32" });
  return features;
}

/** The flags to pass at import, as an info rule. */
export function featuresRule(features: GuestOsFeature[], file: string): RuleResult {
  const flags = features.filter((feature) => feature.qualifies).map((feature) => feature.feature);
  return {
    id: 'guest-os-features',
    status: 'info',
    message: flags.length ? `qualifies for ${flags.join(', ')}: gcloud compute images create ... --guest-os-features=${flags.join(',')}` : 'qualifies for none of the guest OS features image check can judge',
    file,
  };
}
