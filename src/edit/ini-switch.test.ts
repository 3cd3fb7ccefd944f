import { describe, expect, it } from 'vitest';
import { readIniSwitch, setIniSwitch } from './ini-switch.js';

describe('setIniSwitch', () => {
  it('a CR LF file whose last line has no newline stays CR LF, and a second run changes nothing', () => {
    // fast-check's counterexample (test/reliability/properties.test.ts): the first run ended the
    // header with LF only, so the second run saw a mixed file and rewrote our line without CR.
    const once = setIniSwitch('\r\n[InstanceSetup]', 'InstanceSetup', 'set_hostname', 'false');
    expect(once).toBe('\r\n[InstanceSetup]\r\nset_hostname = false  # managed by gce-firstboot\r\n');
    expect(setIniSwitch(once, 'InstanceSetup', 'set_hostname', 'false')).toBe(once);
    expect(readIniSwitch(once, 'InstanceSetup', 'set_hostname')).toBe('false');
  });

  it('an LF file without a final newline gets LF', () => {
    expect(setIniSwitch('[Unstable]\nx = 1', 'Unstable', 'set_hostname', 'false')).toBe('[Unstable]\nx = 1\nset_hostname = false  # managed by gce-firstboot\n');
  });
});
