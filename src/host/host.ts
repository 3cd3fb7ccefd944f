import { promises as fs, constants, type Stats } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { writeFileAtomic, symlinkAtomic, fsyncDirectory } from './atomic-write.js';

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

/** Every touch of the machine goes through here, so that policy code works on any root. */
export class Host {
  readonly root: string;
  readonly procSys: string;
  readonly sysDir: string;
  readonly procDir: string;
  readonly live: boolean;
  readonly stateDir: string;
  private readonly commandEnv: Record<string, string>;

  constructor(options: HostOptions) {
    this.root = path.resolve(options.root);
    this.procSys = options.procSys ?? '/proc/sys';
    this.sysDir = options.sysDir ?? '/sys';
    this.procDir = options.procDir ?? '/proc';
    this.live = options.live;
    this.stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
    this.commandEnv = options.commandEnv ?? {};
  }

  /** Absolute path on this machine for a path inside the root. */
  resolve(guestPath: string): string {
    return path.join(this.root, path.resolve('/', guestPath));
  }

  async readText(guestPath: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.resolve(guestPath), 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async lstat(guestPath: string): Promise<Stats | undefined> {
    try {
      return await fs.lstat(this.resolve(guestPath));
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
      return await fs.readlink(this.resolve(guestPath));
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw error;
    }
  }

  /** mkdir -p, one level at a time: recursive mkdir reports ENOENT where the real error is EROFS. */
  async mkdirp(guestPath: string, mode = 0o755): Promise<void> {
    let current = this.root;
    for (const part of path.resolve('/', guestPath).split('/').filter(Boolean)) {
      current = path.join(current, part);
      try {
        await fs.mkdir(current, { mode });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  /**
   * Writes a file atomically. An existing file keeps its mode and owner unless `mode` is given,
   * and is backed up once (the first time we change it) under the state directory, unless
   * `backup: false` (only `seal` uses that: a backup would carry what it clears into the image).
   */
  async writeText(guestPath: string, content: string, options: { mode?: number; backup?: boolean } = {}): Promise<void> {
    const target = this.resolve(guestPath);
    const existing = await this.lstat(guestPath);
    if (existing && options.backup !== false) await this.backupOnce(guestPath, existing);
    await this.mkdirp(path.posix.dirname(path.resolve('/', guestPath)));
    await writeFileAtomic(target, content, {
      mode: options.mode ?? (existing?.isFile() ? existing.mode & 0o7777 : 0o644),
      ...(existing?.isFile() ? { uid: existing.uid, gid: existing.gid } : {}),
    });
  }

  /**
   * Removes a file (backed up once first, unless `backup: false`: secrets such as replaced host
   * keys must not survive in a backup). Returns whether there was something to remove.
   */
  async remove(guestPath: string, options: { backup?: boolean } = {}): Promise<boolean> {
    const existing = await this.lstat(guestPath);
    if (!existing) return false;
    if (options.backup !== false) await this.backupOnce(guestPath, existing);
    await fs.rm(this.resolve(guestPath), { force: true });
    return true;
  }

  /**
   * Removes a file, symlink or whole directory tree for good, WITHOUT a backup. Only for `seal`
   * (a backup under our state directory would put the removed host keys back into the image) and
   * for scratch directories.
   */
  async discard(guestPath: string): Promise<boolean> {
    if (!(await this.lstat(guestPath))) return false;
    await fs.rm(this.resolve(guestPath), { recursive: true, force: true });
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
      await fs.rm(this.resolve(path.posix.join(guestDir, leftover)), { recursive: true, force: true, maxRetries: 3 });
    }
    const dir = path.posix.join(guestDir, `${prefix}${randomBytes(6).toString('hex')}`);
    await fs.mkdir(this.resolve(dir), { mode: 0o700 });
    return dir;
  }

  /** Renames a file within the root (atomic on one filesystem) and makes the rename durable. */
  async rename(fromGuestPath: string, toGuestPath: string): Promise<void> {
    await fs.rename(this.resolve(fromGuestPath), this.resolve(toGuestPath));
    await fsyncDirectory(path.dirname(this.resolve(toGuestPath)));
  }

  async chmod(guestPath: string, mode: number): Promise<void> {
    await fs.chmod(this.resolve(guestPath), mode);
  }

  async symlink(target: string, guestPath: string): Promise<void> {
    const existing = await this.lstat(guestPath);
    if (existing) await this.backupOnce(guestPath, existing);
    await this.mkdirp(path.posix.dirname(path.resolve('/', guestPath)));
    await symlinkAtomic(target, this.resolve(guestPath));
  }

  /** Path of the backup a managed file gets before its first change. */
  backupPath(guestPath: string): string {
    return path.posix.join(this.stateDir, 'backup', path.resolve('/', guestPath));
  }

  private async backupOnce(guestPath: string, stats: Stats): Promise<void> {
    const backup = this.backupPath(guestPath);
    if (guestPath.startsWith(this.stateDir + '/') || (await this.lstat(backup))) return;
    await this.mkdirp(path.posix.dirname(backup), 0o700);
    await fs.chmod(this.resolve(this.stateDir), 0o700);
    if (stats.isSymbolicLink()) {
      const link = await fs.readlink(this.resolve(guestPath));
      await symlinkAtomic(link, this.resolve(backup));
    } else if (stats.isFile()) {
      const content = await fs.readFile(this.resolve(guestPath));
      await writeFileAtomic(this.resolve(backup), content, { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid });
    }
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
