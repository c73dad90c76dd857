// A real API server on an ephemeral port over a real store (a SQLite file, or a schema of the tests' PostgreSQL), with
// a tree of accounts and a token for each: root → child → grandchild, root → sibling, and an unrelated stranger.
import type { ExecutionContext } from 'ava';
import { startApi, type ApiSettings } from '../../../api/index.ts';
import { createApiLogger } from '../../../api/log.ts';
import type { AccountTreeLimits, ChannelRecord, Store, StoreOptions } from '../../../store/index.ts';
import { rawDatabase, type Engine } from '../../store/engines.ts';
import { DocumentCheck, type OpenApiDocument } from './document-check.ts';
import { RecordingEngineDouble } from './recording-engine-double.ts';

export const JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
export const ACCOUNTS = ['root', 'child', 'grandchild', 'sibling', 'stranger'] as const;
export type AccountName = (typeof ACCOUNTS)[number];

export interface Harness {
  url: string;
  store: Store;
  /** Another store on the same database, as another API process would open it (closed after the test). */
  openStore(options?: StoreOptions): Promise<Store>;
  engine: RecordingEngineDouble;
  keys: Record<AccountName, string>;
  tokens: Record<AccountName, string>;
  /** fetch relative to the server, JSON in and out. */
  call(method: string, path: string, opts?: RequestOpts): Promise<Answer>;
  addChannel(rec: Partial<ChannelRecord> & { callId: string }): Promise<void>;
  /** Every line the API logged so far (JSON text, as written). */
  logText(): string;
  /** The same lines, parsed. */
  logs(): Record<string, unknown>[];
}

export interface RequestOpts {
  token?: string;
  bearer?: string;
  /** Sent as JSON unless a string (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  // The envelope, loosely typed for assertions.
  body: Envelope;
  text: string;
}

export interface Envelope {
  status?: string;
  error?: string;
  message?: string;
  data?: unknown;
  request_id?: string;
  auth_token?: string;
  timestamp?: string;
  version?: string;
  node?: string;
  handoff?: Record<string, unknown>;
  [key: string]: unknown;
}

export async function startHarness(
  t: ExecutionContext,
  options: {
    tokenTtlS?: number;
    bodyLimitBytes?: number;
    maxJsonDepth?: number;
    settings?: Partial<ApiSettings>;
    accountTree?: Partial<AccountTreeLimits>;
    /** The store's engine (default sqlite). */
    store?: Engine;
  } = {},
): Promise<Harness> {
  const database = await rawDatabase(t, options.store ?? 'sqlite');
  const store = await database.open({ accountTree: options.accountTree });
  const engine = new RecordingEngineDouble();
  const logLines: string[] = [];
  const logger = createApiLogger({
    level: 'debug',
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const api = await startApi({
    store,
    engine,
    logger,
    config: {
      HANDOFF_JWT_SECRET: JWT_SECRET,
      TOKEN_TTL_S: options.tokenTtlS ?? 3600,
      API_BODY_LIMIT_BYTES: options.bodyLimitBytes,
      API_MAX_JSON_DEPTH: options.maxJsonDepth,
      API_NODE_NAME: 'test-node',
      ...options.settings,
    },
    host: '127.0.0.1',
    port: 0,
  });
  t.teardown(() => api.close());

  await store.createAccount({ id: 'root', name: 'Root' });
  await store.createAccount({ id: 'child', name: 'Child', parentId: 'root' });
  await store.createAccount({ id: 'grandchild', name: 'Grandchild', parentId: 'child' });
  await store.createAccount({ id: 'sibling', name: 'Sibling', parentId: 'root' });
  await store.createAccount({ id: 'stranger', name: 'Stranger' });

  // Every answer a test gets through call() is checked against the document the server serves.
  const documentCheck = new DocumentCheck((await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApiDocument);

  async function call(method: string, p: string, opts: RequestOpts = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers['X-Auth-Token'] = opts.token;
    if (opts.bearer !== undefined) headers.Authorization = `Bearer ${opts.bearer}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(`${api.url}${p}`, { method, headers, body });
    const text = await res.text();
    const url = new URL(p, api.url);
    // A tunnelled method (verb, X-HTTP-Method-Override) is another operation than the one sent.
    const tunnelled = url.searchParams.has('verb') || opts.headers?.['X-HTTP-Method-Override'] !== undefined;
    const problem = tunnelled ? undefined : documentCheck.problem(method, url.pathname, res.status, text);
    if (problem) throw new Error(problem);
    let parsed: Envelope = {};
    try {
      parsed = JSON.parse(text) as Envelope;
    } catch {
      // Leave it empty: the tests assert on `text` when the answer is not JSON.
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  const keys = {} as Record<AccountName, string>;
  const tokens = {} as Record<AccountName, string>;
  for (const name of ACCOUNTS) {
    keys[name] = (await store.createApiKey(name)).key;
    const res = await call('PUT', '/v2/api_auth', { body: { data: { api_key: keys[name] } } });
    if (res.status !== 201 || !res.body.auth_token) throw new Error(`api_auth failed for ${name}: ${res.text}`);
    tokens[name] = res.body.auth_token;
  }

  async function addChannel(rec: Partial<ChannelRecord> & { callId: string }): Promise<void> {
    const now = Date.now();
    await store.upsertChannel({
      node: 'fs1',
      accountId: 'child',
      answered: true,
      bridgedTo: null,
      createdAt: now - 5000,
      updatedAt: now,
      ...rec,
    });
  }

  return {
    url: api.url,
    store,
    openStore: (storeOptions) => database.open(storeOptions),
    engine,
    keys,
    tokens,
    call,
    addChannel,
    logText: () => logLines.join(''),
    logs: () => logLines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
