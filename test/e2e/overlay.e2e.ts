/**
 * Landmark overlays in headless Chromium (engine in its Worker, WebGPU on SwiftShader):
 *  1. Train: a tiny demo run (20 phantom cases, 32 px, ngf = ndf = 4, 4 steps); the live preview
 *     shows the 19 ISBI landmarks on the real X-ray, the prediction and the real ↔ prediction
 *     blend of each preview case; names on hover show the symbol, the <title> the full name;
 *  2. Evaluate: the best checkpoint's grid draws the landmarks in their colours on the X-ray and
 *     prediction tiles (pixels of the landmark colours on the canvas and in the downloaded
 *     viz_grid_<n>.png) and the one-case viewer
 *     shows 19 markers on the X-ray and the prediction;
 *  3. Data: the demo's preprocessing tab draws the landmarks mapped through the letterbox, the
 *     case view draws them over the original X-ray;
 *  4. 简体中文: the same views, full names in Chinese on hover.
 * Screenshots: test-results/e2e/overlay-*.png.
 */
import { readFileSync } from 'node:fs';
import { decode } from 'fast-png';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { landmarkRgb } from '../../src/core/landmarks/labels';
import { openStudio } from './browser';
import { poll, setOption } from './helpers';

interface TrainDebug {
  phase: string;
  activeRunId: string | null;
  step: number | null;
  valPoints: number;
  previewStep: number | null;
}
interface EvalDebug {
  runId: string | null;
  gridCases: number;
  evaluating: string | null;
}
const trainDebug = (page: Page): Promise<TrainDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { train: TrainDebug } }).__studio.train);
const evalDebug = (page: Page): Promise<EvalDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { evaluate: EvalDebug } }).__studio.evaluate);

/** Landmark markers drawn by the overlay inside `host` (one circle per landmark). */
const markers = (host: Locator) => host.locator('svg[data-testid="landmark-overlay"] circle.lmo-pt');

describe('Landmark overlays', () => {
  it(
    'Train preview, Evaluate grid and the preprocessed view show the 19 landmarks with readable labels (en + zh)',
    {
      timeout: 900_000,
    },
    async () => {
      const s = await openStudio({ path: '#/train', viewport: { width: 1360, height: 900 } });
      try {
        const { page } = s;
        const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
        await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
        await page.getByLabel('Cases', { exact: true }).fill('20');
        await loadDemo.click();
        await page
          .getByTestId('train-dataset')
          .filter({ hasText: '16 training cases' })
          .waitFor({ timeout: 120_000 });

        // --- a 4-step run: 16 training cases / batch 8 = 2 steps per epoch, 2 epochs ---
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        if (!(await page.getByLabel('val_every', { exact: true }).isVisible()))
          await page.getByText(/^More options/).click();
        await page.getByLabel('netG', { exact: true }).selectOption('unet_32');
        for (const [k, v] of [
          ['size', '32'],
          ['ngf', '4'],
          ['ndf', '4'],
          ['batch_size', '8'],
          ['n_epochs', '2'],
          ['n_epochs_decay', '0'],
          ['val_every', '2'],
          ['save_every', '2'],
          ['log_every', '1'],
        ])
          await setOption(page, k, v);
        await page.getByLabel('Run name', { exact: true }).fill('overlay-e2e');
        await page.getByRole('button', { name: 'Start training' }).click();
        const t0 = Date.now();
        await poll(
          () => trainDebug(page),
          (d) => d.previewStep !== null,
          300_000,
          'the first preview',
        );

        // --- Train preview: 19 markers on the X-ray, the prediction and the blend of every case ---
        const preview = page.getByTestId('train-preview');
        const rows = preview.locator('tbody tr');
        const nRows = await rows.count();
        expect(nRows).toBeGreaterThan(0);
        for (let r = 0; r < nRows; r++) {
          for (const id of ['preview-xray', 'preview-pred', 'preview-blend'])
            expect(await markers(rows.nth(r).getByTestId(id)).count(), `row ${r} ${id}`).toBe(19);
        }
        // the same landmark at the same place on the X-ray and the prediction (same frame)
        const pos = (id: string) =>
          rows
            .first()
            .getByTestId(id)
            .locator('circle.lmo-pt')
            .evaluateAll((els) => els.map((e) => `${e.getAttribute('cx')},${e.getAttribute('cy')}`));
        expect(await pos('preview-pred')).toEqual(await pos('preview-xray'));

        // names on hover: the label of a hovered landmark appears; its <title> is the full name
        const go = rows.first().getByTestId('preview-xray').locator('g.lmo-lm[data-landmark="Go"]');
        expect(await go.locator('title').textContent()).toBe('Go — Gonion');
        const goLabel = go.locator('g.lmo-label');
        expect(await goLabel.isVisible()).toBe(false);
        await go.locator('circle.lmo-hit').hover({ force: true });
        await expect.poll(() => goLabel.isVisible()).toBe(true);

        await poll(
          () => trainDebug(page),
          (d) => d.activeRunId === null && d.phase === 'ready' && d.valPoints >= 2,
          400_000,
          'the run to finish',
        );
        console.log(
          `[overlay e2e] 4 steps + 2 validation rounds in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        );
        await page.getByTestId('overlay-labels').first().selectOption('always');
        await page
          .getByTestId('overlay-blend')
          .first()
          .evaluate((el: HTMLInputElement) => {
            el.value = '0.3';
            el.dispatchEvent(new Event('input', { bubbles: true }));
          });
        const hidden = await preview
          .locator('svg[data-testid="landmark-overlay"]')
          .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-hidden-labels'))));
        console.log(`[overlay e2e] preview labels without room (hover only) per tile: ${hidden.join(' ')}`);
        await preview.scrollIntoViewIfNeeded();
        await preview.screenshot({ path: 'test-results/e2e/overlay-preview-en.png' });

        // --- Evaluate: the best checkpoint's grid with the landmarks ---
        await page.getByRole('tab', { name: 'Evaluate' }).click();
        const ev = await poll(
          () => evalDebug(page),
          (d) => d.gridCases > 0 && d.evaluating === null,
          240_000,
          'the grid of the best checkpoint',
        );
        const canvas = page.getByTestId('eval-grid-canvas');
        await canvas.waitFor();
        expect(await canvas.getAttribute('data-landmarks')).toBe('19');
        // the grid's pixels hold every landmark colour (dots on the X-ray and prediction tiles)
        const colours = Array.from({ length: 19 }, (_, i) => [...landmarkRgb(i)]);
        const countColours = () =>
          canvas.evaluate((c: HTMLCanvasElement, cols: number[][]) => {
            const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
            const n = cols.map(() => 0);
            for (let k = 0; k < d.length; k += 4)
              cols.forEach((col, i) => {
                if (d[k] === col[0] && d[k + 1] === col[1] && d[k + 2] === col[2]) n[i]++;
              });
            return n;
          }, colours);
        const withLm = await countColours();
        // each colour on every X-ray and prediction tile (a few pixels at least: touching dots such as
        // Pog / Gn / Me cover part of each other)
        for (const [i, n] of withLm.entries())
          expect(n, `colour of landmark ${i}`).toBeGreaterThanOrEqual(2 * ev.gridCases * 3);
        // the exported PNG is the same picture: the landmark colours are in the file
        const [dl] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('eval-grid-download').click(),
        ]);
        expect(dl.suggestedFilename()).toBe(`overlay-e2e_viz_grid_${ev.gridCases}.png`);
        const png = decode(readFileSync(await dl.path()));
        const sella = landmarkRgb(0);
        let sellaPx = 0;
        for (let k = 0; k < png.data.length; k += 4)
          if (png.data[k] === sella[0] && png.data[k + 1] === sella[1] && png.data[k + 2] === sella[2])
            sellaPx++;
        expect(sellaPx).toBe(withLm[0]);
        const viewer = page.getByTestId('eval-grid-viewer');
        expect(await markers(viewer.getByTestId('eval-viewer-xray')).count()).toBe(19);
        expect(await markers(viewer.getByTestId('eval-viewer-pred')).count()).toBe(19);
        expect(await markers(viewer.getByTestId('eval-viewer-blend')).count()).toBe(19);
        const card = page.getByTestId('eval-grid');
        await card.scrollIntoViewIfNeeded();
        await card.screenshot({ path: 'test-results/e2e/overlay-grid-en.png' });
        // the toggle removes them from the grid (and the viewer)
        await card.getByTestId('overlay-show').uncheck();
        await expect.poll(() => canvas.getAttribute('data-landmarks')).toBe('0');
        expect((await countColours()).reduce((a, b) => a + b)).toBeLessThan(
          withLm.reduce((a, b) => a + b) / 10,
        );
        expect(await markers(viewer).count()).toBe(0);
        await card.getByTestId('overlay-show').check();

        // --- Data: the demo's preprocessed view with the landmarks mapped through the letterbox ---
        await page.getByRole('tab', { name: 'Data' }).click();
        await page.getByTestId('demo-open').click();
        // the page generates the 100 demo cases first
        await page.getByTestId('ds-tab-preprocess').click({ timeout: 180_000 });
        const pre = page.getByTestId('preprocess-panel');
        await expect
          .poll(() => pre.locator('svg[data-testid="preprocess-landmarks"] circle.lmo-pt').count(), {
            timeout: 120_000,
          })
          .toBe(19);
        expect(
          await pre.locator('svg[data-testid="preprocess-sample-landmarks"] circle.lmo-pt').count(),
        ).toBe(19);
        await page.waitForTimeout(800); // preview canvases
        await pre.screenshot({ path: 'test-results/e2e/overlay-preprocess-en.png' });
        // the case view: the same overlay over the original X-ray (original pixels)
        const openCase = async (lang: string) => {
          await page.getByTestId('ds-tab-browse').click();
          await page.locator('[data-testid="case-card"]').first().click();
          const cv = page.getByTestId('case-view');
          await expect.poll(() => markers(cv).count(), { timeout: 60_000 }).toBe(19);
          await page.waitForTimeout(800); // the X-ray bitmap
          await cv.screenshot({ path: `test-results/e2e/overlay-case-${lang}.png` });
          await page.keyboard.press('Escape');
          await page.getByTestId('ds-tab-preprocess').click();
        };
        await openCase('en');

        // --- 简体中文 ---
        await page.getByRole('button', { name: '简体中文' }).click();
        await pre.getByText('始终显示').first().waitFor({ state: 'attached' });
        const sTitle = pre.locator(
          'svg[data-testid="preprocess-landmarks"] g.lmo-lm[data-landmark="S"] title',
        );
        expect(await sTitle.textContent()).toBe('S — 蝶鞍点 (Sella)');
        await pre.screenshot({ path: 'test-results/e2e/overlay-preprocess-zh.png' });
        await openCase('zh');
        await page.getByRole('tab', { name: '训练' }).click();
        await preview.scrollIntoViewIfNeeded();
        await preview.screenshot({ path: 'test-results/e2e/overlay-preview-zh.png' });
        await page.getByRole('tab', { name: '评估' }).click();
        await canvas.waitFor();
        await card.scrollIntoViewIfNeeded();
        await card.screenshot({ path: 'test-results/e2e/overlay-grid-zh.png' });
        s.expectClean();
      } finally {
        await s.close();
      }
    },
  );
});
