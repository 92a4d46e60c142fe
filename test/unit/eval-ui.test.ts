/**
 * The Evaluate view's pure helpers: chart columns from stored rounds, number formats with units,
 * the stuck verdict judged again from stored rounds and its explanation in English and Chinese,
 * the review input assembled from a run record, the Markdown with embedded figures, the grid of
 * two checkpoint evaluations side by side.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { DEFAULT_FAILURE_RULE, failureStats } from '../../src/core/eval/failures';
import { DEFAULT_GATE, evaluateGate } from '../../src/core/eval/gate';
import { newImage } from '../../src/core/eval/raster';
import type { RoundPoint } from '../../src/core/eval/report';
import { roundFromValues, stuckOfStoredRound } from '../../src/core/eval/roundValues';
import {
  STUCK_MESSAGES,
  stuckDetector,
  stuckExplanationText,
  stuckMessage,
  type StuckMessage,
} from '../../src/core/eval/stuck';
import { DICTIONARY } from '../../src/ui/strings';
import type { CheckpointEvaluation } from '../../src/engine/evaluation';
import type { RunRecord } from '../../src/store';
import { flagsByCase, gridOf } from '../../src/ui/evaluate/gridImage';
import {
  buildBundle,
  buildReviewInput,
  markdownWithEmbeddedFigures,
  summaryRounds,
} from '../../src/ui/evaluate/reportDownload';
import { base64, fileSafe, fmt, pct, roundColumns, stuckExplanation } from '../../src/ui/evaluate/view';
import { ISBI_SET } from '../../src/core/data/landmarkSet';
import type { Point } from '../../src/core/image';
import { measurementRows, targetErrors } from '../../src/ui/landmarks/results';
import { tracingReview } from '../../src/ui/landmarks/reportTracings';

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
    // three stored rounds: gradient and maximum frozen at 2.133 / 112.34 while G_L1 falls 14 -> 12
    const rounds = [
      { step: 10, values: { ...values, mean_l1: 0.25, loss_G_L1: 14 } },
      { step: 15, values: { ...values, mean_l1: 0.22, loss_G_L1: 13 } },
      { step: 20, values },
    ];
    const evaluation = roundFromValues(20, 1, values, cfg, rounds.slice(0, 2));
    expect(evaluation.stuck).toMatchObject({ stuck: true, kind: 'frozen' });
    expect(evaluation.stuck.reason).toContain('while training loss G_L1 changed 15.38 % (14 → 12)');
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
    expect(b.markdown).toContain(
      '**STUCK** (frozen): prediction mean gradient 2.133 grey levels/px (0–255 scale, changed 0.00 %)',
    );
    expect(b.markdown).toContain('validation mean L1 0.2500 → 0.2000 (on [0,1]).');
    expect(b.gridPng?.subarray(1, 4)).toEqual(new Uint8Array([0x50, 0x4e, 0x47]));
    const md = markdownWithEmbeddedFigures(b.markdown, { grid: b.gridPng, curves: b.curvesPng });
    expect(md).toMatch(/!\[viz_grid_\d+\]\(data:image\/png;base64,iVBORw0KGgo/);
    expect(md).toContain('![curves](data:image/png;base64,');
    expect(md).not.toMatch(/\]\(viz_grid_\d+\.png\)/);
    // the Chinese report explains in Chinese, with the same numbers and units
    const zhBundle = buildBundle(src, 'zh');
    const zh = zhBundle.markdown;
    expect(zh).toContain('输出停滞检测');
    expect(zh).toContain(
      '**停滞** (frozen): 第 10–20 步（3 轮验证）中，预测图平均梯度 2.133 灰度级/像素（0–255 尺度，变化 0.00 %）',
    );
    expect(zh).toContain(
      '而训练损失 G_L1 变化了 15.38 %（14 → 12）；验证集平均 L1 0.2500 → 0.2000（[0,1] 尺度）。',
    );
    expect(zh).not.toContain('prediction mean gradient');
    expect(zhBundle.findings.find((f) => f.id === 'stuck')?.evidence.zh).toMatch(/^第 10–20 步.*尺度）。$/);
  });

  it('hand tracings of the checkpoint join the report: errors in mm and measurements vs ground truth', async () => {
    const symbols = ISBI_SET.landmarks.map((l) => l.id);
    const gt: Point[] = ISBI_SET.landmarks.map((l) => [l.x * 1935, l.y * 2400]);
    // every landmark traced 10 px (1 mm at 0.1 mm/px) to the right; one assisted tracing never counts
    const traced: Point[] = gt.map(([x, y]) => [x + 10, y]);
    const rec = (caseId: string, assisted: false | 'detector') => ({
      id: caseId,
      datasetId: 'ds',
      caseId,
      target: { kind: 'checkpoint' as const, runId: run.id, name: 'best' },
      points: traced,
      symbols,
      tracer: 'Dr. W',
      createdAt: 0,
      updatedAt: 0,
      assisted,
    });
    const errors = await targetErrors(
      [rec('c1', false), rec('c2', 'detector')],
      symbols,
      0.1,
      async () => gt,
    );
    const rows = [measurementRows('isbi2015', gt, traced, symbols, 0.1)];
    const review = tracingReview(errors, rows, 'isbi2015', ['Dr. W']);
    expect(review?.tracing?.cases).toBe(1);
    expect(review?.tracing?.summary.mreMm).toBeCloseTo(1, 9);
    const sna = review?.measurements?.rows.find((r) => r.id === 'SNA');
    expect(sna?.diff).toBeCloseTo(0, 9); // a pure translation changes no angle
    const evaluation = roundFromValues(20, 1, values, cfg, []);
    const failures = failureStats(evaluation.cases, DEFAULT_FAILURE_RULE);
    const gate = evaluateGate(
      { mean_l1: 0.2, mean_psnr: 15, failure_rate: failures.rate, sharpness_ratio: null },
      DEFAULT_GATE,
    );
    const src = {
      run,
      datasetName: 'd',
      trainCount: 8,
      valCount: 2,
      environment: {},
      evaluation,
      checkpointEval: null,
      comparison: null,
      comparisonLabel: null,
      rounds: [{ step: 20, values }],
      failures,
      gate,
      grid: null,
      tracings: review,
    };
    expect(buildReviewInput(src).landmarks?.tracing?.summary.mreMm).toBeCloseTo(1, 9);
    const md = buildBundle(src, 'en').markdown;
    expect(md).toContain('1 traced case(s) by Dr. W');
    expect(md).toContain('Measurements: tracing vs ground truth');
    expect(buildBundle({ ...src, tracings: null }, 'en').markdown).not.toContain('traced case');
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

describe('the stuck verdict on the page', () => {
  const point = (step: number, over: Record<string, number | null> = {}) => ({
    step,
    values: { ...values, stuck: null, stuck_kind: null, ...over } as Record<string, number | null>,
  });

  it('is judged again from stored rounds; a round without diagnostics reads the stored verdict', () => {
    const earlier = [point(10, { loss_G_L1: 14 }), point(15, { loss_G_L1: 13 })];
    // the judged verdict needs no stored one
    expect(stuckOfStoredRound(20, point(20).values, cfg, earlier)).toMatchObject({
      stuck: true,
      kind: 'frozen',
    });
    expect(stuckOfStoredRound(20, point(20).values, cfg, earlier.slice(1))).toMatchObject({
      stuck: false,
      kind: 'too_few_rounds',
      explanation: [{ key: 'tooFewRounds', params: { k: 3, n: 2 } }],
    });
    // rounds without diagnostics do not count (the engine skips them too)
    const blank = point(12, { pred_grad_mean_255: null, pred_max_255: null });
    expect(stuckOfStoredRound(20, point(20).values, cfg, [earlier[0], blank, earlier[1]]).kind).toBe(
      'frozen',
    );
    // a round of the previous version without diagnostics: its stored verdict is read
    const old = { ...values, pred_grad_mean_255: null, pred_max_255: null, stuck: 1, stuck_kind: 1 };
    expect(stuckOfStoredRound(20, old, cfg, earlier)).toEqual({
      stuck: true,
      kind: 'insensitive',
      reason:
        'verdict recorded with the validation round at step 20 (the round has no image diagnostics to judge again)',
      explanation: [{ key: 'stored', params: { step: 20 } }],
    });
    const none = { ...old, stuck: null, stuck_kind: null };
    expect(stuckOfStoredRound(20, none, cfg, earlier)).toMatchObject({
      stuck: false,
      kind: 'too_few_rounds',
      explanation: [{ key: 'noDiagnostics', params: { step: 20 } }],
    });
  });

  it('follows the learning-rate schedule like the engine (lr 0 in the last epoch is a plateau)', () => {
    const earlier = [point(10, { loss_G_L1: 14 }), point(15, { loss_G_L1: 13 })];
    const last = point(20, { lr_now: 0 }).values;
    const start = { ...cfg, lr_step_at: 'epoch_start' as const };
    const plateau = stuckOfStoredRound(20, last, { ...start, n_epochs: 2, n_epochs_decay: 0 }, earlier);
    expect([plateau.stuck, plateau.kind]).toEqual([false, 'plateau']);
    expect(plateau.explanation.map((m) => m.key)).toEqual(['frozen', 'valL1', 'lrZeroLastEpoch']);
    // lr_step_at epoch_end (the default): lr 0 only past the schedule's end
    const past = stuckOfStoredRound(20, last, { ...cfg, n_epochs: 2, n_epochs_decay: 0 }, earlier);
    expect(past.explanation.map((m) => m.key)).toEqual(['frozen', 'valL1', 'lrZeroPastEnd']);
    const never = stuckOfStoredRound(20, last, { ...start, n_epochs: 1, n_epochs_decay: 0 }, earlier);
    expect([never.stuck, never.kind]).toEqual([true, 'frozen']);
    expect(never.explanation.at(-1)).toEqual({ key: 'lrZeroWholeRun', params: { nEpochs: 1, nDecay: 0 } });
    expect(stuckExplanation(never, 'zh')).toContain(
      '学习率从第一个 epoch 起就是 0（n_epochs 1 + n_epochs_decay 0）',
    );
  });

  it('explains in Simplified Chinese with the numbers and their units; English equals the engine’s reason', () => {
    const history = [1000, 2000, 3000].map((step, r) => ({
      step,
      predGradMean_255: 2.133,
      predMax_255: 112.34,
      losses: { G_L1: 3.84 - 0.5 * r },
      valL1_01: 0.2031,
    }));
    const v = stuckDetector(history, { k: 3, relTol: 0.01 });
    const zh = stuckExplanation(v, 'zh');
    expect(zh).toMatch(/[\u4e00-\u9fff]/);
    for (const part of [
      '2.133 灰度级/像素',
      '0–255 尺度',
      '112.34',
      '第 1000–3000 步',
      'G_L1',
      '3.84 → 2.84',
    ]) {
      expect(zh).toContain(part);
    }
    expect(zh).toContain('验证集平均 L1 0.2031 → 0.2031（[0,1] 尺度）');
    // no English words left (loss names and the [0,1] scale aside)
    expect(zh.replace(/G_L1|L1/g, '')).not.toMatch(/[A-Za-z]{3,}/);
    expect(stuckExplanation(v, 'en')).toBe(v.reason);
    const insensitive = stuckDetector([{ ...history[0], sensitivity_255: 0.02 }], { k: 3, relTol: 0.01 });
    expect(stuckExplanation(insensitive, 'zh')).toBe(
      '输出几乎不随输入变化：第 1000 步时，两张不同照片的预测图平均绝对差仅 0.020 灰度级（0–255 尺度），小于 0.5',
    );
  });

  it('every message key has both templates in the UI dictionary, all placeholders filled', () => {
    const w = {
      grad: '1.000',
      gradChange: '0.00 %',
      max: '99.00',
      maxChange: '0.00 %',
      from: 1,
      to: 3,
      k: 3,
    };
    const all: StuckMessage[] = [
      stuckMessage('insensitive', { sens: '0.010', tol: '0.5', step: 3 }),
      stuckMessage('tooFewRounds', { k: 3, n: 1 }),
      stuckMessage('frozen', { ...w, loss: 'G_L1', lossChange: '9.00 %', lossFrom: '3', lossTo: '2' }),
      stuckMessage('plateau', { ...w, tol: '1.00 %' }),
      stuckMessage('moving', w),
      stuckMessage('valL1', { from: '0.2000', to: '0.1000' }),
      stuckMessage('lrZeroWholeRun', { nEpochs: 1, nDecay: 0 }),
      stuckMessage('lrZeroLastEpoch', {}),
      stuckMessage('lrZeroPastEnd', { last: 10 }),
      stuckMessage('stored', { step: 3 }),
      stuckMessage('noDiagnostics', { step: 3 }),
      stuckMessage('latestRound', { step: 3 }),
    ];
    expect(all.map((m) => m.key).sort()).toEqual(Object.keys(STUCK_MESSAGES).sort());
    for (const m of all) {
      expect(DICTIONARY[`eval.stuck.why.${m.key}`]).toBe(STUCK_MESSAGES[m.key]);
      for (const lang of ['en', 'zh'] as const) {
        const text = stuckExplanation({ explanation: [m] }, lang);
        expect(text, `${m.key} ${lang}`).not.toMatch(/[{}]/);
        expect(text).toBe(stuckExplanationText([m], lang));
      }
      expect(stuckExplanation({ explanation: [m] }, 'zh')).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
