// Media an account can name as moh/ringback: stream URLs registered under an ID (sound files: admin command only).
import { Hono } from 'hono';
import { StoreError } from '../../store/index.ts';
import type { ApiEnv } from '../context.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { pageEnvelope, pageQuery } from '../pagination.ts';
import { mediaCreateRequest } from '../schemas/media.ts';
import { validate } from '../validation.ts';
import { mediaView } from '../views.ts';
import type { RouteDeps } from './deps.ts';

export function mediaRoutes({ store, config }: RouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const list = '/accounts/:accountId/media';
  const one = `${list}/:mediaId`;

  app.get(list, async (c) => {
    const query = pageQuery(c);
    const page = await store.listMedia(c.req.param('accountId'), query);
    return success(c, config, page.items.map(mediaView), { page: pageEnvelope(query, page), revision: 'content' });
  });
  app.put(list, validate('json', mediaCreateRequest), async (c) => {
    const body = c.req.valid('json').data;
    try {
      const media = await store.createMedia({
        id: body.id,
        accountId: c.req.param('accountId'),
        name: body.name,
        streamUrl: body.stream_url,
      });
      return success(c, config, mediaView(media), { status: 201, revision: 'content' });
    } catch (err) {
      if (err instanceof StoreError && err.code === 'conflict') {
        // Media IDs are per account: this can only be the account's own media.
        throw ApiError.conflict('id', 'unique', 'this account has a media with this ID already');
      }
      throw err;
    }
  });
  app.all(list, otherMethods(config, ['GET', 'PUT']));

  // Only the account's own media: an ancestor's is playable but not the child's to read or delete.
  async function own(accountId: string, mediaId: string) {
    const media = await store.getMedia(accountId, mediaId);
    if (!media) throw ApiError.badIdentifier(mediaId);
    return media;
  }
  app.get(one, async (c) =>
    success(c, config, mediaView(await own(c.req.param('accountId'), c.req.param('mediaId'))), { revision: 'content' }),
  );
  app.delete(one, async (c) => {
    const media = await own(c.req.param('accountId'), c.req.param('mediaId'));
    // Refused while an account of the tree plays it: deleting it would make that account's transfers fail.
    const done = await store.deleteMedia(media.accountId, media.id);
    if (done.usedBy.length > 0) {
      throw ApiError.conflict('id', 'in_use', 'the media is in use: change these defaults and metaflows first', {
        used_by: done.usedBy.map((u) => ({ account_id: u.accountId, field: u.field })),
      });
    }
    if (!done.deleted) throw ApiError.badIdentifier(media.id);
    return success(c, config, {});
  });
  app.all(one, otherMethods(config, ['GET', 'DELETE']));

  return app;
}
