/**
 * The landmark detector in the studio (issue 13 acceptance), headless Chromium, WebGPU on
 * SwiftShader:
 * (a) on the demo phantom (20 cases), the Landmarks section's detector panel trains a tiny
 *     detector (quick preset: 64 px, 2 epochs of a few steps): live curves, then it is listed
 *     as finished with its val MRE in mm;
 * (b) a tiny GAN run on the same demo with that detector for traceability and the best checkpoint
 *     chosen by the lowest traceability MRE: the Train view's traceability curve (with its floor
 *     and the 2 mm line) gets points, and the run history says the best was chosen by it;
 * (c) Evaluate shows the traceability card for the run's best checkpoint: floor, synthetic,
 *     per landmark and the measurement agreement, and the gate judges traceability MRE.
 * Screenshots (English and 简体中文) of the panel, the curve and the card: test-results/e2e/det-*.png.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openStudio, SCREENSHOT_DIR } from './browser';

interface TrainDebug {
  phase: string;
  runId: string | null;
  activeRunId: string | null;
  valPoints: number;
  checkpoints: { name: string; step: number }[];
}
interface DetDebug {
  loaded: boolean;
  detectors: { key: string; name: string; status: string | null; heldOutMre: number | null }[];
  activeId: string | null;
  epochPoints: number;
  busy: string | null;
  error: string | null;
}
interface EvalDebug {
  runId: string | null;
  source: string;
  evaluating: string | null;
  gate: string | null;
}

const debug = <T>(page: Page, key: string): Promise<T> =>
  page.evaluate((k) => (window as unknown as { __studio: Record<string, T> }).__studio[k], key);

async function poll<T>(
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

async function setOption(page: Page, key: string, value: string): Promise<void> {
  const input = page.getByLabel(key, { exact: true });
  await input.fill(value);
  await input.blur();
}

async function shot(el: Locator, name: string): Promise<void> {
  await el.scrollIntoViewIfNeeded();
  await el.page().waitForTimeout(400);
  await el.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png` });
}

async function bothLanguages(page: Page, el: Locator, name: string): Promise<void> {
  await shot(el, `${name}-en`);
  await page.getByRole('button', { name: '简体中文' }).click();
  await shot(el, `${name}-zh`);
  await page.getByRole('button', { name: 'English' }).click();
}

describe('Landmark detector: train in the studio, traceability in Train and Evaluate', () => {
  it(
    'trains a tiny detector on the demo, scores a tiny GAN run with it and keeps its best by traceability MRE',
    { timeout: 1_500_000 },
    async () => {
      const s = await openStudio({ path: '#/train', viewport: { width: 1280, height: 900 } });
      try {
        const { page } = s;
        const t0 = Date.now();
        const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
        await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
        await page.getByLabel('Cases', { exact: true }).fill('20');
        await loadDemo.click();
        await page
          .getByTestId('train-dataset')
          .filter({ hasText: '20' })
          .first()
          .waitFor({ timeout: 60_000 });

        // ----- (a) the detector panel: train a tiny detector on the demo phantom -----
        await page.getByRole('tab', { name: 'Landmarks' }).click();
        await page.locator('[data-testid="lm-section"][data-ready="true"]').waitFor({ timeout: 120_000 });
        const panel = page.getByTestId('det-panel');
        await page.locator('[data-testid="det-panel"][data-loaded="true"]').waitFor({ timeout: 60_000 });
        // the shipped detector's card: 19 ISBI landmarks and its held-out accuracy in mm
        await expect.poll(() => page.getByTestId('det-shipped').textContent()).toContain('19 landmarks');
        expect(await page.getByTestId('det-shipped-heldout').textContent()).toMatch(/MRE \d+\.\d+ mm/);
        expect(await page.getByTestId('det-dataset').inputValue()).toBe('demo');
        expect(await page.getByTestId('det-dataset').locator('option:checked').textContent()).toContain(
          '20 cases',
        );
        await page.getByTestId('det-preset').selectOption('quick');
        expect(await page.getByTestId('det-size').inputValue()).toBe('64');
        expect(await page.getByTestId('det-epochs').inputValue()).toBe('2');
        // one epoch: enough to list a finished detector and drive a traceability run
        await page.getByTestId('det-epochs').fill('1');
        await page.getByTestId('det-start').click();
        const det = await poll(
          () => debug<DetDebug>(page, 'detector'),
          (d) =>
            d.error !== null ||
            d.detectors.some((x) => x.status === 'failed') ||
            (d.activeId === null &&
              d.detectors.some((x) => x.key.startsWith('stored:') && x.status === 'finished')),
          400_000,
          'the detector to finish',
        );
        expect(det.error).toBeNull();
        const mine = det.detectors.find((x) => x.key.startsWith('stored:') && x.status === 'finished')!;
        expect(mine.heldOutMre).toBeGreaterThan(0);
        expect(det.epochPoints).toBe(1);
        console.log(
          `[e2e] detector ${mine.name}: val MRE ${mine.heldOutMre?.toFixed(2)} mm after ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        );
        await page.getByTestId('det-done').waitFor();
        expect(await page.getByTestId('det-list').locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
        expect(await page.getByTestId('det-chart-val').locator('canvas').count()).toBeGreaterThan(0);
        await bothLanguages(page, panel, 'det-panel');

        // ----- (b) a tiny GAN run scored by that detector, best = lowest traceability MRE -----
        await page.getByRole('tab', { name: 'Train' }).click();
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        if (!(await page.getByLabel('val_every', { exact: true }).isVisible()))
          await page.getByText(/^More options/).click();
        await page.getByLabel('netG', { exact: true }).selectOption('unet_32');
        await setOption(page, 'size', '32');
        await setOption(page, 'ngf', '4');
        await setOption(page, 'ndf', '4');
        await setOption(page, 'batch_size', '8');
        await setOption(page, 'n_epochs', '3');
        await setOption(page, 'n_epochs_decay', '0');
        await setOption(page, 'val_every', '2');
        await setOption(page, 'save_every', '2');
        await setOption(page, 'log_every', '1');
        await page.getByLabel('Run name', { exact: true }).fill('trace-e2e');
        const traceSelect = page.getByTestId('trace-detector');
        // default: the shipped detector (its set matches the demo's 19 landmarks)
        await expect.poll(() => traceSelect.inputValue(), { timeout: 30_000 }).toBe('shipped');
        await traceSelect.selectOption(mine.key, { timeout: 30_000 });
        await page
          .locator('label', { hasText: 'Keep the “best” checkpoint by' })
          .locator('select')
          .selectOption('traceMre');
        await page.getByRole('button', { name: 'Start training' }).click({ timeout: 60_000 });
        // a run this small may end before the first poll: wait for its id, then for the engine to be idle
        const messages = (): Promise<string> =>
          page
            .locator('ul.tv-messages')
            .allTextContents()
            .then((x) => x.join(' | '));
        let done: TrainDebug;
        try {
          done = await poll(
            () => debug<TrainDebug>(page, 'train'),
            (d) => d.runId !== null && d.activeRunId === null && d.phase === 'ready' && d.valPoints >= 1,
            600_000,
            'the GAN run to finish with a validation round',
          );
        } catch (e) {
          throw new Error(`${(e as Error).message}; Train messages: ${await messages()}`, { cause: e });
        }
        const runId = done.runId!;
        console.log(`[e2e] GAN run ${runId}: ${done.valPoints} rounds; messages: ${await messages()}`);
        expect(done.checkpoints.map((c) => c.name)).toContain('best');
        const wrap = page.getByTestId('chart-trace-wrap');
        await expect
          .poll(async () => Number(await wrap.getAttribute('data-points')), { timeout: 30_000 })
          .toBeGreaterThan(0);
        expect(await page.getByTestId('chart-trace').locator('canvas').count()).toBeGreaterThan(0);
        await bothLanguages(page, wrap, 'det-train-curve');
        // the run history says the best checkpoint was chosen by traceability MRE (in mm)
        await expect
          .poll(() => page.getByTestId('run-history').textContent(), { timeout: 30_000 })
          .toMatch(/val traceability MRE \(mm\) [\d.]+ mm/);

        // ----- (c) Evaluate: the traceability card of the best checkpoint -----
        await page.getByRole('tab', { name: 'Evaluate' }).click();
        await page.getByRole('heading', { name: 'Evaluate', exact: true }).waitFor();
        const ev = await poll(
          () => debug<EvalDebug>(page, 'evaluate'),
          (d) => d.runId === runId && d.source.endsWith(':best') && d.evaluating === null,
          300_000,
          'the best checkpoint evaluation',
        );
        expect(ev.source).toBe(`ckpt:${runId}:best`);
        const card = page.getByTestId('eval-traceability');
        await page.getByTestId('eval-trace-summary').waitFor({ timeout: 120_000 });
        expect(await page.getByTestId('eval-trace-detector').inputValue()).toBe(mine.key);
        expect(await page.getByTestId('eval-trace-floor-mre').textContent()).toMatch(/^\d+\.\d\d mm$/);
        expect(await page.getByTestId('eval-trace-synthetic-mre').textContent()).toMatch(/^\d+\.\d\d mm$/);
        expect(await page.getByTestId('eval-trace-landmarks').locator('tbody tr').count()).toBe(19);
        expect(await page.getByTestId('eval-trace-landmarks').textContent()).toContain('Sella');
        const meas = page.getByTestId('eval-trace-measurements');
        for (const id of ['SNA', 'SNB', 'ANB'])
          expect(await meas.locator(`tr[data-measurement="${id}"]`).count()).toBe(1);
        expect(await meas.textContent()).toMatch(/°/);
        // the gate judges the traceability MRE (≤ 2 mm)
        const gateRow = page.locator('[data-testid="eval-gate"] tr[data-criterion="trace_mre"]');
        expect(await gateRow.getAttribute('data-status')).toMatch(/^(pass|fail)$/);
        await bothLanguages(page, card, 'det-eval-card');
        expect(s.foreignRequests).toEqual([]);
        console.log(`[e2e] detector + GAN run + evaluation in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      } finally {
        await s.close();
      }
    },
  );
});
