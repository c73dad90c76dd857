// Failed logins are throttled per client: past `maxFailures` failures in a window, every login attempt of the client,
// the right key included (otherwise a 429 would only hide which guesses were wrong), is 429 with Retry-After until the
// window ends. The window opens with the client's first failure and lasts at most 60 s, so a client is never locked
// out for longer, and a successful login does not reset the count (a client holding one good key could otherwise
// alternate it with guesses forever). The counters are in the store: every API process that shares it sees them.
// A login is `PUT /v2/api_auth`, or any request sending an account ID and API key as `Authorization: Basic`.
import type { Context, MiddlewareHandler } from 'hono';
import type { Store } from '../store/index.ts';
import { clientKey } from './client.ts';
import type { ApiEnv } from './context.ts';
import { ApiError } from './errors.ts';

export interface LoginThrottle {
  maxFailures: number;
  windowS: number;
}

/** Refuses (429) a client that is locked out. */
export async function refuseThrottled(c: Context<ApiEnv>, store: Store, limits: LoginThrottle): Promise<void> {
  const client = clientKey(c.get('client'));
  const now = Date.now();
  const seen = await store.authFailures(client, now);
  if (seen.failures >= limits.maxFailures) {
    const retryAfterS = Math.max(1, Math.ceil((seen.windowEndsAt - now) / 1000));
    c.get('log').debug({ client, failures: seen.failures, retry_after_s: retryAfterS }, 'login refused (throttled)');
    throw ApiError.tooManyRequests(retryAfterS, `too many failed attempts; retry in ${retryAfterS} s`);
  }
}

/** Counts one failed login of the client. */
export async function countLoginFailure(c: Context<ApiEnv>, store: Store, limits: LoginThrottle): Promise<void> {
  const client = clientKey(c.get('client'));
  const counted = await store.recordAuthFailure(client, Date.now(), limits.windowS * 1000);
  if (counted.failures === limits.maxFailures) {
    const forS = Math.max(1, Math.ceil((counted.windowEndsAt - Date.now()) / 1000));
    c.get('log').warn({ client, failures: counted.failures, for_s: forS }, 'api_auth throttled');
  }
}

/** Wraps a login route: refuses a locked-out client before the route runs, and counts the route's failures. */
export function loginThrottle(store: Store, limits: LoginThrottle): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    await refuseThrottled(c, store, limits);
    await next();
    if (c.res.status === 401 || c.get('loginFailed')) await countLoginFailure(c, store, limits);
  };
}
