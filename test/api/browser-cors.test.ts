// A browser app on another origin, in a real browser (Debian's headless Chromium): its page logs in with the API key,
// lists the account's channels and starts a transfer, with fetch, the way monster-ui and in-house UIs call Kazoo
// (X-Auth-Token and Content-Type: application/json, so every call but the first is preflighted). `.ci/run` installs
// Chromium; on a machine without it this test is skipped, and says so.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { haveBrowser, launchBrowser } from './support/browser.ts';
import { startHarness } from './support/server.ts';

/** The app's page: everything it does is in this script, against the API's origin. */
function appPage(api: string, apiKey: string, accountId: string, callId: string): string {
  return `<!doctype html><html><body><pre id="out"></pre><script>
const api = ${JSON.stringify(api)};
const steps = [];
async function step(name, method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers['X-Auth-Token'] = token;
  const res = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  steps.push({ name, status: res.status, requestId: res.headers.get('X-Request-ID'), json });
  return json;
}
(async () => {
  try {
    const auth = await step('login', 'PUT', '/v2/api_auth', { data: { api_key: ${JSON.stringify(apiKey)} } });
    const token = auth.auth_token;
    await step('channels', 'GET', '/v2/accounts/${accountId}/channels', undefined, token);
    await step('transfer', 'POST', '/v2/accounts/${accountId}/channels/${callId}',
      { data: { action: 'transfer', target: '2600', takeback_dtmf: '*1' } }, token);
    window.result = { steps };
  } catch (err) {
    window.result = { steps, error: String(err) };
  }
})();
</script></body></html>`;
}

async function serve(html: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // "localhost" against the API's 127.0.0.1: another host and another port, so another origin.
  return { url: `http://localhost:${(server.address() as AddressInfo).port}/`, server };
}

interface Step {
  name: string;
  status: number;
  requestId: string | null;
  json: { status: string; data: unknown; auth_token?: string; handoff?: Record<string, unknown> };
}

(haveBrowser('browser-cors') ? test : test.skip)(
  'a page on another origin logs in, lists channels and starts a transfer',
  async (t) => {
    const h = await startHarness(t);
    await h.addChannel({ callId: 'call-1', accountId: 'child', bridgedTo: 'call-2' });
    h.engine.known.set('call-1', {
      callId: 'call-1',
      accountId: 'child',
      node: 'fs1',
      phase: 'bridged',
      answered: true,
      bridgedTo: 'call-2',
    } as never);
    const page = await serve(appPage(h.url, h.keys.child, 'child', 'call-1'));
    t.teardown(() => new Promise<void>((resolve) => page.server.close(() => resolve())));
    const browser = await launchBrowser(t);
    const tab = await browser.newPage();
    const consoleErrors: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await tab.goto(page.url);
    await tab.waitForFunction(() => (globalThis as unknown as { result?: unknown }).result !== undefined, undefined, {
      timeout: 20_000,
    });
    const result = (await tab.evaluate(() => (globalThis as unknown as { result: unknown }).result)) as {
      steps: Step[];
      error?: string;
    };
    t.is(
      result.error,
      undefined,
      `the page's fetch failed (CORS?): ${result.error}; console: ${consoleErrors.join(' | ')}`,
    );
    const [login, channels, transfer] = result.steps;
    t.is(login?.status, 201);
    t.truthy(login?.json.auth_token);
    // Exposed headers are readable by the page.
    t.truthy(login?.requestId);
    t.is(channels?.status, 200);
    t.deepEqual(
      (channels?.json.data as { uuid: string }[]).map((c) => c.uuid),
      ['call-1'],
    );
    t.is(transfer?.status, 200);
    t.is(transfer?.json.data, 'transfer initiated');
    t.like(transfer?.json.handoff, { transferor: 'call-1', target: '2600' });
    // The transfer reached the engine as asked.
    t.like(h.engine.actions()[0], {
      method: 'requestTransfer',
      callId: 'call-1',
      ask: { target: '2600', takebackDtmf: '*1' },
    });
  },
);
