import type { PolicyModule } from './types.js';
import { hostnameModule } from './hostname/index.js';
import { timezoneModule } from './timezone/index.js';
import { coexistenceModule } from './coexistence/index.js';
import { ntpModule } from './ntp/index.js';
import { serialConsoleModule } from './serial-console/index.js';
import { networkHygieneModule } from './network-hygiene/index.js';
import { sshHostKeysModule } from './ssh-host-keys/index.js';
import { sshdModule } from './sshd/index.js';
import { accountsModule } from './accounts/index.js';
import { kernelConfigModule } from './kernel-config/index.js';
import { hardwareModule } from './hardware/index.js';
import { packagesModule } from './packages/index.js';
import { sysctlModule } from './sysctl/index.js';
import { mtuModule } from './mtu/index.js';

/**
 * Every module, in the order a pass runs them. Add a module here and nowhere else. The host
 * keys come first after coexistence (which stops other agents from regenerating them): sshd
 * waits for the early stage, and keys are what it cannot start without.
 */
export const ALL_MODULES: readonly PolicyModule[] = [
  coexistenceModule,
  sshHostKeysModule,
  sshdModule,
  sysctlModule,
  timezoneModule,
  ntpModule,
  serialConsoleModule,
  networkHygieneModule,
  hostnameModule,
  mtuModule,
  accountsModule,
  kernelConfigModule,
  hardwareModule,
  packagesModule,
];
