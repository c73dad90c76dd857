// PUT /v2/api_auth (an API key for a token), GET|DELETE /v2/token_auth (check or revoke the presented token).
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { Account, Store } from '../../store/index.ts';
import { authenticate } from '../auth.ts';
import type { ApiEnv } from '../context.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { BODY_ERRORS, OPEN_ERRORS, answer, errors, jsonBody, routes } from '../openapi.ts';
import { loginThrottle } from '../throttle.ts';
import { apiAuthRequest, tokenInfo } from '../schemas/auth.ts';
import { successEnvelope } from '../schemas/envelope.ts';
import type { RouteDeps } from './deps.ts';

/** Kazoo's default language when neither the account nor the user sets one (crossbar's `default_language`). */
const DEFAULT_LANGUAGE = 'en-US';

/**
 * What Kazoo's api_auth answers (crossbar_util's response_auth): the account and its place in the tree. Handoff keeps
 * no users, apps or reseller flags: a top-level account is its tree's master and reseller, and every account below it
 * names it as `reseller_id`; `apps` is empty. `expires_at`/`expires_in_s` are Handoff's.
 */
async function tokenView(store: Store, account: Account, expiresAt: number): Promise<z.output<typeof tokenInfo>> {
  const ancestry = await store.ancestry(account.id);
  const top = ancestry[ancestry.length - 1] ?? account.id;
  const isTop = account.parentId === null || account.parentId === undefined;
  return {
    account_id: account.id,
    account_name: account.name,
    apps: [],
    is_master_account: isTop,
    is_reseller: isTop,
    reseller_id: top,
    language: DEFAULT_LANGUAGE,
    expires_at: new Date(expiresAt).toISOString(),
    expires_in_s: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)),
  };
}

/** A refused API key, logged (never the key) so that guessing shows. */
function logRefusal(c: Context<ApiEnv>, reason: 'no key' | 'unknown or revoked key'): void {
  c.get('log').warn({ client: c.get('client'), reason }, 'api_auth failed');
  c.set('loginFailed', true);
}

const tokenAnswer = successEnvelope(tokenInfo);
/** The token routes take a token only (X-Auth-Token, auth_token, Bearer): Basic is refused. */
const tokenSecurity: Record<string, string[]>[] = [{ authToken: [] }, { authTokenQuery: [] }, { bearer: [] }];

export function authRoutes({ store, config, signer }: RouteDeps) {
  const app = routes();

  const apiAuth = createRoute({
    method: 'put',
    path: '/api_auth',
    tags: ['auth'],
    summary: 'Exchange an API key for a token',
    description:
      "The token is in the envelope's `auth_token`. Send it as `X-Auth-Token`, the `auth_token` query parameter, or `Authorization: Bearer`. A key nobody holds is 404 bad identifier (Kazoo's answer); a missing key is 401.",
    security: [],
    middleware: [
      loginThrottle(store, config.authThrottle),
      async (c, next) => {
        // A missing or empty key is 401 before anything else is looked at.
        const body = (await c.req.text()).trim() === '' ? undefined : ((await c.req.json()) as unknown);
        const key = (body as { data?: { api_key?: unknown } } | undefined)?.data?.api_key;
        if (key === undefined || key === '') {
          logRefusal(c as Context<ApiEnv>, 'no key');
          throw ApiError.invalidCredentials();
        }
        await next();
      },
    ],
    request: { body: jsonBody(apiAuthRequest) },
    responses: {
      201: answer('A token, in auth_token', tokenAnswer),
      ...errors(401, 404, 429, ...BODY_ERRORS, ...OPEN_ERRORS),
    },
  });
  app.openapi(apiAuth, async (c) => {
    const { api_key: apiKey } = c.req.valid('json').data;
    const found = await store.findApiKey(apiKey);
    const account = found && (await store.getAccount(found.accountId));
    if (!found || !account) {
      // Kazoo's answer for a key no account holds: 404 "bad identifier" naming the key the client sent.
      logRefusal(c, 'unknown or revoked key');
      throw ApiError.badIdentifier(apiKey);
    }
    const { token, claims } = await signer.issue(account.id, found.id);
    c.set('authToken', token);
    return success(c, config, await tokenView(store, account, claims.expiresAt), { status: 201 });
  });
  app.all('/api_auth', otherMethods(config, ['PUT']));

  const tokenOnly = authenticate(store, signer, { throttle: config.authThrottle, tokensOnly: true });
  const checkToken = createRoute({
    method: 'get',
    path: '/token_auth',
    tags: ['auth'],
    summary: 'Check the presented token',
    security: tokenSecurity,
    middleware: [tokenOnly],
    responses: { 200: answer('The token is valid', tokenAnswer), ...errors(401, ...OPEN_ERRORS) },
  });
  app.openapi(checkToken, async (c) => {
    const auth = c.get('auth');
    const account = await store.getAccount(auth.accountId);
    if (!account || auth.method !== 'token') throw ApiError.invalidCredentials();
    return success(c, config, await tokenView(store, account, auth.expiresAt));
  });

  const revokeToken = createRoute({
    method: 'delete',
    path: '/token_auth',
    tags: ['auth'],
    summary: 'Revoke the presented token',
    security: tokenSecurity,
    middleware: [tokenOnly],
    responses: {
      200: answer('Revoked', successEnvelope(z.object({}).strict())),
      ...errors(401, ...OPEN_ERRORS),
    },
  });
  app.openapi(revokeToken, async (c) => {
    const auth = c.get('auth');
    if (auth.method !== 'token') throw ApiError.invalidCredentials();
    await store.revokeToken(auth.jti, auth.expiresAt);
    return success(c, config, {});
  });
  app.all('/token_auth', otherMethods(config, ['GET', 'DELETE']));

  return app;
}
