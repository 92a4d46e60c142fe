/**
 * The Evaluate section in headless Chromium (engine in its Worker, WebGPU on SwiftShader):
 *  1. a short demo run (100 phantom cases -> 20 validation cases; Demo preset at 32 px with
 *     ngf = ndf = 4 so SwiftShader keeps up; batch 8, two epochs = 20 steps, validation every 5
 *     steps -> 4 rounds) finishes; the Evaluate section then shows
 *     the validation metrics with units, the diagnostics curves, the stuck detector (not stuck),
 *     the gate verdict and the 20-case grid of the best checkpoint (evaluated on opening);
 *     the grid PNG and the review ZIP download; the ZIP's report.md holds the metrics and the
 *     gate verdict, its JSON the same mean L1 as the page, its viz_grid_20.png decodes;
 *  2. a second run with n_epochs 1 + n_epochs_decay 0 and lr_step_at epoch_start (the 2020 server
 *     schedule then gives lr 0 to its only epoch: the generator never changes while the losses move
 *     batch to batch) raises the stuck-output alert with the checklist answered — the learning-rate
 *     item fails. (With the default epoch_end that epoch runs at the full lr.)
 * Screenshots (English and 简体中文) are copied to /tmp/evaluate-*.png, the review ZIP to
 * /tmp/evaluate-review.zip.
 *
 * Read-only debug hooks: `window.__studio.train` and `window.__studio.evaluate`.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openStudio } from './browser';
import { poll, setOption } from './helpers';

interface TrainDebug {
  phase: string;
  runId: string | null;
  activeRunId: string | null;
  step: number | null;
  valPoints: number;
  checkpoints: { name: string; step: number }[];
}

interface EvalDebug {
  runId: string | null;
  rounds: number;
  shownStep: number | null;
  source: string;
  stuck: boolean | null;
  gate: string | null;
  failures: string | null;
  gridCases: number;
  evaluating: string | null;
}

const trainDebug = (page: Page): Promise<TrainDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { train: TrainDebug } }).__studio.train);
const evalDebug = (page: Page): Promise<EvalDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { evaluate: EvalDebug } }).__studio.evaluate);

/** Configure and run one short demo run to its end; returns its id. */
async function shortRun(
  page: Page,
  opts: {
    name: string;
    nEpochs: number;
    valEvery: number;
    rounds: number;
    lrStepAt?: 'epoch_end' | 'epoch_start';
  },
): Promise<string> {
  await page.getByLabel('Preset', { exact: true }).selectOption('demo');
  const more = page.getByText(/^More options/);
  if (!(await page.getByLabel('val_every', { exact: true }).isVisible())) await more.click();
  // the Demo preset made lighter for SwiftShader (a CPU emulating the GPU): 32 px, ngf = ndf = 4
  await page.getByLabel('netG', { exact: true }).selectOption('unet_32');
  await setOption(page, 'size', '32');
  await setOption(page, 'ngf', '4');
  await setOption(page, 'ndf', '4');
  // 80 training cases / batch 8 = 10 steps per epoch
  await setOption(page, 'batch_size', '8');
  await setOption(page, 'n_epochs', String(opts.nEpochs));
  await setOption(page, 'n_epochs_decay', '0');
  await page.getByLabel('lr_step_at', { exact: true }).selectOption(opts.lrStepAt ?? 'epoch_end');
  await setOption(page, 'val_every', String(opts.valEvery));
  await setOption(page, 'save_every', '10');
  await setOption(page, 'log_every', '1');
  await page.getByLabel('Run name', { exact: true }).fill(opts.name);
  await page.getByRole('button', { name: 'Start training' }).click();
  const started = await poll(
    () => trainDebug(page),
    (d) => d.activeRunId !== null,
    120_000,
    'the run to start',
  );
  const runId = started.activeRunId as string;
  const tStart = Date.now();
  await poll(
    () => trainDebug(page),
    (d) => d.activeRunId === null && d.phase === 'ready' && d.valPoints >= opts.rounds,
    600_000,
    `run ${opts.name} to finish with ${opts.rounds} validation rounds`,
  );
  console.log(
    `[e2e] run ${opts.name}: ${opts.nEpochs * 10} steps + ${opts.rounds} validation rounds in ${((Date.now() - tStart) / 1000).toFixed(0)} s`,
  );
  return runId;
}

describe('Evaluate section', () => {
  it(
    'shows metrics, diagnostics curves, the grid and the gate after a demo run; the review downloads; a frozen generator raises the stuck alert',
    { timeout: 1_200_000 },
    async () => {
      const s = await openStudio({ path: '#/train', viewport: { width: 1280, height: 900 } });
      try {
        const { page } = s;
        const t0 = Date.now();
        const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
        await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
        await page.getByLabel('Cases', { exact: true }).fill('100');
        await loadDemo.click();
        await page
          .getByTestId('train-dataset')
          .filter({ hasText: '80 training cases' })
          .waitFor({ timeout: 120_000 });

        const runId = await shortRun(page, { name: 'eval-e2e', nEpochs: 2, valEvery: 5, rounds: 4 });
        const trainS = (Date.now() - t0) / 1000;
        // the Train view's landmark-region sharpness curve (the demo phantom has 19 landmarks)
        const lmChart = page.getByTestId('chart-lm-sharp');
        expect(await lmChart.locator('canvas').count()).toBeGreaterThan(0);
        await lmChart.scrollIntoViewIfNeeded();
        await lmChart.screenshot({ path: '/tmp/evaluate-lm-chart-en.png' });

        // --- Evaluate: the best checkpoint is evaluated on opening ---
        await page.getByRole('tab', { name: 'Evaluate' }).click();
        await page.getByRole('heading', { name: 'Evaluate', exact: true }).waitFor();
        const ev = await poll(
          () => evalDebug(page),
          (d) => d.runId === runId && d.gridCases === 20 && d.evaluating === null,
          240_000,
          'the best checkpoint evaluation with 20 grid cases',
        );
        expect(ev.rounds).toBeGreaterThanOrEqual(4);
        expect(ev.source).toMatch(/^ckpt:.*:best$/);
        expect(ev.gate).toMatch(/^(pass|fail|incomplete)$/);
        expect(ev.failures).toMatch(/^\d+\/20$/);

        // metrics with their units
        const l1Text = (await page.getByTestId('eval-metric-l1').textContent()) ?? '';
        const l1 = Number(l1Text);
        expect(l1).toBeGreaterThan(0);
        expect(l1).toBeLessThan(1);
        expect(Number(await page.getByTestId('eval-metric-l1pm1').textContent())).toBeCloseTo(2 * l1, 3);
        expect(Number(await page.getByTestId('eval-metric-psnr').textContent())).toBeGreaterThan(3);
        const metricsCard = page.getByTestId('eval-metrics');
        await expect.poll(() => metricsCard.textContent()).toContain('mean absolute error on [0,1]');
        expect(await metricsCard.textContent()).toContain('dB, data range 1');
        expect(await metricsCard.textContent()).toContain('20 validation cases');

        // diagnostics: three curves with 4 rounds, the 0-255 table and histograms
        for (const id of ['eval-chart-grad', 'eval-chart-max', 'eval-chart-ratio', 'eval-chart-gap']) {
          expect(await page.getByTestId(id).locator('canvas').count()).toBeGreaterThan(0);
        }
        const diag = page.getByTestId('eval-diagnostics');
        expect(await diag.textContent()).toContain('0–255');
        expect(await page.getByTestId('eval-diag-table').locator('tbody tr').count()).toBe(8);
        expect(await diag.locator('figure.ev-hist').count()).toBe(2);
        // stuck detector: answered, not stuck for a run that trains
        const stuck = page.getByTestId('eval-stuck');
        expect(await stuck.getAttribute('data-stuck')).toBe('false');
        // gate and balance
        expect(await page.getByTestId('eval-gate-verdict').getAttribute('data-status')).toBe(ev.gate);
        expect(await page.getByTestId('eval-balance').locator('tbody tr[data-term="G_L1"]').count()).toBe(1);
        // grid: 20 cases on the canvas
        const canvas = page.getByTestId('eval-grid-canvas');
        expect(await canvas.getAttribute('data-cases')).toBe('20');
        const size = await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
        expect(size[0]).toBeGreaterThan(8 * 64);
        expect(size[1]).toBeGreaterThan(10 * 64);
        expect(await page.getByTestId('eval-findings').locator('li').count()).toBeGreaterThan(0);
        // landmark-region sharpness per landmark: 19 ISBI landmarks, each with a ratio (pred ÷ X-ray)
        const lmCard = page.getByTestId('eval-landmark-sharpness');
        expect(await lmCard.locator('tbody tr').count()).toBe(19);
        expect(await lmCard.locator('tbody tr[data-landmark="Go"]').textContent()).toContain('Gonion');
        const lmRatios = (await lmCard.getByTestId('eval-lm-ratio').allTextContents()).map(Number);
        expect(lmRatios).toHaveLength(19);
        for (const r of lmRatios) expect(r).toBeGreaterThan(0);
        const lmOverall = Number(await lmCard.getByTestId('eval-lm-overall').textContent());
        expect(lmOverall).toBeGreaterThan(0);
        expect(await lmCard.textContent()).toContain('0–255 units per pixel');
        await lmCard.scrollIntoViewIfNeeded();
        await lmCard.screenshot({ path: '/tmp/evaluate-lm-en.png' });
        console.log(`[e2e] landmark-region sharpness: mean ${lmOverall}; per landmark ${lmRatios.join(' ')}`);
        copyFileSync(await s.screenshot('evaluate-en'), '/tmp/evaluate-en.png');

        // grid PNG download (the clinic's name)
        const [gridDl] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('eval-grid-download').click(),
        ]);
        expect(gridDl.suggestedFilename()).toBe('eval-e2e_viz_grid_20.png');
        const gridPng = decode(readFileSync(await gridDl.path()));
        expect([gridPng.width, gridPng.height]).toEqual(size);

        // the review ZIP: metrics and gate verdict inside
        const [zipDl] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('eval-report-zip').click(),
        ]);
        expect(zipDl.suggestedFilename()).toMatch(/^review_eval-e2e_step\d+\.zip$/);
        copyFileSync(await zipDl.path(), '/tmp/evaluate-review.zip');
        const files = unzipSync(new Uint8Array(readFileSync(await zipDl.path())));
        expect(Object.keys(files).sort()).toEqual(
          [
            'curves.png',
            'failure_stats.json',
            'report.json',
            'report.md',
            'val_metrics.json',
            'viz_grid_20.png',
          ].map((n) => `review/${n}`),
        );
        const md = new TextDecoder().decode(files['review/report.md']);
        expect(md).toContain('# Review report: eval-e2e');
        expect(md).toMatch(/\*\*Verdict: (pass|FAIL|incomplete)\*\*/);
        expect(md).toContain(`| L1 (mean_l1) | ${l1Text} |`);
        expect(md).toContain('![viz_grid_20](viz_grid_20.png)');
        expect(md).toContain('## Landmarks');
        expect(md).toContain('### Landmark-region sharpness (prediction ÷ X-ray)');
        expect(md).toContain('| 10 | Go | Gonion |');
        expect(md).toContain('The grid figure (viz_grid_20.png, above) draws the ground-truth landmarks');
        const report = JSON.parse(new TextDecoder().decode(files['review/report.json']));
        expect(report.landmarks.sharpness.perLandmark).toHaveLength(19);
        expect(report.landmarks.grid).toBe('viz_grid_20.png');
        expect(report.schema).toBe('ceph-gan-studio/review@1');
        expect(report.metrics.mean_l1).toBeCloseTo(l1, 3);
        expect(report.metrics.per_case).toHaveLength(20);
        expect(report.gate.status).toBe(ev.gate);
        expect(report.environment.selection.backend).toBe('webgpu');
        expect(report.history.length).toBeGreaterThanOrEqual(4);
        const metrics = JSON.parse(new TextDecoder().decode(files['review/val_metrics.json']));
        expect(Object.keys(metrics)).toEqual(
          expect.arrayContaining(['mean_l1', 'mean_psnr', 'mean_ssim', 'n_cases']),
        );
        const zipGrid = decode(files['review/viz_grid_20.png']);
        expect([zipGrid.width, zipGrid.height]).toEqual(size);
        expect(decode(files['review/curves.png']).width).toBeGreaterThan(500);

        // two checkpoints side by side: B = the run's `last` next to A = `best`
        await page.getByTestId('eval-source-b').selectOption(`ckpt:${runId}:last`);
        await poll(
          () => canvas.getAttribute('data-models'),
          (m) => m === '2',
          240_000,
          'the grid with model B beside A',
        );
        // one block of 20 rows (photo | X-ray | A | error A | B | error B) instead of two blocks of 10
        const sizeAB = await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
        expect(sizeAB[1]).toBeGreaterThan(1.8 * size[1]);
        expect(await page.getByTestId('eval-metrics').locator('th', { hasText: 'Mean (B)' }).count()).toBe(1);
        copyFileSync(await s.screenshot('evaluate-ab-en'), '/tmp/evaluate-ab-en.png');

        // 简体中文
        await page.getByRole('button', { name: '简体中文' }).click();
        await page.getByRole('heading', { name: '评估', exact: true }).waitFor();
        expect(await metricsCard.textContent()).toContain('[0,1] 上的平均绝对误差');
        expect(await lmCard.locator('tbody tr[data-landmark="Go"]').textContent()).toContain('下颌角点');
        await page.waitForTimeout(500);
        await lmCard.scrollIntoViewIfNeeded();
        await lmCard.screenshot({ path: '/tmp/evaluate-lm-zh.png' });
        copyFileSync(await s.screenshot('evaluate-zh'), '/tmp/evaluate-zh.png');
        await page.getByRole('button', { name: 'English' }).click();
        await page.getByRole('heading', { name: 'Evaluate', exact: true }).waitFor();

        // --- a generator that never changes: n_epochs 1 + n_epochs_decay 0 with lr_step_at epoch_start
        // puts lr at 0 (the 2020 server's linear policy runs the last epoch at 0) while D and the
        // losses still move ---
        await page.getByRole('tab', { name: 'Train' }).click();
        const frozenId = await shortRun(page, {
          name: 'frozen-lr',
          nEpochs: 1,
          valEvery: 3,
          rounds: 4,
          lrStepAt: 'epoch_start',
        });
        await page.getByRole('tab', { name: 'Evaluate' }).click();
        await page.getByTestId('eval-run').selectOption(frozenId);
        await poll(
          () => evalDebug(page),
          (d) => d.runId === frozenId && d.stuck === true && d.evaluating === null && d.gridCases === 20,
          240_000,
          'the stuck alert of the frozen run',
        );
        const alert = page.getByRole('alert').filter({ hasText: 'Stuck output' });
        expect(await alert.getAttribute('data-kind')).toBe('frozen');
        const items = alert.getByTestId('eval-checklist').locator('tbody tr');
        expect(await items.count()).toBe(5);
        expect(await alert.locator('tr[data-check="lr"]').getAttribute('data-status')).toBe('fail');
        expect(await alert.locator('tr[data-check="losses"]').getAttribute('data-status')).toBe('ok');
        expect(await alert.locator('tr[data-check="input_range"]').getAttribute('data-status')).toBe('ok');
        // the review's findings carry the alert and the failed checklist item
        const findings = page.getByTestId('eval-findings');
        expect(await findings.locator('li[data-finding="stuck"]').count()).toBe(1);
        expect(await findings.locator('li[data-finding="check_lr"]').count()).toBe(1);
        copyFileSync(await s.screenshot('evaluate-stuck-en'), '/tmp/evaluate-stuck-en.png');
        await page.getByRole('button', { name: '简体中文' }).click();
        await page.getByRole('heading', { name: '评估', exact: true }).waitFor();
        expect(await page.getByRole('alert').filter({ hasText: '输出停滞' }).count()).toBe(1);
        await page.waitForTimeout(500);
        copyFileSync(await s.screenshot('evaluate-stuck-zh'), '/tmp/evaluate-stuck-zh.png');
        await page.getByRole('button', { name: 'English' }).click();

        console.log(
          `[e2e] evaluate: first run trained in ${trainS.toFixed(0)} s; whole test ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
            `mean L1 ${l1Text} on [0,1], gate ${ev.gate}, failed ${ev.failures}`,
        );
        s.expectClean();
      } finally {
        await s.close();
      }
    },
  );
});
