/**
 * The kernel build options the custom-image requirements ask for (seed 003), with what newer
 * kernels call them, so that a modern kernel is judged by the option that does the same job.
 */
export interface KernelRequirement {
  /** The name the requirements use. */
  name: string;
  /** Names to look for, newest first (the first one present in the config is judged). */
  names: readonly string[];
  /** 'y', 'n', or a minimum number. */
  want: 'y' | 'n' | { atLeast: number };
  kind: 'required' | 'recommended';
  why: string;
  /** A driver the image can also have as a module (=m) loaded from the initramfs. */
  moduleBoots?: boolean;
  /** Why a kernel may lack the option entirely; its absence is then compliant. */
  removed?: string;
  /** Only for 32-bit x86 kernels. */
  only32bit?: boolean;
  /** Only for x86 kernels (paravirt KVM guest options). */
  x86Only?: boolean;
}

export const KERNEL_REQUIREMENTS: readonly KernelRequirement[] = [
  { name: 'KVM_GUEST', names: ['KVM_GUEST'], want: 'y', kind: 'required', why: 'paravirtualization', x86Only: true },
  {
    name: 'KVM_CLOCK',
    names: ['KVM_CLOCK'],
    want: 'y',
    kind: 'required',
    why: 'paravirtualized clock',
    x86Only: true,
    removed: 'newer kernels build kvmclock as part of KVM_GUEST',
  },
  { name: 'VIRTIO_PCI', names: ['VIRTIO_PCI'], want: 'y', kind: 'required', why: 'paravirtualized PCI devices', moduleBoots: true },
  { name: 'SCSI_VIRTIO', names: ['SCSI_VIRTIO'], want: 'y', kind: 'required', why: 'paravirtualized disks', moduleBoots: true },
  { name: 'VIRTIO_NET', names: ['VIRTIO_NET'], want: 'y', kind: 'required', why: 'networking', moduleBoots: true },
  { name: 'PCI_MSI', names: ['PCI_MSI'], want: 'y', kind: 'required', why: 'MSI interrupts, needed by local SSDs' },
  { name: 'STRICT_DEVMEM', names: ['STRICT_DEVMEM'], want: 'y', kind: 'recommended', why: 'restricts /dev/mem' },
  { name: 'DEVKMEM', names: ['DEVKMEM'], want: 'n', kind: 'recommended', why: 'no /dev/kmem', removed: 'removed in Linux 5.13' },
  { name: 'DEFAULT_MMAP_MIN_ADDR', names: ['DEFAULT_MMAP_MIN_ADDR'], want: { atLeast: 65536 }, kind: 'recommended', why: 'protects low memory' },
  { name: 'DEBUG_RODATA', names: ['STRICT_KERNEL_RWX', 'DEBUG_RODATA'], want: 'y', kind: 'recommended', why: 'read-only kernel data' },
  { name: 'DEBUG_SET_MODULE_RONX', names: ['STRICT_MODULE_RWX', 'DEBUG_SET_MODULE_RONX'], want: 'y', kind: 'recommended', why: 'read-only module text' },
  { name: 'CC_STACKPROTECTOR', names: ['STACKPROTECTOR', 'CC_STACKPROTECTOR'], want: 'y', kind: 'recommended', why: 'stack canaries' },
  { name: 'COMPAT_VDSO', names: ['COMPAT_VDSO'], want: 'n', kind: 'recommended', why: 'randomized VDSO' },
  { name: 'COMPAT_BRK', names: ['COMPAT_BRK'], want: 'n', kind: 'recommended', why: 'heap randomization' },
  { name: 'X86_PAE', names: ['X86_PAE'], want: 'y', kind: 'recommended', why: 'NX on 32-bit x86', only32bit: true },
  { name: 'SYN_COOKIES', names: ['SYN_COOKIES'], want: 'y', kind: 'recommended', why: 'SYN flood protection' },
  { name: 'SECURITY_YAMA', names: ['SECURITY_YAMA'], want: 'y', kind: 'recommended', why: 'ptrace scope restriction' },
  {
    name: 'SECURITY_YAMA_STACKED',
    names: ['SECURITY_YAMA_STACKED'],
    want: 'y',
    kind: 'recommended',
    why: 'Yama stacked with the primary LSM',
    removed: 'removed in Linux 4.3: Yama always stacks',
  },
];
