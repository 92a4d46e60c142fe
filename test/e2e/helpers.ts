/**
 * Small helpers shared by the e2e files: polling a debug hook, filling a Train option,
 * screenshots of one element in both UI languages.
 */
import type { Locator, Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './browser';

/** A read-only debug hook `window.__studio[key]`. */
export const debugHook = <T>(page: Page, key: string): Promise<T> =>
  page.evaluate((k) => (window as unknown as { __studio: Record<string, T> }).__studio[k], key);

/** Calls `get` every 500 ms until `pred` holds; throws with the last value after `timeoutMs`. */
export async function poll<T>(
  get: () => Promise<T>,
  pred: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const t0 = Date.now();
  let last: T | undefined;
  while (Date.now() - t0 < timeoutMs) {
    last = await get();
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last ${JSON.stringify(last)}`);
}

/** Fills a Train option field by its (server) option name and commits it. */
export async function setOption(page: Page, key: string, value: string): Promise<void> {
  const input = page.getByLabel(key, { exact: true });
  await input.fill(value);
  await input.blur();
}

/** Screenshot of one element into test-results/e2e/<name>.png. */
export async function shot(el: Locator, name: string): Promise<string> {
  await el.scrollIntoViewIfNeeded();
  await el.page().waitForTimeout(400);
  const path = `${SCREENSHOT_DIR}/${name}.png`;
  await el.screenshot({ path });
  return path;
}

/**
 * Screenshots of an element in English and in 简体中文 (`<name>-en.png`, `<name>-zh.png`);
 * `zhCheck` runs while the page is in Chinese.
 */
export async function bothLanguages(
  page: Page,
  el: Locator,
  name: string,
  zhCheck?: () => Promise<void>,
): Promise<void> {
  await shot(el, `${name}-en`);
  await page.getByRole('button', { name: '简体中文' }).click();
  await shot(el, `${name}-zh`);
  await zhCheck?.();
  await page.getByRole('button', { name: 'English' }).click();
}
