// SELinux labels of what Host writes, renames or links into place. Only on a root that uses
// SELinux does anything run (one `stat` + one `chcon` per entry; elsewhere no process at all).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CommandResult } from './host.js';

/**
 * How entries are labelled on a root:
 * - `restorecon`: the root is `/` and the running kernel has SELinux enabled (selinuxfs at
 *   <sys>/fs/selinux). The kernel labels a new entry when it is created; once in place,
 *   `restorecon` gives it the label the loaded policy wants. A replaced entry keeps its label.
 * - `copy`: a root whose /etc/selinux/config enables SELinux, which this kernel is not enforcing
 *   (an image being built, or `/` booted without SELinux): a replaced entry keeps its label, a
 *   new one gets the label of its directory (what the kernel gives without a type transition).
 *   The image's own relabel (`setfiles`, `/.autorelabel`) or the first pass on the booted image
 *   (restorecon, above) brings new entries to the policy's label.
 * - `none`: no SELinux: nothing is read or set.
 */
export type Labelling = 'restorecon' | 'copy' | 'none';

export function labellingFor(facts: { root: string; selinuxfs: boolean; configEnables: boolean }): Labelling {
  if (facts.root === '/' && facts.selinuxfs) return 'restorecon';
  return facts.configEnables ? 'copy' : 'none';
}

/** Whether an /etc/selinux/config text enables SELinux (enforcing or permissive). */
export function configEnablesSelinux(text: string | undefined): boolean {
  return /^\s*SELINUX\s*=\s*(enforcing|permissive)\s*$/m.test(text ?? '');
}

type Run = (command: string, args: readonly string[], options?: { env?: Record<string, string> }) => Promise<CommandResult>;

export class SelinuxLabels {
  private decided: Promise<Labelling> | undefined;

  constructor(
    private readonly root: string,
    private readonly sysDir: string,
    private readonly readConfig: () => Promise<string | undefined>,
    private readonly run: Run,
  ) {}

  /** Decided once per Host. */
  labelling(): Promise<Labelling> {
    this.decided ??= (async () => {
      const selinuxfs = await fs.stat(path.join(this.sysDir, 'fs/selinux/enforce')).then(
        () => true,
        () => false,
      );
      const configEnables = configEnablesSelinux(await this.readConfig().catch(() => undefined));
      return labellingFor({ root: this.root, selinuxfs, configEnables });
    })();
    return this.decided;
  }

  /**
   * What to run on the entry that becomes `real` (a temp file or link before its rename, a file
   * renamed into place, a directory just made): give it the label of the entry it replaces
   * (`replaces`), or, for a new entry where the kernel does not label, the label of its
   * directory. Undefined when there is nothing to do.
   */
  async labelLike(real: string, replaces: boolean): Promise<((temp: string) => Promise<void>) | undefined> {
    const labelling = await this.labelling();
    if (labelling === 'none' || (labelling === 'restorecon' && !replaces)) return undefined;
    const reference = replaces ? real : path.dirname(real);
    return async (temp) => {
      const label = await this.labelOf(reference);
      if (label) await this.must('chcon', ['-h', label, '--', temp]);
    };
  }

  /** After a new entry is in place: restorecon where the policy is loaded (see Labelling). */
  async afterCreate(real: string): Promise<void> {
    if ((await this.labelling()) === 'restorecon') await this.must('restorecon', ['--', real]);
  }

  /** The label of an entry itself (a link is not followed), undefined when it has none. */
  private async labelOf(real: string): Promise<string | undefined> {
    const result = await this.run('stat', ['-c', '%C', '--', real], { env: { LC_ALL: 'C' } });
    if (result.exitCode !== 0) {
      if (/No data available|failed to get security context/.test(result.stderr)) return undefined;
      throw new Error(`stat -c %C ${real}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
    }
    const label = result.stdout.trim();
    return label === '' || label === '?' ? undefined : label;
  }

  private async must(command: string, args: readonly string[]): Promise<void> {
    const result = await this.run(command, args, { env: { LC_ALL: 'C' } });
    if (result.exitCode !== 0) throw new Error(`${command} ${args.at(-1)}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  }
}
