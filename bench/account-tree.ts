// Account-tree listings under a large tree: how long a page of GET …/descendants and …/children takes, how long
// walking every page takes, and how long a cheap request sent meanwhile waits (the store is synchronous: whatever a
// listing does blocks every other request of the process). The API runs in a child process so that the waiting is
// measured from outside it.
//   npx tsx bench/account-tree.ts            (prints a Markdown table)
// Trees: a chain 1,500 accounts deep (deeper than ACCOUNT_MAX_DEPTH allows: as a database filled before the limit
// would hold it) and one account with 10,000 children (ACCOUNT_MAX_CHILDREN's default).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startApi } from '../api/index.ts';
import { createApiLogger } from '../api/log.ts';
import type { CallEngine } from '../api/engine.ts';
import { openStore } from '../store/index.ts';

const CHAIN = 1500;
const WIDE = 10_000;
const SECRET = 'bench-secret-bench-secret-bench-secret-00';

interface Ready {
  url: string;
  key: string;
}

/** The child: a store with both trees, the API over it; sends its URL and an API key of the top account. */
async function serve(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-tree-bench-'));
  const store = openStore(path.join(dir, 'handoff.sqlite'), {
    accountTree: { maxDepth: CHAIN + 1, maxChildren: WIDE },
  });
  await store.createAccount({ id: 'top', name: 'Top' });
  await store.createAccount({ id: 'chain', name: 'Chain', parentId: 'top' });
  let parent = 'chain';
  for (let i = 0; i < CHAIN; i++) {
    await store.createAccount({ id: `c${i}`, name: `C${String(i).padStart(5, '0')}`, parentId: parent });
    parent = `c${i}`;
  }
  await store.createAccount({ id: 'wide', name: 'Wide', parentId: 'top' });
  for (let i = 0; i < WIDE; i++)
    await store.createAccount({ name: `W${String(i).padStart(5, '0')}`, parentId: 'wide' });
  const key = (await store.createApiKey('top')).key;
  const api = await startApi({
    store,
    engine: {} as CallEngine,
    logger: createApiLogger({ level: 'silent' }),
    config: { HANDOFF_JWT_SECRET: SECRET, API_NODE_NAME: 'bench', API_AUTH_MAX_FAILURES: 10_000 },
    host: '127.0.0.1',
    port: 0,
  });
  process.send?.({ url: api.url, key } satisfies Ready);
  process.once('disconnect', () => {
    void api.close().then(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function measure(): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], { execArgv: ['--import=tsx'] });
  const { url, key } = await new Promise<Ready>((resolve) => child.once('message', (m) => resolve(m as Ready)));
  const auth = await fetch(`${url}/v2/api_auth`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ data: { api_key: key } }),
  });
  const headers = { 'X-Auth-Token': ((await auth.json()) as { auth_token: string }).auth_token };
  const get = async (p: string) => {
    const started = performance.now();
    const res = await fetch(`${url}${p}`, { headers });
    const body = (await res.json()) as { data: unknown[]; next_start_key?: string };
    return { ms: performance.now() - started, body };
  };

  const rows: string[] = [];
  for (const [label, listing] of [
    [`descendants of a ${CHAIN}-deep chain`, '/v2/accounts/chain/descendants'],
    [`children of an account with ${WIDE} children`, '/v2/accounts/wide/children'],
    [`descendants of the top account (${CHAIN + WIDE + 2} below it)`, '/v2/accounts/top/descendants'],
  ] as const) {
    // A cheap request every 10 ms while every page is walked: how long does it wait?
    let walking = true;
    const probes: number[] = [];
    const probing = (async () => {
      while (walking) {
        const started = performance.now();
        await fetch(`${url}/v2/token_auth`, { headers }).then((r) => r.arrayBuffer());
        probes.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const first = await get(listing);
    const pages = [first.ms];
    let items = first.body.data.length;
    const walkStarted = performance.now();
    for (let next = first.body.next_start_key; next;) {
      const page = await get(`${listing}?start_key=${next}`);
      pages.push(page.ms);
      items += page.body.data.length;
      next = page.body.next_start_key;
    }
    const walkMs = performance.now() - walkStarted + first.ms;
    walking = false;
    await probing;
    const sortedPages = [...pages].sort((a, b) => a - b);
    const sortedProbes = [...probes].sort((a, b) => a - b);
    rows.push(
      `| ${label} | ${items} in ${pages.length} pages | ${first.ms.toFixed(1)} | ${quantile(sortedPages, 0.5).toFixed(1)} / ${(sortedPages.at(-1) ?? NaN).toFixed(1)} | ${(walkMs / 1000).toFixed(2)} | ${quantile(sortedProbes, 0.5).toFixed(1)} / ${(sortedProbes.at(-1) ?? NaN).toFixed(1)} (${probes.length}) |`,
    );
  }
  const deepest = await get(`/v2/accounts/c${CHAIN - 1}`);
  child.disconnect();
  console.log(
    [
      `Account-tree listings (bench/account-tree.ts), ${new Date().toISOString()}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      '',
      '| listing (page_size 50) | items | first page ms | page ms p50 / max | all pages s | a cheap request meanwhile, ms p50 / max (n) |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      `GET of the deepest account (authorization and its ${CHAIN}-long tree): ${deepest.ms.toFixed(1)} ms`,
    ].join('\n'),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void (process.argv.includes('--serve') ? serve() : measure());
}
