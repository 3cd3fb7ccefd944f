import { promises as fs, constants, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { writeFileAtomic, symlinkAtomic, fsyncDirectory } from './atomic-write.js';
import { chaseInRoot, HostPathError } from './confined-path.js';
import { SelinuxLabels } from './selinux-labels.js';

export interface HostOptions {
  /** Files are read and written below this directory. */
  root: string;
  /** Where the kernel's sysctl tree is (a fake one in tests). */
  procSys?: string;
  /** Where sysfs is (a fake one in tests): the SMBIOS UUID is read from here. */
  sysDir?: string;
  /** Where procfs is (a fake one in tests): /proc/net/*, /proc/tty/driver/serial, /proc/config.gz. */
  procDir?: string;
  /** Whether runtime changes (sysctl, hostname, links) may be made. */
  live: boolean;
  /** The agent's state directory, as a path inside the root. */
  stateDir?: string;
  /** Extra environment for commands (tests point PATH at fakes only where no real tool exists). */
  commandEnv?: Record<string, string>;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export const DEFAULT_STATE_DIR = '/var/lib/gce-firstboot';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notRegular(guestPath: string, stats: Stats, consequence: string): HostPathError {
  // EISDIR for a directory, as read(2) would say; EFTYPE (BSD's errno for a wrong file type) for the rest.
  return new HostPathError(`${guestPath}: ${kindOf(stats)}, not a regular file; ${consequence}`, stats.isDirectory() ? 'EISDIR' : 'EFTYPE');
}

/**
 * Removes a file or link with unlink(2), a directory (only when `recursive`) with rm -r. fs.rm is
 * not used on files: its fallback turns an unlink's EPERM into "ENOTDIR: scandir".
 */
async function removeEntry(real: string, stats: Stats, recursive: boolean): Promise<void> {
  if (stats.isDirectory()) {
    await fs.rm(real, { recursive, force: true });
    return;
  }
  try {
    await fs.unlink(real);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

/** Every touch of the machine goes through here, so that policy code works on any root. */
export class Host {
  readonly root: string;
  readonly procSys: string;
  readonly sysDir: string;
  readonly procDir: string;
  readonly live: boolean;
  readonly stateDir: string;
  private readonly commandEnv: Record<string, string>;
  /** Labels of what is written, renamed, linked or made (see selinux-labels.ts). */
  readonly labels: SelinuxLabels;

  constructor(options: HostOptions) {
    this.root = path.resolve(options.root);
    this.procSys = options.procSys ?? '/proc/sys';
    this.sysDir = options.sysDir ?? '/sys';
    this.procDir = options.procDir ?? '/proc';
    this.live = options.live;
    this.stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
    this.commandEnv = options.commandEnv ?? {};
    this.labels = new SelinuxLabels(this.root, this.sysDir, () => this.readText('/etc/selinux/config'), (command, args, opts) => this.run(command, args, opts));
  }

  /**
   * Absolute path on this machine for a path inside the root, every symlink in it (the last one
   * too) resolved inside the root (see chaseInRoot): what commands are given and files are read
   * through. For root / it is the path itself (the kernel resolves it; no extra system calls).
   */
  resolve(guestPath: string): string {
    if (this.root === '/') return path.resolve('/', guestPath);
    return path.join(this.root, chaseInRoot(this.root, guestPath, true));
  }

  /** Like resolve(), but the last component itself is not followed: what is replaced, removed or chmodded. */
  private resolveEntry(guestPath: string): string {
    if (this.root === '/') return path.resolve('/', guestPath);
    return path.join(this.root, chaseInRoot(this.root, guestPath, false));
  }

  /** The guest path a symlink at `guestPath` leads to, inside the root (also for root /). */
  private linkTarget(guestPath: string): string {
    return chaseInRoot(this.root, guestPath, true);
  }

  async readText(guestPath: string): Promise<string | undefined> {
    let handle: FileHandle;
    try {
      // O_NONBLOCK: a FIFO planted in a root must not hang the read; it is refused below.
      handle = await fs.open(this.resolve(guestPath), constants.O_RDONLY | constants.O_NONBLOCK | this.noFollow);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw notRegular(guestPath, stats, 'not read');
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }

  /** O_NOFOLLOW where resolve() has already followed every link inside the root. */
  private get noFollow(): number {
    return this.root === '/' ? 0 : constants.O_NOFOLLOW;
  }

  async lstat(guestPath: string): Promise<Stats | undefined> {
    try {
      return await fs.lstat(this.resolveEntry(guestPath));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async exists(guestPath: string): Promise<boolean> {
    return (await this.lstat(guestPath)) !== undefined;
  }

  async readDir(guestPath: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.resolve(guestPath))).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async readLink(guestPath: string): Promise<string | undefined> {
    try {
      return await fs.readlink(this.resolveEntry(guestPath));
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw error;
    }
  }

  /** mkdir -p, one level at a time: recursive mkdir reports ENOENT where the real error is EROFS. */
  async mkdirp(guestPath: string, mode = 0o755): Promise<void> {
    const dir = this.root === '/' ? path.resolve('/', guestPath) : chaseInRoot(this.root, guestPath, true);
    let current = this.root;
    for (const part of dir.split('/').filter(Boolean)) {
      current = path.join(current, part);
      try {
        await fs.mkdir(current, { mode });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        continue;
      }
      await (await this.labels.labelLike(current, false))?.(current);
      await this.labels.afterCreate(current);
    }
  }

  /**
   * Writes a file atomically. An existing file keeps its mode, owner and group (unless `mode` is
   * given) and its SELinux label (a new one gets its directory's: see selinux-labels.ts), and is backed up once (the first time we change
   * it) under the state directory, unless `backup: false` (only `seal` uses that: a backup would
   * carry what it clears into the image). A symlink is written through: its target inside the
   * root is replaced, with the target's attributes, and the link stays. Anything but a regular
   * file there (a directory, device, FIFO) is refused.
   */
  async writeText(guestPath: string, content: string, options: { mode?: number; backup?: boolean } = {}): Promise<void> {
    let target = path.posix.resolve('/', guestPath);
    let existing = await this.lstat(target);
    if (existing?.isSymbolicLink()) {
      target = this.linkTarget(target);
      existing = await this.lstat(target);
    }
    if (existing && !existing.isFile()) throw notRegular(guestPath, existing, 'not replaced');
    if (existing && options.backup !== false && !this.inStateDir(guestPath)) await this.backupOnce(target, existing);
    await this.mkdirp(path.posix.dirname(target));
    const real = this.resolveEntry(target);
    const label = await this.labels.labelLike(real, existing !== undefined);
    await writeFileAtomic(real, content, {
      mode: options.mode ?? (existing ? existing.mode & 0o7777 : 0o644),
      ...(existing ? { uid: existing.uid, gid: existing.gid } : {}),
      ...(label ? { beforeRename: label } : {}),
    });
    if (!existing) await this.labels.afterCreate(real);
  }

  /**
   * Removes a file (backed up once first, unless `backup: false`: secrets such as replaced host
   * keys must not survive in a backup). A symlink is removed, never what it points to. Returns
   * whether there was something to remove.
   */
  async remove(guestPath: string, options: { backup?: boolean } = {}): Promise<boolean> {
    const existing = await this.lstat(guestPath);
    if (!existing) return false;
    if (options.backup !== false) await this.backupOnce(guestPath, existing);
    await removeEntry(this.resolveEntry(guestPath), existing, false);
    return true;
  }

  /**
   * Removes a file, symlink or whole directory tree for good, WITHOUT a backup. Only for `seal`
   * (a backup under our state directory would put the removed host keys back into the image) and
   * for scratch directories. A symlink is removed itself; links inside a tree are not followed.
   */
  async discard(guestPath: string): Promise<boolean> {
    const existing = await this.lstat(guestPath);
    if (!existing) return false;
    await removeEntry(this.resolveEntry(guestPath), existing, true);
    return true;
  }

  /**
   * A fresh, private (0700) directory `<guestDir>/.<name>.gce-firstboot-<random>` for files a
   * command writes, on the same filesystem as `guestDir` so that moving them out is atomic. Earlier
   * ones of that name belong to killed runs (callers hold the run lock) and are removed first: a
   * command such a run left running (ssh-keygen outlives a kill -9 of the agent) then finds its
   * directory gone, and never writes into ours.
   */
  async scratchDir(guestDir: string, name: string): Promise<string> {
    const prefix = `.${name}.gce-firstboot-`;
    await this.mkdirp(guestDir);
    for (const leftover of (await this.readDir(guestDir)).filter((entry) => entry.startsWith(prefix))) {
      await fs.rm(this.resolveEntry(path.posix.join(guestDir, leftover)), { recursive: true, force: true, maxRetries: 3 });
    }
    const dir = path.posix.join(guestDir, `${prefix}${randomBytes(6).toString('hex')}`);
    await fs.mkdir(this.resolveEntry(dir), { mode: 0o700 });
    return dir;
  }

  /** Renames a file within the root (atomic on one filesystem) and makes the rename durable. A symlink at either end is the entry renamed or replaced, never followed. */
  async rename(fromGuestPath: string, toGuestPath: string): Promise<void> {
    const to = this.resolveEntry(toGuestPath);
    const from = this.resolveEntry(fromGuestPath);
    const replaces = (await this.lstat(toGuestPath)) !== undefined;
    await (await this.labels.labelLike(to, replaces))?.(from);
    await fs.rename(from, to);
    await fsyncDirectory(path.dirname(to));
    if (!replaces) await this.labels.afterCreate(to);
  }

  /** chmod that never follows a symlink: a link (or a device, FIFO...) at `guestPath` is refused. */
  async chmod(guestPath: string, mode: number): Promise<void> {
    await this.chmodReal(this.resolveEntry(guestPath), guestPath, mode);
  }

  private async chmodReal(real: string, guestPath: string, mode: number): Promise<void> {
    const stats = await fs.lstat(real);
    if (stats.isSymbolicLink()) throw new HostPathError(`${guestPath}: is a symbolic link; its mode is not changed`, 'ELOOP');
    if (!stats.isFile() && !stats.isDirectory()) throw notRegular(guestPath, stats, 'mode not changed');
    // O_NOFOLLOW on the handle: a link swapped in after the lstat is not followed either.
    const handle = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
  }

  async symlink(target: string, guestPath: string): Promise<void> {
    const existing = await this.lstat(guestPath);
    if (existing) await this.backupOnce(guestPath, existing);
    await this.mkdirp(path.posix.dirname(path.resolve('/', guestPath)));
    const real = this.resolveEntry(guestPath);
    await symlinkAtomic(target, real, await this.labels.labelLike(real, existing !== undefined));
    if (!existing) await this.labels.afterCreate(real);
  }

  /** Path of the backup a managed file gets before its first change. */
  backupPath(guestPath: string): string {
    return path.posix.join(this.stateDir, 'backup', path.resolve('/', guestPath));
  }

  private inStateDir(guestPath: string): boolean {
    return path.posix.resolve('/', guestPath).startsWith(this.stateDir + '/');
  }

  private async backupOnce(guestPath: string, stats: Stats): Promise<void> {
    const backup = this.backupPath(guestPath);
    if (this.inStateDir(guestPath) || (await this.lstat(backup))) return;
    await this.mkdirp(path.posix.dirname(backup), 0o700);
    // The state directory itself (resolved: it may be a link inside the root) is kept private.
    await this.chmodReal(this.resolve(this.stateDir), this.stateDir, 0o700);
    const real = this.resolveEntry(backup);
    const label = await this.labels.labelLike(real, false);
    if (stats.isSymbolicLink()) {
      const link = await fs.readlink(this.resolveEntry(guestPath));
      await symlinkAtomic(link, real, label);
    } else if (stats.isFile()) {
      const content = await fs.readFile(this.resolveEntry(guestPath));
      await writeFileAtomic(real, content, { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, ...(label ? { beforeRename: label } : {}) });
    } else return;
    await this.labels.afterCreate(real);
  }

  private sysctlPath(key: string): string {
    return path.join(this.procSys, ...key.split('.'));
  }

  /** The running kernel's value, undefined when this kernel lacks the key. */
  async readSysctl(key: string): Promise<string | undefined> {
    try {
      return (await fs.readFile(this.sysctlPath(key), 'utf8')).trim();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async writeSysctl(key: string, value: string): Promise<void> {
    if (!this.live) throw new Error(`refusing to set ${key} at runtime without --live`);
    await fs.writeFile(this.sysctlPath(key), `${value}\n`);
  }

  /** A sysfs attribute, trimmed; undefined when absent or unreadable. */
  async readSys(relativePath: string): Promise<string | undefined> {
    try {
      return (await fs.readFile(path.join(this.sysDir, relativePath), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  /** Names in a sysfs directory, sorted; empty when absent. */
  async readSysDir(relativePath: string): Promise<string[]> {
    try {
      return (await fs.readdir(path.join(this.sysDir, relativePath))).sort();
    } catch {
      return [];
    }
  }

  /** Where a sysfs symlink points (e.g. a device's driver), undefined when it is not a link. */
  async readSysLink(relativePath: string): Promise<string | undefined> {
    try {
      return await fs.readlink(path.join(this.sysDir, relativePath));
    } catch {
      return undefined;
    }
  }

  /** A procfs file's bytes (e.g. /proc/config.gz), undefined when absent or unreadable. */
  async readProcBytes(relativePath: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(path.join(this.procDir, relativePath));
    } catch {
      return undefined;
    }
  }

  /** A procfs file as text (e.g. net/tcp), undefined when absent or unreadable. */
  async readProc(relativePath: string): Promise<string | undefined> {
    return (await this.readProcBytes(relativePath))?.toString('utf8');
  }

  /** Runs a program with an argument array (never through a shell). Never rejects on exit code. */
  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const result = await execa(command, args, {
      reject: false,
      // Without input, stdin is /dev/null: a command that would ask (ssh-keygen's "Overwrite (y/n)?")
      // gets EOF and fails at once instead of waiting on an open pipe until the timeout.
      ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
      timeout: options.timeoutMs ?? 60_000,
      env: { ...this.commandEnv, ...options.env },
      stripFinalNewline: false,
    });
    if (result.failed && result.exitCode === undefined) {
      const reason = (result as { code?: string }).code === 'ENOENT' ? 'not found' : result.shortMessage;
      throw new Error(`${command}: ${reason}`);
    }
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  }

  /** Whether a program can be run from PATH. */
  async hasCommand(command: string): Promise<boolean> {
    const dirs = (this.commandEnv.PATH ?? process.env.PATH ?? '').split(':').filter(Boolean);
    for (const dir of dirs) {
      try {
        await fs.access(path.join(dir, command), constants.X_OK);
        return true;
      } catch {
        // try the next directory
      }
    }
    return false;
  }

  now(): Date {
    return new Date();
  }
}
