// Accounts: read and update your own or a descendant, create children under it (Kazoo's PUT /v2/accounts/{A}),
// list children and descendants, issue an account's API key.
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { StoreError } from '../../store/index.ts';
import type { Account, Store } from '../../store/index.ts';
import { authorizeKeyRotation } from '../auth.ts';
import type { ApiConfig } from '../context.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { ACCOUNT_ERRORS, BODY_ERRORS, answer, errors, jsonBody, routes } from '../openapi.ts';
import { pageEnvelope, pageQuery } from '../pagination.ts';
import {
  accountCreateRequest,
  accountUpdateRequest,
  accountView as accountSchema,
  apiKeyView,
} from '../schemas/accounts.ts';
import { accountParams, pageQuerySchema } from '../schemas/common.ts';
import { successEnvelope } from '../schemas/envelope.ts';
import { accountView } from '../views.ts';
import type { RouteDeps } from './deps.ts';
import { checkMediaRef } from './media-check.ts';

async function view(store: Store, account: Account) {
  return accountView(account, (await store.ancestry(account.id)).slice(1).reverse());
}

async function checkDefaults(
  store: Store,
  config: ApiConfig,
  accountId: string,
  mohMediaId: string | null | undefined,
  ringback: string | null | undefined,
): Promise<void> {
  if (mohMediaId) await checkMediaRef(store, config, accountId, 'music_on_hold.media_id', mohMediaId);
  if (ringback) await checkMediaRef(store, config, accountId, 'ringback', ringback);
}

const accountAnswer = successEnvelope(accountSchema);
const accountsAnswer = successEnvelope(z.array(accountSchema));

export function accountRoutes({ store, config }: RouteDeps) {
  const app = routes();
  const path = '/accounts/{accountId}';
  const honoPath = '/accounts/:accountId';

  app.openapi(
    createRoute({
      method: 'get',
      path,
      tags: ['accounts'],
      summary: 'Read an account',
      request: { params: accountParams },
      responses: { 200: answer('The account', accountAnswer), ...errors(...ACCOUNT_ERRORS) },
    }),
    async (c) => {
      const account = await store.getAccount(c.req.param('accountId'));
      if (!account) throw ApiError.badIdentifier(c.req.param('accountId'));
      return success(c, config, await view(store, account), { revision: 'content' });
    },
  );

  /** Kazoo's PUT /v2/accounts/{A}: create a child of {A}. */
  app.openapi(
    createRoute({
      method: 'put',
      path,
      tags: ['accounts'],
      summary: 'Create a child account of {accountId}',
      description: 'Choose the ID (e.g. the Kazoo account ID carried by the calls) or let Handoff generate one.',
      request: { params: accountParams, body: jsonBody(accountCreateRequest) },
      responses: {
        201: answer('The new account', accountAnswer),
        ...errors(...ACCOUNT_ERRORS, ...BODY_ERRORS, 409),
      },
    }),
    async (c) => {
      const parentId = c.req.param('accountId');
      const body = c.req.valid('json').data;
      // The child's media defaults must be playable by the child: the parent's (or its ancestors') media.
      await checkDefaults(store, config, parentId, body.music_on_hold?.media_id, body.ringback);
      try {
        const account = await store.createAccount({
          id: body.id,
          name: body.name,
          parentId,
          musicOnHoldMediaId: body.music_on_hold?.media_id ?? undefined,
          ringback: body.ringback ?? undefined,
        });
        return success(c, config, await view(store, account), { status: 201, revision: 'content' });
      } catch (err) {
        if (err instanceof StoreError && err.code === 'conflict') {
          // Account IDs are global (the switch names accounts by them), so a chosen one may be another tenant's: the
          // answer is the same whoever holds it, and does not say that it exists.
          throw ApiError.field(
            'id',
            'unavailable',
            'this ID cannot be used: choose another, or leave id out to have one generated',
          );
        }
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path,
      tags: ['accounts'],
      summary: "Update an account's name and media defaults",
      request: { params: accountParams, body: jsonBody(accountUpdateRequest) },
      responses: { 200: answer('The account', accountAnswer), ...errors(...ACCOUNT_ERRORS, ...BODY_ERRORS) },
    }),
    async (c) => {
      const accountId = c.req.param('accountId');
      const body = c.req.valid('json').data;
      await checkDefaults(store, config, accountId, body.music_on_hold?.media_id, body.ringback);
      const account = await store.updateAccount(accountId, {
        name: body.name,
        musicOnHoldMediaId: body.music_on_hold?.media_id,
        ringback: body.ringback,
      });
      if (!account) throw ApiError.badIdentifier(accountId);
      return success(c, config, await view(store, account), { revision: 'content' });
    },
  );
  app.all(honoPath, otherMethods(config, ['GET', 'PUT', 'POST']));

  for (const [sub, summary] of [
    ['children', 'List the direct children'],
    ['descendants', 'List every descendant'],
  ] as const) {
    app.openapi(
      createRoute({
        method: 'get',
        path: `${path}/${sub}`,
        tags: ['accounts'],
        summary,
        request: { params: accountParams, query: pageQuerySchema },
        responses: { 200: answer('A page of accounts', accountsAnswer), ...errors(...ACCOUNT_ERRORS, 400, 416) },
      }),
      async (c) => {
        const query = pageQuery(c);
        const accountId = c.req.param('accountId');
        const page =
          sub === 'children'
            ? await store.listChildren(accountId, query)
            : await store.listDescendants(accountId, query);
        const data = page.items.map((a) => accountView(a, a.tree));
        return success(c, config, data, { page: pageEnvelope(query, page), revision: 'content' });
      },
    );
    app.all(`${honoPath}/${sub}`, otherMethods(config, ['GET']));
  }

  /**
   * Kazoo's PUT /v2/accounts/{A}/api_key: a new key replaces the account's keys, and their tokens end with them; shown
   * once. Only an account above {A} may ask.
   */
  app.openapi(
    createRoute({
      method: 'put',
      path: `${path}/api_key`,
      tags: ['accounts'],
      summary: "Issue a new API key for the account (revokes the account's other keys and their tokens); shown once",
      description: 'Only a token of an account above {accountId} may ask: its own token gets 403.',
      middleware: [authorizeKeyRotation()],
      request: { params: accountParams },
      responses: { 201: answer('The new key', successEnvelope(apiKeyView)), ...errors(...ACCOUNT_ERRORS) },
    }),
    async (c) => {
      const accountId = c.req.param('accountId');
      const created = await store.rotateApiKey(accountId, 'api');
      return success(c, config, { id: created.id, account_id: accountId, api_key: created.key }, { status: 201 });
    },
  );
  app.all(`${honoPath}/api_key`, otherMethods(config, ['PUT']));

  return app;
}
