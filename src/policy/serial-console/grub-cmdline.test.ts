import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { editCmdline, evaluateCmdline } from './grub-cmdline.js';

/** What sh itself makes of the file (grub-mkconfig sources it), starting from `inherited`. */
async function shellValue(text: string, inherited: string): Promise<string> {
  const result = await execa('sh', ['-c', 'GRUB_CMDLINE_LINUX="$1"; eval "$2"; printf %s "$GRUB_CMDLINE_LINUX"', 'sh', inherited, text]);
  return result.stdout;
}

describe('GRUB_CMDLINE_LINUX reader', () => {
  it.each([
    ['GRUB_CMDLINE_LINUX="quiet splash"\n', ''],
    ["GRUB_CMDLINE_LINUX='a b'  # note\n", ''],
    ['GRUB_CMDLINE_LINUX=ro\n', ''],
    ['export GRUB_CMDLINE_LINUX="x"\n', ''],
    ['GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX net.ifnames=0"\n', 'ro quiet'],
    ['GRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} b"\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX c"\n', 'a'],
    ['# GRUB_CMDLINE_LINUX="commented"\nGRUB_TIMEOUT=5\n', 'kept'],
    ['GRUB_CMDLINE_LINUX=""\r\nGRUB_CMDLINE_LINUX="last"\r\n', ''],
  ])('reads %j as sh does', async (text, inherited) => {
    const ours = evaluateCmdline(text, inherited);
    expect(ours).toEqual({ value: await shellValue(text.replace(/\r/g, ''), inherited) });
  });

  it.each([
    ['GRUB_CMDLINE_LINUX="$(cat /etc/kernel/cmdline)"\n', 'shell syntax'],
    ['GRUB_CMDLINE_LINUX="$EXTRA quiet"\n', 'shell syntax'],
    ['GRUB_CMDLINE_LINUX="a \\"b\\""\n', 'unexpected text'],
    ['GRUB_CMDLINE_LINUX="open\n', 'unterminated quote'],
    ['GRUB_CMDLINE_LINUX="a" ; reboot\n', 'unexpected text'],
    ['GRUB_CMDLINE_LINUX=`date`\n', 'shell syntax'],
    ['GRUB_CMDLINE_LINUX=`cat x`\n', 'unexpected text'],
  ])('refuses %j', (text, reason) => {
    const result = evaluateCmdline(text, '');
    expect('error' in result && result.error).toContain(reason);
  });

  it('edits only the last assignment\'s value, or appends one in the file\'s line ending', () => {
    const add = (value: string): string => (value ? `${value} console=ttyS0,38400n8` : 'console=ttyS0,38400n8');
    expect(editCmdline('A=1\nGRUB_CMDLINE_LINUX="x"\nGRUB_CMDLINE_LINUX="y"  # z\nB=2', add)).toBe('A=1\nGRUB_CMDLINE_LINUX="x"\nGRUB_CMDLINE_LINUX="y console=ttyS0,38400n8"  # z\nB=2');
    expect(editCmdline('GRUB_CMDLINE_LINUX=ro\r\n', add)).toBe('GRUB_CMDLINE_LINUX="ro console=ttyS0,38400n8"\r\n');
    expect(editCmdline('GRUB_TIMEOUT=5\r\nGRUB_DEFAULT=0', add)).toBe('GRUB_TIMEOUT=5\r\nGRUB_DEFAULT=0\r\nGRUB_CMDLINE_LINUX="console=ttyS0,38400n8"\r\n');
  });
});
