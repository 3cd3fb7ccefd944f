import { describe, expect, it } from 'vitest';
import { GlobError, globMatches } from './glob.js';

describe('Name= globs as systemd-networkd reads them', () => {
  it.each([
    ['en*', 'ens4', true],
    ['en*', 'eth0', false],
    ['eth?', 'eth0', true],
    ['e[nt]*', 'eth0', true],
    ['e[!n]*', 'ens4', false],
    ['e[^n]*', 'eth0', true],
    ['[]x]*', ']a', true],
    ['[a-c]*', 'b1', true],
    ['[a-]*', '-x', true],
    ['ens[*', 'ens[4', true],
    ['a.b', 'aXb', false],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['(x|y)', '(x|y)', true],
  ])('%j against %j is %j', (pattern, name, expected) => {
    expect(globMatches(pattern, name)).toBe(expected);
  });

  it('a backwards range is an error naming it, not a crash in the regex engine', () => {
    expect(() => globMatches('[z-a]*', 'ens4')).toThrow(GlobError);
    expect(() => globMatches('[z-a]*', 'ens4')).toThrow('range z-a is backwards');
  });
});
