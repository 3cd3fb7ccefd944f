// Opens the listening sockets named in LISTEN (e.g. "tcp/0.0.0.0/8080,udp/::1/5353"), then runs
// the given command while they are open and exits with its exit code. Used inside `unshare --net`.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { spawnSync } from 'node:child_process';

const sockets = [];
for (const spec of (process.env.LISTEN ?? '').split(',').filter(Boolean)) {
  const [protocol, host, port] = spec.split('/');
  await new Promise((resolve, reject) => {
    if (protocol === 'tcp') {
      const server = createServer().once('error', reject);
      server.listen({ host, port: Number(port), ipv6Only: host.includes(':') }, resolve);
      sockets.push(server);
    } else {
      const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host.includes(':') }).once('error', reject);
      socket.bind(Number(port), host, resolve);
      sockets.push(socket);
    }
  });
}
const [command, ...args] = process.argv.slice(2);
const result = spawnSync(command, args, { stdio: 'inherit' });
for (const socket of sockets) socket.close();
process.exit(result.status ?? 1);
