/**
 * Hand-made evaluations for the review report's tests (test/unit/report/*.test.ts): the clinic's
 * small run as an evaluation, its ReviewInput, and the named scenarios of the golden check
 * (golden.test.ts), which between them fire every rule and render every section of the report.
 */
import { DEFAULT_CONFIG, type RunConfig } from '../../../src/core/config';
import type { ChecklistInputs } from '../../../src/core/eval/checklist';
import type { Diagnosis, ImageStats } from '../../../src/core/eval/diagnostics';
import { DEFAULT_FAILURE_RULE, failureStats, type CaseScore } from '../../../src/core/eval/failures';
import { DEFAULT_GATE, evaluateGate } from '../../../src/core/eval/gate';
import { generalizationGap } from '../../../src/core/eval/gap';
import { summarizeLandmarkSharpness } from '../../../src/core/eval/landmarkSharpnessSummary';
import type { ReviewInput, ReviewRunComparison } from '../../../src/core/eval/report';
import { completeRound, type ModelEvaluation } from '../../../src/core/eval/round';
import { summarizeErrors } from '../../../src/core/landmarks/errors';

export const CFG: RunConfig = { ...DEFAULT_CONFIG, size: 64, netG: 'unet_64' };

export function checklistInputs(over: Partial<ChecklistInputs> = {}): ChecklistInputs {
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
export function clinicEvaluation(): ModelEvaluation {
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

/** 80 scored cases, the first 25 failing on L1. */
export function clinicCases(): CaseScore[] {
  return Array.from({ length: 80 }, (_, i) => ({
    id: `c${String(i).padStart(2, '0')}`,
    l1_01: i < 25 ? 0.3 : 0.1,
    psnr_db: 20,
    ssim: 0.5,
    sharpnessRatio: 0.9,
  }));
}

export function clinicInput(cfg: RunConfig, flagged: boolean): ReviewInput {
  const ev = clinicEvaluation();
  const round = completeRound(ev, cfg, [], { G_GAN: 0.9, G_L1: 3.84, D_real: 0.6, D_fake: 0.5 });
  const cases = clinicCases();
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

/** A stuck run (frozen prediction gradient) with a weak gradient-loss weight. */
export function stuckInput(): ReviewInput {
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
  return input;
}

export const LANDMARK_SHARPNESS = (): NonNullable<ReviewInput['evaluation']['landmarkSharpness']> =>
  summarizeLandmarkSharpness(
    [
      { id: 'c01', pred_255: [2, 9, 1], target_255: [4, 10, 4], ratio: [0.5, 0.9, 0.25] },
      { id: 'c02', pred_255: [3, 11, null], target_255: [4, 10, null], ratio: [0.75, 1.1, null] },
    ],
    ['S', 'N', 'Go'],
    ['Sella', 'Nasion', 'Gonion'],
    10,
  );

export function tracingLandmarks(): NonNullable<ReviewInput['landmarks']> {
  const tracing = summarizeErrors(
    [
      [1, 3, null],
      [2, 1, 5],
    ],
    ['S', 'N', 'Go'],
  );
  return {
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
  };
}

export function traceability(): NonNullable<NonNullable<ReviewInput['landmarks']>['traceability']> {
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
  return {
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
}

/** A run comparison made by hand (no dependency on the Experiments view model). */
export function runComparison(held: 'steps' | 'epochs' | 'neither'): ReviewRunComparison {
  const points = [20, 40, 80].map((cases, i) => ({
    cases,
    val_l1: 0.15 - 0.02 * i,
    psnr_db: 18 + i,
    sharpness_ratio: 0.7 + i / 20,
    lm_sharp: i === 0 ? null : 0.6,
    trace_mre_mm: null,
    train_l1: 0.07,
    gap_ratio: 2 - i / 4,
  }));
  const columns = [
    { key: 'name', en: 'run', zh: '训练', kind: 'text' as const },
    { key: 'train_cases', en: 'training cases', zh: '训练病例数', kind: 'int' as const },
    { key: 'best_l1', en: 'best val L1 (on [0,1])', zh: '最佳验证 L1（[0,1]）', kind: 'l1' as const },
  ];
  const rows = points.map((p, i) => [`run ${i}`, p.cases, p.val_l1]);
  const table = { columns, rows, differingKeys: ['train_subset'], shared: { lambda_L1: 100 } };
  return {
    runs: points.map((p, i) => ({
      id: `r${i}`,
      name: `run ${i}`,
      label: `run ${i} | train_subset ${p.cases}`,
    })),
    tables: { en: table, zh: table },
    study: {
      points,
      held,
      steps: held === 'steps' ? [100, 100, 100] : [50, 100, 200],
      epochs: held === 'epochs' ? [5, 5, 5] : [5, 4, 3],
      reading: {
        verdict: 'collect_more',
        fit: { slope: -0.02, se: 0, lo: -0.02, hi: -0.02, intercept: 0.24, n: 3, t: 6.314 },
        rule: { minEffect: 0.005, confidence: 0.9, minSizes: 3 },
        text: {
          code: 'experiments.study.collectMore',
          params: {
            trend: {
              code: 'experiments.study.trend.interval',
              params: { slope: '-0.0200', lo: '-0.0200', hi: '-0.0200', n: 3 },
            },
          },
        },
        ruleText: { code: 'experiments.study.rule', params: { minEffect: 0.005, minSizes: 3 } },
        notes: [{ code: 'experiments.study.note.psnr', params: { slope: '+0.50' } }],
      },
    },
  };
}

/** The scenarios of the golden check: name → input and PNGs passed to the bundle. */
export function goldenScenarios(): {
  name: string;
  input: ReviewInput;
  pngs: { grid?: Uint8Array | null; curves?: Uint8Array | null; study?: Uint8Array | null };
}[] {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const stretch = clinicInput({ ...DEFAULT_CONFIG, size: 512, preprocess: 'stretch' }, false);
  const flaggedCfg: RunConfig = { ...DEFAULT_CONFIG, size: 256, lambda_grad: 2, lambda_lap: 1 };
  const flagged: ReviewInput = {
    ...clinicInput(flaggedCfg, true),
    flagNames: { 'too-dark': { en: 'Too dark', zh: '过暗' } },
    checkpoint: null,
    comparison: {
      label: 'last',
      step: 15000,
      mean_l1: 0.21,
      mean_psnr: 15.1,
      mean_ssim: 0.4,
      sharpness_ratio: null,
    },
  };
  const unflaggedGrad = clinicInput({ ...DEFAULT_CONFIG, size: 768, lambda_grad: 3 }, false);
  const lmBase = clinicInput({ ...DEFAULT_CONFIG, size: 512, preprocess: 'letterbox' }, false);
  const sharp = LANDMARK_SHARPNESS();
  const lmEv = lmBase.evaluation;
  const landmarks: ReviewInput = {
    ...lmBase,
    evaluation: {
      ...lmEv,
      landmarkSharpness: sharp,
      metricsRegion: 'content',
      aggregate: {
        ...lmEv.aggregate,
        mean_l1_whole: 0.15,
        mean_psnr_whole: 18.2,
        mean_ssim_whole: 0.5,
        mean_content_fraction: 0.81,
      },
    },
    landmarks: tracingLandmarks(),
    run: { ...lmBase.run, datasetPreprocessing: { size: 256, mode: 'stretch' } },
  };
  const tinyEv = lmBase.evaluation;
  const tiny: ReviewInput = {
    ...lmBase,
    evaluation: {
      ...tinyEv,
      metricsRegion: 'content',
      aggregate: { ...tinyEv.aggregate, mean_content_fraction: 1 },
      landmarkSharpness: { ...sharp, windowPx: { min: 1, max: 1 } },
    },
    landmarks: {
      tracing: tracingLandmarks().tracing,
    },
  };
  const tr = traceability();
  const passGate = evaluateGate(
    { mean_l1: 0.05, mean_psnr: 25, failure_rate: 0, sharpness_ratio: 1, trace_mre: 1.5 },
    DEFAULT_GATE,
  );
  const traceInput = clinicInput({ ...DEFAULT_CONFIG, size: 512 }, false);
  const traced: ReviewInput = {
    ...traceInput,
    gate: evaluateGate(
      { mean_l1: 0.05, mean_psnr: 25, failure_rate: 0, sharpness_ratio: 1, trace_mre: tr.synthetic.mreMm },
      DEFAULT_GATE,
    ),
    landmarks: { traceability: tr },
  };
  // a passing gate, a small gap and no audit, no diagnosis / balance / gap measured
  const plainEv = clinicInput({ ...DEFAULT_CONFIG, size: 128 }, false).evaluation;
  const plain: ReviewInput = {
    ...clinicInput({ ...DEFAULT_CONFIG, size: 128 }, false),
    gate: passGate,
    failures: failureStats([], DEFAULT_FAILURE_RULE),
    evaluation: { ...plainEv, diagnosis: null, balance: null, gap: null, evalMode: true, epoch: null },
    run: {
      ...clinicInput({ ...DEFAULT_CONFIG, size: 128 }, false).run,
      datasetName: null,
      trainCount: null,
      valCount: null,
      adapter: null,
      datasetPreprocessing: null,
    },
    rounds: [],
  };
  // underfitting: train and val both poor at a ratio ≤ 1.5, the mean-L1 criterion failing
  const underEv = clinicEvaluation();
  underEv.gap = generalizationGap(0.19, 0.203312, 20, false);
  const underCfg: RunConfig = { ...DEFAULT_CONFIG, size: 256 };
  const under: ReviewInput = {
    ...clinicInput(underCfg, false),
    evaluation: completeRound(underEv, underCfg, [], null),
  };
  const withStudy = (held: 'steps' | 'epochs' | 'neither'): ReviewInput => ({
    ...clinicInput({ ...DEFAULT_CONFIG, size: 256 }, false),
    runComparison: runComparison(held),
  });
  // an audit whose flags sit on passing cases only
  const unexplained: ReviewInput = {
    ...clinicInput({ ...DEFAULT_CONFIG, size: 256 }, false),
    failures: failureStats(clinicCases(), DEFAULT_FAILURE_RULE, new Map([['c50', ['too-dark']]])),
  };
  // no rule fires: gate incomplete (nothing measured), no failure criterion, no diagnosis / gap / audit
  const quietBase = clinicInput({ ...DEFAULT_CONFIG, size: 128 }, false);
  const quiet: ReviewInput = {
    ...quietBase,
    gate: evaluateGate(
      { mean_l1: null, mean_psnr: null, failure_rate: null, sharpness_ratio: null },
      DEFAULT_GATE,
    ),
    failures: failureStats(clinicCases(), { maxL1_01: null, minPsnr_db: null, minSharpnessRatio: null }),
    evaluation: { ...quietBase.evaluation, diagnosis: null, gap: null },
  };
  // stuck with an all-clear checklist, plan-002 targets met, failures on PSNR and sharpness, an audit with no flag
  const optimumBase = clinicInput({ ...DEFAULT_CONFIG, size: 256, lambda_grad: 3 }, false);
  const ob = optimumBase.evaluation;
  const scored = clinicCases().map((c, i) => ({
    ...c,
    psnr_db: i % 3 === 0 ? 12 : 20,
    sharpnessRatio: i % 4 === 0 ? 0.5 : 0.9,
  }));
  const optimum: ReviewInput = {
    ...optimumBase,
    evaluation: {
      ...ob,
      diagnosis: ob.diagnosis ? { ...ob.diagnosis, clinicPlan002: { gradOk: true, maxOk: true } } : null,
      stuck: { ...ob.stuck, stuck: true },
      checklist: ob.checklist.map((i) => ({ ...i, status: 'ok' as const })),
    },
    failures: failureStats(scored, { maxL1_01: 0.25, minPsnr_db: 18, minSharpnessRatio: 0.8 }, new Map()),
  };
  // seven landmarks, six blurred, a window of 6–8 px; and tracing errors without the sharpness table
  const symbols = ['S', 'N', 'Or', 'Po', 'A', 'B', 'Go'];
  const wide = summarizeLandmarkSharpness(
    [
      {
        id: 'c01',
        pred_255: symbols.map(() => 2),
        target_255: symbols.map(() => 4),
        ratio: [0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.9],
      },
    ],
    symbols,
    [],
    12,
  );
  const wideInput: ReviewInput = {
    ...lmBase,
    evaluation: { ...lmBase.evaluation, landmarkSharpness: { ...wide, windowPx: { min: 6, max: 8 } } },
  };
  const tracingOnly: ReviewInput = { ...lmBase, landmarks: { tracing: tracingLandmarks().tracing } };
  return [
    { name: 'audit-unexplained', input: unexplained, pngs: {} },
    { name: 'no-findings', input: quiet, pngs: {} },
    { name: 'stuck-optimum', input: optimum, pngs: {} },
    { name: 'landmarks-wide', input: wideInput, pngs: {} },
    { name: 'tracing-only', input: tracingOnly, pngs: { grid: png } },
    { name: 'clinic-stretch', input: stretch, pngs: { grid: png, curves: png } },
    { name: 'flagged-grad', input: flagged, pngs: {} },
    { name: 'resolution', input: unflaggedGrad, pngs: { curves: png } },
    { name: 'stuck', input: stuckInput(), pngs: { grid: png } },
    { name: 'landmarks', input: landmarks, pngs: { grid: png, curves: png } },
    { name: 'landmarks-tiny', input: tiny, pngs: {} },
    { name: 'traceability', input: traced, pngs: {} },
    { name: 'plain-pass', input: plain, pngs: {} },
    { name: 'underfit', input: under, pngs: {} },
    { name: 'study-steps', input: withStudy('steps'), pngs: { study: png } },
    { name: 'study-epochs', input: withStudy('epochs'), pngs: {} },
    { name: 'study-neither', input: withStudy('neither'), pngs: { study: png, curves: png } },
  ];
}
