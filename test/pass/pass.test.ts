import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { reportOf, runCli } from '../helpers/cli.js';

async function deadHost(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

function quickDeadline(): string {
  const file = path.join(tempDir(), 'quick.conf');
  writeFileSync(file, '[core]\nboot_deadline_sec = 1\nrequest_timeout_ms = 200\n');
  return file;
}

describe('a pass', () => {
  it('apply --dry-run reports what it would change and changes nothing', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const result = await runCli(['apply', '--dry-run', '--root', root, '--metadata-host', host, '--only', 'hostname']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/hostname\s+\/etc\/hostname\s+demo-vm\s+debian\s+would fix/);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('debian\n');
  });

  it('metadata unreachable: exit 3, the modules that need it skipped with the reason, the others still applied', async () => {
    const root = sandboxRoot();
    const result = await runCli(['apply', '--root', root, '--metadata-host', await deadHost(), '--config', quickDeadline(), '--json']);
    expect(result.exitCode).toBe(3);
    const report = reportOf(result);
    const hostname = report.modules.find((module) => module.id === 'hostname')!;
    expect(hostname.status).toBe('skipped');
    expect(hostname.reason).toMatch(/unreachable/);
    expect(report.modules.find((module) => module.id === 'timezone')!.status).toBe('compliant');
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('debian\n');
  });

  it('the early stage does not contact the metadata server at all', async () => {
    const root = sandboxRoot();
    const { host, emulator } = await startEmulator();
    const result = await runCli(['apply', '--stage', 'early', '--root', root, '--metadata-host', host, '--json']);
    expect(result.exitCode).toBe(0);
    expect(emulator.requests).toEqual([]);
    expect(reportOf(result).modules.map((module) => module.id)).not.toContain('hostname');
  });

  it("per-boot: the instance's first boot applies the hostname; later automatic runs in report mode only report an admin's change, on the next boot too; a user apply always fixes drift", async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const procSys = tempDir();
    const bootId = (id: string) => {
      const dir = path.join(procSys, 'kernel/random');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'boot_id'), `${id}\n`);
    };
    bootId('boot-1');
    // No early stage ran on this root: the network stage would report the missing host keys (it never makes them).
    const automatic = ['apply', '--stage', 'network', '--root', root, '--metadata-host', host, '--proc-sys', procSys, '--skip', 'ssh-host-keys', '--json'];
    expect((await runCli(automatic)).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
    writeFileSync(path.join(root, 'etc/hostname'), 'changed-by-admin\n');
    const sameBoot = await runCli(automatic);
    expect(sameBoot.exitCode).toBe(1);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('changed-by-admin\n');
    // docs/lifecycle.md: after the first boot, report mode writes nothing, on later boots too.
    bootId('boot-2');
    expect((await runCli(automatic)).exitCode).toBe(1);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('changed-by-admin\n');
    expect((await runCli(['apply', '--root', root, '--metadata-host', host, '--proc-sys', procSys])).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
  });

  it('apply keeps state private: state dir 0700, state and report 0600', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    expect((await runCli(['apply', '--root', root, '--metadata-host', host])).exitCode).toBe(0);
    const { statSync } = await import('node:fs');
    expect(statSync(path.join(root, 'var/lib/gce-firstboot')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(root, 'var/lib/gce-firstboot/state.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(root, 'var/lib/gce-firstboot/last-report.json')).mode & 0o777).toBe(0o600);
  });
});
