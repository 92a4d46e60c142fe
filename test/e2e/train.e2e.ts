/**
 * The Train section in headless Chromium, training in the engine's Worker on WebGPU (SwiftShader):
 * load the demo dataset, choose the Demo preset (logging every step), Start; after 20 steps every
 * loss series has >= 20 points and a `last` checkpoint exists; the page has no long task over
 * 100 ms during 30 s of training (PerformanceObserver 'longtask', registered after startup);
 * Pause and Resume (paused: screenshots en/zh, the button reads Resume / 继续); reload -> the run is shown
 * interrupted -> Recover interrupted run goes on from the checkpoint's step and losses keep coming; Stop.
 * Screenshots in English and 简体中文.
 *
 * Read-only debug hook used for counts: `window.__studio.train` (see ui/train/trainState.svelte.ts).
 */
import { copyFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openStudio } from './browser';

interface TrainDebug {
  phase: string;
  runId: string | null;
  activeRunId: string | null;
  step: number | null;
  seriesCounts: Record<string, number>;
  lrPoints: number;
  checkpoints: { name: string; step: number }[];
  home: string | null;
  backend: string | null;
  previewStep: number | null;
}

interface LongTask {
  start: number;
  duration: number;
  attribution: string[];
}

const debug = (page: Page): Promise<TrainDebug> =>
  page.evaluate(() => (window as unknown as { __studio: { train: TrainDebug } }).__studio.train);

async function waitFor(
  page: Page,
  pred: (d: TrainDebug) => boolean,
  timeoutMs: number,
  what: string,
): Promise<TrainDebug> {
  const t0 = Date.now();
  let last: TrainDebug | undefined;
  while (Date.now() - t0 < timeoutMs) {
    last = await debug(page);
    if (pred(last)) return last;
    await page.waitForTimeout(500);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last state ${JSON.stringify(last)}`);
}

const minCount = (d: TrainDebug): number => Math.min(...Object.values(d.seriesCounts));

describe('Train section', () => {
  it('trains in the worker with live curves, checkpoints, pause/resume, recover after reload, and stop', async () => {
    const s = await openStudio({ path: '#/train' });
    try {
      const { page } = s;
      const loadDemo = page.getByRole('button', { name: 'Load demo dataset' });
      await expect.poll(() => loadDemo.isEnabled(), { timeout: 120_000 }).toBe(true);
      await page.getByLabel('Cases', { exact: true }).fill('30');
      await loadDemo.click();
      await page
        .getByTestId('train-dataset')
        .filter({ hasText: '24 training cases' })
        .waitFor({ timeout: 60_000 });

      await page.getByLabel('Preset', { exact: true }).selectOption('demo');
      // the Demo preset logs every 5 steps; log every step so 20 steps give 20 points per series
      await page.getByText(/^More options/).click();
      await page.getByLabel('log_every', { exact: true }).fill('1');
      await page.getByLabel('log_every', { exact: true }).blur();
      await expect.poll(() => page.getByTestId('memory-estimate').getAttribute('data-fits')).toBe('true');

      await page.getByRole('button', { name: 'Start training' }).click();
      const first = await waitFor(
        page,
        (d) => (d.step ?? 0) >= 2 && minCount(d) >= 2,
        120_000,
        'the first steps',
      );
      expect(first.home).toBe('worker');
      expect(first.backend).toBe('webgpu');
      expect(await page.getByTestId('train-home').getAttribute('data-home')).toBe('worker');
      const runId = first.activeRunId;
      expect(runId).toMatch(/^run/);

      // long tasks on the page from now on (startup, shader warm-up and the first steps are past)
      const observedAt = Date.now();
      await page.evaluate(() => {
        const w = window as unknown as { __longTasks: LongTask[] };
        w.__longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            const attr =
              (e as PerformanceEntry & { attribution?: { containerType?: string; name?: string }[] })
                .attribution ?? [];
            w.__longTasks.push({
              start: e.startTime,
              duration: e.duration,
              attribution: attr.map((a) => `${a.name ?? ''}:${a.containerType ?? ''}`),
            });
          }
        }).observe({ type: 'longtask' });
      });

      // >= 20 steps: every loss series has >= 20 points and `last` was saved (save_every 20)
      const t20 = Date.now();
      const at20 = await waitFor(
        page,
        (d) => minCount(d) >= 20 && d.checkpoints.some((c) => c.name === 'last'),
        420_000,
        '20 logged steps and a last checkpoint',
      );
      const secondsFor20 = (Date.now() - t20) / 1000;
      expect(Object.keys(at20.seriesCounts).sort()).toEqual(
        ['D_fake', 'D_real', 'G_GAN', 'G_L1', 'G_fm', 'G_grad', 'G_lap', 'G_ssim'].sort(),
      );
      expect(at20.lrPoints).toBeGreaterThanOrEqual(20);
      await expect
        .poll(() => page.locator('[data-testid="checkpoint-list"] tr[data-checkpoint="last"]').count())
        .toBe(1);
      expect(at20.previewStep).not.toBeNull();
      const speed = await page.getByTestId('train-speed').textContent();
      const gpu = await page.getByTestId('train-gpu-mem').textContent();
      console.log(
        `[e2e] 20 steps in ~${secondsFor20.toFixed(0)} s after warm-up; speed ${speed?.trim()}; GPU memory ${gpu}`,
      );
      expect(gpu).toMatch(/MiB|GiB/);

      // at least 30 s of training under observation
      const left = 30_000 - (Date.now() - observedAt);
      if (left > 0) await page.waitForTimeout(left);
      const tasks = await page.evaluate(() => (window as unknown as { __longTasks: LongTask[] }).__longTasks);
      const observedS = (Date.now() - observedAt) / 1000;
      console.log(
        `[e2e] long tasks during ${observedS.toFixed(0)} s of training: ${tasks.length} ` +
          `(max ${Math.max(0, ...tasks.map((t) => t.duration)).toFixed(0)} ms) ${JSON.stringify(tasks)}`,
      );
      expect(tasks.filter((t) => t.duration > 100)).toEqual([]);
      // screenshots only now: a full-page capture resizes the viewport (a long task of its own)
      copyFileSync(await s.screenshot('train-en'), '/tmp/train-en.png');

      // 简体中文 while training
      await page.getByRole('button', { name: '简体中文' }).click();
      await page.getByRole('heading', { name: '训练', exact: true }).waitFor();
      await page.waitForTimeout(600);
      copyFileSync(await s.screenshot('train-zh'), '/tmp/train-zh.png');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('heading', { name: 'Train', exact: true }).waitFor();

      // Pause: the step counter stands still; Resume: it moves again
      await page.getByRole('button', { name: 'Pause' }).click();
      await expect
        .poll(() => page.getByTestId('train-phase').getAttribute('data-phase'), { timeout: 60_000 })
        .toBe('paused');
      const pausedAt = (await debug(page)).step ?? 0;
      await page.waitForTimeout(4000);
      expect((await debug(page)).step).toBe(pausedAt);
      expect(await page.locator(`tr[data-run="${runId}"]`).getAttribute('data-status')).toBe('paused');
      copyFileSync(await s.screenshot('train-paused-en'), '/tmp/train-paused-en.png');
      await page.getByRole('button', { name: '简体中文' }).click();
      await page.getByRole('button', { name: '继续', exact: true }).waitFor();
      copyFileSync(await s.screenshot('train-paused-zh'), '/tmp/train-paused-zh.png');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('button', { name: 'Resume', exact: true }).click();
      await waitFor(page, (d) => (d.step ?? 0) > pausedAt, 60_000, 'steps after Resume');

      // reload: the run is interrupted; Recover interrupted run goes on from its last checkpoint
      const beforeReload = await debug(page);
      const ckptStep = beforeReload.checkpoints.find((c) => c.name === 'last')?.step ?? 0;
      expect(ckptStep).toBeGreaterThanOrEqual(20);
      await page.reload();
      const row = page.locator(`tr[data-run="${runId}"]`);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('interrupted');
      await expect.poll(() => row.getByTestId('run-status').textContent()).toBe('interrupted');
      const recover = row.getByRole('button', { name: /^Recover interrupted run / });
      await expect.poll(() => recover.isEnabled(), { timeout: 120_000 }).toBe(true);
      copyFileSync(await s.screenshot('train-interrupted-en'), '/tmp/train-interrupted-en.png');
      await page.getByRole('button', { name: '简体中文' }).click();
      await row.getByRole('button', { name: /^从最近的检查点恢复中断的训练 / }).waitFor();
      copyFileSync(await s.screenshot('train-interrupted-zh'), '/tmp/train-interrupted-zh.png');
      await page.getByRole('button', { name: 'English' }).click();
      await recover.click();
      // the counter continues from the checkpoint (never from 0) and new losses arrive
      const steps: number[] = [];
      const resumed = await waitFor(
        page,
        (d) => {
          if (d.step !== null) steps.push(d.step);
          return d.activeRunId === runId && (d.step ?? 0) > ckptStep + 2 && minCount(d) > ckptStep + 2;
        },
        240_000,
        'steps after recovering',
      );
      expect(Math.min(...steps)).toBeGreaterThanOrEqual(ckptStep);
      expect(resumed.runId).toBe(runId);
      console.log(
        `[e2e] recovered from step ${ckptStep}; now at step ${resumed.step} with ${minCount(resumed)} points per series`,
      );

      // stop: saves `last`, the run is stopped
      await page.getByRole('button', { name: 'Stop' }).click();
      await expect
        .poll(() => page.getByTestId('train-phase').getAttribute('data-phase'), { timeout: 120_000 })
        .toBe('ready');
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('stopped');
      await expect
        .poll(async () => (await debug(page)).checkpoints.find((c) => c.name === 'last')?.step ?? 0, {
          timeout: 30_000,
        })
        .toBeGreaterThan(ckptStep);
      // the curves are whole: one point per step (log_every 1), none lost or doubled around the resume
      const end = await debug(page);
      const lastStep = end.checkpoints.find((c) => c.name === 'last')?.step;
      expect(Object.values(end.seriesCounts).every((n) => n === lastStep)).toBe(true);
      s.expectClean();
    } finally {
      await s.close();
    }
  }, 900_000);
});
