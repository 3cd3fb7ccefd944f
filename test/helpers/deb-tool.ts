import path from 'node:path';
import { execa } from 'execa';
import { REPO } from './sandbox.js';

/** Path of a program inside an unpacked (not installed) Debian package; see test/setup/deb-tool.sh. */
export async function debTool(pkg: string, program: string): Promise<string> {
  const { stdout } = await execa('bash', [path.join(REPO, 'test/setup/deb-tool.sh'), pkg]);
  return path.join(stdout.trim(), program);
}
