// PUT /v2/api_auth (an API key for a token), GET|DELETE /v2/token_auth (check or revoke the presented token).
import { Hono } from 'hono';
import { authenticate } from '../auth.ts';
import type { Context } from 'hono';
import type { ApiEnv } from '../context.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { loginThrottle } from '../throttle.ts';
import { apiAuthRequest } from '../schemas/auth.ts';
import { validate } from '../validation.ts';
import type { RouteDeps } from './deps.ts';

function tokenInfo(accountId: string, name: string | undefined, expiresAt: number) {
  const info: Record<string, unknown> = {
    account_id: accountId,
    expires_at: new Date(expiresAt).toISOString(),
    expires_in_s: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)),
  };
  if (name !== undefined) info.account_name = name;
  return info;
}

/** A refused API key, logged (never the key) so that guessing shows; the answer is the same 401 whatever the reason. */
function refuse(c: Context<ApiEnv>, reason: 'no key' | 'unknown or revoked key'): never {
  c.get('log').warn({ client: c.get('client'), reason }, 'api_auth failed');
  throw ApiError.invalidCredentials();
}

export function authRoutes({ store, config, signer }: RouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.put(
    '/api_auth',
    loginThrottle(store, config.authThrottle),
    async (c, next) => {
      // Kazoo answers 401 for a missing or empty key before looking at anything else.
      const body = (await c.req.text()).trim() === '' ? undefined : ((await c.req.json()) as unknown);
      const key = (body as { data?: { api_key?: unknown } } | undefined)?.data?.api_key;
      if (key === undefined || key === '') refuse(c, 'no key');
      await next();
    },
    validate('json', apiAuthRequest),
    async (c) => {
      const { api_key: apiKey } = c.req.valid('json').data;
      // Kazoo answers an unknown key with 404 and the key echoed back; Handoff answers 401 and echoes nothing.
      const found = await store.findApiKey(apiKey);
      const account = found && (await store.getAccount(found.accountId));
      if (!found || !account) refuse(c, 'unknown or revoked key');
      const { token, claims } = await signer.issue(account.id, found.id);
      c.set('authToken', token);
      return success(c, config, tokenInfo(account.id, account.name, claims.expiresAt), { status: 201 });
    },
  );
  app.all('/api_auth', otherMethods(config, ['PUT']));

  const authed = authenticate(store, signer);
  app.get('/token_auth', authed, async (c) => {
    const auth = c.get('auth');
    const account = await store.getAccount(auth.accountId);
    return success(c, config, tokenInfo(auth.accountId, account?.name, auth.expiresAt));
  });
  app.delete('/token_auth', authed, async (c) => {
    const auth = c.get('auth');
    await store.revokeToken(auth.jti, auth.expiresAt);
    return success(c, config, {});
  });
  app.all('/token_auth', otherMethods(config, ['GET', 'DELETE']));

  return app;
}
