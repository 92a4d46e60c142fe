/**
 * Traceability end to end (issue 13 acceptance), headless Chromium, engine in its Worker, WebGPU on
 * SwiftShader:
 *  1. on the demo phantom (100 cases -> 20 val), the Landmarks section's detector panel trains a
 *     tiny detector (quick preset, 64 px, one epoch) in the worker;
 *  2. a short GAN run on the same demo (32 px, ngf = ndf = 4, 20 steps, a validation round every
 *     5 steps) is scored by that detector at every round, and its `best` checkpoint is chosen by
 *     the lowest traceability MRE: the Train view's traceability curve gets one point per round
 *     and the run's history says which step was best by it;
 *  3. Evaluate opens the best checkpoint and shows the traceability table computed by the demo
 *     detector: the floor (detector on the real X-ray), the synthetic row (detector on the
 *     prediction), per landmark and the measurement agreement (SNA, SNB, ANB … in degrees / mm),
 *     and the gate judges traceability MRE.
 * Screenshots (English and 简体中文): test-results/e2e/trace-*.png.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openStudio } from './browser';
import { bothLanguages, debugHook, poll, setOption } from './helpers';

interface DetDebug {
  detectors: { key: string; name: string; status: string | null; heldOutMre: number | null }[];
  activeId: string | null;
  error: string | null;
}
interface TrainDebug {
  phase: string;
  activeRunId: string | null;
  valPoints: number;
  checkpoints: { name: string; step: number }[];
}
interface EvalDebug {
  runId: string | null;
  source: string;
  gridCases: number;
  evaluating: string | null;
}

const trainDebug = (page: Page): Promise<TrainDebug> => debugHook<TrainDebug>(page, 'train');

describe('Traceability: a detector trained on the demo scores a demo run', () => {
  it(
    'scores every validation round, picks the best checkpoint by traceability MRE and shows the table in Evaluate',
    { timeout: 1_800_000 },
    async () => {
      const s = await openStudio({ path: '#/train', viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      s.page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
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

        // ----- 1. a detector trained on the demo, in the worker -----
        await page.getByRole('tab', { name: 'Landmarks' }).click();
        await page.locator('[data-testid="det-panel"][data-loaded="true"]').waitFor({ timeout: 120_000 });
        await page.getByTestId('det-preset').selectOption('quick');
        await page.getByTestId('det-epochs').fill('1');
        await page.getByTestId('det-start').click();
        const det = await poll(
          () => debugHook<DetDebug>(page, 'detector'),
          (d) =>
            d.error !== null ||
            d.detectors.some((x) => x.status === 'failed') ||
            (d.activeId === null &&
              d.detectors.some((x) => x.key.startsWith('stored:') && x.status === 'finished')),
          600_000,
          'the demo detector to finish',
        );
        expect(det.error).toBeNull();
        const mine = det.detectors.find((x) => x.key.startsWith('stored:') && x.status === 'finished')!;
        expect(mine.heldOutMre).toBeGreaterThan(0);
        const tDet = (Date.now() - t0) / 1000;

        // ----- 2. a GAN run scored by it, best by traceability MRE -----
        await page.getByRole('tab', { name: 'Train' }).click();
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        if (!(await page.getByLabel('val_every', { exact: true }).isVisible()))
          await page.getByText(/^More options/).click();
        await page.getByLabel('netG', { exact: true }).selectOption('unet_32');
        await setOption(page, 'size', '32');
        await setOption(page, 'ngf', '4');
        await setOption(page, 'ndf', '4');
        await setOption(page, 'batch_size', '8');
        await setOption(page, 'n_epochs', '2');
        await setOption(page, 'n_epochs_decay', '0');
        await setOption(page, 'val_every', '5');
        await setOption(page, 'save_every', '10');
        await setOption(page, 'log_every', '1');
        await page.getByTestId('trace-detector').selectOption(mine.key, { timeout: 30_000 });
        await page
          .locator('label', { hasText: 'Keep the “best” checkpoint by' })
          .locator('select')
          .selectOption('traceMre');
        await page.getByLabel('Run name', { exact: true }).fill('trace-e2e');
        await page.getByRole('button', { name: 'Start training' }).click();
        const started = await poll(
          () => trainDebug(page),
          (d) => d.activeRunId !== null,
          120_000,
          'the run to start',
        );
        const runId = started.activeRunId as string;
        const tRun = Date.now();
        const done = await poll(
          () => trainDebug(page),
          (d) => d.activeRunId === null && d.phase === 'ready' && d.valPoints >= 4,
          900_000,
          'the run to finish with 4 validation rounds',
        );
        const runS = (Date.now() - tRun) / 1000;
        expect(done.checkpoints.some((c) => c.name === 'best')).toBe(true);
        // the traceability curve: one point per validation round
        const traceWrap = page.getByTestId('chart-trace-wrap');
        expect(Number(await traceWrap.getAttribute('data-points'))).toBeGreaterThanOrEqual(4);
        await bothLanguages(page, traceWrap, 'trace-train-curve');
        // the run history says the best checkpoint was chosen by the traceability MRE (in mm)
        const runRow = page.getByTestId('run-history').locator(`tr[data-run="${runId}"]`);
        await expect
          .poll(() => runRow.textContent(), { timeout: 30_000 })
          .toMatch(/val traceability MRE[^·]* mm at step \d+/i);
        // ----- 3. Evaluate: the traceability table of the best checkpoint -----
        await page.getByRole('tab', { name: 'Evaluate' }).click();
        await page.getByRole('heading', { name: 'Evaluate', exact: true }).waitFor();
        const ev = await poll(
          () => debugHook<EvalDebug>(page, 'evaluate'),
          (d) => d.runId === runId && d.gridCases > 0 && d.evaluating === null,
          300_000,
          'the best checkpoint evaluation',
        );
        expect(ev.source).toMatch(/^ckpt:.*:best$/);
        const card = page.getByTestId('eval-traceability');
        await card.getByTestId('eval-trace-summary').waitFor({ timeout: 300_000 });
        const floor = await card.getByTestId('eval-trace-floor-mre').textContent();
        const synth = await card.getByTestId('eval-trace-synthetic-mre').textContent();
        expect(floor).toMatch(/^\d+\.\d+ mm$/);
        expect(synth).toMatch(/^\d+\.\d+ mm$/);
        expect(await card.getByTestId('eval-trace-explain').textContent()).toContain(mine.name);
        expect(await card.getByTestId('eval-trace-landmarks').locator('tbody tr').count()).toBe(19);
        const meas = card.getByTestId('eval-trace-measurements');
        const measText = (await meas.textContent()) ?? '';
        for (const m of ['SNA', 'SNB', 'ANB']) expect(measText).toContain(m);
        expect(measText).toMatch(/°/);
        // the gate judges traceability MRE (≤ 2 mm)
        const gate = page.getByTestId('eval-gate');
        expect(await gate.textContent()).toMatch(/traceability|Traceability/);
        await bothLanguages(page, card, 'trace-eval-card');
        console.log(
          `[e2e] traceability: detector ${mine.name} (val MRE ${mine.heldOutMre?.toFixed(2)} mm) in ${tDet.toFixed(0)} s; ` +
            `run of 20 steps + 4 scored rounds in ${runS.toFixed(0)} s; best checkpoint floor ${floor}, synthetic ${synth}`,
        );
        expect(errors.filter((e) => /device|mapAsync|createBuffer/i.test(e))).toEqual([]);
        expect(s.foreignRequests).toEqual([]);
      } finally {
        await s.close();
      }
    },
  );
});
