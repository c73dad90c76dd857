// GET /openapi.json and GET /docs, open to all (the document describes the API, not any account).
import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { DOCS_PAGE } from '../docs-page.ts';
import { otherMethods } from '../http.ts';
import { OPEN_ERRORS, errors, routes } from '../openapi.ts';
import type { RouteDeps } from './deps.ts';

/** `document`: the OpenAPI document of the whole app, generated from its routes (api/openapi.ts). */
export function docsRoutes({ config }: RouteDeps, document: () => Record<string, unknown>) {
  const app = routes();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/openapi.json',
      tags: ['docs'],
      summary: 'This document: OpenAPI 3.1, generated from the route definitions',
      security: [],
      responses: {
        200: {
          description: 'The document',
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
        },
        ...errors(...OPEN_ERRORS),
      },
    }),
    (c) => c.json(document(), 200),
  );
  app.all('/openapi.json', otherMethods(config, ['GET']));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/docs',
      tags: ['docs'],
      summary: 'A page that renders this document, with nothing fetched from elsewhere',
      security: [],
      responses: {
        200: { description: 'The page', content: { 'text/html': { schema: z.string() } } },
        ...errors(...OPEN_ERRORS),
      },
    }),
    (c) => {
      // The page runs only its own inline script and fetches only this origin.
      c.header(
        'Content-Security-Policy',
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      );
      return c.html(DOCS_PAGE);
    },
  );
  app.all('/docs', otherMethods(config, ['GET']));
  return app;
}
