import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MetadataEmulator } from './server.js';
import { defaultInstanceTree } from './default-tree.js';
import type { Tree } from './tree.js';

/** `node dist/src/emulator/main.js [--listen 127.0.0.1:0] [--data tree.json]` */
const { values } = parseArgs({
  options: { listen: { type: 'string', default: '127.0.0.1:0' }, data: { type: 'string' } },
});
const [host, port] = (values.listen ?? '127.0.0.1:0').split(':');
const tree = values.data ? (JSON.parse(readFileSync(values.data, 'utf8')) as Tree) : defaultInstanceTree();
const emulator = new MetadataEmulator(tree);
const address = await emulator.start(Number(port ?? 0), host);
process.stdout.write(`metadata-emulator listening on http://${address}\n`);
const stop = (): void => void emulator.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
