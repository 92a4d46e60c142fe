/**
 * Nothing leaves 127.0.0.1, the Content-Security-Policy is in force, and the built app works
 * offline once loaded (service worker precache of the whole build).
 */
import { describe, expect, it } from 'vitest';
import { openEnvironmentAndWaitForSelfTest, openStudio, waitForServiceWorker } from './browser';

const SECTIONS = ['Data', 'Train', 'Evaluate', 'Experiments', 'Landmarks', 'Checkpoints', 'Environment'];

describe('network and offline', () => {
  it('visits every section without a single request beyond 127.0.0.1', async () => {
    const s = await openStudio();
    try {
      const { page } = s;
      const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      for (const name of SECTIONS) {
        await page.getByRole('tab', { name }).click();
        expect(await page.getByRole('tab', { name }).getAttribute('aria-selected')).toBe('true');
        // each section renders its own panel with a heading (its content belongs to its owner)
        await page.getByRole('tabpanel').getByRole('heading', { level: 2 }).first().waitFor();
      }
      await page.getByTestId('env-selftest-verdict').waitFor({ timeout: 120_000 });
      // The CSP really blocks other origins: a fetch to another host is refused by the browser.
      const blocked = await page.evaluate(async () => {
        try {
          await fetch('https://example.com/');
          return 'fetched';
        } catch (e) {
          return e instanceof TypeError ? 'blocked' : String(e);
        }
      });
      expect(blocked).toBe('blocked');
      // that refusal is a CSP console error; everything else must be clean
      const cspErrors = s.consoleErrors.filter((e) => e.includes('example.com'));
      expect(cspErrors.length).toBeGreaterThan(0);
      expect(cspErrors.some((e) => e.includes('Content Security Policy'))).toBe(true);
      s.consoleErrors.splice(
        0,
        s.consoleErrors.length,
        ...s.consoleErrors.filter((e) => !cspErrors.includes(e)),
      );
      expect(s.requests.length).toBeGreaterThan(5);
      s.expectClean();
    } finally {
      await s.close();
    }
  });

  it('reloads and works offline once loaded (every built file is precached)', async () => {
    const s = await openStudio();
    try {
      const { page, context } = s;
      await waitForServiceWorker(page);
      const precache = await page.evaluate(async () => {
        const keys = await caches.keys();
        const cache = await caches.open(keys.find((k) => k.startsWith('ceph-gan-studio-')) ?? 'missing');
        return (await cache.keys()).map((r) => new URL(r.url).pathname);
      });
      expect(precache).toContain('/');
      expect(precache).toContain('/index.html');
      expect(precache).toContain('/favicon.svg');
      expect(precache.some((p) => p.endsWith('.wasm'))).toBe(true);
      // the engine worker's chunk (it holds TF.js, the self-test and the benchmark since they moved into the engine)
      expect(precache.some((p) => /\/assets\/worker-.*\.js$/.test(p))).toBe(true);

      await context.setOffline(true);
      // really offline: a file that is not in the cache cannot be fetched, a precached one can
      const uncached = await page.evaluate(() =>
        fetch(`./not-precached-${Date.now()}.txt`).then(
          (r) => `status ${r.status}`,
          () => 'network error',
        ),
      );
      expect(uncached).toBe('network error');
      expect(await page.evaluate(() => fetch('./index.html').then((r) => r.ok))).toBe(true);
      await page.reload();
      await page.getByRole('tab', { name: 'Data' }).waitFor();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Ceph GAN Studio');
      // lazily loaded code (TF.js, the self-test) also comes from the cache
      await openEnvironmentAndWaitForSelfTest(page, 'Environment');
      expect(await page.getByTestId('env-selftest-verdict').getAttribute('data-passed')).toBe('true');
      // every precached file answers offline
      const failures = await page.evaluate(async (paths: string[]) => {
        const bad: string[] = [];
        for (const p of paths) {
          const r = await fetch(p).catch(() => undefined);
          if (!r?.ok) bad.push(p);
        }
        return bad;
      }, precache);
      expect(failures).toEqual([]);
      await s.screenshot('offline-environment');
      await context.setOffline(false);
      // the one expected console error: the deliberate fetch of an uncached file while offline
      const expected = s.consoleErrors.indexOf('Failed to load resource: net::ERR_FAILED');
      expect(expected).toBeGreaterThanOrEqual(0);
      s.consoleErrors.splice(expected, 1);
      s.expectClean();
    } finally {
      await s.close();
    }
  });
});
