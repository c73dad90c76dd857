// The whole engine plus the real REST API in front of it, with a token for the demo account: for end-to-end tests
// that act as a client would (POST /v2/accounts/{A}/channels/{CALL_ID}, metaflows).
import type { TestFn } from 'ava';
import { TemporalCallEngine, callWorkflowStarts } from '../../api/temporal-engine.ts';
import { startApi } from '../../api/index.ts';
import { startEngine, useShared, type Engine } from './engine.ts';

export interface EngineWithApi {
  e: Engine;
  url: string;
  /** A token of the demo account. */
  token: string;
  close: () => Promise<void>;
}

export async function startEngineWithApi(scenario: string, env: Record<string, string> = {}): Promise<EngineWithApi> {
  const e = await startEngine(env, { scenario });
  const api = await startApi({
    store: e.store,
    engine: new TemporalCallEngine(e.client, callWorkflowStarts(e.config, e.store)),
    config: { ...e.config, HANDOFF_JWT_SECRET: 'x'.repeat(40) },
    port: 0,
  });
  const token = await tokenFor(api.url, e.demo.apiKey);
  return {
    e,
    url: api.url,
    token,
    async close() {
      await api.close();
      await e.stop();
    },
  };
}

/** The e2e fixture with the REST API in front of the engine: started before a file's tests, stopped after them. */
export function useEngineWithApi(
  test: TestFn,
  scenario: string,
  env: Record<string, string> = {},
): TestFn<EngineWithApi> {
  return useShared(
    test,
    () => startEngineWithApi(scenario, env),
    (c) => c.close(),
  );
}

/** A token for an API key (PUT /v2/api_auth). */
export async function tokenFor(url: string, apiKey: string): Promise<string> {
  const auth = await fetch(`${url}/v2/api_auth`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: { api_key: apiKey } }),
  });
  return ((await auth.json()) as { auth_token: string }).auth_token;
}

/** One request as a client sends it: `data` in Kazoo's envelope, the token in X-Auth-Token. */
export async function request(
  ctx: Pick<EngineWithApi, 'url' | 'token'>,
  method: string,
  path: string,
  data?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${ctx.url}/v2${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-auth-token': ctx.token, ...headers },
    ...(data === undefined ? {} : { body: JSON.stringify({ data }) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
