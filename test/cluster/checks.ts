// The cluster test's checks of what the processes share, made once the chaos is over and every process is up again
// (a killed API process is a new one by then: whatever it knows, it read from the store):
// - the login throttle: failures counted by both API processes lock the client out of both;
// - token revocation: a key rotated through one API process ends its tokens on the other at once;
// - the live-channel lists: both API processes list exactly the call legs up on the two switches (each once, with
//   its peer), and none once they hang up: no row left behind by a killed ingest, none written twice by a pair.
import crypto from 'node:crypto';
import { placeCall, type Party } from '../support/engine.ts';
import type { SwitchWatcher } from './switch-watch.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was seen; on a failure, what differed. */
  detail: string;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function call(
  api: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; forwardedFor?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers['x-auth-token'] = opts.token;
  if (opts.forwardedFor) headers['x-forwarded-for'] = opts.forwardedFor;
  const res = await fetch(`${api}/v2${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body };
}

async function login(api: string, apiKey: string, forwardedFor?: string): Promise<Answer & { token?: string }> {
  const res = await call(api, 'PUT', '/api_auth', { body: { data: { api_key: apiKey } }, forwardedFor });
  return { ...res, token: typeof res.body.auth_token === 'string' ? res.body.auth_token : undefined };
}

/** Runs `check`; an exception is a failure naming it. */
async function named(name: string, check: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await check() };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

/**
 * `maxFailures` wrong keys from one client, spread over the API processes in turn (the clients are told apart by
 * X-Forwarded-For: the APIs trust 127.0.0.1 as their proxy), then that client's right key is 429 on every process;
 * another client's is not.
 */
export function checkLoginThrottle(apis: readonly string[], apiKey: string, maxFailures: number): Promise<CheckResult> {
  return named('login throttle shared by the API processes', async () => {
    const client = `198.51.100.${crypto.randomInt(1, 255)}`;
    const wrong = crypto.randomBytes(32).toString('hex');
    const statuses: number[] = [];
    for (let i = 0; i < maxFailures; i++) statuses.push((await login(apis[i % apis.length]!, wrong, client)).status);
    expect(
      statuses.every((s) => s === 404 || s === 401),
      `wrong keys answered ${statuses.join(', ')}, expected 404 (no account holds the key)`,
    );
    for (const api of apis) {
      const res = await login(api, apiKey, client);
      expect(
        res.status === 429,
        `after ${maxFailures} failures spread over ${apis.length} API processes, ${api} answered the locked-out ` +
          `client's right key with ${res.status}, not 429: the failures are not counted in the shared store`,
      );
    }
    const other = await login(apis[0]!, apiKey, `203.0.113.${crypto.randomInt(1, 255)}`);
    expect(other.status === 201, `another client's right key answered ${other.status}, not 201`);
    return `${maxFailures} failures over ${apis.length} processes: 429 on each; another client 201`;
  });
}

/**
 * A child account of `accountId` gets a key through one API process; the key's token, issued by the other, works on
 * both; the key rotated through the first ends that token on both at once, and the old key logs in nowhere.
 */
export function checkTokenRevocation(apis: readonly string[], accountId: string, apiKey: string): Promise<CheckResult> {
  return named('token revocation shared by the API processes', async () => {
    const [a, b] = [apis[0]!, apis[1] ?? apis[0]!];
    const parent = await login(a, apiKey);
    expect(!!parent.token, `the parent's login answered ${parent.status}`);
    const created = await call(b, 'PUT', `/accounts/${accountId}`, {
      token: parent.token,
      body: { data: { name: `cluster revocation ${crypto.randomBytes(3).toString('hex')}` } },
    });
    expect(created.status === 201, `creating a child account answered ${created.status}`);
    const child = (created.body.data as { id: string }).id;
    const rotate = async (api: string): Promise<string> => {
      const res = await call(api, 'PUT', `/accounts/${child}/api_key`, { token: parent.token });
      expect(res.status === 201, `rotating the child's key through ${api} answered ${res.status}`);
      return (res.body.data as { api_key: string }).api_key;
    };
    const first = await rotate(a);
    const issued = await login(b, first);
    expect(!!issued.token, `the child's login through ${b} answered ${issued.status}`);
    for (const api of apis) {
      const res = await call(api, 'GET', `/accounts/${child}`, { token: issued.token });
      expect(res.status === 200, `the child's token on ${api} answered ${res.status} before the rotation`);
    }
    const second = await rotate(a);
    for (const api of apis) {
      const res = await call(api, 'GET', `/accounts/${child}`, { token: issued.token });
      expect(
        res.status === 401,
        `after the rotation through ${a}, the old token on ${api} answered ${res.status}, not 401`,
      );
      const old = await login(api, first);
      expect(old.status === 404, `after the rotation, the old key's login on ${api} answered ${old.status}`);
    }
    const fresh = await login(b, second);
    expect(!!fresh.token, `the new key's login through ${b} answered ${fresh.status}`);
    return `key rotated through one process: the old token 401 and the old key refused on all ${apis.length}`;
  });
}

interface ListedChannel {
  uuid: string;
  other_leg?: string;
  answered?: boolean;
  elapsed_s?: number;
}

async function listChannels(api: string, accountId: string, token: string): Promise<ListedChannel[]> {
  const res = await call(api, 'GET', `/accounts/${accountId}/channels`, { token });
  if (res.status !== 200) throw new Error(`GET …/channels on ${api} answered ${res.status}`);
  return res.body.data as ListedChannel[];
}

/** A list in a form two processes' answers can be compared in: sorted, without the time-dependent fields. */
function comparable(list: readonly ListedChannel[]): string {
  return JSON.stringify(
    list.map(({ elapsed_s: _elapsed, ...rest }) => rest).sort((x, y) => x.uuid.localeCompare(y.uuid)),
  );
}

/** Why `list` is not exactly the expected legs (each once, bridged to its peer), or undefined when it is. */
function differs(list: readonly ListedChannel[], expected: ReadonlyMap<string, string>): string | undefined {
  const seen = new Map<string, number>();
  for (const c of list) seen.set(c.uuid, (seen.get(c.uuid) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([u]) => u);
  const extra = [...seen.keys()].filter((u) => !expected.has(u));
  const missing = [...expected.keys()].filter((u) => !seen.has(u));
  const wrongPeer = list.filter((c) => expected.has(c.uuid) && c.other_leg !== expected.get(c.uuid)).map((c) => c.uuid);
  if (!twice.length && !extra.length && !missing.length && !wrongPeer.length) return undefined;
  const part = (what: string, ids: string[]) =>
    ids.length ? `${what} ${ids.map((u) => u.slice(0, 8)).join(' ')}` : '';
  return [
    part('listed twice:', twice),
    part('listed but not up:', extra),
    part('up but not listed:', missing),
    part('wrong peer:', wrongPeer),
  ]
    .filter(Boolean)
    .join('; ');
}

/**
 * Both API processes list the same channels, exactly `expected` (leg → the leg it is bridged to), within `withinMs`.
 */
async function listsAgree(
  apis: readonly string[],
  accountId: string,
  token: string,
  expected: ReadonlyMap<string, string>,
  withinMs: number,
): Promise<number> {
  const t0 = Date.now();
  let why = '';
  for (;;) {
    const lists = await Promise.all(apis.map((api) => listChannels(api, accountId, token)));
    const wrong = lists.map((l, i) => [apis[i], differs(l, expected)] as const).filter(([, d]) => d);
    const same = lists.every((l) => comparable(l) === comparable(lists[0]!));
    if (!wrong.length && same) return Date.now() - t0;
    why = wrong.length ? wrong.map(([api, d]) => `${api}: ${d}`).join(' | ') : 'the two processes list differently';
    if (Date.now() - t0 > withinMs) throw new Error(`after ${withinMs} ms, ${why}`);
    await sleep(250);
  }
}

/**
 * One call up on each switch: both API processes list exactly its two legs per switch (each bridged to the other);
 * once they hang up, nothing. Whatever a killed ingest left behind in the store, or a pair wrote twice, shows here.
 */
export function checkChannelLists(
  apis: readonly string[],
  watchers: ReadonlyMap<string, SwitchWatcher>,
  accountId: string,
  apiKey: string,
  withinMs = 15_000,
): Promise<CheckResult> {
  return named('channel lists of the API processes agree with the switches', async () => {
    const token = (await login(apis[0]!, apiKey)).token;
    expect(!!token, 'no token for the channel lists');
    const calls: { watcher: SwitchWatcher; alice: Party; bob: Party }[] = [];
    try {
      for (const watcher of watchers.values()) calls.push({ watcher, ...(await placeCall(watcher)) });
      const expected = new Map<string, string>();
      for (const { alice, bob } of calls) expected.set(alice.uuid, bob.uuid).set(bob.uuid, alice.uuid);
      const upMs = await listsAgree(apis, accountId, token!, expected, withinMs);
      for (const { watcher, alice, bob } of calls) {
        for (const leg of [alice.uuid, bob.uuid]) {
          const gone = watcher.when(
            (ev) => ev.name === 'CHANNEL_HANGUP_COMPLETE' && ev.headers['Unique-ID'] === leg,
            10_000,
          );
          await watcher.api(`uuid_kill ${leg}`);
          await gone;
        }
      }
      calls.length = 0;
      const goneMs = await listsAgree(apis, accountId, token!, new Map(), withinMs);
      return (
        `${expected.size} legs on ${watchers.size} switches listed alike by ${apis.length} processes ` +
        `${upMs} ms after the calls were up; none ${goneMs} ms after they hung up`
      );
    } finally {
      for (const { watcher, alice, bob } of calls) {
        for (const leg of [alice.uuid, bob.uuid]) await watcher.api(`uuid_kill ${leg}`).catch(() => undefined);
      }
    }
  });
}
