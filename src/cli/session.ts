import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Host } from '../host/host.js';
import { SerialPort } from '../host/serial-port.js';
import { parseConfig, type AgentConfig } from '../config/load.js';
import { readConfigText } from '../config/read-file.js';
import { MetadataClient } from '../metadata/client.js';
import { MetadataView } from '../metadata/view.js';
import { ALL_MODULES } from '../policy/registry.js';
import type { Logger, MachineIdentity, PolicyModule, Stage } from '../policy/types.js';
import type { ModuleSettings } from '../pass/run-pass.js';
import { StateStore } from '../state/store.js';
import { checkLogLevel, checkMetadataHostInputs, splitIds, type CommonValues } from './common-options.js';
import { createLogger } from './logger.js';
import { UsageError } from './usage-error.js';
import { checkedRoot } from './checked-root.js';
import { isInstalledSystem, OS_RELEASE_FILES } from '../distro/identify.js';
import { describeDistro, distroOf } from '../distro/distro.js';

export const DEFAULT_CONFIG_PATH = '/etc/gce-firstboot/gce-firstboot.conf';

/** Everything a command needs to look at one machine, built from the common options. */
export interface Session {
  host: Host;
  config: AgentConfig;
  modules: readonly PolicyModule[];
  log: Logger;
  serial: SerialPort;
  machine: MachineIdentity;
  state: StateStore;
  /** The configuration text the session was built from (undefined: no file, defaults). */
  configText: string | undefined;
  metadataHost: string | undefined;
  settings(moduleId: string): ModuleSettings;
  /** A metadata view for one pass; without the network in the early stage. */
  metadataView(stage?: Stage, signal?: AbortSignal): MetadataView;
}

/** The config text (undefined: no file, defaults) from `explicit`, or from the root's default path. */
export async function readConfig(host: Host, explicit: string | undefined): Promise<{ text: string | undefined; file: string }> {
  if (explicit) return { text: await readConfigText(explicit, () => fs.readFile(explicit, 'utf8')), file: explicit };
  const file = host.resolve(DEFAULT_CONFIG_PATH);
  return { text: await readConfigText(file, () => host.readText(DEFAULT_CONFIG_PATH)), file };
}

/** One module's options from the config (its defaults when the config has no section for it). */
export function moduleSettings(config: AgentConfig, moduleId: string): ModuleSettings {
  const moduleConfig = config.modules[moduleId];
  return { options: moduleConfig?.options ?? {}, extraOptions: moduleConfig?.extraOptions ?? {} };
}

function selectModules(config: AgentConfig, values: CommonValues, stage: Stage | undefined): PolicyModule[] {
  const known = new Set(ALL_MODULES.map((module) => module.id));
  const only = splitIds(values.only);
  const skip = splitIds(values.skip) ?? [];
  for (const [flag, ids] of [['--only', only ?? []], ['--skip', skip]] as const) {
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length) throw new UsageError(`${flag}: unknown module ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  }
  return ALL_MODULES.filter(
    (module) =>
      (only ? only.includes(module.id) : config.modules[module.id]?.enabled !== false) &&
      !skip.includes(module.id) &&
      (stage === undefined || module.stage === stage || (stage === 'network' && module.alsoInNetworkStage === true)),
  );
}

/**
 * `configText`: build from this text instead of reading the file (the daemon's pass keeps the
 * configuration the daemon last loaded until a reload succeeds).
 */
export async function openSession(values: CommonValues, stage?: Stage, configText?: { text: string | undefined }): Promise<Session> {
  const log = createLogger(checkLogLevel(values['log-level']));
  checkMetadataHostInputs(values['metadata-host']);
  const root = await checkedRoot(values.root);
  const host = new Host({
    root,
    live: root === '/' || values.live,
    ...(values['proc-sys'] ? { procSys: path.resolve(values['proc-sys']) } : {}),
    ...(values['sys-dir'] ? { sysDir: path.resolve(values['sys-dir']) } : {}),
    ...(values['proc-dir'] ? { procDir: path.resolve(values['proc-dir']) } : {}),
  });
  if (root !== '/' && !(await isInstalledSystem(host))) {
    throw new UsageError(`--root ${values.root}: not an installed system (no ${OS_RELEASE_FILES.join(' or ')})`);
  }
  log.debug(`distribution: ${describeDistro(await distroOf(host))}`);
  if (process.getuid?.() !== 0) log.warn('not running as root: what only root may read or write (/etc/shadow, the state directory) fails; run it with sudo');
  const { text, file } = configText ? { text: configText.text, file: values.config ?? host.resolve(DEFAULT_CONFIG_PATH) } : await readConfig(host, values.config);
  const config = parseConfig(text, file, ALL_MODULES);
  const modules = selectModules(config, values, stage);
  const serial = new SerialPort(() => host.resolve(config.core.serial_port), (reason) => log.warn(`serial console unavailable: ${reason}`), host.root);
  const machine: MachineIdentity = {
    productUuid: (await host.readSys('class/dmi/id/product_uuid'))?.toLowerCase() || undefined,
    bootId: (await host.readSysctl('kernel.random.boot_id').catch(() => undefined)) || undefined,
  };
  const metadataHost = values['metadata-host'] || config.core.metadata_host || undefined;
  const state = await StateStore.load(host);
  return {
    host,
    config,
    modules,
    log,
    serial,
    machine,
    state,
    configText: text,
    metadataHost,
    settings: (moduleId) => moduleSettings(config, moduleId),
    metadataView: (passStage, signal) => {
      if (passStage === 'early') return new MetadataView(undefined, 'the early stage does not wait for the network');
      if (values.offline) return new MetadataView(undefined, '--offline: the metadata server is not consulted');
      const client = new MetadataClient({
        host: metadataHost,
        requestTimeoutMs: config.core.request_timeout_ms,
        retryBudgetMs: config.core.boot_deadline_sec * 1000,
        signal,
        onRetrying: (problem, remainingMs) =>
          log.warn(`metadata server ${client.host} not answering (${problem}); retrying for up to ${Math.ceil(remainingMs / 1000)} s ([core] boot_deadline_sec; --offline does without it)`),
      });
      return new MetadataView(client);
    },
  };
}
