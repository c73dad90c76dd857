// GET /openapi.json and GET /docs, open to all (the document describes the API, not any account).
import { Hono } from 'hono';
import type { ApiEnv } from '../context.ts';
import { DOCS_PAGE } from '../docs-page.ts';
import { otherMethods } from '../http.ts';
import { buildOpenApi } from '../openapi.ts';
import type { RouteDeps } from './deps.ts';

export function docsRoutes({ config }: RouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  let doc: unknown;
  app.get('/openapi.json', (c) => c.json((doc ??= buildOpenApi(config.version))));
  app.all('/openapi.json', otherMethods(config, ['GET']));
  app.get('/docs', (c) => {
    // The page runs only its own inline script and fetches only this origin.
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    );
    return c.html(DOCS_PAGE);
  });
  app.all('/docs', otherMethods(config, ['GET']));
  return app;
}
