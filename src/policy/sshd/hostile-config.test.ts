import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, sandboxRoot, tempDir } from '../../../test/helpers/sandbox.js';
import { reportOf, runCli } from '../../../test/helpers/cli.js';

/** Every ssh_config directive that names a command, each touching its own sentinel file outside the root. */
function clientCommands(sentinels: string, tag: string): string[] {
  return [
    `ProxyCommand touch ${sentinels}/${tag}-proxycommand`,
    `KnownHostsCommand /usr/bin/touch ${sentinels}/${tag}-knownhostscommand`,
    'PermitLocalCommand yes',
    `LocalCommand touch ${sentinels}/${tag}-localcommand`,
    `RemoteCommand touch ${sentinels}/${tag}-remotecommand`,
  ];
}

/** `Match exec` the ways ssh's parser accepts it: plain, negated, after `final`/`canonical`, `=` form, mixed case. */
function matchExecLines(sentinels: string, tag: string): string[] {
  return [
    `Match exec "touch ${sentinels}/${tag}-exec"`,
    '  ForwardX11 no',
    `Match !exec "touch ${sentinels}/${tag}-negated"`,
    `Match final exec "touch ${sentinels}/${tag}-final"`,
    `Match canonical all`,
    `mAtCh ExEc "touch ${sentinels}/${tag}-case"`,
    `Match exec=/usr/bin/touch\\ ${sentinels}/${tag}-equals`,
    `Match localuser root exec "touch ${sentinels}/${tag}-localuser"`,
    `=Match exec "touch ${sentinels}/${tag}-leading-equals"`,
    ` = "Ma"tch\texec\t"touch ${sentinels}/${tag}-quoted-keyword"`,
    `  ProxyJump gfb-jump`,
    `  ProxyCommand touch ${sentinels}/${tag}-proxy-in-match`,
  ];
}

const OPENSSH_10 = path.join(REPO, 'test/setup/debian13-openssh.sh');

describe('a hostile image: nothing in its ssh configuration runs on the build host', () => {
  let trixieBin: string;
  beforeAll(async () => {
    trixieBin = path.join((await execa('bash', [OPENSSH_10])).stdout.trim(), 'bin');
  }, 300_000);

  for (const openssh of ['host OpenSSH 9.2', 'Debian 13 OpenSSH 10'] as const) {
    it(`apply --root validates ssh_config with command directives in the main file, an Include'd drop-in, another Include and Match blocks, and runs none (${openssh})`, async () => {
      const root = sandboxRoot(openssh.startsWith('host') ? 'debian-12' : 'debian-13');
      const sentinels = tempDir('gfb-sentinels-');
      const main = path.join(root, 'etc/ssh/ssh_config');
      writeFileSync(main, [...clientCommands(sentinels, 'main'), readFileSync(main, 'utf8'), 'Include extra/*.conf ~/.ssh/evil.conf', ...matchExecLines(sentinels, 'main')].join('\n'));
      // `~` is root's home inside the image, never the build host's.
      mkdirSync(path.join(root, 'root/.ssh'), { recursive: true });
      writeFileSync(path.join(root, 'root/.ssh/evil.conf'), matchExecLines(sentinels, 'home').join('\n'));
      mkdirSync(path.join(root, 'etc/ssh/ssh_config.d'), { recursive: true });
      writeFileSync(path.join(root, 'etc/ssh/ssh_config.d/20-image.conf'), [...clientCommands(sentinels, 'dropin'), ...matchExecLines(sentinels, 'dropin')].join('\n'));
      mkdirSync(path.join(root, 'etc/ssh/extra'), { recursive: true });
      writeFileSync(path.join(root, 'etc/ssh/extra/a.conf'), ['Host *', ...clientCommands(sentinels, 'extra'), ...matchExecLines(sentinels, 'extra')].join('\n'));

      const env = openssh.startsWith('host') ? {} : { PATH: `${trixieBin}:${process.env.PATH}` };
      const applied = await runCli(['apply', '--root', root, '--stage', 'early', '--only', 'sshd', '--json', '--log-level', 'info'], { env });
      expect(applied.exitCode, applied.stderr).toBe(0);
      expect(readdirSync(sentinels)).toEqual([]);
      expect(readFileSync(path.join(root, 'etc/ssh/ssh_config.d/10-gce-firstboot.conf'), 'utf8')).toContain('ForwardAgent no\n');
      // Each Match exec line is named once: parsed, not run.
      expect(applied.stderr).toContain('without running the Match exec at /etc/ssh/ssh_config.d/20-image.conf:6');
      expect(applied.stderr).toContain('without running the Match exec at /etc/ssh/extra/a.conf:7');
      expect(applied.stderr).toContain('without running the Match exec at /root/.ssh/evil.conf:1');
      expect((await runCli(['check', '--root', root, '--stage', 'early', '--only', 'sshd'], { env })).exitCode).toBe(0);
      expect(readdirSync(sentinels)).toEqual([]);
    }, 120_000);
  }

  // A real `ssh` with this file runs the jump host's ProxyCommand (checked by hand); ssh -G does not.
  it('ProxyJump to a host whose own ProxyCommand would leave a sentinel: validation never connects through it', async () => {
    const root = sandboxRoot('debian-12');
    const sentinels = tempDir('gfb-sentinels-');
    mkdirSync(path.join(root, 'etc/ssh/ssh_config.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/ssh/ssh_config.d/20-image.conf'), `Host gfb-jump\n  ProxyCommand touch ${sentinels}/jump\nHost *\n  ProxyJump gfb-jump\n`);
    const applied = await runCli(['apply', '--root', root, '--stage', 'early', '--only', 'sshd', '--json']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(readdirSync(sentinels)).toEqual([]);
  });

  it('a bad line inside a Match exec block is still caught, named with its file and line, and nothing is run or written', async () => {
    const root = sandboxRoot('debian-12');
    const sentinels = tempDir('gfb-sentinels-');
    mkdirSync(path.join(root, 'etc/ssh/ssh_config.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/ssh/ssh_config.d/20-image.conf'), `Match exec "touch ${sentinels}/exec"\n  NoSuchClientOption yes\n`);
    const applied = await runCli(['apply', '--root', root, '--stage', 'early', '--only', 'sshd', '--json']);
    expect(applied.exitCode).toBe(4);
    expect(reportOf(applied).modules[0]!.reason).toMatch(/\/etc\/ssh\/ssh_config\.d\/20-image\.conf:? line 2: Bad configuration option: nosuchclientoption/i);
    expect(readdirSync(sentinels)).toEqual([]);
    expect(existsSync(path.join(root, 'etc/ssh/ssh_config.d/10-gce-firstboot.conf'))).toBe(false);
  });

  for (const openssh of ['host OpenSSH 9.2', 'Debian 13 OpenSSH 10'] as const) {
    it(`sshd_config with AuthorizedKeysCommand, AuthorizedPrincipalsCommand, ForceCommand and Subsystem: sshd -t runs none of them (${openssh})`, async () => {
      const root = sandboxRoot(openssh.startsWith('host') ? 'debian-12' : 'debian-13');
      const env = openssh.startsWith('host') ? {} : { PATH: `${trixieBin}:${process.env.PATH}` };
      const sentinels = tempDir('gfb-sentinels-');
      mkdirSync(path.join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
      writeFileSync(
        path.join(root, 'etc/ssh/sshd_config.d/20-image.conf'),
        [
          `AuthorizedKeysCommand /usr/bin/touch ${sentinels}/akc`,
          'AuthorizedKeysCommandUser nobody',
          `AuthorizedPrincipalsCommand /usr/bin/touch ${sentinels}/apc`,
          'AuthorizedPrincipalsCommandUser nobody',
          `ForceCommand touch ${sentinels}/force`,
          `Subsystem gfb /usr/bin/touch ${sentinels}/subsystem`,
          'Match User bob',
          `  ForceCommand touch ${sentinels}/force-match`,
        ].join('\n'),
      );
      const applied = await runCli(['apply', '--root', root, '--stage', 'early', '--only', 'sshd', '--json'], { env });
      expect(applied.exitCode, applied.stderr).toBe(0);
      expect(readdirSync(sentinels)).toEqual([]);
    });
  }

  it('an Include glob with a backwards range ([z-a]) matches nothing instead of crashing the module', async () => {
    const root = sandboxRoot('debian-12');
    for (const [file, glob] of [['etc/ssh/sshd_config', 'sshd_config.d/[z-a]*.conf'], ['etc/ssh/ssh_config', 'ssh_config.d/[z-a]*.conf']] as const) {
      writeFileSync(path.join(root, file), `Include /etc/ssh/${glob}\n${readFileSync(path.join(root, file), 'utf8')}`);
    }
    mkdirSync(path.join(root, 'etc/ssh/ssh_config.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/ssh/ssh_config.d/m.conf'), 'ForwardAgent yes\n');
    const applied = await runCli(['apply', '--root', root, '--stage', 'early', '--only', 'sshd', '--json']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    // [z-a] matched nothing, so m.conf is read only through the normal Include, after ours.
    expect(reportOf(applied).modules[0]!.findings.filter((f) => f.key.endsWith('ForwardAgent'))).toEqual([]);
  });
});
