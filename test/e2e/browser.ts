/**
 * Browser helper for the e2e tests: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core, never a downloaded browser. Headless, WebGPU on (SwiftShader here),
 * a fresh profile per session. Every request is recorded; a request to any host other than
 * 127.0.0.1 is a test failure (`expectClean`), as is a console error or an uncaught page error.
 * Screenshots go to test-results/e2e/.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

/** From reference/browser-runtime.md; --enable-unsafe-webgpu is what exposes the WebGPU adapter. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  // lets the WebGL backend be exercised on SwiftShader too (it reports 16-bit floats there)
  '--enable-unsafe-swiftshader',
];

export const SCREENSHOT_DIR = resolve('test-results', 'e2e');

export interface RecordedRequest {
  url: string;
  method: string;
  /** 'page' or 'service-worker' */
  from: string;
}

export interface StudioSession {
  context: BrowserContext;
  page: Page;
  baseUrl: string;
  requests: RecordedRequest[];
  /** requests whose host is not 127.0.0.1 (data:/blob: URLs never reach the network and are not counted) */
  foreignRequests: RecordedRequest[];
  consoleErrors: string[];
  screenshot(name: string): Promise<string>;
  /** Fail the test on any foreign request or console/page error. */
  expectClean(): void;
  close(): Promise<void>;
}

function isLocal(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  return u.hostname === '127.0.0.1';
}

export async function openStudio(
  options: {
    path?: string;
    locale?: string;
    viewport?: { width: number; height: number };
    /** Reuse this user data dir (IndexedDB survives; the caller removes it). Default: a fresh one, removed on close. */
    profile?: string;
    /** Script run in every page before the app's own (e.g. a localStorage preference). */
    initScript?: string;
  } = {},
): Promise<StudioSession> {
  const baseUrl = inject('baseUrl');
  const ownProfile = options.profile === undefined;
  const profile = options.profile ?? mkdtempSync(join(tmpdir(), 'ceph-gan-e2e-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 860 },
    locale: options.locale ?? 'en-US',
    acceptDownloads: true,
    serviceWorkers: 'allow',
  });
  const requests: RecordedRequest[] = [];
  const foreignRequests: RecordedRequest[] = [];
  const consoleErrors: string[] = [];
  context.on('request', (r) => {
    const rec = { url: r.url(), method: r.method(), from: r.serviceWorker() ? 'service-worker' : 'page' };
    requests.push(rec);
    if (!isLocal(rec.url)) foreignRequests.push(rec);
  });
  const watch = (p: Page): void => {
    p.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    p.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  if (options.initScript) await context.addInitScript(options.initScript);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(new URL(options.path ?? '', baseUrl).href);

  return {
    context,
    page,
    baseUrl,
    requests,
    foreignRequests,
    consoleErrors,
    async screenshot(name: string): Promise<string> {
      const file = join(SCREENSHOT_DIR, name.endsWith('.png') ? name : `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    expectClean(): void {
      expect(foreignRequests, 'requests that left 127.0.0.1').toEqual([]);
      expect(consoleErrors, 'console errors').toEqual([]);
    },
    async close(): Promise<void> {
      await context.close();
      if (ownProfile) rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Wait until the service worker controls the page (it precaches the whole build first). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((ok) =>
        navigator.serviceWorker.addEventListener('controllerchange', () => ok()),
      );
    }
  });
}

/** Open the Environment section and wait for the self-test verdict (up to `timeoutMs`). */
export async function openEnvironmentAndWaitForSelfTest(
  page: Page,
  tabName: string,
  timeoutMs = 120_000,
): Promise<void> {
  await page.getByRole('tab', { name: tabName }).click();
  await page.getByTestId('env-selftest-verdict').waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Pids of the Chromium browser process started on `profile` and of its whole process tree (Linux /proc). */
export function browserProcessTree(profile: string): number[] {
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        return { pid: Number(d), ppid, cmd };
      } catch {
        return null; // gone meanwhile
      }
    })
    .filter((p): p is { pid: number; ppid: number; cmd: string[] } => p !== null);
  const roots = procs.filter(
    (p) => p.cmd.includes(`--user-data-dir=${profile}`) && !p.cmd.some((a) => a.startsWith('--type=')),
  );
  const tree = new Set(roots.map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs)
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
  }
  return [...tree];
}

/**
 * Kill the browser on `profile` like a crash or a power cut: SIGKILL to the browser process and
 * every process under it (renderers, GPU, workers' hosts), no unload handlers, no clean shutdown.
 * Returns the pids killed (none when the browser was not found).
 */
export function killBrowser(profile: string): number[] {
  const pids = browserProcessTree(profile);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}
