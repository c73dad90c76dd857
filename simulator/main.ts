// CLI: npm run simulator -- --port 8021 --password ClueCon [--seed N] [--dialplan file.json] [--host 127.0.0.1]

import { parseArgs } from 'node:util';
import { loadDialplanFile, startSimulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8021' },
    host: { type: 'string', default: '127.0.0.1' },
    password: { type: 'string', default: 'ClueCon' },
    seed: { type: 'string' },
    dialplan: { type: 'string' },
    heartbeat: { type: 'string' },
  },
});

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name}: expected a non-negative integer, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const sim = await startSimulator({
  port: num('port', values.port),
  host: values.host,
  password: values.password,
  seed: num('seed', values.seed),
  heartbeatMs: num('heartbeat', values.heartbeat),
  dialplan: values.dialplan ? loadDialplanFile(values.dialplan) : [],
});
console.log(`FreeSWITCH simulator listening on ${sim.host}:${sim.port} (password ${sim.password}, seed ${sim.seed})`);
console.log(`ESL address: ${sim.url}`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
