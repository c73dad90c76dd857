// The HTTP layer's contract: Kazoo's envelope on every answer, and each error path answered in it (never a 5xx).
import test from 'ava';
import { startHarness } from './support/server.ts';

const ENVELOPE_KEYS = ['status', 'data', 'request_id', 'auth_token', 'timestamp', 'version', 'node'];

test('success envelope: Kazoo keys, ISO timestamp to the second, the token echoed, X-Request-ID', async (t) => {
  const h = await startHarness(t);
  const res = await h.call('GET', '/v2/accounts/root', { token: h.tokens.root });
  t.is(res.status, 200);
  for (const key of ENVELOPE_KEYS) t.true(key in res.body, key);
  t.is(res.body.status, 'success');
  t.is(res.body.auth_token, h.tokens.root);
  t.regex(res.body.timestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.is(res.body.node, 'test-node');
  t.is(res.headers.get('x-request-id'), res.body.request_id ?? null);
  t.is(res.headers.get('content-type'), 'application/json');
});

test('a sane client X-Request-ID is kept, anything else replaced', async (t) => {
  const h = await startHarness(t);
  const kept = await h.call('GET', '/v2/nope', { headers: { 'X-Request-ID': 'req-123' } });
  t.is(kept.body.request_id, 'req-123');
  const replaced = await h.call('GET', '/v2/nope', { headers: { 'X-Request-ID': 'a b<script>' } });
  t.not(replaced.body.request_id, 'a b<script>');
  t.regex(replaced.body.request_id ?? '', /^[0-9a-f-]{36}$/);
});

test('error envelope: status "error", error as a string code, message, data', async (t) => {
  const h = await startHarness(t);
  const res = await h.call('GET', '/v2/accounts/root');
  t.is(res.status, 401);
  for (const key of [...ENVELOPE_KEYS, 'error', 'message']) t.true(key in res.body, key);
  t.like(res.body, {
    status: 'error',
    error: '401',
    message: 'invalid_credentials',
    data: { message: 'invalid credentials' },
    auth_token: '',
  });
});

test('unknown routes: 404 not_found in the envelope', async (t) => {
  const h = await startHarness(t);
  for (const path of ['/', '/v2', '/v2/nothing', '/v1/accounts/root', '/v2/accounts/root/unknown_noun']) {
    const res = await h.call('GET', path, { token: h.tokens.root });
    t.is(res.status, 404, path);
    t.like(res.body, { status: 'error', error: '404', message: 'not_found' }, path);
  }
});

test('known path, wrong method: 405 with Allow; OPTIONS answers the methods', async (t) => {
  const h = await startHarness(t);
  const cases: [string, string, string][] = [
    ['DELETE', '/v2/api_auth', 'PUT, OPTIONS'],
    ['POST', '/v2/token_auth', 'GET, DELETE, OPTIONS'],
    ['DELETE', '/v2/accounts/root', 'GET, PUT, POST, OPTIONS'],
    ['POST', '/v2/accounts/root/channels', 'GET, OPTIONS'],
    ['PATCH', '/v2/accounts/root/channels/abc', 'GET, POST, PUT, OPTIONS'],
    ['DELETE', '/v2/accounts/root/channels/abc', 'GET, POST, PUT, OPTIONS'],
    ['PUT', '/v2/accounts/root/metaflows', 'GET, POST, DELETE, OPTIONS'],
    ['PATCH', '/v2/accounts/root/users/u1/metaflows', 'GET, POST, DELETE, OPTIONS'],
    ['POST', '/v2/accounts/root/media', 'GET, PUT, OPTIONS'],
    ['POST', '/openapi.json', 'GET, OPTIONS'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await h.call(method, path, { token: h.tokens.root });
    t.is(res.status, 405, `${method} ${path}`);
    t.like(res.body, { status: 'error', error: '405', message: 'invalid_method' });
    t.is(res.headers.get('allow'), allow, `${method} ${path}`);
  }
  const options = await h.call('OPTIONS', '/v2/accounts/root/channels', { token: h.tokens.root });
  t.is(options.status, 200);
  t.is(options.headers.get('allow'), 'GET, OPTIONS');
});

test("malformed JSON: Kazoo's 400 (a validation error on json, target body), on every body-taking endpoint", async (t) => {
  const h = await startHarness(t);
  for (const [method, path] of [
    ['PUT', '/v2/api_auth'],
    ['PUT', '/v2/accounts/root'],
    ['POST', '/v2/accounts/root/channels/abc'],
    ['POST', '/v2/accounts/root/metaflows'],
  ] as const) {
    for (const body of ['{"data":', '{data: {}}', 'null,', '\u0000']) {
      const res = await h.call(method, path, { token: h.tokens.root, body });
      t.is(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      t.like(res.body, { status: 'error', error: '400', message: 'validation error' });
      const invalid = (res.body.data as { json?: { invalid?: { message?: string; target?: string } } }).json?.invalid;
      t.is(invalid?.target, 'body');
      t.regex(invalid?.message ?? '', /^All JSON must be valid/);
    }
  }
});

test('any content type: a JSON body is read as JSON (Kazoo), one that is not JSON is a 400 whatever the type', async (t) => {
  const h = await startHarness(t);
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/json; charset=utf-8',
    'application/vnd.api+json',
  ]) {
    const res = await h.call('PUT', '/v2/api_auth', {
      body: JSON.stringify({ data: { api_key: h.keys.root } }),
      headers: { 'Content-Type': type },
    });
    t.is(res.status, 201, type);
    const bad = await h.call('PUT', '/v2/api_auth', { body: 'api_key=abc', headers: { 'Content-Type': type } });
    t.is(bad.status, 400, type);
    t.like(bad.body, { message: 'validation error', data: { json: { invalid: { target: 'body' } } } });
  }
});

test('bodies that are JSON but not an envelope: 400 validation error naming data', async (t) => {
  const h = await startHarness(t);
  for (const body of ['[]', '"x"', '42', '{}', '{"data":[]}', '{"data":"x"}']) {
    const res = await h.call('POST', '/v2/accounts/root/metaflows', { token: h.tokens.root, body });
    t.is(res.status, 400, body);
    t.is(res.body.message, 'validation error', body);
    t.truthy((res.body.data as Record<string, unknown>).data, body);
  }
});

test('oversized bodies: 413 in the envelope, with or without Content-Length', async (t) => {
  const h = await startHarness(t, { bodyLimitBytes: 1024 });
  const big = JSON.stringify({ data: { api_key: 'x'.repeat(5000) } });
  const res = await h.call('PUT', '/v2/api_auth', { body: big });
  t.is(res.status, 413);
  t.like(res.body, { status: 'error', error: '413', message: 'request entity too large' });

  // Chunked: no Content-Length, the limit is enforced while reading.
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(big));
      controller.close();
    },
  });
  const chunked = await fetch(`${h.url}/v2/api_auth`, {
    method: 'PUT',
    body: stream,
    headers: { 'Content-Type': 'application/json' },
    duplex: 'half',
  } as RequestInit & { duplex: 'half' });
  t.is(chunked.status, 413);
  t.like(await chunked.json(), { status: 'error', error: '413' });
});

test('/openapi.json is OpenAPI 3.1 generated from the schemas; /docs renders it with nothing from the internet', async (t) => {
  const h = await startHarness(t);
  const res = await fetch(`${h.url}/openapi.json`);
  t.is(res.status, 200);
  const doc = (await res.json()) as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
    components: { schemas: Record<string, { properties?: Record<string, { pattern?: string }> }> };
  };
  t.is(doc.openapi, '3.1.0');
  for (const path of [
    '/v2/api_auth',
    '/v2/token_auth',
    '/v2/accounts/{accountId}',
    '/v2/accounts/{accountId}/channels',
    '/v2/accounts/{accountId}/channels/{callId}',
    '/v2/accounts/{accountId}/metaflows',
    '/v2/accounts/{accountId}/users/{ownerId}/metaflows',
    '/v2/accounts/{accountId}/devices/{ownerId}/metaflows',
  ]) {
    t.truthy(doc.paths[path], path);
  }
  // The validation rules are the documented ones.
  t.is(doc.components.schemas.TransferAction?.properties?.target?.pattern, '^[0-9A-Za-z*#+._-]{1,64}$');
  t.truthy(doc.components.schemas.CancelTransferAction);
  t.truthy(doc.components.schemas.Metaflows);
  t.false(JSON.stringify(doc).includes('#/$defs/'));

  const page = await fetch(`${h.url}/docs`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  t.true(html.includes("fetch('openapi.json')"));
  t.false(/(src|href)=["']?(https?:)?\/\//i.test(html), 'no external script, style or link');
  t.regex(page.headers.get('content-security-policy') ?? '', /connect-src 'self'/);
});
