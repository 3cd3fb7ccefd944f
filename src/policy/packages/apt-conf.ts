export interface PeriodicSetting {
  value?: string;
  problem?: string;
}

/**
 * The value an apt.conf file gives APT::Periodic::<name>, in the flat form
 * (`APT::Periodic::Unattended-Upgrade "1";`) Debian's debconf writes. Files apt could not
 * parse (unbalanced quotes or braces) are reported, not guessed at.
 */
export function periodicSetting(text: string, name: string): PeriodicSetting {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)(\/\/|#).*$/gm, '$1');
  if ((code.match(/"/g) ?? []).length % 2 !== 0 || (code.match(/\{/g) ?? []).length !== (code.match(/\}/g) ?? []).length) {
    return { problem: 'unbalanced quotes or braces: apt cannot parse it' };
  }
  const escaped = name.replace(/[-]/g, '\\-');
  const matches = [...code.matchAll(new RegExp(`APT::Periodic::${escaped}\\s+"([^"]*)"\\s*;`, 'gi'))];
  const value = matches.at(-1)?.[1];
  return value === undefined ? {} : { value };
}
