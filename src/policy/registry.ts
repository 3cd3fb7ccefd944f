import type { PolicyModule } from './types.js';
import { hostnameModule } from './hostname/index.js';
import { timezoneModule } from './timezone/index.js';
import { ntpModule } from './ntp/index.js';

/** Every module, in the order a pass runs them. Add a module here and nowhere else. */
export const ALL_MODULES: readonly PolicyModule[] = [
  timezoneModule,
  ntpModule,
  hostnameModule,
];
