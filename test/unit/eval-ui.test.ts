/**
 * The Evaluate view's pure helpers: chart columns from stored rounds, number formats with units,
 * the review input assembled from a run record, the Markdown with embedded figures, the grid of
 * two checkpoint evaluations side by side.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { DEFAULT_FAILURE_RULE, failureStats } from '../../src/core/eval/failures';
import { DEFAULT_GATE, evaluateGate } from '../../src/core/eval/gate';
import { newImage } from '../../src/core/eval/raster';
import type { RoundPoint } from '../../src/core/eval/report';
import { roundFromValues } from '../../src/core/eval/roundValues';
import type { CheckpointEvaluation } from '../../src/engine/evaluation';
import type { RunRecord } from '../../src/store';
import { flagsByCase, gridOf } from '../../src/ui/evaluate/gridImage';
import {
  buildBundle,
  buildReviewInput,
  markdownWithEmbeddedFigures,
  summaryRounds,
} from '../../src/ui/evaluate/reportDownload';
import { base64, fileSafe, fmt, pct, roundColumns } from '../../src/ui/evaluate/view';

const cfg = { ...DEFAULT_CONFIG, size: 64, netG: 'unet_64' as const };

const values = {
  mean_l1: 0.2,
  median_l1: 0.19,
  mean_psnr: 15.85,
  median_psnr: 16,
  mean_ssim: 0.4,
  median_ssim: 0.41,
  n_cases: 2,
  pred_grad_mean_255: 2.133,
  target_grad_mean_255: 3.9,
  pred_max_255: 112.34,
  target_max_255: 250,
  sharpness_ratio: 2.133 / 3.9,
  train_l1: 0.04,
  gap_ratio: 5,
  stuck: 1,
  stuck_kind: 2,
  'case:a:l1_01': 0.1,
  'case:a:psnr_db': 20,
  'case:a:ssim': 0.5,
  'case:a:sharpness_ratio': 0.8,
  'case:b:l1_01': 0.3,
  'case:b:psnr_db': 12,
  'case:b:ssim': 0.3,
  'case:b:sharpness_ratio': 0.3,
  loss_G_L1: 12,
  loss_G_GAN: 0.8,
  loss_D_real: 0.6,
  loss_D_fake: 0.5,
};

describe('view helpers', () => {
  it('chart columns, formats, names', () => {
    const rounds: RoundPoint[] = [
      { step: 5, values: { mean_l1: 0.3, gap_ratio: null } },
      { step: 10, values: { mean_l1: 0.2, gap_ratio: 2.5 } },
      { step: 15, values: { mean_l1: NaN } },
    ];
    expect(roundColumns(rounds, ['mean_l1', 'gap_ratio'])).toEqual([
      [5, 10, 15],
      [0.3, 0.2, null],
      [null, 2.5, null],
    ]);
    expect([fmt(0.203312), fmt(15.852553), fmt(null), fmt(Infinity), fmt(0.00012), fmt(2.1331, 3)]).toEqual([
      '0.2033',
      '15.85',
      '–',
      '∞',
      '1.20e-4',
      '2.13',
    ]);
    expect([pct(25 / 80), pct(NaN)]).toEqual(['31.3 %', '–']);
    expect(fileSafe('small 80 cases / 512 px')).toBe('small_80_cases_512_px');
    expect(base64(new Uint8Array([104, 105]))).toBe('aGk=');
  });
});

describe('review from the view', () => {
  const run: RunRecord = {
    id: 'run-1',
    name: 'small',
    datasetId: 'demo-100-1',
    config: cfg,
    preprocessing: { mode: 'letterbox', size: 64, pad: 'constant', padColor: [0, 0, 0], roi: null },
    backend: 'webgpu',
    adapter: 'google / swiftshader (fallback)',
    status: 'finished',
    startedAt: 0,
    updatedAt: 0,
    heartbeatAt: 0,
    durationMs: 60_000,
    step: 20,
    epoch: 1,
    lastMetrics: null,
    best: null,
    checkpointNames: ['best', 'last'],
    historyCounts: { val: 2 },
    error: null,
  };

  it('a stored round becomes a review with its stuck verdict, findings and files', () => {
    const evaluation = roundFromValues(20, 1, values, cfg);
    expect(evaluation.stuck).toMatchObject({ stuck: true, kind: 'frozen' });
    expect(evaluation.cases.map((c) => c.id)).toEqual(['a', 'b']);
    const failures = failureStats(evaluation.cases, DEFAULT_FAILURE_RULE);
    expect(failures.label).toBe('1/2');
    const gate = evaluateGate(
      {
        mean_l1: 0.2,
        mean_psnr: 15.85,
        failure_rate: failures.rate,
        sharpness_ratio: evaluation.diagnosis?.sharpnessRatio ?? null,
      },
      DEFAULT_GATE,
    );
    const rounds = [
      { step: 10, values: { ...values, mean_l1: 0.25 } },
      { step: 20, values },
    ];
    const src = {
      run,
      datasetName: 'Demo phantom dataset',
      trainCount: 80,
      valCount: 20,
      environment: { backend: 'webgpu' },
      evaluation,
      checkpointEval: null,
      comparison: null,
      comparisonLabel: null,
      rounds,
      failures,
      gate,
      grid: newImage(40, 30),
    };
    const input = buildReviewInput(src, new Date('2026-02-21T18:00:00Z'));
    expect(input.rounds[1].values['case:a:l1_01']).toBeUndefined();
    expect(summaryRounds(rounds)[0].values.mean_l1).toBe(0.25);
    expect(input.checkpoint).toBeNull();
    const b = buildBundle(src, 'en', new Date('2026-02-21T18:00:00Z'));
    expect(b.findings.map((f) => f.id)).toEqual(['gate', 'stuck', 'oversmooth', 'gap']);
    expect(b.markdown).toContain('**STUCK** (frozen)');
    expect(b.gridPng?.subarray(1, 4)).toEqual(new Uint8Array([0x50, 0x4e, 0x47]));
    const md = markdownWithEmbeddedFigures(b.markdown, { grid: b.gridPng, curves: b.curvesPng });
    expect(md).toContain('![viz_grid_20](data:image/png;base64,iVBORw0KGgo');
    expect(md).toContain('![curves](data:image/png;base64,');
    expect(md).not.toContain('](viz_grid_20.png)');
    const zh = buildBundle(src, 'zh').markdown;
    expect(zh).toContain('输出停滞检测');
  });

  it('grids A | B side by side on the cases of A; flags as a map', () => {
    const img = (g: number) => newImage(8, 8, [g, g, g]);
    const evalOf = (name: string, ids: string[], grey: number): CheckpointEvaluation =>
      ({
        checkpoint: name,
        step: 10,
        runId: 'run-1',
        grid: ids.map((id) => ({ id, photo: img(10), xray: img(100), prediction: img(grey) })),
        cases: ids.map((id) => ({ id, l1_01: 0.1 })),
      }) as unknown as CheckpointEvaluation;
    const a = evalOf('best', ['x', 'y'], 50);
    const b = evalOf('last', ['y'], 60);
    const one = gridOf(a, null, (e) => e.checkpoint ?? '', 'run');
    const two = gridOf(a, b, (e) => e.checkpoint ?? '', 'run');
    expect(one && two && two.width > one.width).toBe(true);
    expect(gridOf(null, null, () => '', 'run')).toBeNull();
    expect(gridOf(null, b, () => '', 'run')).not.toBeNull();
    expect(flagsByCase([{ id: 'x', flags: [{ code: 'ruler' }, { code: 'too-dark' }] }]).get('x')).toEqual([
      'ruler',
      'too-dark',
    ]);
  });
});
