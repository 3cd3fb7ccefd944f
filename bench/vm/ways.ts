// The four ways bench/vm-boot.ts boots the same Debian 12 or 13 image, and how each image is built
// with test/vm's scripts (build-rootfs.sh + build-image.sh, nothing changed in them).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type WayName = 'baseline' | 'gce-firstboot' | 'cloud-init' | 'google-guest-agent';

export interface Way {
  name: WayName;
  /** Extra Debian packages in the root (GCE_FIRSTBOOT_VM_EXTRA); '' = the plain root. */
  extraPackages: string;
  /** Our .deb goes in (build-image.sh then leaves out its ssh-keygen stand-in). */
  withOurDeb: boolean;
  /** Mask build-image.sh's `ssh-keygen -A` stand-in: the peer must make the keys itself. */
  maskKeygenStandIn: boolean;
  /** Files added to the root: relative path -> source file under bench/vm. */
  extraFiles: Record<string, string>;
  describe: string;
}

export const WAYS: Way[] = [
  {
    name: 'baseline', extraPackages: '', withOurDeb: false, maskKeygenStandIn: false, extraFiles: {},
    describe: 'no agent: the harness stand-in unit runs ssh-keygen -A before sshd; nothing sets the hostname',
  },
  {
    name: 'cloud-init', extraPackages: 'cloud-init', withOurDeb: false, maskKeygenStandIn: true,
    extraFiles: { 'etc/cloud/cloud.cfg.d/99-bench.cfg': 'cloud-init.cfg' },
    describe: 'Debian cloud-init, datasource_list: [GCE], network config left to the image',
  },
  {
    name: 'google-guest-agent', extraPackages: 'google-guest-agent', withOurDeb: false, maskKeygenStandIn: true,
    extraFiles: {},
    describe: "Debian google-guest-agent (bookworm main), package defaults",
  },
  {
    name: 'gce-firstboot', extraPackages: '', withOurDeb: true, maskKeygenStandIn: false, extraFiles: {},
    describe: 'our .deb (both units enabled by its postinst), default config',
  },
];

export interface ImageMeta { way: WayName; builtAt: string; rootfs: string; deb?: string; debSha256?: string }

export interface BuildPaths {
  repo: string;
  benchVmDir: string;
  /** The rootfs cache for the bench (its own, so the bench never evicts the VM test's roots). */
  cache: string;
  /** The Debian release (build-rootfs.sh's GCE_FIRSTBOOT_VM_RELEASE). */
  release: 'bookworm' | 'trixie';
  imagesDir: string;
}

export function imageDir(p: BuildPaths, way: WayName): string {
  return join(p.imagesDir, way);
}

export function readImageMeta(p: BuildPaths, way: WayName): ImageMeta | undefined {
  const f = join(imageDir(p, way), 'meta.json');
  if (!existsSync(f) || !existsSync(join(imageDir(p, way), 'disk.raw'))) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as ImageMeta;
}

/** The overlay for one way: the watch unit, the report check, and the way's own files. */
function makeOverlay(p: BuildPaths, way: Way): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-overlay-${way.name}-`));
  const put = (rel: string, src: string, mode = 0o644): void => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    cpSync(join(p.benchVmDir, src), join(dir, rel));
    execFileSync('chmod', [mode.toString(8), join(dir, rel)]);
  };
  put('usr/local/sbin/bench-watch', 'guest/bench-watch', 0o755);
  put('etc/systemd/system/bench-watch.service', 'guest/bench-watch.service');
  mkdirSync(join(dir, 'etc/systemd/system/sysinit.target.wants'), { recursive: true });
  symlinkSync('/etc/systemd/system/bench-watch.service', join(dir, 'etc/systemd/system/sysinit.target.wants/bench-watch.service'));
  put('usr/local/lib/vm-test/checks.d/bench.sh', 'guest/checks.d/bench.sh', 0o755);
  for (const [rel, src] of Object.entries(way.extraFiles)) put(rel, src);
  // build-image.sh copies the overlay with `cp -a`: a symlink to /dev/null replaces the
  // stand-in unit file, which masks it (systemd's own way of masking).
  if (way.maskKeygenStandIn) symlinkSync('/dev/null', join(dir, 'etc/systemd/system/vm-test-keygen.service'));
  return dir;
}

export function buildRootfs(p: BuildPaths, extraPackages: string): string {
  const out = execFileSync('bash', [join(p.repo, 'test/vm/build-rootfs.sh')], {
    env: { ...process.env, GCE_FIRSTBOOT_VM_CACHE: p.cache, GCE_FIRSTBOOT_VM_EXTRA: extraPackages, GCE_FIRSTBOOT_VM_RELEASE: p.release },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.toString().trim().split('\n').pop()!;
}

/**
 * Build one way's image. `rootfs` may be given so that ours is built on exactly the root
 * the baseline was built on (a later merge may change the root's cache key).
 */
export function buildImage(p: BuildPaths, way: Way, deb: string | undefined, rootfs?: string): ImageMeta {
  if (way.withOurDeb && (!deb || !existsSync(deb))) throw new Error(`${way.name}: no .deb at ${deb} (npm run package)`);
  const root = rootfs ?? buildRootfs(p, way.extraPackages);
  const overlay = makeOverlay(p, way);
  const out = imageDir(p, way.name);
  try {
    execFileSync('bash', [join(p.repo, 'test/vm/build-image.sh'), root, way.withOurDeb ? deb! : '', out], {
      env: { ...process.env, GCE_FIRSTBOOT_VM_OVERLAY: overlay, GCE_FIRSTBOOT_VM_NO_TAR: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } finally {
    rmSync(overlay, { recursive: true, force: true });
  }
  const meta: ImageMeta = { way: way.name, builtAt: new Date().toISOString(), rootfs: root };
  if (way.withOurDeb) {
    meta.deb = deb;
    meta.debSha256 = execFileSync('sha256sum', [deb!]).toString().split(' ')[0];
  }
  writeFileSync(join(out, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}
