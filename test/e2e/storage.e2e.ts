/**
 * Storage in Chromium: the eviction risk is shown on the Environment page when the browser has not
 * made the studio's storage persistent (navigator.storage.persisted() false), in English and
 * Chinese, with the request for persistence; once granted, the risk disappears.
 *
 * `persisted()` / `persist()` are replaced by an init script so the test does not depend on
 * Chromium's engagement heuristics (a fresh headless profile may or may not be granted).
 */
import { describe, expect, it } from 'vitest';
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
