// The cluster's role ports (ports.ts): below the ephemeral range, free, and never the same twice.
import net from 'node:net';
import test from 'ava';
import { ephemeralFloor, rolePort } from './ports.ts';

test('role ports lie below the ephemeral range, can be listened on, and are handed out once each', async (t) => {
  const floor = ephemeralFloor();
  const ports: number[] = [];
  for (let i = 0; i < 20; i++) ports.push(await rolePort());
  t.is(new Set(ports).size, ports.length);
  for (const port of ports) t.true(port >= 10_000 && port < floor - 1000, `${port} below ${floor}`);
  const first = ports[0]!;
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(first, '127.0.0.1', () => resolve());
  });
  t.is((server.address() as net.AddressInfo).port, first);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
