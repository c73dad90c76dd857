// GET /docs in a real browser (headless Chromium): the page renders the document GET /openapi.json serves, one entry per
// operation, with nothing fetched from elsewhere. Skipped, saying so, where there is no browser.
import test from 'ava';
import { haveBrowser, launchBrowser } from './support/browser.ts';
import { startHarness } from './support/server.ts';

(haveBrowser('docs-page') ? test : test.skip)('/docs renders every operation of the generated document', async (t) => {
  const h = await startHarness(t);
  const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
  );
  const browser = await launchBrowser(t);
  const tab = await browser.newPage();
  const elsewhere: string[] = [];
  tab.on('request', (r) => {
    if (!r.url().startsWith(h.url)) elsewhere.push(r.url());
  });
  await tab.goto(`${h.url}/docs`);
  await tab.waitForSelector('details.op, p.err', { timeout: 20_000 });
  t.is(await tab.locator('p.err').count(), 0, (await tab.locator('p.err').allTextContents()).join(' '));
  const rendered = (await tab
    .locator('details.op > summary')
    .evaluateAll((els) =>
      els.map((e) => `${e.children[0]?.textContent ?? ''} ${e.children[1]?.textContent ?? ''}`),
    )) as string[];
  t.deepEqual(rendered.sort(), operations.sort());
  // An operation's parameters and answers are shown (the channel action: its Idempotency-Key, its 202).
  const action = tab.locator('details.op', { hasText: 'Run an action on the call' });
  await action.locator('summary').click();
  const text = (await action.textContent()) ?? '';
  t.regex(text, /idempotency-key/i);
  t.regex(text, /202/);
  t.deepEqual(elsewhere, []);
});
