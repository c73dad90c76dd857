// Debian's headless Chromium for the tests that need a real browser (`.ci/run` installs it). Without it those tests are
// skipped, and say so.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.HANDOFF_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Whether a browser is there; when not, warns that `testName`'s file is skipped. */
export function haveBrowser(testName: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.warn(
    `${testName}: SKIPPED for want of a browser: no Chromium at ${CHROMIUM} (apt-get install -y chromium, ` +
      'or set HANDOFF_TEST_CHROMIUM)',
  );
  return false;
}

/** A headless Chromium with a fresh profile, closed (and the profile removed) when the test ends. */
export async function launchBrowser(t: ExecutionContext): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(tmpdir(), 'handoff-chromium-'));
  t.teardown(() => rmSync(profile, { recursive: true, force: true }));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}
