// Authentication (who is calling: a valid, unrevoked token, or an account's API key sent as Basic credentials) and
// authorization (which accounts it may act on: its own and every descendant, as Kazoo's cb_simple_authz).
import type { Context, MiddlewareHandler } from 'hono';
import type { Store } from '../store/index.ts';
import type { ApiEnv } from './context.ts';
import { ApiError } from './errors.ts';
import { countLoginFailure, refuseThrottled, type LoginThrottle } from './throttle.ts';
import type { TokenSigner } from './tokens.ts';

export type Credentials = { kind: 'token'; token: string } | { kind: 'basic'; accountId: string; key: string };

const MAX_CREDENTIAL_LENGTH = 4096;

/**
 * What the request presents, where Kazoo's api_util looks and in its order: the `X-Auth-Token` header, the
 * `auth_token` query parameter, then `Authorization` (`Bearer <token>`, `Basic base64(<account ID>:<API key>)`, or a
 * bare token). Undefined when there is nothing, or `invalid` when what is there cannot be credentials.
 */
export function presentedCredentials(c: Context<ApiEnv>): Credentials | 'invalid' | undefined {
  const header = c.req.header('X-Auth-Token')?.trim();
  if (header) return { kind: 'token', token: header };
  const query = c.req.query('auth_token')?.trim();
  if (query) return { kind: 'token', token: query };
  const authorization = c.req.header('Authorization')?.trim();
  if (!authorization) return undefined;
  const [scheme = '', value = ''] = authorization.split(/\s+(.*)/s);
  if (/^bearer$/i.test(scheme)) return value ? { kind: 'token', token: value.trim() } : 'invalid';
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0 || colon === decoded.length - 1) return 'invalid';
    return { kind: 'basic', accountId: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
  }
  return value ? 'invalid' : { kind: 'token', token: scheme };
}

export interface AuthenticateOptions {
  /** Login throttling for Basic credentials (they are an API key, guessed like one). */
  throttle: LoginThrottle;
  /** Refuse Basic credentials (the token routes describe or revoke a token). */
  tokensOnly?: boolean;
}

export function authenticate(store: Store, signer: TokenSigner, opts: AuthenticateOptions): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const creds = presentedCredentials(c);
    if (!creds || creds === 'invalid') throw ApiError.invalidCredentials();
    if (creds.kind === 'basic') {
      if (opts.tokensOnly) throw ApiError.invalidCredentials();
      await basicLogin(c, store, opts.throttle, creds);
      return next();
    }
    const token = creds.token;
    if (token.length > MAX_CREDENTIAL_LENGTH) throw ApiError.invalidCredentials();
    const claims = await signer.verify(token);
    if (!claims) throw ApiError.invalidCredentials();
    if (await store.isTokenRevoked(claims.jti)) throw ApiError.invalidCredentials();
    // A token outlives nothing it was issued for: a key rotated or revoked, or an account gone, takes its tokens along.
    const key = await store.activeApiKey(claims.keyId);
    if (!key || key.accountId !== claims.accountId) throw ApiError.invalidCredentials();
    if (!(await store.getAccount(claims.accountId))) throw ApiError.invalidCredentials();
    c.set('authToken', token);
    c.set('auth', { method: 'token', ...claims, token });
    await next();
  };
}

/**
 * Basic credentials: the account's ID and one of its API keys. A guess like any login: throttled per client with the
 * api_auth counters, and every failure logged (never the key). The envelope echoes no credentials (`auth_token` "").
 */
async function basicLogin(
  c: Context<ApiEnv>,
  store: Store,
  throttle: LoginThrottle,
  creds: { accountId: string; key: string },
): Promise<void> {
  await refuseThrottled(c, store, throttle);
  const found = creds.key.length <= MAX_CREDENTIAL_LENGTH ? await store.findApiKey(creds.key) : undefined;
  const account = found && found.accountId === creds.accountId ? await store.getAccount(found.accountId) : undefined;
  if (!account) {
    c.get('log').warn({ client: c.get('client'), reason: 'unknown key for the account' }, 'basic auth failed');
    await countLoginFailure(c, store, throttle);
    throw ApiError.invalidCredentials();
  }
  c.set('auth', { method: 'basic', accountId: account.id });
}

/**
 * An account's API key is rotated by an account above it (or by the administrator's command), never by a token of the
 * account itself: a stolen token must not be able to mint a key that outlives it.
 */
export function authorizeKeyRotation(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.param('accountId') === c.get('auth').accountId) {
      throw ApiError.forbidden("an account's API key is rotated by an account above it, or by the admin command");
    }
    await next();
  };
}

/** The URL's account must be the caller's or one of its descendants; anything else (unknown included) is 403. */
export function authorizeAccount(store: Store): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const accountId = c.req.param('accountId');
    if (!accountId || !(await store.isDescendantOrSelf(c.get('auth').accountId, accountId))) {
      throw ApiError.forbidden();
    }
    await next();
  };
}
