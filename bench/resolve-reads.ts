// `npx tsx bench/resolve-reads.ts`: how long a transfer's resolve takes up to its hold on PostgreSQL, the shared
// database of a cluster. Between the switch's two uuid_dumps (a stand-in here, answering after `--dump-ms`: 0.4 ms is
// what one switch command took through the engine's ESL wrapper in `npm run bench`) it reads the node's drain, the
// account's defaults and its music on hold and ringback as media records, then writes the pair's claim; the hold
// itself is left out. A benchmark with figures, not a test: it prints them. Without `--database-url`, a PostgreSQL of
// its own on this machine (scripts/lib/postgres-server.ts, durable settings); with it, a server of yours, whose round
// trips are what the resolve waits for.
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  createPolicyActivities,
  policyStore,
  type ResolvedTransfer,
  type TransferHoldAsk,
} from '../activities/policy.ts';
import type { HoldResult, LegState } from '../activities/types.ts';
import { loadConfig } from '../config/index.ts';
import { transferWorkflowId } from '../contracts/ids.ts';
import { startPostgresServer, type PostgresServer } from '../scripts/lib/postgres-server.ts';
import { openPostgresStore } from '../store/index.ts';
import { intOption } from './options.ts';
import { ms, summarise, table } from './stats.ts';

const { values: flags } = parseArgs({
  options: {
    resolves: { type: 'string', default: '300' },
    'dump-ms': { type: 'string', default: '0.4' },
    'database-url': { type: 'string' },
  },
});
const resolves = intOption('resolves', flags.resolves, 10, 100_000);
const dumpMs = Number(flags['dump-ms']);
if (!(dumpMs >= 0)) throw new Error('--dump-ms: a number of ms, 0 or more');

/** Waits `ms` (a timer would wait a whole millisecond at least), letting the database's replies in meanwhile. */
async function pause(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) await new Promise(setImmediate);
}

const ACCOUNT = '4b8c5a2f3e1d4c6b9a8f7e6d5c4b3a21';
const NODE = 'fs1';

async function main(): Promise<void> {
  let server: PostgresServer | undefined;
  const url = flags['database-url'] ?? (server = await startPostgresServer()).url;
  const store = await openPostgresStore(url);
  try {
    await store.createAccount({
      id: ACCOUNT,
      name: 'bench',
      musicOnHoldMediaId: 'house-music',
      ringback: 'house-ring',
    });
    await store.createMedia({ id: 'house-music', accountId: ACCOUNT, name: 'moh', streamUrl: 'local_stream://house' });
    await store.createMedia({ id: 'house-ring', accountId: ACCOUNT, name: 'ring', streamUrl: 'local_stream://ring' });
    const config = loadConfig({});
    const vars = { [config.ACCOUNT_ID_VARIABLE]: ACCOUNT };
    const legs = new Map<string, LegState>([
      ['alice', { uuid: 'alice', exists: true, answered: true, bridgeUuid: 'bob', direction: 'inbound', vars }],
      ['bob', { uuid: 'bob', exists: true, answered: true, bridgeUuid: 'alice', direction: 'outbound', vars }],
    ]);
    let heldAt = 0;
    const sw = {
      legState: async (uuid: string): Promise<LegState> => {
        await pause(dumpMs);
        return legs.get(uuid) ?? { uuid, exists: false };
      },
      holdWithMusic: async () => '+OK\n',
      markCallWorkflows: async () => undefined,
      holdForTransfer: async (): Promise<HoldResult> => {
        heldAt = performance.now();
        return { saved: {}, alive: { transferor: true, transferee: true } };
      },
      giveBackPair: async () => 'not_held' as const,
    };
    const policy = createPolicyActivities(sw, policyStore(store), config, {
      draining: async () => (await store.nodeDrain(NODE)) !== undefined,
    });
    const times: number[] = [];
    for (let i = 0; i < resolves + 20; i++) {
      const from = performance.now();
      const hold: TransferHoldAsk = { startedBy: 'dtmf' };
      const resolved = (await new MockActivityEnvironment().run(
        policy.resolveTransfer,
        'alice',
        { target: '2600' },
        hold,
      )) as ResolvedTransfer;
      if (resolved.moh !== 'local_stream://house')
        throw new Error(`the account's music was not found: ${resolved.moh}`);
      // The pair's claim is released as a transfer's end would, so the next resolve claims it afresh.
      const claim = await store.transferPairClaim(transferWorkflowId('alice', 'bob'));
      if (claim) await store.releaseTransferPair(claim);
      if (i >= 20) times.push(heldAt - from); // the first ones warm the pool and the JIT
    }
    const s = summarise(times);
    console.log(
      table(
        ['resolve → hold (ms)', 'n', 'p50', 'p90', 'p99', 'max'],
        [[`PostgreSQL, uuid_dump ${dumpMs} ms`, s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)]],
      ),
    );
  } finally {
    await store.close();
    await server?.destroy();
  }
}

await main();
