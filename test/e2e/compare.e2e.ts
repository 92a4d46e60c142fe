/**
 * The run comparison in the Experiments section on stored runs, without training (fast): four
 * runs of a sample-size study are written into the runs database as a study queue would leave
 * them (records with `sweep.subset`, `val` and `train` histories, no checkpoints), then picked in
 * the panel. Checks the table (one row per run, the differing `train_subset` column, metrics with
 * units), the study chart with its reading and "equal steps", the overlaid curves, the Markdown
 * and CSV exports; screenshots en + zh. The grid with real predictions is covered by the sweep e2e
 * (sweep.e2e.ts) on trained runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { openStudio } from './browser';
import { bothLanguages, debugHook, poll } from './helpers';

interface CompareDebug {
  selected: string[];
  rows: number;
  differing: string[];
  study: boolean;
  verdict: string | null;
}

const SIZES = [10, 20, 40, 80];

/** Run records and histories of a finished 4-size study (val L1 falls by ~0.02 per doubling). */
function studyRuns(): { records: unknown[]; hist: [string, unknown][] } {
  const records: unknown[] = [];
  const hist: [string, unknown][] = [];
  const t0 = Date.parse('2026-12-06T15:00:00Z');
  SIZES.forEach((n, i) => {
    const id = `run00study${i}`;
    const l1 = 0.16 - 0.02 * i;
    records.push({
      id,
      name: `study-${n}`,
      datasetId: 'demo-100-1',
      config: { ...DEFAULT_CONFIG, size: 64, netG: 'unet_64', train_subset: n },
      preprocessing: { mode: 'letterbox', size: 64 },
      backend: 'wasm',
      adapter: null,
      status: 'finished',
      startedAt: t0 + i * 60_000,
      updatedAt: t0 + i * 60_000 + 50_000,
      heartbeatAt: t0 + i * 60_000 + 50_000,
      durationMs: 40_000 + 2000 * i,
      step: 200,
      epoch: Math.ceil(200 / Math.max(1, n / 8)),
      lastMetrics: null,
      best: { metric: 'mean_l1', value: l1, step: 200, epoch: 1 },
      checkpointNames: [],
      historyCounts: { val: 4, train: 200 },
      error: null,
      sweep: {
        id: 'sw-e2e',
        name: 'study e2e',
        index: i,
        vary: { train_subset: n },
        subset: { size: n, of: 80 },
      },
    });
    const val = [50, 100, 150, 200].map((step, k) => {
      const v = l1 + 0.06 * (3 - k) * (1 / (k + 1));
      return {
        step,
        epoch: 1,
        timeMs: t0 + step * 100,
        values: {
          mean_l1: v,
          mean_psnr: 22 - 40 * (v - 0.1),
          mean_ssim: 0.4 + 0.05 * i,
          sharpness_ratio: 0.45 + 0.08 * i,
          pred_grad_mean_255: 1.8 + 0.3 * i,
          pred_max_255: 150 + 20 * i,
          lm_sharp: 0.4 + 0.07 * i,
          train_l1: v * (0.4 + 0.12 * i),
          gap_ratio: 1 / (0.4 + 0.12 * i),
        },
      };
    });
    const train = Array.from({ length: 200 }, (_, s) => ({
      step: s + 1,
      epoch: 1,
      timeMs: t0 + s * 100,
      values: {
        G_GAN: 0.7 + 0.1 * Math.sin(s / 7),
        G_L1: (100 * (0.3 - 0.02 * i)) / Math.sqrt(1 + s / 20),
        D_real: 0.6,
        D_fake: 0.55,
      },
    }));
    hist.push([`hist/${id}/val/000000`, val], [`hist/${id}/train/000000`, train]);
    hist.push([`run/${id}`, records[i]]);
  });
  return { records, hist };
}

describe('run comparison (Experiments)', () => {
  it(
    'compares four stored study runs: table, study chart and reading, curves, exports',
    { timeout: 120_000 },
    async () => {
      const t0 = Date.now();
      const s = await openStudio({ path: '#/experiments', viewport: { width: 1280, height: 1000 } });
      try {
        const { page } = s;
        await page.getByTestId('compare-panel').waitFor();
        // the app has created its databases: write the study's runs as a queue would leave them
        await poll(
          () => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name)),
          (names) => names.includes('ceph-gan-studio-runs'),
          30_000,
          'the runs database',
        );
        const { hist } = studyRuns();
        await page.evaluate(async (entries) => {
          const db = await new Promise<IDBDatabase>((res, rej) => {
            const r = indexedDB.open('ceph-gan-studio-runs');
            r.onsuccess = () => res(r.result);
            r.onerror = () => rej(r.error as Error);
          });
          await new Promise<void>((res, rej) => {
            const tx = db.transaction('kv', 'readwrite');
            for (const [k, v] of entries) tx.objectStore('kv').put(v, k);
            tx.oncomplete = () => res();
            tx.onerror = () => rej(tx.error as Error);
          });
          db.close();
        }, hist);
        await page.reload();
        await page.getByTestId('compare-pick').nth(3).waitFor({ timeout: 30_000 });
        for (let i = 0; i < 4; i++) await page.getByTestId('compare-pick').nth(i).check();

        const d = await poll(
          () => debugHook<CompareDebug>(page, 'compare'),
          (x) => x.rows === 4 && x.study,
          30_000,
          'four rows and the study',
        );
        expect(d.differing).toEqual(['train_subset']);
        expect(d.verdict).toBe('collect_more');
        const table = page.getByTestId('compare-table');
        expect(await table.getByTestId('compare-row').count()).toBe(4);
        const head = (await table.locator('thead').textContent()) ?? '';
        expect(head).toContain('train_subset');
        expect(head).toContain('best val L1 (on [0,1])');
        expect(head).toContain('pred. mean gradient (0-255)');
        // rows in the study's order, smallest subset first, with its value
        expect(
          await table
            .getByTestId('compare-row')
            .first()
            .locator('[data-col="config.train_subset"]')
            .textContent(),
        ).toBe('10');

        const study = page.getByTestId('study-chart');
        expect(await study.getAttribute('data-verdict')).toBe('collect_more');
        expect(await page.getByTestId('study-held').textContent()).toContain('Held equal: steps (200)');
        expect(await page.getByTestId('study-reading').textContent()).toContain('Still improving with data');
        expect(await study.locator('canvas').count()).toBeGreaterThanOrEqual(4);
        expect(await page.getByTestId('compare-curves').locator('canvas').count()).toBeGreaterThanOrEqual(2);
        // no checkpoints stored: the grid says so instead of predicting
        await page.getByTestId('compare-grid').getByText('no checkpoint').first().waitFor();

        // exports
        const [md] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('compare-export-md').click(),
        ]);
        const mdText = readFileSync((await md.path()) as string, 'utf8');
        expect(mdText).toContain('## Run comparison (4 runs)');
        expect(mdText).toContain('Every run trained the same number of steps (200)');
        expect(mdText).toContain('| study-10 | 10 |');
        const [csv] = await Promise.all([
          page.waitForEvent('download'),
          page.getByTestId('compare-export-csv').click(),
        ]);
        const csvLines = readFileSync((await csv.path()) as string, 'utf8')
          .trim()
          .split('\n');
        expect(csvLines).toHaveLength(5);
        expect(csvLines[0].split(',').slice(0, 2)).toEqual(['run', 'train_subset']);

        await bothLanguages(page, page.getByTestId('compare-panel'), 'compare-study', async () => {
          expect(await page.getByTestId('study-held').textContent()).toContain('保持相同：步数（200）');
          expect(await page.getByTestId('study-verdict').textContent()).toBe('继续收集数据');
        });
        s.expectClean();
        console.log(`[e2e] compare: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } finally {
        await s.close();
      }
    },
  );
});
