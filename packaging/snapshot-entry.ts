// Entry of the start-up snapshot experiment (`build-binary.mjs --snapshot`, issue 18 item 4):
// the modules every pass needs are evaluated when the snapshot is built; at run time only
// main.ts runs (esbuild keeps a dynamically imported module lazy, so it is not run at build).
import { startupSnapshot } from 'node:v8';
import '../src/cli/pass-command.js';
import '../src/cli/commands/apply.js';
import '../src/cli/commands/check.js';

startupSnapshot.setDeserializeMainFunction(() => {
  void import('../src/cli/main.js');
});
