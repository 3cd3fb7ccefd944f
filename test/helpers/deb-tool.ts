import path from 'node:path';
import { execa } from 'execa';
import { REPO } from './sandbox.js';

/** The directory of an unpacked (not installed) Debian package: this machine's, or Debian 13's; see test/setup/deb-tool.sh. */
export async function debRoot(pkg: string, release?: 'trixie'): Promise<string> {
  const { stdout } = await execa('bash', [path.join(REPO, 'test/setup/deb-tool.sh'), pkg, ...(release ? [release] : [])]);
  return stdout.trim();
}

/** Path of a program inside an unpacked (not installed) Debian package. */
export async function debTool(pkg: string, program: string): Promise<string> {
  return path.join(await debRoot(pkg), program);
}
