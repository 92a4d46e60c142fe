/**
 * Nothing leaves the machine (issue 17, item 6), in headless Chromium on the built app.
 *
 * One page runs the whole flow: import a ZIP of phantom pairs with ISBI landmarks (Data), train a
 * few steps at 64 px on it with a validation round (Train: the wasm backend, chosen in Environment,
 * in the engine's Worker; WebGPU is SwiftShader on this machine, far too slow), evaluate
 * the run (Evaluate), trace one film in the tracing wizard with the shipped landmark detector
 * pre-placing the points (Landmarks; the detector runs in the engine Worker), export the
 * generator as latest_net_G.pth and build a server bundle (Checkpoints; the bundle is written in
 * its own Worker). Every request is recorded twice:
 *  - Playwright's context-level `request` events (page, dedicated workers, the service worker);
 *  - at the network itself: Chromium runs with `--proxy-server` pointing at a recording proxy on
 *    127.0.0.1, so any connection to another host (from any page, worker, service worker or the
 *    browser itself; HTTP or a CONNECT for HTTPS/WSS) reaches the proxy, is recorded and refused.
 *    Loopback (127.0.0.1) bypasses the proxy and goes straight to the studio's server.
 * Asserted: no request to a host other than 127.0.0.1 in either record (the proxy also sees
 * Chromium's own service traffic — updater, sign-in, autofill predictions — which is listed apart,
 * see CHROMIUM_OWN), the recorder did see requests from the engine Worker (TF.js's .wasm binary,
 * the shipped detector) and the service worker, no console errors, and the document's
 * Content-Security-Policy is exactly the strict policy (every directive parsed: only 'self',
 * blob:/data: for images and workers, 'wasm-unsafe-eval' for the wasm backend, inline styles),
 * also as served again from the service worker's cache while offline.
 * Then offline (context.setOffline): reload, the app comes up from the cache, the imported dataset
 * is still listed, and the demo trains (a few steps) with no network at all.
 *
 * A second test proves the recorder is live: with the CSP removed from the served page (routed),
 * an <img> of https://example.com/x.png and a dedicated Worker's fetch of https://example.org/ are
 * recorded by both the proxy and Playwright.
 * Protection-removal switch for the first test: PRIVACY_BREAK=csp serves the page without its CSP
 * and adds such an <img> after the import; the CSP and foreign-request assertions then fail.
 * Time on this 2-core machine: the file 37 s at load 6 (the flow 30 s); ~200 s at load 25.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { withDefaults } from '../../src/core/config';
import { generatePhantomDataset } from '../../src/core/data/phantom';
import type { RgbaImage } from '../../src/core/image';
import { encodePngNode } from '../../src/core/io/decodeNode';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { writeSafetensors } from '../../src/core/io/safetensors';
import { listZip } from '../../src/core/io/zip';
import { expectedEntries } from '../../src/core/model';
import type { StateDict } from '../../src/core/model/types';
import { CHROMIUM, CHROMIUM_ARGS, SCREENSHOT_DIR } from './browser';
import { debugHook as hook, poll as until, setOption } from './helpers';

/** The studio's policy (index.html), directive by directive. */
export const STRICT_CSP =
  "default-src 'self'; connect-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; " +
  "img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; " +
  "base-uri 'self'; form-action 'none'";

/** What each directive may allow at most (nothing that names or wildcards another origin). */
const ALLOWED: Record<string, string[]> = {
  'default-src': ["'self'"],
  'connect-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'", 'blob:'],
  'img-src': ["'self'", 'blob:', 'data:'],
  'style-src': ["'self'", "'unsafe-inline'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'none'"],
};

/** `check` is expect, or expect.soft in the protection-removal mode (so the run goes on). */
function checkPolicy(policy: string | null, check: typeof expect = expect): void {
  check(policy, 'the Content-Security-Policy').toBe(STRICT_CSP);
  if (policy === null) return;
  const directives = new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map((d) => [d[0], d.slice(1)] as const),
  );
  check([...directives.keys()].sort()).toEqual(Object.keys(ALLOWED).sort());
  for (const [name, sources] of directives) {
    for (const src of sources) check(ALLOWED[name], `${name} ${src}`).toContain(src);
  }
}

/**
 * Chromium's own services, contacted by the browser process itself, not by any page, worker or
 * service worker: the component updater (update.googleapis.com), account sign-in
 * (accounts.google.com) and autofill's form-type predictions (content-autofill.googleapis.com,
 * asked whenever a page shows form fields). The proxy sees them even with
 * --disable-background-networking; they are reported, not counted against the studio (a request
 * of the studio to any of these hosts would also be in Playwright's record, which allows none).
 */
const CHROMIUM_OWN =
  /^((update|content-autofill|optimizationguide-pa)\.googleapis\.com|accounts\.google\.com|clients\d*\.google\.com|[a-z0-9-]+\.gvt1\.com)$/;

function proxyHost(hit: string): string {
  const target = hit.split(' ')[1];
  return target.includes('://') ? new URL(target).hostname : target.replace(/:\d+$/, '');
}

/** Proxy hits that are not Chromium's own service traffic. */
const studioHits = (hits: string[]): string[] => hits.filter((h) => !CHROMIUM_OWN.test(proxyHost(h)));

interface Recorded {
  url: string;
  from: string;
}

/** An HTTP proxy on 127.0.0.1 that records every request and CONNECT and refuses them all. */
async function recordingProxy(): Promise<{ port: number; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end('refused by the privacy test');
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  server.on('connect', (req, socket) => {
    socket.on('error', () => undefined); // the browser may reset a refused tunnel
    hits.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

interface Session {
  context: BrowserContext;
  page: Page;
  requests: Recorded[];
  foreign: Recorded[];
  proxyHits: string[];
  consoleErrors: string[];
  close(): Promise<void>;
}

function isLoopback(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'data:' || u.protocol === 'blob:' || u.hostname === '127.0.0.1';
}

/** browser.ts's openStudio with the recording proxy, optionally serving index.html without its CSP. */
async function openRecorded(
  opts: { path?: string; stripCsp?: boolean; serviceWorkers?: 'allow' | 'block' } = {},
): Promise<Session> {
  const baseUrl = inject('baseUrl');
  const proxy = await recordingProxy();
  const profile = mkdtempSync(join(tmpdir(), 'ceph-gan-privacy-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      `--proxy-server=http://127.0.0.1:${proxy.port}`,
      // loopback is never proxied by Chromium; said explicitly for the studio's own server
      '--proxy-bypass-list=127.0.0.1',
    ],
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    acceptDownloads: true,
    serviceWorkers: opts.serviceWorkers ?? 'allow',
  });
  const requests: Recorded[] = [];
  const foreign: Recorded[] = [];
  const consoleErrors: string[] = [];
  context.on('request', (r) => {
    // Playwright reports a dedicated worker's requests like the page's; the service worker's apart
    const from = r.serviceWorker() ? 'service-worker' : 'page or worker';
    const rec = { url: r.url(), from };
    requests.push(rec);
    if (!isLoopback(rec.url)) foreign.push(rec);
  });
  const watch = (p: Page): void => {
    p.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    p.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  if (opts.stripCsp) {
    // the protection removed: the page is served without its Content-Security-Policy
    await context.route(
      (u) => isLoopback(u.href) && (u.pathname === '/' || u.pathname.endsWith('/index.html')),
      async (route) => {
        const res = await route.fetch();
        const body = (await res.text()).replace(
          /<meta\s+http-equiv="Content-Security-Policy"[^>]*>/s,
          '<meta name="csp-removed-by-test" />',
        );
        await route.fulfill({ response: res, body });
      },
    );
  }
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(new URL(opts.path ?? '', baseUrl).href);
  return {
    context,
    page,
    requests,
    foreign,
    proxyHits: proxy.hits,
    consoleErrors,
    async close() {
      await context.close();
      await proxy.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ----- the data: phantom pairs with ISBI landmarks, as a clinic exports them -----

function grey(img: RgbaImage): boolean {
  for (let i = 0; i < img.data.length; i += 4)
    if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) return false;
  return true;
}

function phantomZip(n: number): Uint8Array {
  const ds = generatePhantomDataset({ n, seed: 5, width: 160, height: 130, valCount: 2 });
  const files: Record<string, Uint8Array> = {};
  for (const c of ds.cases) {
    files[`clinic/photo/${c.id}.png`] = encodePngNode(c.photo);
    files[`clinic/xray/${c.id}.png`] = encodePngNode(c.xray, { grey: grey(c.xray) });
    files[`clinic/xray/${c.id}.txt`] = strToU8(writeIsbiText(c.landmarks));
  }
  return zipSync(files);
}

/** A unet_128 generator with small deterministic weights (the server bundle needs a server netG). */
function syntheticG(cfg: ReturnType<typeof withDefaults>): StateDict {
  let x = 4242;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x / 2147483648 - 0.5) * 0.04;
  };
  return expectedEntries(cfg, 'G').map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.dtype === 'int64') return { ...e, data: new BigInt64Array(n).fill(7n) };
    const data = new Float32Array(n);
    const one = e.key.endsWith('running_var') || (/\.weight$/.test(e.key) && e.shape.length === 1);
    for (let i = 0; i < n; i++) data[i] = one ? 1 + next() : next();
    return { ...e, data };
  });
}

// ----- the UI's read-only debug hooks -----

interface TrainDebug {
  phase: string;
  activeRunId: string | null;
  step: number | null;
  checkpoints: { name: string; step: number }[];
}
interface EvalDebug {
  runId: string | null;
  gridCases: number;
  evaluating: string | null;
}
interface LmDebug {
  session: { caseId: string; frame: string } | null;
  placed: number;
  busy: string | null;
  error: string | null;
}
interface CkDebug {
  rows: { runId: string; name: string }[];
}
const docPolicy = (page: Page): Promise<string | null> =>
  page.evaluate(
    () =>
      document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null,
  );

describe('privacy: the whole flow stays on 127.0.0.1, the CSP is strict, and it works offline', () => {
  it(
    'import, train, evaluate, trace with the detector, export, bundle: zero foreign requests; then offline',
    { timeout: 600_000 },
    async () => {
      const broken = process.env.PRIVACY_BREAK === 'csp';
      const dir = mkdtempSync(join(tmpdir(), 'privacy-e2e-'));
      const s = await openRecorded({ stripCsp: broken });
      const t0 = Date.now();
      const lap = (what: string): void =>
        console.log(`[privacy] ${what} at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      try {
        const { page } = s;
        // the wasm backend (chosen in Environment, remembered): it trains this flow in ~2 min on a
        // CPU where WebGPU is SwiftShader, and its .wasm binaries are the classic CDN leak (TF.js
        // fetches them from a CDN unless told otherwise): they must come from 127.0.0.1
        await page.getByRole('tab', { name: 'Environment' }).click();
        await page.locator('#backend-choice').selectOption('wasm');
        await page.reload();
        await page.locator('[data-testid="env-backend"][data-backend="wasm"]').waitFor({ timeout: 120_000 });
        await page.getByRole('tab', { name: 'Data' }).click();
        // the served document's header carries no weaker policy, and the meta policy is the strict one
        const doc = await page.request.get(page.url());
        expect(doc.headers()['content-security-policy'] ?? null).toBeNull();
        const checkCsp = broken ? (expect.soft as typeof expect) : expect;
        checkPolicy(await docPolicy(page), checkCsp);

        // ----- Data: import a ZIP of 10 pairs with landmarks -----
        await page.getByTestId('dataset-list').waitFor({ timeout: 60_000 });
        await page.getByTestId('data-file-input').setInputFiles({
          name: 'clinic.zip',
          mimeType: 'application/zip',
          buffer: Buffer.from(phantomZip(10)),
        });
        await page.getByTestId('import-plan').waitFor({ timeout: 60_000 });
        await page.getByTestId('import-start').click();
        await page.getByTestId('import-report').waitFor({ timeout: 120_000 });
        expect(await page.getByTestId('import-summary').textContent()).toContain('10 cases stored');
        lap('imported');
        if (broken) {
          await page.evaluate(() => {
            const img = document.createElement('img');
            img.src = 'https://example.com/x.png';
            document.body.append(img);
          });
        }

        // ----- Train: the imported dataset at 64 px, a validation round, stop (saves `last`) -----
        await page.getByRole('tab', { name: 'Train' }).click();
        const stored = page.getByTestId('train-stored-choice');
        await stored.waitFor({ timeout: 60_000 });
        const dsId = await stored
          .locator('option')
          .evaluateAll((os) => (os as HTMLOptionElement[]).map((o) => o.value).find((v) => v !== '')!);
        await stored.selectOption(dsId);
        await page.getByRole('button', { name: 'Use this dataset' }).click();
        await page
          .locator(`[data-testid="train-dataset"][data-dataset="${dsId}"]`)
          .waitFor({ timeout: 120_000 });
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        await page.getByText(/^More options/).click();
        // a stored dataset's own size is the default (512 px here): train at 64 px
        await setOption(page, 'size', '64');
        await setOption(page, 'log_every', '1');
        await setOption(page, 'val_every', '2');
        await page.getByRole('button', { name: 'Start training' }).click();
        const trained = await until(
          () => hook<TrainDebug>(page, 'train'),
          (d) => (d.step ?? 0) >= 2 && d.checkpoints.some((c) => c.name === 'best'),
          240_000,
          'two steps and a validation round',
        );
        const runId = trained.activeRunId!;
        await page.getByRole('button', { name: 'Stop' }).click();
        await expect
          .poll(() => page.getByTestId('train-phase').getAttribute('data-phase'), { timeout: 120_000 })
          .toBe('ready');
        lap(`trained ${runId} to step ${trained.step}`);

        // ----- Evaluate: the run's best checkpoint on its validation cases -----
        await page.getByRole('tab', { name: 'Evaluate' }).click();
        await until(
          () => hook<EvalDebug>(page, 'evaluate'),
          (d) => d.runId === runId && d.gridCases > 0 && d.evaluating === null,
          180_000,
          'the evaluation of the run',
        );
        expect(Number(await page.getByTestId('eval-metric-l1').textContent())).toBeGreaterThan(0);
        lap('evaluated');

        // ----- Landmarks: trace a film, the shipped detector pre-placing the points -----
        await page.getByRole('tab', { name: 'Landmarks' }).click();
        await page.locator('[data-testid="lm-section"][data-ready="true"]').waitFor({ timeout: 120_000 });
        await page.getByTestId('lm-dataset').selectOption(dsId);
        await page.getByTestId('lm-target').selectOption('real');
        await page.getByTestId('lm-open').click();
        await page.getByTestId('lm-wizard').waitFor({ timeout: 60_000 });
        expect((await hook<LmDebug>(page, 'landmarks')).session?.frame).toBe('real');
        await page.getByTestId('lm-tracer').fill('privacy e2e');
        await page.getByTestId('lm-det-assist').waitFor({ timeout: 60_000 });
        expect(await page.getByTestId('lm-det-choice').inputValue()).toBe('shipped');
        await page.getByTestId('lm-det-preplace').click();
        const lm = await until(
          () => hook<LmDebug>(page, 'landmarks'),
          (d) => d.error !== null || (d.placed === 19 && d.busy === null),
          180_000,
          'the detector to place 19 landmarks',
        );
        expect(lm.error).toBeNull();
        await page.getByTestId('lm-save').click();
        await page.getByTestId('lm-saved').waitFor({ timeout: 30_000 });
        lap('traced with the shipped detector');

        // ----- Checkpoints: export latest_net_G.pth, then a server bundle -----
        await page.getByRole('tab', { name: 'Checkpoints' }).click();
        const row = page.locator(`tr[data-checkpoint="${runId}/last"]`);
        await row.waitFor({ timeout: 30_000 });
        await row.getByTestId('ck-export').click();
        const menu = page.getByTestId('ck-export-menu');
        await menu.getByRole('radio', { name: /^PyTorch \.pth/ }).check();
        await menu.getByRole('radio', { name: 'Generator (G)' }).check();
        await menu.getByRole('radio', { name: /^latest_net_G\.pth/ }).check();
        const [pth] = await Promise.all([
          page.waitForEvent('download', { timeout: 60_000 }),
          menu.getByTestId('ck-export-download').click(),
        ]);
        expect(pth.suggestedFilename()).toBe('latest_net_G.pth');
        expect(
          readFileSync(await pth.path())
            .subarray(0, 2)
            .toString('latin1'),
        ).toBe('PK');
        await row.getByTestId('ck-export').click();

        // the server bundle needs a server generator (unet_128): import one, bundle it with the dataset
        const cfg = withDefaults({ netG: 'unet_128', size: 128, ngf: 2, ndf: 2 });
        const g128 = join(dir, 'clinic128_G.safetensors');
        writeFileSync(
          g128,
          writeSafetensors(syntheticG(cfg), { kind: 'G', studio_config: JSON.stringify(cfg) }),
        );
        await page.getByTestId('ck-file-input').setInputFiles(g128);
        await page.getByTestId('ck-import-preview').waitFor({ timeout: 60_000 });
        await page.getByTestId('ck-import-dataset').selectOption(dsId);
        await page.getByTestId('ck-import-confirm').click();
        await page.getByTestId('ck-import-done').waitFor({ timeout: 60_000 });
        const r128 = (await hook<CkDebug>(page, 'checkpoints')).rows.find((r) => r.runId !== runId)!;
        const row128 = page.locator(`tr[data-checkpoint="${r128.runId}/last"]`);
        await row128.getByTestId('ck-bundle').click();
        await page.getByTestId('ck-cmd-single').waitFor({ timeout: 60_000 });
        const [bundle] = await Promise.all([
          page.waitForEvent('download', { timeout: 180_000 }),
          page.getByTestId('ck-bundle-build').click(),
        ]);
        expect(bundle.suggestedFilename()).toBe('clinic128_G_server_bundle.zip');
        const entries = listZip(readFileSync(await bundle.path()), 'bundle.zip').map((e) => e.name);
        expect(entries.filter((n) => n.startsWith('datasets/clinic128_G/')).length).toBe(10);
        expect(entries).toContain('checkpoints/clinic128_G/latest_net_G.pth');
        lap('exported and bundled');
        await page.screenshot({ path: join(SCREENSHOT_DIR, 'privacy-flow-en.png'), fullPage: true });

        // ----- what went over the network -----
        const byFrom = (f: string): number => s.requests.filter((r) => r.from === f).length;
        console.log(
          `[privacy] ${s.requests.length} requests recorded (page or worker ${byFrom('page or worker')}, ` +
            `service worker ${byFrom('service-worker')}); foreign ${s.foreign.length}; at the proxy ${s.proxyHits.length}`,
        );
        expect(s.foreign, 'requests that left 127.0.0.1 (Playwright)').toEqual([]);
        expect(studioHits(s.proxyHits), 'connections to other hosts (proxy)').toEqual([]);
        // the recorder saw the Worker's and the service worker's requests (not only the page's):
        // the engine Worker fetched the shipped detector, the service worker precached the build
        expect(s.requests.some((r) => r.url.includes('/detector/'))).toBe(true);
        // the wasm backend's binary is fetched by TF.js inside the engine Worker (home 'worker')
        expect((await hook<{ home: string | null }>(page, 'train')).home).toBe('worker');
        expect(s.requests.some((r) => r.url.endsWith('.wasm'))).toBe(true);
        expect(byFrom('service-worker')).toBeGreaterThan(5);
        checkPolicy(await docPolicy(page), checkCsp);
        expect(s.consoleErrors, 'console errors').toEqual([]);

        // ----- offline: reload from the cache, the data is there, the demo trains -----
        await page.evaluate(async () => {
          await navigator.serviceWorker.ready;
        });
        await s.context.setOffline(true);
        await page.reload();
        await page.getByRole('tab', { name: 'Data' }).waitFor({ timeout: 60_000 });
        checkPolicy(await docPolicy(page));
        await page.getByRole('tab', { name: 'Data' }).click();
        await page.getByTestId('dataset-list').waitFor({ timeout: 60_000 });
        await page.getByTestId('dataset-row').first().waitFor({ timeout: 30_000 });
        await page.getByRole('tab', { name: 'Train' }).click();
        const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
        await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
        await page.getByLabel('Cases', { exact: true }).fill('10');
        await loadDemo.click();
        await page
          .getByTestId('train-dataset')
          .filter({ hasText: '8 training cases' })
          .waitFor({ timeout: 60_000 });
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        await page.getByRole('button', { name: 'Start training' }).click();
        const offline = await until(
          () => hook<TrainDebug>(page, 'train'),
          (d) => (d.step ?? 0) >= 2,
          180_000,
          'the demo to train offline',
        );
        expect(offline.activeRunId).not.toBe(runId);
        await page.getByRole('button', { name: 'Stop' }).click();
        await expect
          .poll(() => page.getByTestId('train-phase').getAttribute('data-phase'), { timeout: 120_000 })
          .toBe('ready');
        lap('offline: reloaded and trained the demo');
        await page.screenshot({ path: join(SCREENSHOT_DIR, 'privacy-offline-en.png'), fullPage: true });
        expect(s.foreign).toEqual([]);
        expect(studioHits(s.proxyHits)).toEqual([]);
        const own = new Map<string, number>();
        for (const h of s.proxyHits) own.set(proxyHost(h), (own.get(proxyHost(h)) ?? 0) + 1);
        console.log(`[privacy] Chromium's own service traffic at the proxy: ${JSON.stringify([...own])}`);
        expect(s.consoleErrors, 'console errors').toEqual([]);
      } catch (e) {
        await s.page.screenshot({ path: join(SCREENSHOT_DIR, 'privacy-failure.png') }).catch(() => undefined);
        throw e;
      } finally {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('the recorder is live: without the CSP a foreign <img> and a Worker fetch are caught by Playwright and by the proxy', async () => {
    const s = await openRecorded({ stripCsp: true, serviceWorkers: 'block' });
    try {
      const { page } = s;
      await page.getByRole('tab', { name: 'Data' }).waitFor({ timeout: 60_000 });
      expect(await docPolicy(page)).toBeNull();
      await page.evaluate(
        () =>
          new Promise<void>((done) => {
            const img = document.createElement('img');
            img.onerror = img.onload = () => done();
            img.src = 'https://example.com/x.png';
            document.body.append(img);
          }),
      );
      // and a dedicated Worker's fetch to another host
      await page.evaluate(
        () =>
          new Promise<void>((done) => {
            const src = "fetch('https://example.org/from-worker').finally(() => postMessage('done'))";
            const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
            w.onmessage = () => done();
          }),
      );
      expect(s.foreign.map((r) => r.url)).toEqual([
        'https://example.com/x.png',
        'https://example.org/from-worker',
      ]);
      expect(studioHits(s.proxyHits)).toEqual(['CONNECT example.com:443', 'CONNECT example.org:443']);
    } finally {
      await s.close();
    }
  });
});
