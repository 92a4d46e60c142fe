/**
 * Sweeps in the app (issue 15 acceptance), headless Chromium on the built studio:
 * a 2x2 sweep (lambda_L1 100 / 60 x lambda_grad 0 / 5) on the demo phantom at 64 px, 6 steps per
 * run on wasm (checkpoint every 2 steps, one validation round at the end of each run), queued from the
 * Experiments section; the page is reloaded while run 2 trains (after its step-2 checkpoint), and
 * after the reload the queue resumes run 2 (same run, no duplicate) and all four finish; "Compare
 * these runs" shows the four runs with their differing options, metrics and prediction grids.
 * Screenshots en + zh of the sweep panel and the comparison.
 *
 * Wasm backend (SwiftShader's WebGPU compiles shaders for tens of seconds per kernel set). Measured:
 * 105-208 s at load averages of 14-23 on 2 shared cores (session 5); most of it is CPU wait.
 *
 * Debug hooks (read-only): `window.__studio.sweep` (ui/experiments/sweepQueue.svelte.ts),
 * `window.__studio.train`.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openStudio } from './browser';
import { bothLanguages, debugHook, poll, setOption } from './helpers';

interface SweepDebug {
  id: string;
  paused: boolean;
  done: number;
  progress: { runId: string; step: number; totalSteps: number } | null;
  entries: { index: number; name: string; status: string; runId: string | null; best: number | null }[];
}

interface TrainDebug {
  runId: string | null;
  checkpoints: { name: string; step: number }[];
  messageCodes: string[];
}

const sweep = (page: Page): Promise<SweepDebug | null> => debugHook<SweepDebug | null>(page, 'sweep');
const STEPS = 6;
const BACKEND_WASM = `localStorage.setItem('ceph-gan-studio.backend', 'wasm');`;

describe('Experiments: a sweep queue', () => {
  it(
    'a 2x2 sweep completes, survives a reload mid-queue, and the comparison shows the four runs',
    { timeout: 300_000 },
    async () => {
      const t0 = Date.now();
      const lap = (what: string): void => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
      // wasm: SwiftShader's WebGPU compiles shaders for tens of seconds per new kernel set
      const s = await openStudio({ path: '#/train', initScript: BACKEND_WASM });
      try {
        const { page } = s;
        // the demo phantom, 30 cases (24 train / 6 val), the Demo preset (unet_64, 64 px)
        const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
        await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
        await page.getByLabel('Cases', { exact: true }).fill('30');
        await loadDemo.click();
        await page
          .getByTestId('train-dataset')
          .filter({ hasText: '24 training cases' })
          .waitFor({ timeout: 60_000 });
        lap('demo loaded');
        await page.getByLabel('Preset', { exact: true }).selectOption('demo');
        await page.getByText(/^More options/).click();
        await setOption(page, 'save_every', '2');
        await setOption(page, 'log_every', '1');
        // no traceability detector on these runs (its rounds would only slow the test)
        await page.getByTestId('trace-detector').selectOption('none');

        // Experiments: plan lambda_L1 x lambda_grad, 6 steps per run
        await page.getByRole('tab', { name: 'Experiments' }).click();
        const panel = page.getByTestId('sweep-panel');
        await panel.waitFor({ timeout: 30_000 });
        await expect.poll(() => panel.getByTestId('sweep-base').textContent()).toContain('unet_64');
        const values = panel.getByTestId('sweep-param-values');
        await values.nth(0).fill('100, 60');
        await values.nth(1).fill('0, 5');
        await panel.getByTestId('sweep-steps').fill(String(STEPS));
        const start = panel.getByTestId('sweep-start');
        await expect.poll(() => start.textContent()).toContain('4 runs');
        lap('queued');
        await start.click();

        // reload while run 2 trains, once its step-2 checkpoint is stored and before its end (should
        // its steps be too quick to catch, the same holds for run 3)
        let before: SweepDebug | null = null;
        let cut = -1;
        for (const until = Date.now() + 120_000; Date.now() < until && !before;) {
          const d = await sweep(page);
          const tr = await debugHook<TrainDebug>(page, 'train');
          cut = d?.entries.findIndex((e, i) => i >= 1 && e.status === 'running') ?? -1;
          const runId = cut >= 1 ? d!.entries[cut].runId : null;
          const saved = tr.runId === runId && tr.checkpoints.some((c) => c.name === 'last' && c.step >= 2);
          if (runId && saved && d!.progress?.runId === runId && d!.progress.step < STEPS) before = d;
          else await page.waitForTimeout(25);
        }
        expect(before, 'run 2 (or 3) training after its step-2 checkpoint').not.toBeNull();
        lap(`reload during run ${cut + 1} at step ${before!.progress!.step} of ${STEPS}`);
        await page.reload();
        const cutRun = before!.entries[cut].runId;
        expect(before!.entries[0].status).toBe('done');

        // after the reload the queue continues by itself: the interrupted run resumes from its
        // checkpoint (the Train messages seen meanwhile say so), then the rest
        await page.getByTestId('sweep-panel').waitFor({ timeout: 30_000 });
        const codes = new Set<string>();
        const after = await poll(
          async () => {
            (await debugHook<TrainDebug>(page, 'train')).messageCodes.forEach((c) => codes.add(c));
            return sweep(page);
          },
          (d) => d !== null && d.entries.every((e) => e.status === 'done'),
          120_000,
          'all four runs done after the reload',
        );
        lap('all done');
        expect(after!.entries[cut].runId).toBe(cutRun);
        expect([...codes]).toContain('engine.resume.fromCheckpoint');
        expect(new Set(after!.entries.map((e) => e.runId)).size).toBe(4);
        expect(after!.entries.every((e) => typeof e.best === 'number' && e.best > 0 && e.best < 1)).toBe(
          true,
        );
        const rows = page.getByTestId('sweep-entry');
        await expect.poll(() => rows.count()).toBe(4);
        await expect.poll(() => rows.nth(3).textContent()).toContain('lambda_L1 = 60, lambda_grad = 5');
        await expect.poll(() => rows.nth(0).textContent()).toMatch(/val L1 0\.\d{4} \(on \[0,1\]\)/);

        // the comparison: four runs, their differing options, metrics and grids
        await page.getByTestId('sweep-compare').click();
        const table = page.getByTestId('compare-table');
        await expect.poll(() => table.getByTestId('compare-row').count(), { timeout: 30_000 }).toBe(4);
        lap('compare rows');
        const head = (await table.locator('thead').textContent()) ?? '';
        expect(head).toContain('lambda_L1');
        expect(head).toContain('lambda_grad');
        // best / last val L1 on [0,1] once the runs' histories are read
        await expect
          .poll(async () => (await table.textContent()) ?? '', { timeout: 20_000 })
          .toMatch(/0\.\d{4}/);
        const grid = page.getByTestId('compare-grid');
        await expect.poll(() => grid.getByTestId('compare-grid-col').count(), { timeout: 60_000 }).toBe(4);
        await expect
          .poll(() => grid.getAttribute('data-cases').then(Number), { timeout: 10_000 })
          .toBeGreaterThan(0);

        lap('grid done');
        await bothLanguages(page, page.getByTestId('sweep-panel'), 'sweep-panel', async () => {
          expect(await page.getByTestId('sweep-panel').textContent()).toContain('比较这些训练');
        });
        await bothLanguages(page, page.getByTestId('compare-panel'), 'sweep-compare');
        // the sample-size study form (nested subsets of the 24 training cases, steps held equal)
        await page.getByRole('radio', { name: 'Sample-size study' }).check();
        await page.getByTestId('study-sizes').fill('6, 12, all');
        await page.getByTestId('study-amount').fill('60');
        await expect.poll(() => page.getByTestId('sweep-start').textContent()).toContain('3 runs');
        await bothLanguages(page, page.getByTestId('sweep-form'), 'sweep-study-form');
        s.expectClean();
        console.log(`sweep e2e: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        await s.close();
      }
    },
  );
});
