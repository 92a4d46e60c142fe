/**
 * Storage in Chromium: the eviction risk is shown on the Environment page when the browser has not
 * made the studio's storage persistent (navigator.storage.persisted() false), in English and
 * Chinese, with the request for persistence; once granted, the risk disappears.
 *
 * `persisted()` / `persist()` are replaced by an init script so the test does not depend on
 * Chromium's engagement heuristics (a fresh headless profile may or may not be granted).
 *
 * A full disk while the checkpoint worker writes the server bundle into the Origin Private File
 * System: the bundle worker's script is served with a patch in front (Playwright route; service
 * worker unregistered and caches cleared so the page fetches it) that makes
 * FileSystemSyncAccessHandle.write throw a QuotaExceededError after 20 kB. The Checkpoints section says what happened with the MB figures, what to delete or
 * export and what to do again, in English and (after switching) Chinese; the partial bundle is
 * removed and the stored checkpoint is still listed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/config';
import { writeSafetensors } from '../../src/core/io/safetensors';
import { expectedEntries } from '../../src/core/model';
import type { StateDict } from '../../src/core/model/types';
import { openStudio } from './browser';

/** persisted() is false until persist() is called; persist() grants when `grant` is true. */
const persistence = (grant: boolean) => `(() => {
  let persisted = false;
  const sm = navigator.storage;
  Object.defineProperty(sm, 'persisted', { configurable: true, value: async () => persisted });
  Object.defineProperty(sm, 'persist', {
    configurable: true,
    value: async () => { persisted = ${grant}; return persisted; },
  });
})();`;

describe('storage persistence (eviction risk)', () => {
  it('shows the eviction risk when storage is not persistent and offers to request persistence (en)', async () => {
    const s = await openStudio({ initScript: persistence(true) });
    try {
      const { page } = s;
      await page.getByRole('tab', { name: 'Environment' }).click();
      const risk = page.getByTestId('env-eviction-risk');
      await risk.waitFor({ timeout: 60_000 });
      expect(await risk.textContent()).toContain('Eviction risk');
      expect(await risk.textContent()).toContain('export the checkpoints you need');
      expect(await page.getByTestId('env-storage-persisted').textContent()).toBe('no');
      await risk.scrollIntoViewIfNeeded();
      await s.screenshot('storage-eviction-risk-en');
      await page.getByRole('button', { name: 'Ask the browser to keep the data' }).click();
      await page.getByText('Granted: the browser will keep this studio’s data.').waitFor();
      await expect.poll(() => page.getByTestId('env-storage-persisted').textContent()).toBe('yes');
      expect(await risk.count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Ask the browser to keep the data' }).count()).toBe(0);
      await s.screenshot('storage-persisted-en');
      s.expectClean();
    } finally {
      await s.close();
    }
  }, 90_000);

  it('in Chinese; a refused request keeps the risk shown and says why', async () => {
    const s = await openStudio({ locale: 'zh-CN', initScript: persistence(false) });
    try {
      const { page } = s;
      await page.getByRole('tab', { name: '运行环境' }).click();
      const risk = page.getByTestId('env-eviction-risk');
      await risk.waitFor({ timeout: 60_000 });
      expect(await risk.textContent()).toContain('存在被清除的风险');
      await page.getByRole('button', { name: '请求浏览器持久保存数据' }).click();
      await page.getByText('未授予。', { exact: false }).waitFor();
      expect(await risk.isVisible()).toBe(true);
      await risk.scrollIntoViewIfNeeded();
      await s.screenshot('storage-eviction-risk-zh');
      s.expectClean();
    } finally {
      await s.close();
    }
  }, 90_000);
});

/** Prepended to the bundle worker's script: its OPFS writes fail with QuotaExceededError after `limit` bytes. */
const opfsQuotaPatch = (limit: number) => `{
  const H = globalThis.FileSystemSyncAccessHandle;
  console.log('[quota-patch] bundle worker patched, sync access handle: ' + !!H);
  if (H) {
    const write = H.prototype.write;
    let total = 0;
    H.prototype.write = function (buf, opts) {
      if (total + buf.byteLength > ${limit})
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      total += buf.byteLength;
      return write.call(this, buf, opts);
    };
  }
}
`;

/** A unet_128 generator with small deterministic weights (no TF.js needed). */
function syntheticG(cfg: ReturnType<typeof withDefaults>): StateDict {
  let x = 12345;
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

const ckRows = (page: Page): Promise<{ runId: string; name: string }[]> =>
  page.evaluate(
    () =>
      (window as unknown as { __studio: { checkpoints: { rows: { runId: string; name: string }[] } } })
        .__studio.checkpoints.rows,
  );

describe('storage full while writing the server bundle (Chromium, OPFS)', () => {
  it('says what happened and what to delete or export (en, zh); the partial file is removed, the checkpoint kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quota-e2e-'));
    const s = await openStudio();
    try {
      const { page } = s;
      // the worker script is served with the patch in front; no service worker or cache serves the old one
      await s.context.route(/\/assets\/bundleWorker-[^/]*\.js$/, async (route) => {
        const res = await route.fetch();
        await route.fulfill({ response: res, body: opfsQuotaPatch(20_000) + (await res.text()) });
      });
      await page.evaluate(async () => {
        for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
        for (const k of await caches.keys()) await caches.delete(k);
      });
      await page.reload();
      await page.getByRole('tab', { name: 'Checkpoints' }).click();
      const cfg = withDefaults({ netG: 'unet_128', size: 128, ngf: 2, ndf: 2 });
      const file = join(dir, 'clinic128_G.safetensors');
      writeFileSync(
        file,
        writeSafetensors(syntheticG(cfg), { kind: 'G', studio_config: JSON.stringify(cfg) }),
      );
      await page.getByTestId('ck-file-input').setInputFiles(file);
      await page.getByTestId('ck-import-preview').waitFor({ timeout: 60_000 });
      await page.getByTestId('ck-import-confirm').click();
      await page.getByTestId('ck-import-done').waitFor({ timeout: 60_000 });
      const rows = await ckRows(page);
      expect(rows).toHaveLength(1);
      // as if it had been trained on the demo phantom (a fresh profile has no run to pick it from)
      await page.evaluate(async (runId) => {
        const db = await new Promise<IDBDatabase>((ok, err) => {
          const r = indexedDB.open('ceph-gan-studio-runs');
          r.onsuccess = () => ok(r.result);
          r.onerror = () => err(r.error);
        });
        const os = db.transaction('kv', 'readwrite').objectStore('kv');
        await new Promise<void>((ok, err) => {
          const g = os.get(`run/${runId}`);
          g.onsuccess = () => {
            const p = os.put({ ...g.result, datasetId: 'demo-20-1' }, `run/${runId}`);
            p.onsuccess = () => ok();
            p.onerror = () => err(p.error);
          };
        });
        db.close();
      }, rows[0].runId);
      await page.reload();
      await page.getByRole('tab', { name: 'Checkpoints' }).click();
      await expect.poll(() => ckRows(page), { timeout: 60_000 }).toEqual(rows);
      const row = page.locator(`tr[data-checkpoint="${rows[0].runId}/last"]`);
      await row.getByTestId('ck-bundle').click();
      await expect.poll(() => page.getByTestId('ck-bundle-dataset').inputValue()).toBe('demo-20-1');
      await page.getByTestId('ck-bundle-build').click();

      page.on('console', (m) => {
        if (m.text().includes('quota-patch')) console.log(`[e2e] ${m.text()}`);
      });
      page.on('download', (d) => console.log(`[e2e] unexpected download ${d.suggestedFilename()}`));
      const alert = page.locator('.ck-alert-error');
      await alert.waitFor({ timeout: 180_000 });
      const en = (await alert.textContent()) ?? '';
      console.log(`[e2e] bundle storage full (en): ${en}`);
      expect(en).toContain('The bundle could not be built:');
      expect(en).toContain("The browser's storage for this site is full");
      expect(en).toMatch(/: [\d,]+ MB used of [\d,]+ MB \([\d,]+ MB free\)\./);
      expect(en).toContain('Everything stored before is kept');
      expect(en).toContain('export a checkpoint there first');
      expect(en).toContain('then build the bundle again.');
      await alert.scrollIntoViewIfNeeded();
      await s.screenshot('storage-full-bundle-en');

      await page.getByRole('button', { name: '简体中文' }).click();
      await expect.poll(() => alert.textContent()).toContain('此网站的浏览器存储已满');
      const zh = (await alert.textContent()) ?? '';
      console.log(`[e2e] bundle storage full (zh): ${zh}`);
      expect(zh).toContain('无法生成服务器包：');
      expect(zh).toMatch(/：已用 [\d,]+ MB，配额 [\d,]+ MB（剩余 [\d,]+ MB）/);
      expect(zh).toContain('然后重新生成服务器包。');
      expect(zh).not.toContain('storage for this site');
      await alert.scrollIntoViewIfNeeded();
      await s.screenshot('storage-full-bundle-zh');

      // nothing half-written stays in OPFS; the stored checkpoint is still there
      const left = await page.evaluate(async () => {
        const root = await navigator.storage.getDirectory();
        const dir = await root.getDirectoryHandle('server-bundles', { create: true });
        const names: string[] = [];
        for await (const n of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(n);
        return names;
      });
      expect(left).toEqual([]);
      expect(await ckRows(page)).toEqual(rows);
      expect(s.foreignRequests).toEqual([]);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
