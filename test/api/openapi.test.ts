// The OpenAPI document is generated from the route definitions: it lists exactly the routes the app serves, and the
// answers the API tests get are checked against it (test/api/support/document-check.ts, in the harness's call()).
import test from 'ava';
import { createApi } from '../../api/app.ts';
import { DocumentCheck, type OpenApiDocument } from './support/document-check.ts';
import { JWT_SECRET, startHarness } from './support/server.ts';

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'PATCH']);

test("the document lists every route the app serves, with its methods, and nothing the app doesn't serve", async (t) => {
  const h = await startHarness(t);
  const app = createApi({ store: h.store, engine: h.engine, config: { HANDOFF_JWT_SECRET: JWT_SECRET } });
  // The routes Hono will match, as "METHOD /path/{param}" (the 405 and OPTIONS handlers are ALL routes, middleware '*').
  const served = new Set(
    app.routes
      .filter((r) => METHODS.has(r.method) && !r.path.includes('*'))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
  );
  const res = await fetch(`${h.url}/openapi.json`);
  const doc = (await res.json()) as OpenApiDocument;
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
  );
  t.deepEqual([...documented].sort(), [...served].sort());
  // The routes Kazoo clients use are among them (a guard against both sides losing a route together).
  for (const route of [
    'PUT /v2/api_auth',
    'GET /v2/channels',
    'GET /v2/accounts/{accountId}/users/{ownerId}/channels',
    'POST /v2/accounts/{accountId}/channels/{callId}',
    'PUT /v2/accounts/{accountId}/channels/{callId}',
    'POST /v2/accounts/{accountId}/devices/{ownerId}/metaflows',
  ]) {
    t.true(documented.has(route), route);
  }
  // Every path parameter of every operation is declared.
  for (const [path, ops] of Object.entries(doc.paths)) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(ops as Record<string, { parameters?: { name: string; in: string }[] }>)) {
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      t.deepEqual(declared.sort(), [...names].sort(), `${method} ${path}`);
    }
  }
});

test('the request schemas in the document are the validators: a field the document refuses, the route refuses', async (t) => {
  const h = await startHarness(t);
  type Props = { properties?: Record<string, Props>; maxLength?: number };
  const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as {
    components: { schemas: Record<string, Props> };
  };
  const nameMax = doc.components.schemas.MediaCreateRequest?.properties?.data?.properties?.name?.maxLength;
  t.is(nameMax, 128);
  const tooLong = await h.call('PUT', '/v2/accounts/child/media', {
    token: h.tokens.child,
    body: { data: { name: 'x'.repeat(129), stream_url: 'local_stream://moh' } },
  });
  t.is(tooLong.status, 400);
  t.truthy((tooLong.body.data as Record<string, unknown>).name);
  const fits = await h.call('PUT', '/v2/accounts/child/media', {
    token: h.tokens.child,
    body: { data: { name: 'x'.repeat(128), stream_url: 'local_stream://moh' } },
  });
  t.is(fits.status, 201);
});

test('the answer check finds an undocumented status, an undocumented key and a wrong type', (t) => {
  const doc: OpenApiDocument = {
    paths: {
      '/v2/things/{id}': {
        get: {
          responses: {
            '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
            '404': { content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    components: {
      schemas: {
        Thing: {
          type: 'object',
          properties: { id: { type: 'string' }, extra: { type: 'object', additionalProperties: {} } },
          required: ['id'],
        },
      },
    },
  };
  const check = new DocumentCheck(doc);
  t.is(check.problem('GET', '/v2/things/a', 200, '{"id":"a","extra":{"any":1}}'), undefined);
  t.regex(check.problem('GET', '/v2/things/a', 500, '{}') ?? '', /answered 500, which the document does not list/);
  t.regex(check.problem('GET', '/v2/things/a', 200, '{"id":"a","name":"x"}') ?? '', /does not match/);
  t.regex(check.problem('GET', '/v2/things/a', 200, '{"id":1}') ?? '', /does not match/);
  t.regex(check.problem('GET', '/v2/things/a', 200, 'not json') ?? '', /not JSON/);
  // What the document does not describe is not checked.
  t.is(check.problem('DELETE', '/v2/things/a', 405, '{}'), undefined);
  t.is(check.problem('GET', '/v2/other', 404, '{}'), undefined);
});
