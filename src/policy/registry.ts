import type { PolicyModule } from './types.js';
import { hostnameModule } from './hostname/index.js';
import { timezoneModule } from './timezone/index.js';
import { coexistenceModule } from './coexistence/index.js';
import { sshHostKeysModule } from './ssh-host-keys/index.js';
import { sshdModule } from './sshd/index.js';

/** Every module, in the order a pass runs them. Add a module here and nowhere else. */
export const ALL_MODULES: readonly PolicyModule[] = [coexistenceModule, timezoneModule, hostnameModule, sshHostKeysModule, sshdModule];
