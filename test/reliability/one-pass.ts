import { Host } from '../../src/host/host.js';
import { parseConfig } from '../../src/config/load.js';
import { MetadataView } from '../../src/metadata/view.js';
import { runPass } from '../../src/pass/run-pass.js';
import { ALL_MODULES } from '../../src/policy/registry.js';
import type { Logger } from '../../src/policy/types.js';
import type { Report } from '../../src/report/model.js';
import { StateStore } from '../../src/state/store.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * One check or apply pass of one module on a root, in this process: the real module, Host, files
 * and commands, without a node start per run (property tests run hundreds of them).
 */
export async function onePass(root: string, moduleId: string, mode: 'check' | 'apply', configText = ''): Promise<Report> {
  const host = new Host({ root, live: false });
  const config = parseConfig(configText, 'property-test.conf', ALL_MODULES);
  const module = ALL_MODULES.find((candidate) => candidate.id === moduleId);
  if (!module) throw new Error(`no module ${moduleId}`);
  return runPass({
    host,
    modules: [module],
    settings: (id) => ({ options: config.modules[id]?.options ?? {}, extraOptions: config.modules[id]?.extraOptions ?? {} }),
    metadata: new MetadataView(undefined, 'not consulted by property tests'),
    state: await StateStore.load(host),
    log: quiet,
    mode,
    respectFrequency: false,
    machine: {},
    console: async () => undefined,
  });
}
