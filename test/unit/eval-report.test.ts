/**
 * The checklist answers and the review report's findings with hand-made evaluations: which rule
 * fires on which evidence, what the Markdown (English and 简体中文) and the JSON contain, and
 * the ZIP bundle's files.
 */
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/core/config';
import { stuckChecklist, type ChecklistInputs } from '../../src/core/eval/checklist';
import type { Diagnosis, ImageStats } from '../../src/core/eval/diagnostics';
import { DEFAULT_FAILURE_RULE, failureStats, type CaseScore } from '../../src/core/eval/failures';
import { DEFAULT_GATE, evaluateGate } from '../../src/core/eval/gate';
import { generalizationGap } from '../../src/core/eval/gap';
import {
  metricsJson,
  preprocessingOverride,
  preprocessingOverrideText,
  REVIEW_SCHEMA,
  reviewBundle,
  reviewFindings,
  type ReviewInput,
} from '../../src/core/eval/report';
import { completeRound, scheduleAware, type ModelEvaluation } from '../../src/core/eval/round';
import type { TermBalance } from '../../src/core/losses';
import { summarizeLandmarkSharpness } from '../../src/core/eval/landmarkSharpnessSummary';
import { summarizeErrors } from '../../src/core/landmarks/errors';

const CFG: RunConfig = { ...DEFAULT_CONFIG, size: 64, netG: 'unet_64' };

function inputs(over: Partial<ChecklistInputs> = {}): ChecklistInputs {
  return {
    cfg: CFG,
    evalMode: CFG.eval_mode,
    losses: { G_GAN: 0.9, G_L1: 12.3, D_real: 0.6, D_fake: 0.5 },
    inputRange: { photoMin: -1, photoMax: 0.98, xrayMin: -1, xrayMax: 1 },
    balance: [
      { term: 'G_GAN', value: 0.9, share: 0.9 / 13.2, gradNorm: 0.05 },
      { term: 'G_L1', value: 12.3, share: 12.3 / 13.2, gradNorm: 0.8 },
    ],
    lrNow: 2e-4,
    ...over,
  };
}

const status = (items: ReturnType<typeof stuckChecklist>): Record<string, string> =>
  Object.fromEntries(items.map((i) => [i.id, i.status]));

describe('the learning-rate schedule and the stuck verdict', () => {
  const frozen = {
    stuck: true,
    kind: 'frozen' as const,
    reason: 'prediction mean gradient 2.133 stayed frozen',
  };
  // lr_step_at epoch_start (the server's 2020 train.py): the last epoch (n_epochs + n_epochs_decay) runs at lr 0
  const START = { ...CFG, lr_step_at: 'epoch_start' as const };

  it('epoch_start, n_epochs 1 + n_epochs_decay 0 never learns: the lr item fails and the alert stays', () => {
    const cfg = { ...START, n_epochs: 1, n_epochs_decay: 0 };
    const lr = stuckChecklist(inputs({ cfg, lrNow: 0 })).find((i) => i.id === 'lr');
    expect(lr?.status).toBe('fail');
    expect(lr?.answer.en).toContain('Choose lr_step_at epoch_end');
    expect(lr?.answer.en).toContain('set n_epochs ≥ 2 or n_epochs_decay ≥ 1');
    const v = scheduleAware(frozen, cfg, 0);
    expect([v.stuck, v.kind]).toEqual([true, 'frozen']);
    expect(v.reason).toContain('the learning rate is 0 from the first epoch on');
  });

  it('epoch_start: a frozen last epoch at lr 0 is the schedule, not a stuck generator', () => {
    const cfg = { ...START, n_epochs: 2, n_epochs_decay: 0 };
    const v = scheduleAware(frozen, cfg, 0);
    expect([v.stuck, v.kind]).toEqual([false, 'plateau']);
    expect(v.reason).toContain("the learning rate is 0 in the schedule's last epoch (lr_step_at epoch_start");
    const lr = stuckChecklist(inputs({ cfg, lrNow: 0 })).find((i) => i.id === 'lr');
    expect(lr?.status).toBe('ok');
    expect(lr?.answer.en).toContain('It is 0 now: with lr_step_at epoch_start');
    expect(lr?.answer.en).toContain('stepped at the start of each epoch');
    // with a learning rate the verdict is the detector's
    expect(scheduleAware(frozen, cfg, 1e-4)).toBe(frozen);
    expect(scheduleAware(frozen, cfg, null)).toBe(frozen);
    const moving = { stuck: false, kind: 'moving' as const, reason: 'x' };
    expect(scheduleAware(moving, cfg, 0)).toBe(moving);
  });

  it('epoch_end (the default, the current train.py): no epoch of the schedule runs at lr 0', () => {
    expect(CFG.lr_step_at).toBe('epoch_end');
    const one = { ...CFG, n_epochs: 1, n_epochs_decay: 0 };
    const lr = stuckChecklist(inputs({ cfg: one, lrNow: one.lr })).find((i) => i.id === 'lr');
    expect(lr?.status).toBe('ok');
    expect(lr?.answer.en).toContain('stepped at the end of each epoch (lr_step_at epoch_end');
    // lr 0 only past the schedule's end: a plateau that names the end, not the last epoch
    const v = scheduleAware(frozen, { ...CFG, n_epochs: 2, n_epochs_decay: 0 }, 0);
    expect([v.stuck, v.kind]).toEqual([false, 'plateau']);
    expect(v).toHaveProperty('explanation', [{ key: 'lrZeroPastEnd', params: { last: 2 } }]);
    expect(v.reason).toContain('the schedule ended with epoch 2');
    const past = stuckChecklist(inputs({ cfg: { ...CFG, n_epochs: 2, n_epochs_decay: 0 }, lrNow: 0 }));
    expect(past.find((i) => i.id === 'lr')?.answer.en).toContain(
      'It is 0 now: the schedule ended with epoch 2',
    );
    // a first epoch past the end never learns in either convention
    const late = { ...CFG, n_epochs: 2, n_epochs_decay: 0, epoch_count: 3 };
    expect(stuckChecklist(inputs({ cfg: late, lrNow: 0 })).find((i) => i.id === 'lr')?.status).toBe('fail');
    expect(scheduleAware(frozen, late, 0)).toMatchObject({ stuck: true, kind: 'frozen' });
  });

  it('a config stored without lr_step_at ran epoch_start and is judged so', () => {
    const { lr_step_at: _omit, ...old } = { ...CFG, n_epochs: 1, n_epochs_decay: 0 };
    const cfg = old as RunConfig;
    expect(stuckChecklist(inputs({ cfg, lrNow: 0 })).find((i) => i.id === 'lr')?.status).toBe('fail');
    expect(scheduleAware(frozen, cfg, 0)).toMatchObject({ stuck: true, kind: 'frozen' });
  });
});

describe('stuck checklist', () => {
  it('answers every item ok for a sound run', () => {
    const items = stuckChecklist(inputs());
    expect(items.map((i) => i.id)).toEqual(['mode', 'losses', 'input_range', 'weights', 'lr']);
    expect(status(items)).toEqual({ mode: 'ok', losses: 'ok', input_range: 'ok', weights: 'ok', lr: 'ok' });
    expect(items[1].answer.en).toContain('G_L1 = 12.3');
    expect(items[4].answer.en).toContain('lr 2.0e-4 (pix2pix: 2.0e-4, 1×)');
    for (const i of items) expect(i.answer.zh.length).toBeGreaterThan(4);
  });

  it("flags the clinic's weak gradient loss from the loss balance (share < 1 % or 1/100 of G_L1's norm)", () => {
    const cfg = { ...CFG, lambda_grad: 0.05 };
    const balance: TermBalance[] = [
      { term: 'G_GAN', value: 0.9, share: 0.068, gradNorm: 0.05 },
      { term: 'G_L1', value: 12.3, share: 0.93, gradNorm: 0.8 },
      // share 0.2 % and norm 0.004 = 0.005x G_L1's
      { term: 'G_grad', value: 0.026, share: 0.002, gradNorm: 0.004 },
    ];
    const items = stuckChecklist(
      inputs({ cfg, balance, losses: { G_GAN: 0.9, G_L1: 12.3, G_grad: 0.026, D_real: 0.6, D_fake: 0.5 } }),
    );
    const w = items.find((i) => i.id === 'weights');
    expect(w?.status).toBe('warn');
    expect(w?.answer.en).toContain('G_grad (lambda_grad 0.05): 0.2 % of the total');
    expect(w?.answer.en).toContain('0.005× G_L1’s');
    // a strong term with a small share but a big gradient is fine: only a norm < 1/100 or share < 1 % warns
    const ok = stuckChecklist(
      inputs({
        cfg,
        balance: [balance[0], balance[1], { term: 'G_grad', value: 0.5, share: 0.037, gradNorm: 0.2 }],
      }),
    );
    expect(status(ok).weights).toBe('ok');
  });

  it('fails a zero loss term and an input outside [-1,1]; warns on [0,1]-only inputs and an unusual lr', () => {
    const cfg = { ...CFG, lambda_grad: 5, lr: 2e-2 };
    const items = stuckChecklist(
      inputs({
        cfg,
        losses: { G_GAN: 0.9, G_L1: 12.3, G_grad: 0, D_real: 0.6, D_fake: 0.5 },
        inputRange: { photoMin: 0, photoMax: 1, xrayMin: 0, xrayMax: 1 },
        lrNow: 2e-2,
      }),
    );
    expect(status(items)).toMatchObject({ losses: 'fail', input_range: 'warn', lr: 'warn' });
    expect(items[1].answer.en).toContain('G_grad is not > 0');
    expect(items[2].answer.en).toContain('only [0,1]');
    expect(items[4].answer.en).toContain('100×');
    const out = stuckChecklist(
      inputs({ inputRange: { photoMin: -1, photoMax: 1.5, xrayMin: -1, xrayMax: 1 } }),
    );
    expect(status(out).input_range).toBe('fail');
    const mismatch = stuckChecklist(inputs({ evalMode: true }));
    expect(status(mismatch).mode).toBe('warn');
    const none = stuckChecklist(inputs({ losses: null, inputRange: null, balance: null, lrNow: null }));
    expect(status(none)).toMatchObject({
      losses: 'unknown',
      input_range: 'unknown',
      weights: 'unknown',
      lr: 'ok',
    });
  });
});

function stats(gradMean: number, max: number): ImageStats {
  const h = { lo: 0, hi: 128, counts: [1], underflow: 0, overflow: 0 };
  return {
    n_images: 20,
    n_pixels: 20 * 4096,
    gradMean_255: gradMean,
    gradMin_255: 0,
    gradMax_255: gradMean * 20,
    gradP1_255: 0,
    gradP99_255: gradMean * 8,
    gradP999_255: gradMean * 15,
    gradHist: h,
    intensityMean_255: 90,
    intensityMin_255: 0,
    intensityMax_255: max,
    intensityP1_255: 2,
    intensityP99_255: max - 5,
    intensityP999_255: max - 1,
    intensityHist: h,
  };
}

/** The clinic's small run as an evaluation: L1 0.203, PSNR 15.85, gradient 2.133 vs 3.9, max 112.34 vs 250. */
function clinicEvaluation(): ModelEvaluation {
  const pred = stats(2.133, 112.34);
  const target = stats(3.9, 250);
  const diagnosis: Diagnosis = {
    pred,
    target,
    sharpnessRatio: 2.133 / 3.9,
    edgeRatio: 2.133 / 3.9,
    maxRatio: 112.34 / 250,
    p999Ratio: 111.34 / 249,
    clinicPlan002: { gradOk: false, maxOk: false },
  };
  return {
    step: 16000,
    epoch: 200,
    evalMode: false,
    cases: [
      {
        id: 'c01',
        l1_01: 0.203312,
        l1_pm1: 0.406624,
        psnr_db: 15.852553,
        ssim: 0.41,
        predGradMean_255: 2.1,
        targetGradMean_255: 3.9,
        sharpnessRatio: 2.1 / 3.9,
      },
    ],
    aggregate: {
      mean_l1: 0.203312,
      median_l1: 0.2,
      mean_psnr: 15.852553,
      median_psnr: 15.9,
      mean_ssim: 0.41,
      median_ssim: 0.4,
      n_cases: 80,
      mean_l1_pm1: 0.406624,
      median_l1_pm1: 0.4,
      mean_sharpness_ratio: 0.55,
    },
    diagnosis,
    diagnosisCaseIds: ['c01'],
    balance: [
      { term: 'G_GAN', value: 0.9, share: 0.9 / 4.74, gradNorm: 0.05 },
      { term: 'G_L1', value: 3.84, share: 3.84 / 4.74, gradNorm: 0.8 },
    ],
    balanceCaseIds: ['c01'],
    gap: generalizationGap(0.0415, 0.203312, 20, false, { G_L1: 3.84, lambda_L1: 100 }),
    sensitivity_255: 14.2,
    inputRange: { photoMin: -1, photoMax: 1, xrayMin: -1, xrayMax: 1 },
    lrNow: 2e-4,
    durationMs: 1234,
  };
}

function clinicInput(cfg: RunConfig, flagged: boolean): ReviewInput {
  const ev = clinicEvaluation();
  const round = completeRound(ev, cfg, [], { G_GAN: 0.9, G_L1: 3.84, D_real: 0.6, D_fake: 0.5 });
  const cases: CaseScore[] = Array.from({ length: 80 }, (_, i) => ({
    id: `c${String(i).padStart(2, '0')}`,
    l1_01: i < 25 ? 0.3 : 0.1,
    psnr_db: 20,
    ssim: 0.5,
    sharpnessRatio: 0.9,
  }));
  // flagged: 20 of the 25 failures carry 'too-dark' (plus 2 passing cases)
  const flags = new Map<string, string[]>();
  if (flagged) for (let i = 0; i < 22; i++) flags.set(cases[i < 20 ? i : 30 + i].id, ['too-dark']);
  else for (const i of [0, 1, 2, 50]) flags.set(cases[i].id, ['photo-orientation']);
  const failures = failureStats(cases, DEFAULT_FAILURE_RULE, flags);
  const gate = evaluateGate(
    {
      mean_l1: ev.aggregate.mean_l1,
      mean_psnr: ev.aggregate.mean_psnr,
      failure_rate: failures.rate,
      sharpness_ratio: ev.diagnosis?.sharpnessRatio ?? null,
    },
    DEFAULT_GATE,
  );
  return {
    generatedAt: '2026-02-21T18:00:00.000Z',
    run: {
      id: 'run-small',
      name: 'small 80 cases 512 px',
      status: 'finished',
      step: 16000,
      epoch: 200,
      durationMs: 3_600_000,
      backend: 'webgpu',
      adapter: 'nvidia / ampere',
      startedAt: Date.parse('2026-02-21T10:00:00Z'),
      datasetId: 'ds-1',
      datasetName: 'clinic small',
      trainCount: 80,
      valCount: 80,
      config: cfg,
      preprocessing: { mode: cfg.preprocess, size: cfg.size },
    },
    environment: { backend: 'webgpu' },
    evaluation: round,
    checkpoint: 'best',
    evalCaseIds: ['c01'],
    rounds: [
      {
        step: 8000,
        values: { mean_l1: 0.25, mean_psnr: 14.1, pred_grad_mean_255: 2.133, pred_max_255: 112.34 },
      },
      {
        step: 16000,
        values: { mean_l1: 0.203312, mean_psnr: 15.85, pred_grad_mean_255: 2.133, pred_max_255: 112.34 },
      },
    ],
    failures,
    gate,
    figures: { grid: null, curves: null },
  };
}

describe('review findings', () => {
  it("reproduces the clinic's review: gate fail, over-smoothing, large gap, stretch preprocessing", () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512, preprocess: 'stretch' };
    const f = reviewFindings(clinicInput(cfg, false));
    expect(f.map((x) => [x.id, x.severity])).toEqual([
      ['gate', 'alert'],
      ['oversmooth', 'warn'],
      ['gap', 'warn'],
      ['data', 'info'],
      ['preprocess', 'info'],
    ]);
    const by = Object.fromEntries(f.map((x) => [x.id, x]));
    expect(by.gate.evidence.en).toContain('mean L1 on [0,1] 0.2033 (needs <= 0.1)');
    expect(by.gate.evidence.en).toContain('failure rate 31.3 % (needs <= 10 %)');
    expect(by.oversmooth.evidence.en).toContain(
      'mean gradient 2.133 vs 3.9 (0-255 units, ratio 0.547 < 0.7)',
    );
    expect(by.oversmooth.evidence.en).toContain('maximum intensity 112.3 vs 250');
    expect(by.oversmooth.next.en).toContain('lambda_grad 5–10');
    expect(by.oversmooth.next.en).toContain('Laplacian');
    expect(by.gap.title.en).toBe('Large train/val gap: 4.9×');
    expect(by.gap.next.en).toContain('600 cases');
    expect(by.data.evidence.en).toContain('“photo-orientation” with 3/25');
    expect(by.preprocess.next.en).toContain('letterbox');
  });

  it('points at the data when failures concentrate in one audit flag, and at lambda_grad when it is set', () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 256, lambda_grad: 2 };
    const f = reviewFindings(clinicInput(cfg, true));
    const data = f.find((x) => x.id === 'data');
    expect(data?.severity).toBe('warn');
    // 20 of 25 failures; 20/22 with the flag vs 5/58 without
    expect(data?.evidence.en).toBe(
      '20 of 25 failed cases carry “too-dark” (80 %); failure rate 90.9 % with the flag vs 8.62 % without.',
    );
    expect(f.find((x) => x.id === 'oversmooth')?.next.en).toContain('Raise lambda_grad from 2');
    expect(f.some((x) => x.id === 'preprocess')).toBe(false);
    // with the UI's words for the code, users read "Too dark" / 过暗, never the internal code
    const named = reviewFindings({
      ...clinicInput(cfg, true),
      flagNames: { 'too-dark': { en: 'Too dark', zh: '过暗' } },
    }).find((x) => x.id === 'data');
    expect(named?.title.en).toBe('Failures concentrate in audit flag “Too dark”');
    expect(named?.evidence.zh).toContain('带有“过暗”');
    expect(JSON.stringify(named)).not.toContain('too-dark');
  });

  it('raises the stuck alert with the open checklist items', () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 256, lambda_grad: 0.05 };
    const input = clinicInput(cfg, false);
    const history = [1000, 2000].map((step) => ({
      step,
      predGradMean_255: 2.133,
      predMax_255: 112.34,
      losses: { G_L1: 5 - step / 1000 },
    }));
    const ev = clinicEvaluation();
    ev.step = 3000;
    ev.balance = [
      { term: 'G_GAN', value: 0.9, share: 0.19, gradNorm: 0.05 },
      { term: 'G_L1', value: 3.84, share: 0.806, gradNorm: 0.8 },
      { term: 'G_grad', value: 0.02, share: 0.004, gradNorm: 0.003 },
    ];
    input.evaluation = completeRound(ev, cfg, history, {
      G_GAN: 0.9,
      G_L1: 2.5,
      G_grad: 0.02,
      D_real: 0.6,
      D_fake: 0.5,
    });
    expect(input.evaluation.stuck).toMatchObject({ stuck: true, kind: 'frozen' });
    const f = reviewFindings(input);
    const stuck = f.find((x) => x.id === 'stuck');
    expect(stuck?.severity).toBe('alert');
    expect(stuck?.evidence.en).toContain('prediction mean gradient 2.133');
    expect(stuck?.next.en).toContain('Is a loss weight too small to matter?');
    expect(f.find((x) => x.id === 'weak_term')?.evidence.en).toContain('G_grad (lambda_grad 0.05)');
  });
});

describe('report files', () => {
  it('Markdown (en / zh), JSON and metrics with the clinic’s names, zipped with the figures', () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512, preprocess: 'stretch' };
    const input = clinicInput(cfg, false);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const b = reviewBundle(input, 'en', { grid: png, curves: png });
    expect(b.markdown).toContain('# Review report: small 80 cases 512 px');
    expect(b.markdown).toContain('**Verdict: FAIL**');
    expect(b.markdown).toContain('| L1 (mean_l1) | 0.2033 | 0.2 | mean absolute error on [0,1] |');
    expect(b.markdown).toContain('| PSNR (mean_psnr) | 15.85 | 15.9 | dB, data range 1 |');
    expect(b.markdown).toContain('## Failure statistics: 25/80');
    // the grid's file name says the real count of the evaluation list (one case here), never a fixed 20
    expect(b.markdown).toContain('![viz_grid_1](viz_grid_1.png)');
    expect(b.markdown).not.toContain('viz_grid_20');
    expect(b.markdown).toContain('![curves](curves.png)');
    expect(b.markdown).toContain('| mean gradient | 2.133 | 3.9 | 0.547 |');
    expect(b.markdown).toContain('ratio **4.9×**');

    const zh = reviewBundle(input, 'zh', {}).markdown;
    expect(zh).toContain('# 评审报告: small 80 cases 512 px');
    expect(zh).toContain('**结论: 未通过**');
    expect(zh).toContain('## 失败统计: 25/80');
    expect(zh).toContain('训练/验证差距大：4.9 倍');
    expect(zh).not.toContain('viz_grid_1.png)');

    expect(b.json.schema).toBe(REVIEW_SCHEMA);
    expect((b.json.gate as { status: string }).status).toBe('fail');
    expect((b.json.failures as { label: string }).label).toBe('25/80');
    const m = metricsJson(input.evaluation, 'best');
    expect(m).toMatchObject({
      mean_l1: 0.203312,
      mean_psnr: 15.852553,
      n_cases: 80,
      checkpoint: 'best',
      eval_mode: false,
    });
    expect((m.per_case as { case_id: string }[])[0]).toMatchObject({
      case_id: 'c01',
      l1: 0.203312,
      l1_pm1: 0.406624,
    });

    const files = unzipSync(b.zip);
    expect(Object.keys(files).sort()).toEqual(
      [
        'curves.png',
        'failure_stats.json',
        'report.json',
        'report.md',
        'val_metrics.json',
        'viz_grid_1.png',
      ].map((n) => `review/${n}`),
    );
    expect(Array.from(files['review/viz_grid_1.png'])).toEqual(Array.from(png));
    const mj = JSON.parse(new TextDecoder().decode(files['review/val_metrics.json']));
    expect(mj.mean_l1).toBe(0.203312);
    const fj = JSON.parse(new TextDecoder().decode(files['review/failure_stats.json']));
    expect([fj.failed, fj.total]).toEqual([25, 80]);
    expect(new TextDecoder().decode(files['review/report.md'])).toBe(b.markdown);
  });
});

describe('landmarks section', () => {
  const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512 };

  it('says where the metrics were computed: whole image for an old round, the content region with its whole-image figures for a new one', () => {
    const cfg: RunConfig = { ...DEFAULT_CONFIG, size: 512, preprocess: 'letterbox' };
    const old = clinicInput(cfg, false);
    expect(reviewBundle(old, 'en', {}).markdown).toContain(
      'Computed over the whole image including any letterbox padding (a round stored before content-region metrics).',
    );
    expect(metricsJson(old.evaluation, null).metrics_region).toBe('whole');
    const ev = old.evaluation;
    const fresh = {
      ...old,
      evaluation: {
        ...ev,
        metricsRegion: 'content' as const,
        aggregate: {
          ...ev.aggregate,
          mean_l1_whole: 0.15,
          mean_psnr_whole: 18.2,
          mean_ssim_whole: 0.5,
          mean_content_fraction: 0.81,
        },
      },
    };
    expect(reviewBundle(fresh, 'en', {}).markdown).toContain(
      "Computed over each case's content region only (the film: 81 % of the image; letterbox/ROI padding excluded). Whole image incl. padding: L1 0.15, PSNR 18.2 dB.",
    );
    expect(reviewBundle(fresh, 'zh', {}).markdown).toContain('仅在每例的内容区域计算（胶片部分：占图像 81%');
    const j = metricsJson(fresh.evaluation, 'best');
    expect(j.metrics_region).toBe('content');
    expect(j.mean_l1_whole).toBe(0.15);
    expect(j.content_fraction).toBe(0.81);
  });

  it('is absent without landmark data (Markdown en/zh and JSON)', () => {
    const input = clinicInput(cfg, false);
    const en = reviewBundle(input, 'en', {});
    expect(en.markdown).not.toContain('## Landmarks');
    expect(en.json.landmarks).toBeNull();
    expect(reviewBundle(input, 'zh', {}).markdown).not.toContain('## 关键点');
  });

  it('renders per-landmark sharpness with the most blurred, the overlay grid, tracing errors and measurements', () => {
    const input = clinicInput(cfg, false);
    const sharp = summarizeLandmarkSharpness(
      [
        { id: 'c01', pred_255: [2, 9, 1], target_255: [4, 10, 4], ratio: [0.5, 0.9, 0.25] },
        { id: 'c02', pred_255: [3, 11, null], target_255: [4, 10, null], ratio: [0.75, 1.1, null] },
      ],
      ['S', 'N', 'Go'],
      ['Sella', 'Nasion', 'Gonion'],
      10,
    );
    const withSharp: ReviewInput = {
      ...input,
      evaluation: { ...input.evaluation, landmarkSharpness: sharp },
    };
    const only = reviewBundle(withSharp, 'en', {});
    expect(only.markdown).toContain('## Landmarks');
    expect(only.markdown).toContain('In a 10 mm square around each ground-truth landmark');
    expect(only.markdown).toContain('**Most blurred:** Go (Gonion) 0.25, S (Sella) 0.625');
    expect(only.markdown).toContain('| 1 | S | Sella | 0.625 | 0.18 | 2.5 | 4 | 2 |');
    expect(only.markdown).toContain('| 3 | Go | Gonion | 0.25 | – | 1 | 4 | 1 |');
    expect(only.markdown).not.toContain('Window:');
    const tiny = reviewBundle(
      {
        ...input,
        evaluation: { ...input.evaluation, landmarkSharpness: { ...sharp, windowPx: { min: 1, max: 1 } } },
      },
      'en',
      {},
    ).markdown;
    expect(tiny).toContain('Window: 10 mm = only 1 px of the preprocessed image at this run');
    expect(tiny).toContain('[NOTE] Bone edges blurred at 2 of 3 landmarks');
    // no tracing given: no tracing or measurement text, no per-case dump in the JSON
    expect(only.markdown).not.toContain('Tracing errors');
    expect(only.markdown).not.toContain('Measurements:');
    // the finding names the landmarks below the over-smoothing ratio, worst first
    const blur = only.findings.find((x) => x.id === 'landmark_blur');
    expect(blur?.severity).toBe('warn');
    expect(blur?.title.en).toBe('Bone edges blurred at 2 of 3 landmarks');
    expect(blur?.evidence.en).toContain('below 0.7: Go (Gonion) 0.25, S (Sella) 0.625');
    expect(blur?.evidence.zh).toContain('Go (下颌角点) 0.25、S (蝶鞍点) 0.625');
    expect(only.markdown).toContain('Bone edges blurred at 2 of 3 landmarks');
    expect(reviewBundle(input, 'en', {}).findings.some((x) => x.id === 'landmark_blur')).toBe(false);
    const lj = only.json.landmarks as { sharpness: Record<string, unknown>; tracing: unknown };
    expect(lj.sharpness.meanRatio).toBeCloseTo((0.625 + 1 + 0.25) / 3, 12);
    expect(lj.sharpness.worst).toEqual(['Go', 'S']);
    expect(lj.sharpness.cases).toBeUndefined();
    expect(lj.tracing).toBeNull();

    const tracing = summarizeErrors(
      [
        [1, 3, null],
        [2, 1, 5],
      ],
      ['S', 'N', 'Go'],
    );
    const full: ReviewInput = {
      ...withSharp,
      landmarks: {
        gridOverlay: true,
        tracing: { cases: 2, mmPerPx: 0.1, tracer: 'Dr. Li', summary: tracing },
        measurements: {
          analysis: 'isbi2015',
          cases: 1,
          rows: [
            {
              id: 'SNA',
              name: { en: 'SNA', zh: 'SNA 角' },
              unit: 'deg',
              a: 81.5,
              b: 82,
              diff: -0.5,
              missing: [],
            },
            {
              id: 'FHI',
              name: { en: 'FHI', zh: 'FHI' },
              unit: 'ratio',
              a: null,
              b: 0.7,
              diff: null,
              missing: ['Go'],
            },
          ],
        },
      },
    };
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const en = reviewBundle(full, 'en', { grid: png }).markdown;
    expect(en).toContain('The grid figure (viz_grid_1.png, above) draws the ground-truth landmarks');
    expect(en).toContain('| MRE (mm) | SDR 2 mm |');
    expect(en).toContain('| 1 | S | Sella | 0.625 | 0.18 | 2.5 | 4 | 2 | 1.5 | 100 % |');
    expect(en).toContain('2 traced case(s) by Dr. Li, pixel spacing 0.1 mm/px: MRE **2.4');
    expect(en).toContain('(1 not identifiable)');
    expect(en).toContain('### Measurements: tracing vs ground truth (isbi2015)');
    expect(en).toContain('| SNA | 81.5° | 82° | -0.5° | – |');
    expect(en).toContain('| FHI | unavailable | 0.7 | – | Go |');
    const zh = reviewBundle(full, 'zh', { grid: png }).markdown;
    expect(zh).toContain('## 关键点');
    expect(zh).toContain('网格图（viz_grid_1.png，见上文）');
    expect(zh).toContain('**最模糊:** Go (下颌角点) 0.25、S (蝶鞍点) 0.625');
    expect(zh).toContain('| SNA 角 | 81.5° | 82° | -0.5° | – |');
    expect(zh).toContain('| FHI | 不可用 | 0.7 | – | Go |');
    expect(zh).toContain('描点者 Dr. Li');
    const j = reviewBundle(full, 'en', { grid: png }).json.landmarks as Record<string, unknown>;
    expect(j.grid).toBe('viz_grid_1.png');
    // without the grid in the bundle, no sentence points at it
    expect(reviewBundle(full, 'en', {}).markdown).not.toContain('The grid figure');
    expect((j.tracing as { cases: number }).cases).toBe(2);
  });

  it('renders the traceability table (floor, synthetic, over 2 mm, measurements) and gates on 2 mm', () => {
    const input = clinicInput(cfg, false);
    const floor = summarizeErrors(
      [
        [1, 1.5, 0.5],
        [1, 0.5, 1.5],
      ],
      ['S', 'N', 'Go'],
    );
    const synthetic = summarizeErrors(
      [
        [1.5, 3, 1],
        [2.5, 5, null],
      ],
      ['S', 'N', 'Go'],
    );
    const traceability = {
      detector: { name: 'demo detector' },
      cases: 2,
      floor,
      synthetic,
      measurements: [
        {
          id: 'ANB',
          name: { en: 'ANB', zh: 'ANB 角' },
          unit: 'deg' as const,
          meanAbsDiff: 1.25,
          meanGt: 2,
          meanSynthetic: 3.25,
          n: 2,
        },
        {
          id: 'FHI',
          name: { en: 'FHI', zh: 'FHI' },
          unit: 'ratio' as const,
          meanAbsDiff: null,
          meanGt: 0.7,
          meanSynthetic: null,
          n: 0,
        },
      ],
    };
    const gate = evaluateGate(
      { mean_l1: 0.05, mean_psnr: 25, failure_rate: 0, sharpness_ratio: 1, trace_mre: synthetic.mreMm },
      DEFAULT_GATE,
    );
    const full: ReviewInput = { ...input, gate, landmarks: { traceability } };
    const b = reviewBundle(full, 'en', {});
    const en = b.markdown;
    expect(en).toContain('## Landmarks');
    expect(en).toContain('### Traceability (landmark detector)');
    expect(en).toContain('Detector **demo detector** on 2 validation case(s)');
    expect(en).toContain(
      'Floor = the detector on the real X-ray vs the ground truth: MRE **1 mm**, SDR 2 mm 100 %',
    );
    // synthetic: 1.5, 3, 1, 2.5, 5 -> 13 / 5 = 2.6 mm; 2 of 5 within 2 mm
    expect(en).toContain('MRE **2.6 mm**, SDR 2 mm 40 %');
    expect(en).toContain('**Over 2 mm on the synthetic X-ray:** N (Nasion) 4 mm');
    expect(en).toContain('| S | Sella | 1 | 100 % | 2 | 50 % | 2 |');
    expect(en).toContain('| N | Nasion | 1 | 100 % | 4 ⚠ | 0 % | 2 |');
    expect(en).toContain('| all |  | 1 | 100 % | 2.6 | 40 % | 5 |');
    expect(en).toContain('| ANB | 2° | 3.25° | 1.25° | 2 |');
    expect(en).toContain('| FHI | 0.7 | unavailable | – | 0 |');
    // the gate's traceability rule, named with its unit, fails at 2.6 mm > 2 mm
    expect(en).toContain(
      '| traceability MRE (landmark detector on the predictions vs ground truth) | 2.6 mm | <= 2 mm | FAIL |',
    );
    const zh = reviewBundle(full, 'zh', {}).markdown;
    expect(zh).toContain('### 可追踪性（关键点检测器）');
    expect(zh).toContain('**合成 X 光上超过 2 mm:** N (鼻根点) 4 mm');
    expect(zh).toContain('| ANB 角 | 2° | 3.25° | 1.25° | 2 |');
    const j = b.json.landmarks as { traceability: { cases: number; synthetic: { mreMm: number } } };
    expect(j.traceability.cases).toBe(2);
    expect(j.traceability.synthetic.mreMm).toBeCloseTo(2.6, 12);
    // without traceability the section stays absent
    expect(reviewBundle({ ...input, landmarks: { traceability: null } }, 'en', {}).markdown).not.toContain(
      'Traceability',
    );
  });
});

describe('preprocessing override', () => {
  it('names a run that overrides its dataset’s size or mode, in the report too', () => {
    const ds = { size: 512, mode: 'letterbox' };
    expect(preprocessingOverride(ds, { size: 512, preprocess: 'letterbox' })).toBeNull();
    expect(preprocessingOverride(null, { size: 64, preprocess: 'stretch' })).toBeNull();
    const o = preprocessingOverride(ds, { size: 64, preprocess: 'letterbox' });
    expect(o).toEqual({ size: { dataset: 512, run: 64 }, mode: null });
    expect(preprocessingOverrideText(o, 'en')).toBe(
      "This run overrides the dataset's preprocessing: size 64 px (dataset: 512 px)",
    );
    expect(
      preprocessingOverrideText(preprocessingOverride(ds, { size: 64, preprocess: 'stretch' }), 'zh'),
    ).toBe('此训练覆盖了数据集的预处理：尺寸 64 px（数据集：512 px），方式 stretch（数据集：letterbox）');
  });
});
