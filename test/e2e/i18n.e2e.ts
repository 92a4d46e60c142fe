/** The language switch changes every visible navigation label, <html lang>, and is remembered. */
import { describe, expect, it } from 'vitest';
import { openEnvironmentAndWaitForSelfTest, openStudio } from './browser';

const EN = ['Data', 'Train', 'Evaluate', 'Experiments', 'Landmarks', 'Checkpoints', 'Environment'];
const ZH = ['数据', '训练', '评估', '实验', '标志点', '检查点', '运行环境'];

describe('language switch', () => {
  it('switches the navigation to 简体中文 and back, and remembers the choice', async () => {
    const s = await openStudio({ locale: 'en-US' });
    try {
      const { page } = s;
      const tabs = page.getByRole('tablist').getByRole('tab');
      expect(await tabs.allTextContents()).toEqual(EN);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');

      await page.getByRole('button', { name: '简体中文' }).click();
      expect(await tabs.allTextContents()).toEqual(ZH);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
      expect(await page.getByRole('button', { name: '简体中文' }).getAttribute('aria-pressed')).toBe('true');
      expect(await page.getByRole('group', { name: '语言' }).isVisible()).toBe(true);

      // the Environment page in Chinese, after its self-test
      await openEnvironmentAndWaitForSelfTest(page, '运行环境');
      expect(await page.getByRole('heading', { level: 2, name: '运行环境检查' }).isVisible()).toBe(true);
      expect(await page.getByTestId('env-selftest-verdict').textContent()).toContain('自检通过');
      expect(await page.getByTestId('backend-badge').textContent()).toContain('SwiftShader（CPU 后备）');
      await s.screenshot('environment-zh');

      await page.reload();
      expect(await page.getByRole('tablist').getByRole('tab').allTextContents()).toEqual(ZH);

      await page.getByRole('button', { name: 'English' }).click();
      expect(await tabs.allTextContents()).toEqual(EN);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
      s.expectClean();
    } finally {
      await s.close();
    }
  });

  it('starts in Chinese for a Chinese browser with no stored choice', async () => {
    const s = await openStudio({ locale: 'zh-CN' });
    try {
      expect(await s.page.getByRole('tablist').getByRole('tab').allTextContents()).toEqual(ZH);
      expect(await s.page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
      s.expectClean();
    } finally {
      await s.close();
    }
  });
});
