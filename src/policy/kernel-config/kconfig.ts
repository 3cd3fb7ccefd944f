/** A kernel .config: option name (without CONFIG_) -> value ('y', 'm', 'n', a number or a string). */
export type KernelConfig = ReadonlyMap<string, string>;

export interface ParsedConfig {
  options: KernelConfig;
  /** Lines that are neither an option, a "not set" comment, another comment nor blank. */
  badLines: number[];
}

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** Parses a .config as Kconfig writes it; `# CONFIG_X is not set` means X=n. */
export function parseKernelConfig(text: string): ParsedConfig {
  const options = new Map<string, string>();
  const badLines: number[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const set = SET.exec(line);
    const notSet = NOT_SET.exec(line);
    if (set) options.set(set[1]!, set[2]!.replace(/^"(.*)"$/, '$1'));
    else if (notSet) options.set(notSet[1]!, 'n');
    else if (line !== '' && !line.startsWith('#')) badLines.push(index + 1);
  });
  return { options, badLines };
}
