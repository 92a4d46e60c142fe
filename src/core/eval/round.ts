/**
 * One evaluation of a generator: everything the Evaluate view and the review report show, as
 * plain structured-clone data (no tensors), computed by `evaluateModel` and extended to a
 * `ValidationRound` (stuck verdict + checklist) by `completeRound`.
 *
 * Where: every image metric (L1, PSNR, SSIM, sharpness, the 0-255 diagnostics, landmark-region
 * sharpness, the train-subset L1 of the gap) is computed on each case's CONTENT REGION only
 * (contentRegion.ts: the film's pixels, never the letterbox / ROI padding), so runs that differ in
 * preprocessing are compared on the same pixels. The whole-image L1 / PSNR / SSIM (padding
 * included: the server test.py's figure) are kept beside them as `mean_l1_whole` etc.
 * `metricsRegion` says which rule a round used: rounds stored before it existed are 'whole'.
 *
 * What is computed, on which cases:
 * - per-case metrics (L1 on [0,1] and on [-1,1], PSNR dB, SSIM) and per-case sharpness ratio on
 *   EVERY validation case, one case at a time like the server's test.py, with the same dropout
 *   seeds as `Trainer.evaluate` (so `mean_l1` equals the trainer's when the content region is the
 *   whole image; the trainer's is always whole-image);
 * - gradient/extremum diagnostics (0-255 units, exact percentiles and histograms) pooled over the
 *   `diagCaseIds` (the fixed evaluation list, at most 20 cases: memory stays bounded at 512 px);
 * - loss balance at the generator output (`lossBalance` of losses.ts: value, share and
 *   ‖∂(λᵢLᵢ)/∂fake‖ per term) averaged over the first `balanceCases` diagnostic cases, batch 1,
 *   D in its training forward (batch statistics, running statistics untouched);
 * - the generalization gap: mean L1 on a fixed training subset, evaluated exactly like validation;
 * - input sensitivity: mean |difference| (0-255) between the predictions for two different photos;
 * - the range of the photo and X-ray tensors fed to the model.
 *
 * Tensors: everything is disposed before each function returns; a test checks
 * `tf.memory().numTensors` is flat.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config';
import { lossBalance, type TermBalance } from '../losses';
import type { Discriminator, ForwardMode, Generator } from '../model/types';
import { deriveSeed } from '../rng';
import { imageToTensor, tensorToImages, type ImagePair } from '../train/data';
import { predictImages, type Prediction } from '../train/predict';
import { stuckChecklist, type InputRange } from './checklist';
import {
  CLINIC_PLAN_002,
  greyAndGradient_255,
  imageStatsFromMaps,
  outputInputSensitivity,
  type Diagnosis,
  type ImageStats,
} from './diagnostics';
import { DEFAULT_STUCK, scheduleAware, stuckDetector, type RoundDiag, type StuckOptions } from './stuck';
import { generalizationGap, type GapResult } from './gap';
import {
  DEFAULT_LM_WINDOW_MM,
  landmarkWindow,
  summarizeLandmarkSharpness,
  windowMeans,
  windowRatios,
  windowSidePx,
  type CaseLandmarkSharpness,
} from './landmarkSharpnessSummary';
import { finiteLosses } from './roundValues';
import { aggregate, cropTensor, imageMetrics, summarize } from './metrics';
import {
  isWhole,
  rectFraction,
  regionOf,
  type MetricsRegion,
  type PixelRect,
  type RegionPair,
} from './contentRegion';

export type { MetricsRegion, PixelRect, RegionPair } from './contentRegion';
import type {
  CaseEval,
  EvalLandmarkOptions,
  GridCase,
  ModelEvaluation,
  ModelEvaluationWithImages,
  ValidationRound,
} from './types';

export type {
  CaseEval,
  EvalAggregate,
  EvalLandmarkOptions,
  GridCase,
  ModelEvaluation,
  ModelEvaluationWithImages,
  ValidationRound,
} from './types';

export interface EvaluateModelOptions {
  step: number;
  epoch?: number | null;
  /** Default cfg.eval_mode. */
  evalMode?: boolean;
  /** Cases pooled for the gradient/extremum diagnostics (default: the first 20 validation cases). */
  diagCaseIds?: readonly string[];
  /** Diagnostic cases used for the loss balance (default 2). */
  balanceCases?: number;
  /** Return prediction images for these validation cases. */
  gridCaseIds?: readonly string[];
  lrNow?: number | null;
  /** Last logged losses (for the clinic-style loss-based gap figure). */
  losses?: Record<string, number | null> | null;
  /** Landmark-region sharpness on the cases that have landmarks (absent: not computed). */
  landmarks?: EvalLandmarkOptions | null;
  now?: () => number;
}

/** Diagnostics cases at most (bounded memory: n x H x W floats per map). */
export const MAX_DIAG_CASES = 20;

function ratio(a: number, b: number): number {
  return b === 0 ? (a === 0 ? 1 : Infinity) : a / b;
}

/** The same composition as diagnostics.ts `diagnose`, from already computed statistics. */
export function diagnosisFromStats(pred: ImageStats, target: ImageStats): Diagnosis {
  return {
    pred,
    target,
    sharpnessRatio: ratio(pred.gradMean_255, target.gradMean_255),
    edgeRatio: ratio(pred.gradP99_255, target.gradP99_255),
    maxRatio: ratio(pred.intensityMax_255, target.intensityMax_255),
    p999Ratio: ratio(pred.intensityP999_255, target.intensityP999_255),
    clinicPlan002: {
      gradOk: pred.gradMean_255 > CLINIC_PLAN_002.gradMean_255,
      maxOk: pred.intensityMax_255 > CLINIC_PLAN_002.intensityMax_255,
    },
  };
}

/** Target statistics do not change between rounds: cached per (first pair object, ids, channels). */
const targetStatsCache = new WeakMap<ImagePair, { key: string; stats: ImageStats }>();
/** The X-ray's landmark-window means do not change either: cached per (pair, size, window, spacing). */
const targetWindowCache = new WeakMap<ImagePair, { key: string; means: (number | null)[] }>();

/** Fixed training subset for the gap: `n` cases chosen by a seeded hash of their ids (order-free). */
export function chooseTrainSubset<T extends ImagePair>(train: readonly T[], seed: number, n = 20): T[] {
  const ranked = train
    .map((p, i) => ({ p, r: deriveSeed(seed, 'trainSubset', p.id ?? String(i)) }))
    .sort((a, b) => a.r - b.r);
  return ranked.slice(0, Math.max(0, n)).map((x) => x.p);
}

async function readScalars(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/**
 * Evaluate a generator (and its discriminator, for the loss balance) on validation cases and a
 * training subset; see the module comment. The networks are not changed.
 */
export async function evaluateModel(
  G: Generator,
  D: Discriminator | null,
  cfg: RunConfig,
  val: readonly RegionPair[],
  trainSubset: readonly RegionPair[],
  opts: EvaluateModelOptions,
): Promise<ModelEvaluationWithImages> {
  const now = opts.now ?? (() => Date.now());
  const t0 = now();
  const evalMode = opts.evalMode ?? cfg.eval_mode;
  const ids = val.map((c, i) => c.id ?? String(i));
  const known = new Set(ids);
  const diagIds = (opts.diagCaseIds ?? ids).filter((id) => known.has(id)).slice(0, MAX_DIAG_CASES);
  const diagIndex = new Map(diagIds.map((id, k) => [id, k]));
  const gridIds = (opts.gridCaseIds ?? []).filter((id) => known.has(id));
  const gridSet = new Set(gridIds);
  const size = cfg.size;
  const nDiag = diagIds.length;
  const diagPairs = diagIds.map((id) => val[ids.indexOf(id)]);
  const rectKey = (r: PixelRect): string => `${r.x},${r.y},${r.w},${r.h}`;
  const cacheKey =
    `${diagIds.join('\u0000')}|${cfg.output_nc}|${size}|` +
    diagPairs.map((p) => rectKey(regionOf(p, size, size))).join(';');
  const cachedTarget = nDiag > 0 ? targetStatsCache.get(diagPairs[0]) : undefined;
  const targetCached = cachedTarget?.key === cacheKey ? cachedTarget.stats : undefined;
  // per diagnostic case (content regions differ in size between cases): pooled at the end
  const predGrey: Float32Array[] = new Array<Float32Array>(nDiag);
  const predGrad: Float32Array[] = new Array<Float32Array>(nDiag);
  const tgtGrey: Float32Array[] = new Array<Float32Array>(nDiag);
  const tgtGrad: Float32Array[] = new Array<Float32Array>(nDiag);
  const whole: { l1: number[]; psnr: number[]; ssim: number[] } = { l1: [], psnr: [], ssim: [] };
  const range: InputRange = {
    photoMin: Infinity,
    photoMax: -Infinity,
    xrayMin: Infinity,
    xrayMax: -Infinity,
  };
  const cases: CaseEval[] = [];
  const lm = opts.landmarks && opts.landmarks.symbols.length > 0 ? opts.landmarks : null;
  const lmWindowMm = lm?.windowMm ?? DEFAULT_LM_WINDOW_MM;
  const lmCases: CaseLandmarkSharpness[] = [];
  const gridImages = new Map<string, GridCase>();
  const sens: tf.Tensor4D[] = [];
  let sensitivity_255: number | null = null;
  try {
    // every validation case, one at a time, with Trainer.evaluate's dropout seeds ('evaluate', i)
    const onCase = async ({ index: i, photo, pred }: Prediction): Promise<void> => {
      const c = val[i];
      const id = ids[i];
      const xray = imageToTensor(c.xray, cfg.output_nc);
      const maps: tf.Tensor[] = [];
      try {
        if (pred.shape[1] !== size || pred.shape[2] !== size) {
          throw new Error(
            `case ${id}: the generator produced ${pred.shape[2]}x${pred.shape[1]} px for a ${size} px run`,
          );
        }
        // the case's content region: every image metric below is computed on it only
        const rect = regionOf(c, size, size);
        const cropped = !isWhole(rect, size, size);
        const [m] = await imageMetrics(pred, xray, rect);
        const [mw] = cropped ? await imageMetrics(pred, xray) : [m];
        whole.l1.push(mw.l1_01);
        whole.psnr.push(mw.psnr_db);
        whole.ssim.push(mw.ssim);
        const predC = cropTensor(pred, rect);
        const xrayC = cropTensor(xray, rect);
        if (cropped) maps.push(predC, xrayC);
        const p = greyAndGradient_255(predC);
        const t = greyAndGradient_255(xrayC);
        maps.push(p.grey, p.grad, t.grey, t.grad);
        const s = await readScalars(
          tf.tidy(() =>
            tf.stack([
              tf.mean(p.grad),
              tf.mean(t.grad),
              tf.min(photo),
              tf.max(photo),
              tf.min(xray),
              tf.max(xray),
            ]),
          ),
        );
        range.photoMin = Math.min(range.photoMin, s[2]);
        range.photoMax = Math.max(range.photoMax, s[3]);
        range.xrayMin = Math.min(range.xrayMin, s[4]);
        range.xrayMax = Math.max(range.xrayMax, s[5]);
        cases.push({
          id,
          ...m,
          predGradMean_255: s[0],
          targetGradMean_255: s[1],
          sharpnessRatio: ratio(s[0], s[1]),
          contentFraction: rectFraction(rect, size, size),
        });
        const k = diagIndex.get(id);
        const spacing = lm && c.landmarks && c.landmarks.length > 0 ? lm.spacingOf(id) : null;
        // gradient maps are read from the GPU once, for the landmark windows and the diagnostics
        const wantLm = lm !== null && spacing !== null;
        const tKey = spacing
          ? `${size}|${cfg.output_nc}|${lmWindowMm}|${spacing.x}|${spacing.y}|${rectKey(rect)}`
          : '';
        const tCached = targetWindowCache.get(c);
        const tMeans = wantLm && tCached?.key === tKey ? tCached.means : null;
        const pg = wantLm || k !== undefined ? await p.grad.data() : null;
        const tg = (wantLm && !tMeans) || (k !== undefined && !targetCached) ? await t.grad.data() : null;
        if (spacing && c.landmarks && pg) {
          // windows in the content region's pixels (clipped to it: they never reach the padding)
          const boxes = c.landmarks.map((q) =>
            landmarkWindow(q ? [q[0] - rect.x, q[1] - rect.y] : q, spacing, lmWindowMm, rect.w, rect.h),
          );
          const pred_255 = windowMeans(pg, rect.w, rect.h, boxes);
          const target_255 = tMeans ?? (tg ? windowMeans(tg, rect.w, rect.h, boxes) : boxes.map(() => null));
          if (!tMeans) targetWindowCache.set(c, { key: tKey, means: target_255 });
          lmCases.push({
            id,
            pred_255,
            target_255,
            ratio: windowRatios(pred_255, target_255),
            windowPx: [windowSidePx(lmWindowMm, spacing.x), windowSidePx(lmWindowMm, spacing.y)],
          });
        }
        if (k !== undefined) {
          predGrey[k] = Float32Array.from(await p.grey.data());
          predGrad[k] = Float32Array.from(pg ?? (await p.grad.data()));
          if (!targetCached) {
            tgtGrey[k] = Float32Array.from(await t.grey.data());
            tgtGrad[k] = Float32Array.from(tg ?? (await t.grad.data()));
          }
          // kept for the input sensitivity (predictImages disposes its own)
          if (sens.length < 2) sens.push(tf.clone(pred));
        }
        if (gridSet.has(id)) {
          const [prediction] = await tensorToImages(pred);
          gridImages.set(id, {
            id,
            photo: c.photo,
            xray: c.xray,
            prediction,
            ...(c.landmarks ? { landmarks: c.landmarks } : {}),
          });
        }
      } finally {
        tf.dispose([xray, ...maps]);
      }
    };
    await predictImages(
      G,
      cfg,
      val.map((c) => c.photo),
      { evalMode, seedTag: 'evaluate', images: false, onPrediction: onCase },
    );
    if (sens.length === 2) sensitivity_255 = await outputInputSensitivity(sens[0], sens[1]);
  } finally {
    tf.dispose(sens);
  }

  let diagnosis: Diagnosis | null = null;
  if (nDiag > 0) {
    const predStats = imageStatsFromMaps(concatMaps(predGrey), concatMaps(predGrad), nDiag);
    let targetStats = targetCached;
    if (!targetStats) {
      targetStats = imageStatsFromMaps(concatMaps(tgtGrey), concatMaps(tgtGrad), nDiag);
      targetStatsCache.set(diagPairs[0], { key: cacheKey, stats: targetStats });
    }
    diagnosis = diagnosisFromStats(predStats, targetStats);
  }

  // loss balance at the generator output
  const balanceIds = D ? diagIds.slice(0, Math.max(0, opts.balanceCases ?? 2)) : [];
  const balance =
    D && balanceIds.length > 0 ? await averagedBalance(G, D, cfg, evalMode, balanceIds, val, ids) : null;

  // generalization gap
  let gap: GapResult | null = null;
  if (trainSubset.length > 0 && cases.length > 0) {
    const l1s: number[] = [];
    await predictImages(
      G,
      cfg,
      trainSubset.map((c) => c.photo),
      {
        evalMode,
        seedTag: 'evaluateTrain',
        images: false,
        onPrediction: async ({ index, pred }) => {
          const c = trainSubset[index];
          const xray = imageToTensor(c.xray, cfg.output_nc);
          try {
            const [m] = await imageMetrics(pred, xray, regionOf(c, size, size));
            l1s.push(m.l1_01);
          } finally {
            xray.dispose();
          }
        },
      },
    );
    const trainL1 = summarize(l1s).mean;
    gap = generalizationGap(
      trainL1,
      summarize(cases.map((c) => c.l1_01)).mean,
      trainSubset.length,
      evalMode,
      {
        G_L1: opts.losses?.G_L1 ?? null,
        lambda_L1: cfg.lambda_L1,
      },
    );
  }

  const agg = aggregate(cases);
  const l1pm1 = summarize(cases.map((c) => c.l1_pm1));
  return {
    metricsRegion: 'content',
    step: opts.step,
    epoch: opts.epoch ?? null,
    evalMode,
    cases,
    aggregate: {
      ...agg,
      mean_l1_pm1: l1pm1.mean,
      median_l1_pm1: l1pm1.median,
      mean_sharpness_ratio: summarize(cases.map((c) => c.sharpnessRatio).filter(Number.isFinite)).mean,
      mean_l1_whole: summarize(whole.l1).mean,
      mean_psnr_whole: summarize(whole.psnr).mean,
      mean_ssim_whole: summarize(whole.ssim).mean,
      mean_content_fraction: summarize(cases.map((c) => c.contentFraction ?? 1)).mean,
    },
    diagnosis,
    diagnosisCaseIds: diagIds,
    balance,
    balanceCaseIds: balance ? balanceIds : [],
    gap,
    sensitivity_255,
    inputRange: cases.length > 0 ? range : null,
    lrNow: opts.lrNow ?? null,
    durationMs: now() - t0,
    landmarkSharpness:
      lm && lmCases.length > 0 ? summarizeLandmarkSharpness(lmCases, lm.symbols, lm.names, lmWindowMm) : null,
    grid: gridIds.map((id) => gridImages.get(id)).filter((g): g is GridCase => g !== undefined),
  };
}

/** One flat map from per-case maps (in case order). */
function concatMaps(parts: readonly Float32Array[]): Float32Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Where a (possibly stored) round's image metrics were computed; absent = 'whole' (older rounds). */
export function metricsRegionOf(r: Pick<ModelEvaluation, 'metricsRegion'>): MetricsRegion {
  return r.metricsRegion ?? 'whole';
}

async function averagedBalance(
  G: Generator,
  D: Discriminator,
  cfg: RunConfig,
  evalMode: boolean,
  balanceIds: readonly string[],
  val: readonly ImagePair[],
  ids: readonly string[],
): Promise<TermBalance[]> {
  // D as in the generator step of training: batch statistics, running statistics untouched
  const dMode: ForwardMode = { training: true, dropout: false, updateStats: false };
  const sums = new Map<TermBalance['term'], { value: number; gradNorm: number }>();
  // the balance cases with the seeds of their place among the validation cases
  const at = balanceIds.map((id) => ids.indexOf(id));
  await predictImages(
    G,
    cfg,
    at.map((i) => val[i].photo),
    {
      evalMode,
      seedTag: 'evaluate',
      seedIndex: (k) => at[k],
      images: false,
      onPrediction: async ({ index, photo, pred: fake }) => {
        const xray = imageToTensor(val[at[index]].xray, cfg.output_nc);
        let dReal: ReturnType<Discriminator['apply']> | null = null;
        try {
          dReal = cfg.lambda_fm > 0 ? D.apply(photo, xray, dMode) : null;
          const rows = await lossBalance(
            cfg,
            fake,
            xray,
            (f) => D.apply(photo, f, dMode),
            dReal ?? undefined,
          );
          for (const r of rows) {
            const e = sums.get(r.term) ?? { value: 0, gradNorm: 0 };
            e.value += r.value;
            e.gradNorm += r.gradNorm;
            sums.set(r.term, e);
          }
        } finally {
          xray.dispose();
          if (dReal) tf.dispose([...dReal.logits, ...dReal.features.flat()]);
        }
      },
    },
  );
  const n = balanceIds.length;
  const rows = [...sums].map(([term, e]) => ({ term, value: e.value / n, gradNorm: e.gradNorm / n }));
  const total = rows.reduce((s, r) => s + r.value, 0);
  return rows.map((r) => ({ ...r, share: total === 0 ? 0 : r.value / total }));
}

// ---------------------------------------------------------------------------------------------
// Validation rounds: stuck detection and the checklist
// ---------------------------------------------------------------------------------------------

// the detector, its default window and the learning-rate rule are TF.js-free in stuck.ts
export { DEFAULT_STUCK, scheduleAware };

/** What the stuck detector needs of one round. */
export function roundDiag(r: ModelEvaluation, losses: Record<string, number | null> | null): RoundDiag {
  return {
    step: r.step,
    predGradMean_255: r.diagnosis?.pred.gradMean_255 ?? NaN,
    predMax_255: r.diagnosis?.pred.intensityMax_255 ?? NaN,
    losses: finiteLosses(losses),
    ...(r.sensitivity_255 !== null ? { sensitivity_255: r.sensitivity_255 } : {}),
    ...(Number.isFinite(r.aggregate.mean_l1) ? { valL1_01: r.aggregate.mean_l1 } : {}),
  };
}

/**
 * Turn an evaluation into a validation round: the stuck verdict over `history` (earlier rounds of
 * the run, oldest first) plus this one, and the checklist answered from the run config, the
 * losses, the measured input range and the loss balance.
 */
export function completeRound(
  ev: ModelEvaluation,
  cfg: RunConfig,
  history: readonly RoundDiag[],
  losses: Record<string, number | null> | null,
  stuckOpts: StuckOptions = DEFAULT_STUCK,
): ValidationRound {
  const stuck = scheduleAware(stuckDetector([...history, roundDiag(ev, losses)], stuckOpts), cfg, ev.lrNow);
  const checklist = stuckChecklist({
    cfg,
    evalMode: ev.evalMode,
    losses,
    inputRange: ev.inputRange,
    balance: ev.balance,
    lrNow: ev.lrNow,
  });
  return { ...ev, losses, stuck, checklist };
}

// Flat values for the run's `val` history series: tf-free in roundValues.ts (the page uses them)
export {
  caseValues,
  casesFromValues,
  isCaseKey,
  metricsRegionOfValues,
  roundDiagFromValues,
  roundFromValues,
  roundValues,
  storedVerdict,
  stuckOfStoredRound,
  STUCK_KINDS,
  type StoredRound,
} from './roundValues';
