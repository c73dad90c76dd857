// Accounts: read and update your own or a descendant, create children under it (Kazoo's PUT /v2/accounts/{A}),
// list children and descendants, issue an account's API key.
import { Hono } from 'hono';
import { StoreError } from '../../store/index.ts';
import type { Account, Store } from '../../store/index.ts';
import { authorizeKeyRotation } from '../auth.ts';
import type { ApiConfig, ApiEnv } from '../context.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { pageEnvelope, pageQuery } from '../pagination.ts';
import { accountCreateRequest, accountUpdateRequest } from '../schemas/accounts.ts';
import { validate } from '../validation.ts';
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

export function accountRoutes({ store, config }: RouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const path = '/accounts/:accountId';

  app.get(path, async (c) => {
    const account = await store.getAccount(c.req.param('accountId'));
    if (!account) throw ApiError.badIdentifier(c.req.param('accountId'));
    return success(c, config, await view(store, account), { revision: 'content' });
  });

  /** Kazoo's PUT /v2/accounts/{A}: create a child of {A}. */
  app.put(path, validate('json', accountCreateRequest), async (c) => {
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
  });

  app.post(path, validate('json', accountUpdateRequest), async (c) => {
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
  });
  app.all(path, otherMethods(config, ['GET', 'PUT', 'POST']));

  app.get(`${path}/children`, async (c) => {
    const query = pageQuery(c);
    const page = await store.listChildren(c.req.param('accountId'), query);
    const data = page.items.map((a) => accountView(a, a.tree));
    return success(c, config, data, { page: pageEnvelope(query, page), revision: 'content' });
  });
  app.all(`${path}/children`, otherMethods(config, ['GET']));

  app.get(`${path}/descendants`, async (c) => {
    const query = pageQuery(c);
    const page = await store.listDescendants(c.req.param('accountId'), query);
    const data = page.items.map((a) => accountView(a, a.tree));
    return success(c, config, data, { page: pageEnvelope(query, page), revision: 'content' });
  });
  app.all(`${path}/descendants`, otherMethods(config, ['GET']));

  /**
   * Kazoo's PUT /v2/accounts/{A}/api_key: a new key replaces the account's keys, and their tokens end with them; shown
   * once. Only an account above {A} may ask.
   */
  app.put(`${path}/api_key`, authorizeKeyRotation(), async (c) => {
    const accountId = c.req.param('accountId');
    const created = await store.rotateApiKey(accountId, 'api');
    return success(c, config, { id: created.id, account_id: accountId, api_key: created.key }, { status: 201 });
  });
  app.all(`${path}/api_key`, otherMethods(config, ['PUT']));

  return app;
}
