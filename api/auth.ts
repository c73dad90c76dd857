// Authentication (who is calling: a valid, unrevoked token) and authorization (which accounts it may act on: its own
// and every descendant, as Kazoo's cb_simple_authz).
import type { Context, MiddlewareHandler } from 'hono';
import type { Store } from '../store/index.ts';
import type { ApiEnv } from './context.ts';
import { ApiError } from './errors.ts';
import type { TokenSigner } from './tokens.ts';

/** Kazoo's token sources that Handoff reads: `X-Auth-Token`, then `Authorization: Bearer`. */
export function presentedToken(c: Context<ApiEnv>): string | undefined {
  const header = c.req.header('X-Auth-Token')?.trim();
  if (header) return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '');
  return match?.[1];
}

export function authenticate(store: Store, signer: TokenSigner): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const token = presentedToken(c);
    if (!token || token.length > 4096) throw ApiError.invalidCredentials();
    const claims = await signer.verify(token);
    if (!claims) throw ApiError.invalidCredentials();
    if (await store.isTokenRevoked(claims.jti)) throw ApiError.invalidCredentials();
    // A token outlives nothing it was issued for: a key rotated or revoked, or an account gone, takes its tokens along.
    const key = await store.activeApiKey(claims.keyId);
    if (!key || key.accountId !== claims.accountId) throw ApiError.invalidCredentials();
    if (!(await store.getAccount(claims.accountId))) throw ApiError.invalidCredentials();
    c.set('authToken', token);
    c.set('auth', { ...claims, token });
    await next();
  };
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
