// Media an account can name as moh/ringback: stream URLs registered under an ID (sound files: admin command only).
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { StoreError } from '../../store/index.ts';
import { success } from '../envelope.ts';
import { ApiError } from '../errors.ts';
import { otherMethods } from '../http.ts';
import { ACCOUNT_ERRORS, BODY_ERRORS, answer, errors, jsonBody, routes } from '../openapi.ts';
import { pageEnvelope, pageQuery } from '../pagination.ts';
import { accountParams, pageQuerySchema } from '../schemas/common.ts';
import { successEnvelope } from '../schemas/envelope.ts';
import { mediaCreateRequest, mediaView as mediaSchema } from '../schemas/media.ts';
import { mediaView } from '../views.ts';
import type { RouteDeps } from './deps.ts';

const mediaParams = accountParams.extend({ mediaId: z.string().meta({ description: 'The media ID' }) });
const mediaAnswer = successEnvelope(mediaSchema);

export function mediaRoutes({ store, config }: RouteDeps) {
  const app = routes();
  const list = '/accounts/{accountId}/media';
  const one = `${list}/{mediaId}`;

  app.openapi(
    createRoute({
      method: 'get',
      path: list,
      tags: ['media'],
      summary: "The account's media",
      request: { params: accountParams, query: pageQuerySchema },
      responses: {
        200: answer('A page of media', successEnvelope(z.array(mediaSchema))),
        ...errors(...ACCOUNT_ERRORS, 400, 416),
      },
    }),
    async (c) => {
      const query = pageQuery(c);
      const page = await store.listMedia(c.req.param('accountId'), query);
      return success(c, config, page.items.map(mediaView), { page: pageEnvelope(query, page), revision: 'content' });
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: list,
      tags: ['media'],
      summary: 'Register a stream under a media ID (usable as moh/ringback by the account and its descendants)',
      request: { params: accountParams, body: jsonBody(mediaCreateRequest) },
      responses: { 201: answer('The new media', mediaAnswer), ...errors(...ACCOUNT_ERRORS, ...BODY_ERRORS, 409) },
    }),
    async (c) => {
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
    },
  );
  app.all('/accounts/:accountId/media', otherMethods(config, ['GET', 'PUT']));

  // Only the account's own media: an ancestor's is playable but not the child's to read or delete.
  async function own(accountId: string, mediaId: string) {
    const media = await store.getMedia(accountId, mediaId);
    if (!media) throw ApiError.badIdentifier(mediaId);
    return media;
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: one,
      tags: ['media'],
      summary: 'One media',
      request: { params: mediaParams },
      responses: { 200: answer('The media', mediaAnswer), ...errors(...ACCOUNT_ERRORS) },
    }),
    async (c) =>
      success(c, config, mediaView(await own(c.req.param('accountId'), c.req.param('mediaId'))), {
        revision: 'content',
      }),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: one,
      tags: ['media'],
      summary: 'Delete a media',
      description: 'Refused (409 in_use, naming them) while an account of the tree plays it as a default.',
      request: { params: mediaParams },
      responses: {
        200: answer('Deleted', successEnvelope(z.object({}).strict())),
        ...errors(...ACCOUNT_ERRORS, 409),
      },
    }),
    async (c) => {
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
    },
  );
  app.all('/accounts/:accountId/media/:mediaId', otherMethods(config, ['GET', 'DELETE']));

  return app;
}
