import { closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/sandbox.js';
import { GIB } from '../../src/image/rule.js';
import { check, failed, rule, sealedRoot } from './check-cli.js';
import { builtRoot, makeDisk, put, ROOT_UUID } from './make-image.js';

/** A tarball of `dir`'s entries, packed the way the docs say (old-GNU, gzip), without -S unless asked. */
async function tarOf(dir: string, names: string[], sparse = false): Promise<string> {
  const output = path.join(path.dirname(dir), 'image.tar.gz');
  await execa('tar', ['--format=oldgnu', sparse ? '-Sczf' : '-czf', output, '-C', dir, ...names]);
  return output;
}

/** An old-GNU header for a regular member of `size` bytes. */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  const octal = (value: number, offset: number, length: number) => header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, 'latin1');
  header.write(name, 0, 'utf8');
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(0, 136, 12);
  header.write('0', 156, 'latin1');
  header.write('ustar  \0', 257, 'latin1');
  return withChecksum(header);
}

/** Sets a tar header's checksum field for its current bytes. */
function withChecksum(header: Buffer): Buffer {
  header.fill(0x20, 148, 156);
  const sum = header.subarray(0, 512).reduce((total, byte) => total + byte, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

/**
 * A zero bomb: disk.raw of `size` stored (not sparse) zeros, as concatenated gzip members (which
 * gzip and tar read as one stream), so the test does not spend a minute compressing a GiB.
 */
function zeroBomb(size: number): string {
  const mib = 1024 * 1024;
  const zeros = gzipSync(Buffer.alloc(mib));
  const parts = [gzipSync(tarHeader('disk.raw', size))];
  for (let left = size; left > 0; left -= mib) parts.push(left >= mib ? zeros : gzipSync(Buffer.alloc(Math.ceil(left / 512) * 512)));
  parts.push(gzipSync(Buffer.alloc(1024)));
  const file = path.join(tempDir('gfb-hostile-'), 'image.tar.gz');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** Runs image check with $TMPDIR pointed at a fresh directory, and returns that directory's contents afterwards. */
async function checkWithOwnTmp(file: string): Promise<{ exitCode: number; result: Awaited<ReturnType<typeof check>>['result']; stdout: string; leftInTmp: string[] }> {
  const tmp = tempDir('gfb-tmpdir-');
  const run = await check(file, { TMPDIR: tmp });
  return { ...run, leftInTmp: readdirSync(tmp) };
}

describe('image check on hostile archives', () => {
  it('refuses a disk.raw member that is a FIFO, without waiting on it', async () => {
    const dir = tempDir('gfb-hostile-');
    await execa('mkfifo', [path.join(dir, 'disk.raw')]);
    const { exitCode, result, leftInTmp } = await checkWithOwnTmp(await tarOf(dir, ['disk.raw']));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['member-type']);
    expect(rule(result, 'member-type').message).toBe('disk.raw is a FIFO, not a regular file; nothing was extracted or read');
    expect(leftInTmp).toEqual([]);
  });

  it('refuses a disk.raw member that is a symbolic link to a disk outside the archive, printing nothing of that disk', async () => {
    const outside = await makeDisk(await builtRoot());
    const dir = tempDir('gfb-hostile-');
    symlinkSync(outside, path.join(dir, 'disk.raw'));
    const { exitCode, result, stdout, leftInTmp } = await checkWithOwnTmp(await tarOf(dir, ['disk.raw']));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['member-type']);
    expect(rule(result, 'member-type').message).toBe(`disk.raw is a symbolic link to ${outside}, not a regular file; nothing was extracted or read`);
    // The outside disk's machine id must not be read.
    expect(stdout).not.toContain('4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99');
    expect(result.rules.map((r) => r.id)).not.toContain('machine-id');
    expect(leftInTmp).toEqual([]);
  });

  it('refuses a disk.raw member that is a hard link or a character device', async () => {
    const linked = tempDir('gfb-hostile-');
    writeFileSync(path.join(linked, 'boot.img'), 'x');
    linkSync(path.join(linked, 'boot.img'), path.join(linked, 'disk.raw'));
    const link = await checkWithOwnTmp(await tarOf(linked, ['boot.img', 'disk.raw']));
    expect(link.exitCode).toBe(1);
    expect(rule(link.result, 'member-type').message).toBe('disk.raw is a hard link to boot.img, not a regular file; nothing was extracted or read');
    expect(link.leftInTmp).toEqual([]);

    const device = tempDir('gfb-hostile-');
    await execa('mknod', [path.join(device, 'disk.raw'), 'c', '1', '3']);
    const char = await checkWithOwnTmp(await tarOf(device, ['disk.raw']));
    expect(char.exitCode).toBe(1);
    expect(failed(char.result)).toEqual(['member-type']);
    expect(rule(char.result, 'member-type').message).toBe('disk.raw is a character device, not a regular file; nothing was extracted or read');
    expect(char.leftInTmp).toEqual([]);
  });

  it('does not extract 1 GiB of stored zeros whose size already fails, and writes none of them when it does extract', async () => {
    const bomb = zeroBomb(GIB + 512);
    expect(readFileSync(bomb).length).toBeLessThan(2 * 1024 * 1024);
    // GNU tar reads it as the archive it claims to be.
    expect((await execa('tar', ['-tvzf', bomb])).stdout).toMatch(/ 1073742336 .* disk\.raw$/);
    const odd = await checkWithOwnTmp(bomb);
    expect(odd.exitCode).toBe(1);
    expect(failed(odd.result)).toEqual(['size-whole-gib']);
    expect(rule(odd.result, 'extract').message).toBe('disk.raw not extracted: its size already fails the import, so the disk inside was not checked');
    expect(odd.leftInTmp).toEqual([]);

    const whole = await checkWithOwnTmp(zeroBomb(GIB));
    expect(whole.exitCode).toBe(1);
    expect(rule(whole.result, 'sparse').status).toBe('warn');
    expect(rule(whole.result, 'extract').message).toBe('extracted sparse: 0 bytes of data written for 1 GiB apparent');
    expect(rule(whole.result, 'partition-table').status).toBe('fail');
    expect(whole.leftInTmp).toEqual([]);
  }, 180_000);

  it('refuses a sparse member whose map points past its declared size, writing nothing', async () => {
    const disk = await makeDisk(await sealedRoot());
    const plain = path.join(path.dirname(disk), 'image.tar');
    await execa('tar', ['--format=oldgnu', '-Scf', plain, '-C', path.dirname(disk), 'disk.raw']);
    const archive = readFileSync(plain);
    expect(String.fromCharCode(archive[156]!)).toBe('S');
    // The first sparse run's offset (header byte 386): 2 GiB into a 1 GiB disk.
    archive.write(`${(2 * GIB).toString(8).padStart(11, '0')}\0`, 386, 'latin1');
    withChecksum(archive);
    const forged = path.join(tempDir('gfb-hostile-'), 'image.tar.gz');
    writeFileSync(forged, gzipSync(archive));
    const { exitCode, result, leftInTmp } = await checkWithOwnTmp(forged);
    expect(exitCode).toBe(1);
    expect(result.rules.map((r) => `${r.id}:${r.status}`)).toEqual(['gzip:pass', 'tar-format:fail']);
    expect(rule(result, 'tar-format').message).toBe(`not a readable tar archive: the sparse map of disk.raw points outside its ${GIB} bytes`);
    expect(leftInTmp).toEqual([]);
  });

  it('fails a partition running past the end of the disk', async () => {
    const disk = await makeDisk(await sealedRoot());
    const sector = readFileSync(disk).subarray(0, 512);
    // Partition 1's sector count (MBR entry at 446, count at +12): twice the disk.
    sector.writeUInt32LE((2 * GIB) / 512, 446 + 12);
    const handle = openSync(disk, 'r+');
    writeSync(handle, sector, 0, 512, 0);
    closeSync(handle);
    const { exitCode, result, leftInTmp } = await checkWithOwnTmp(disk);
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['partition-bounds']);
    expect(rule(result, 'partition-bounds').message).toBe(`partition 1 (type 0x83) ends at byte ${1024 * 1024 + 2 * GIB}, past the end of the disk (${GIB} bytes)`);
    expect(leftInTmp).toEqual([]);
  });

  it('fails a gzip stream cut short inside the disk, leaving nothing behind', async () => {
    const dir = tempDir('gfb-hostile-');
    const disk = await makeDisk(await sealedRoot());
    mkdirSync(dir, { recursive: true });
    const whole = readFileSync(await tarOf(path.dirname(disk), ['disk.raw'], true));
    const cut = path.join(dir, 'image.tar.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const { exitCode, result, leftInTmp } = await checkWithOwnTmp(cut);
    expect(exitCode).toBe(1);
    expect(result.rules.map((r) => `${r.id}:${r.status}`)).toEqual(['gzip:fail']);
    expect(rule(result, 'gzip').message).toBe('not a valid gzip stream: unexpected end of file');
    expect(leftInTmp).toEqual([]);
  });

  it('removes its temp directory when it is killed in the middle of a check', async () => {
    const bomb = zeroBomb(GIB);
    const tmp = tempDir('gfb-tmpdir-');
    const child = execa(process.execPath, [CLI, 'image', 'check', bomb], { reject: false, env: { TMPDIR: tmp } });
    // Wait (bounded) for the scratch directory to appear, then interrupt the check.
    for (let tries = 0; tries < 600 && readdirSync(tmp).length === 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readdirSync(tmp)).toHaveLength(1);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('fails an image whose file names would add arguments to debugfs, without running them', async () => {
    const root = await sealedRoot();
    put(root, '/boot/loader/entries/a" "b.conf', 'options console=ttyS0,38400n8\n');
    const { exitCode, result } = await check(await makeDisk(root));
    expect(exitCode).toBe(1);
    expect(failed(result)).toEqual(['root-files']);
    expect(rule(result, 'root-files').message).toBe(
      'cannot read files in the disk: refusing to pass "/boot/loader/entries/a\\" \\"b.conf" to debugfs: it holds a quote, backslash or control character',
    );
  });

  it('prints a file system label holding terminal escapes escaped, not to the terminal', async () => {
    const disk = await makeDisk(await sealedRoot(), { fsLabel: '\u001b[2J\u001b[Hok' });
    const run = await runCli(['image', 'check', disk]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).toContain(`ext4, UUID ${ROOT_UUID}, label \\x1b[2J\\x1b[Hok`);
  });

  it('refuses a FIFO or a directory given directly, with a one-line error and without waiting', async () => {
    const dir = tempDir('gfb-hostile-');
    const fifo = path.join(dir, 'disk.raw');
    await execa('mkfifo', [fifo]);
    const run = await runCli(['image', 'check', fifo]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(`gce-firstboot: image check: ${fifo}: not a regular file`);
    const directory = await runCli(['image', 'check', dir]);
    expect(directory.exitCode).toBe(2);
    expect(directory.stderr).toBe(`gce-firstboot: image check: ${dir}: not a regular file`);
  });
});
