/**
 * One evaluation of a generator: everything the Evaluate view and the review report show, as
 * plain structured-clone data (no tensors), computed by `evaluateModel` and extended to a
 * `ValidationRound` (stuck verdict + checklist) by `completeRound`.
 *
 * What is computed, on which cases:
 * - per-case metrics (L1 on [0,1] and on [-1,1], PSNR dB, SSIM) and per-case sharpness ratio on
 *   EVERY validation case, one case at a time like the server's test.py, with the same dropout
 *   seeds as `Trainer.evaluate` (so `mean_l1` equals the trainer's);
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
import type { RgbaImage } from '../image';
import { lossBalance, type TermBalance } from '../losses';
import type { Discriminator, ForwardMode, Generator } from '../model/types';
import { deriveSeed } from '../rng';
import { imageToTensor, tensorToImages, type ImagePair } from '../train/data';
import { inferenceMode } from '../train/trainer';
import { stuckChecklist, type ChecklistItem, type InputRange } from './checklist';
import {
  CLINIC_PLAN_002,
  greyAndGradient_255,
  imageStatsFromMaps,
  outputInputSensitivity,
  stuckDetector,
  type Diagnosis,
  type ImageStats,
  type RoundDiag,
  type StuckOptions,
  type StuckVerdict,
} from './diagnostics';
import type { CaseScore } from './failures';
import { generalizationGap, type GapResult } from './gap';
import { aggregate, imageMetrics, summarize, type AggregateMetrics, type CaseMetrics } from './metrics';

/** One validation case: its metrics and its own sharpness. */
export interface CaseEval extends CaseMetrics {
  id: string;
  /** Mean Sobel gradient magnitude of the prediction / of the X-ray, 0-255 units per pixel. */
  predGradMean_255: number;
  targetGradMean_255: number;
  /** predGradMean_255 / targetGradMean_255. */
  sharpnessRatio: number;
}

export interface EvalAggregate extends AggregateMetrics {
  /** Mean and median L1 on the server's [-1,1] scale (= 2 x the [0,1] values). */
  mean_l1_pm1: number;
  median_l1_pm1: number;
  /** Mean over cases of the per-case sharpness ratio. */
  mean_sharpness_ratio: number;
}

export interface ModelEvaluation {
  /** Training step of the weights. */
  step: number;
  epoch: number | null;
  /** Inference mode used (server `--eval`). */
  evalMode: boolean;
  /** Every validation case, in the order given. */
  cases: CaseEval[];
  aggregate: EvalAggregate;
  /** Pooled over `diagnosisCaseIds`; null when there is no validation case. */
  diagnosis: Diagnosis | null;
  diagnosisCaseIds: string[];
  /** Averaged over `balanceCaseIds`; null without a discriminator. */
  balance: TermBalance[] | null;
  balanceCaseIds: string[];
  gap: GapResult | null;
  /** 0-255 units; null with fewer than two diagnostic cases. */
  sensitivity_255: number | null;
  inputRange: InputRange | null;
  /** Learning rate of the next step, when known. */
  lrNow: number | null;
  durationMs: number;
}

/** Images of one grid case: photo | X-ray | prediction (all at the training size). */
export interface GridCase {
  id: string;
  photo: RgbaImage;
  xray: RgbaImage;
  prediction: RgbaImage;
}

export interface ModelEvaluationWithImages extends ModelEvaluation {
  /** Images of the requested `gridCaseIds` found among the validation cases, in that order. */
  grid: GridCase[];
}

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

/** Fixed training subset for the gap: `n` cases chosen by a seeded hash of their ids (order-free). */
export function chooseTrainSubset(train: readonly ImagePair[], seed: number, n = 20): ImagePair[] {
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
  val: readonly ImagePair[],
  trainSubset: readonly ImagePair[],
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
  const hw = size * size;
  const nDiag = diagIds.length;
  const diagPairs = diagIds.map((id) => val[ids.indexOf(id)]);
  const cacheKey = `${diagIds.join('\u0000')}|${cfg.output_nc}|${size}`;
  const cachedTarget = nDiag > 0 ? targetStatsCache.get(diagPairs[0]) : undefined;
  const targetCached = cachedTarget?.key === cacheKey ? cachedTarget.stats : undefined;
  const predGrey = new Float32Array(nDiag * hw);
  const predGrad = new Float32Array(nDiag * hw);
  const tgtGrey = targetCached ? new Float32Array(0) : new Float32Array(nDiag * hw);
  const tgtGrad = targetCached ? new Float32Array(0) : new Float32Array(nDiag * hw);
  const range: InputRange = {
    photoMin: Infinity,
    photoMax: -Infinity,
    xrayMin: Infinity,
    xrayMax: -Infinity,
  };
  const cases: CaseEval[] = [];
  const gridImages = new Map<string, GridCase>();
  const sens: tf.Tensor4D[] = [];
  let sensitivity_255: number | null = null;
  try {
    for (let i = 0; i < val.length; i++) {
      const c = val[i];
      const id = ids[i];
      const photo = imageToTensor(c.photo, cfg.input_nc);
      const xray = imageToTensor(c.xray, cfg.output_nc);
      let pred: tf.Tensor4D | null = null;
      const maps: tf.Tensor[] = [];
      try {
        pred = G.apply(photo, inferenceMode(cfg, evalMode, deriveSeed(cfg.seed, 'evaluate', i)));
        if (pred.shape[1] !== size || pred.shape[2] !== size) {
          throw new Error(
            `case ${id}: the generator produced ${pred.shape[2]}x${pred.shape[1]} px for a ${size} px run`,
          );
        }
        const [m] = await imageMetrics(pred, xray);
        const p = greyAndGradient_255(pred);
        const t = greyAndGradient_255(xray);
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
        });
        const k = diagIndex.get(id);
        if (k !== undefined) {
          predGrey.set(await p.grey.data(), k * hw);
          predGrad.set(await p.grad.data(), k * hw);
          if (!targetCached) {
            tgtGrey.set(await t.grey.data(), k * hw);
            tgtGrad.set(await t.grad.data(), k * hw);
          }
          if (sens.length < 2) {
            sens.push(pred);
            pred = null;
          }
        }
        if (gridSet.has(id)) {
          const src = pred ?? sens[sens.length - 1];
          const [prediction] = await tensorToImages(src);
          gridImages.set(id, { id, photo: c.photo, xray: c.xray, prediction });
        }
      } finally {
        tf.dispose([photo, xray, ...maps]);
        pred?.dispose();
      }
    }
    if (sens.length === 2) sensitivity_255 = await outputInputSensitivity(sens[0], sens[1]);
  } finally {
    tf.dispose(sens);
  }

  let diagnosis: Diagnosis | null = null;
  if (nDiag > 0) {
    const predStats = imageStatsFromMaps(predGrey, predGrad, nDiag);
    let targetStats = targetCached;
    if (!targetStats) {
      targetStats = imageStatsFromMaps(tgtGrey, tgtGrad, nDiag);
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
    for (let i = 0; i < trainSubset.length; i++) {
      const c = trainSubset[i];
      const photo = imageToTensor(c.photo, cfg.input_nc);
      const xray = imageToTensor(c.xray, cfg.output_nc);
      let pred: tf.Tensor4D | null = null;
      try {
        pred = G.apply(photo, inferenceMode(cfg, evalMode, deriveSeed(cfg.seed, 'evaluateTrain', i)));
        const [m] = await imageMetrics(pred, xray);
        l1s.push(m.l1_01);
      } finally {
        tf.dispose([photo, xray]);
        pred?.dispose();
      }
    }
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
    step: opts.step,
    epoch: opts.epoch ?? null,
    evalMode,
    cases,
    aggregate: {
      ...agg,
      mean_l1_pm1: l1pm1.mean,
      median_l1_pm1: l1pm1.median,
      mean_sharpness_ratio: summarize(cases.map((c) => c.sharpnessRatio).filter(Number.isFinite)).mean,
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
    grid: gridIds.map((id) => gridImages.get(id)).filter((g): g is GridCase => g !== undefined),
  };
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
  for (const id of balanceIds) {
    const i = ids.indexOf(id);
    const c = val[i];
    const photo = imageToTensor(c.photo, cfg.input_nc);
    const xray = imageToTensor(c.xray, cfg.output_nc);
    let fake: tf.Tensor4D | null = null;
    let dReal: ReturnType<Discriminator['apply']> | null = null;
    try {
      fake = G.apply(photo, inferenceMode(cfg, evalMode, deriveSeed(cfg.seed, 'evaluate', i)));
      dReal = cfg.lambda_fm > 0 ? D.apply(photo, xray, dMode) : null;
      const rows = await lossBalance(cfg, fake, xray, (f) => D.apply(photo, f, dMode), dReal ?? undefined);
      for (const r of rows) {
        const e = sums.get(r.term) ?? { value: 0, gradNorm: 0 };
        e.value += r.value;
        e.gradNorm += r.gradNorm;
        sums.set(r.term, e);
      }
    } finally {
      tf.dispose([photo, xray]);
      fake?.dispose();
      if (dReal) tf.dispose([...dReal.logits, ...dReal.features.flat()]);
    }
  }
  const n = balanceIds.length;
  const rows = [...sums].map(([term, e]) => ({ term, value: e.value / n, gradNorm: e.gradNorm / n }));
  const total = rows.reduce((s, r) => s + r.value, 0);
  return rows.map((r) => ({ ...r, share: total === 0 ? 0 : r.value / total }));
}

// ---------------------------------------------------------------------------------------------
// Validation rounds: stuck detection and the checklist
// ---------------------------------------------------------------------------------------------

/** Compare the last 3 rounds; a change under 1 % counts as frozen. */
export const DEFAULT_STUCK: StuckOptions = { k: 3, relTol: 0.01 };

export interface ValidationRound extends ModelEvaluation {
  /** Last logged losses when the round ran (server names, G terms weighted). */
  losses: Record<string, number | null> | null;
  stuck: StuckVerdict;
  /** Answered every round; the view shows it with the stuck alert. */
  checklist: ChecklistItem[];
}

const STUCK_LOSSES = ['G_GAN', 'G_L1', 'G_grad', 'G_lap', 'G_fm', 'G_ssim', 'D_real', 'D_fake'];

function finiteLosses(losses: Record<string, number | null> | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!losses) return out;
  for (const k of STUCK_LOSSES) {
    const v = losses[k];
    if (typeof v === 'number' && Number.isFinite(v) && v !== 0) out[k] = v;
  }
  return out;
}

/** What the stuck detector needs of one round. */
export function roundDiag(r: ModelEvaluation, losses: Record<string, number | null> | null): RoundDiag {
  return {
    step: r.step,
    predGradMean_255: r.diagnosis?.pred.gradMean_255 ?? NaN,
    predMax_255: r.diagnosis?.pred.intensityMax_255 ?? NaN,
    losses: finiteLosses(losses),
    ...(r.sensitivity_255 !== null ? { sensitivity_255: r.sensitivity_255 } : {}),
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
  const stuck = stuckDetector([...history, roundDiag(ev, losses)], stuckOpts);
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

// ---------------------------------------------------------------------------------------------
// Flat values for the run's `val` history series
// ---------------------------------------------------------------------------------------------

function num(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The round's scalars for the `val` history point: the clinic's names (`mean_l1` on [0,1],
 * `mean_psnr` dB, ...), diagnostics in 0-255 units, the gap, the loss balance (`lb_<term>_value`,
 * `lb_<term>_share`, `lb_<term>_grad`), the losses at the round (`loss_<name>`) and `stuck` (0/1).
 */
export function roundValues(r: ValidationRound | ModelEvaluation): Record<string, number | null> {
  const a = r.aggregate;
  const d = r.diagnosis;
  const v: Record<string, number | null> = {
    mean_l1: num(a.mean_l1),
    median_l1: num(a.median_l1),
    mean_psnr: num(a.mean_psnr),
    median_psnr: num(a.median_psnr),
    mean_ssim: num(a.mean_ssim),
    median_ssim: num(a.median_ssim),
    n_cases: a.n_cases,
    mean_l1_pm1: num(a.mean_l1_pm1),
    mean_sharpness_ratio: num(a.mean_sharpness_ratio),
    eval_mode: r.evalMode ? 1 : 0,
  };
  if (d) {
    Object.assign(v, {
      pred_grad_mean_255: num(d.pred.gradMean_255),
      pred_grad_max_255: num(d.pred.gradMax_255),
      pred_grad_p99_255: num(d.pred.gradP99_255),
      pred_max_255: num(d.pred.intensityMax_255),
      pred_p999_255: num(d.pred.intensityP999_255),
      target_grad_mean_255: num(d.target.gradMean_255),
      target_grad_max_255: num(d.target.gradMax_255),
      target_grad_p99_255: num(d.target.gradP99_255),
      target_max_255: num(d.target.intensityMax_255),
      target_p999_255: num(d.target.intensityP999_255),
      sharpness_ratio: num(d.sharpnessRatio),
      edge_ratio: num(d.edgeRatio),
      max_ratio: num(d.maxRatio),
    });
  }
  if (r.gap) {
    v.train_l1 = num(r.gap.train_l1_01);
    v.gap_ratio = num(r.gap.ratio);
  }
  if (r.sensitivity_255 !== null) v.sensitivity_255 = num(r.sensitivity_255);
  if (r.inputRange) {
    v.photo_min = num(r.inputRange.photoMin);
    v.photo_max = num(r.inputRange.photoMax);
    v.xray_min = num(r.inputRange.xrayMin);
    v.xray_max = num(r.inputRange.xrayMax);
  }
  if (r.lrNow !== null) v.lr_now = num(r.lrNow);
  for (const b of r.balance ?? []) {
    v[`lb_${b.term}_value`] = num(b.value);
    v[`lb_${b.term}_share`] = num(b.share);
    v[`lb_${b.term}_grad`] = num(b.gradNorm);
  }
  if ('stuck' in r) {
    v.stuck = r.stuck.stuck ? 1 : 0;
    for (const [k, x] of Object.entries(r.losses ?? {})) v[`loss_${k}`] = num(x);
  }
  return v;
}

const CASE_PREFIX = 'case:';
const CASE_FIELDS = ['l1_01', 'psnr_db', 'ssim', 'sharpness_ratio'] as const;

/** Per-case values for the history point: `case:<id>:l1_01`, `…:psnr_db`, `…:ssim`, `…:sharpness_ratio`. */
export function caseValues(r: ModelEvaluation): Record<string, number | null> {
  const v: Record<string, number | null> = {};
  for (const c of r.cases) {
    v[`${CASE_PREFIX}${c.id}:l1_01`] = num(c.l1_01);
    // +Infinity (exact match) is stored as a large finite value so it survives JSON
    v[`${CASE_PREFIX}${c.id}:psnr_db`] = c.psnr_db === Infinity ? 999 : num(c.psnr_db);
    v[`${CASE_PREFIX}${c.id}:ssim`] = num(c.ssim);
    v[`${CASE_PREFIX}${c.id}:sharpness_ratio`] = num(c.sharpnessRatio);
  }
  return v;
}

/** Per-case scores back from a history point (cases in the order first seen). */
export function casesFromValues(values: Record<string, number | null>): CaseScore[] {
  const byId = new Map<string, Partial<Record<(typeof CASE_FIELDS)[number], number | null>>>();
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith(CASE_PREFIX)) continue;
    const cut = key.lastIndexOf(':');
    const field = key.slice(cut + 1) as (typeof CASE_FIELDS)[number];
    if (!CASE_FIELDS.includes(field)) continue;
    const id = key.slice(CASE_PREFIX.length, cut);
    const e = byId.get(id) ?? {};
    e[field] = value;
    byId.set(id, e);
  }
  return [...byId].map(([id, e]) => ({
    id,
    l1_01: e.l1_01 ?? NaN,
    psnr_db: e.psnr_db ?? NaN,
    ssim: e.ssim ?? NaN,
    sharpnessRatio: e.sharpness_ratio ?? null,
  }));
}

/** Whether a history key is a per-case value (to keep them out of summaries and checkpoint metrics). */
export function isCaseKey(key: string): boolean {
  return key.startsWith(CASE_PREFIX);
}

/** The stuck detector's view of a stored round (null when it has no diagnostics). */
export function roundDiagFromValues(step: number, values: Record<string, number | null>): RoundDiag | null {
  const g = values.pred_grad_mean_255;
  const m = values.pred_max_255;
  if (g === null || g === undefined || m === null || m === undefined) return null;
  const losses: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(values)) if (k.startsWith('loss_')) losses[k.slice(5)] = x;
  const s = values.sensitivity_255;
  return {
    step,
    predGradMean_255: g,
    predMax_255: m,
    losses: finiteLosses(losses),
    ...(typeof s === 'number' ? { sensitivity_255: s } : {}),
  };
}

/** Image statistics known only by their summary values (no histograms, unknown fields NaN). */
function partialStats(v: Record<string, number | null>, who: 'pred' | 'target'): ImageStats {
  const g = (k: string): number => v[`${who}_${k}`] ?? NaN;
  const empty = { lo: 0, hi: 0, counts: [], underflow: 0, overflow: 0 };
  return {
    n_images: NaN,
    n_pixels: NaN,
    gradMean_255: g('grad_mean_255'),
    gradMin_255: NaN,
    gradMax_255: g('grad_max_255'),
    gradP1_255: NaN,
    gradP99_255: g('grad_p99_255'),
    gradP999_255: NaN,
    gradHist: empty,
    intensityMean_255: NaN,
    intensityMin_255: NaN,
    intensityMax_255: g('max_255'),
    intensityP1_255: NaN,
    intensityP99_255: NaN,
    intensityP999_255: g('p999_255'),
    intensityHist: empty,
  };
}

const BALANCE_TERMS: readonly TermBalance['term'][] = ['G_GAN', 'G_L1', 'G_grad', 'G_lap', 'G_fm', 'G_ssim'];

/**
 * A validation round rebuilt from a stored `val` history point (what `roundValues` +
 * `caseValues` wrote): per-case scores, summaries, diagnostics without histograms, loss balance,
 * gap, input range, losses; the stuck verdict over `history` (earlier rounds) plus this one and
 * the checklist are recomputed. Values the point does not hold are NaN / null.
 */
export function roundFromValues(
  step: number,
  epoch: number | null,
  values: Record<string, number | null>,
  cfg: RunConfig,
  history: readonly RoundDiag[],
  stuckOpts: StuckOptions = DEFAULT_STUCK,
): ValidationRound {
  const v = (k: string): number => values[k] ?? NaN;
  const cases: CaseEval[] = casesFromValues(values).map((c) => ({
    id: c.id,
    l1_01: c.l1_01,
    l1_pm1: 2 * c.l1_01,
    psnr_db: c.psnr_db,
    ssim: c.ssim,
    predGradMean_255: NaN,
    targetGradMean_255: NaN,
    sharpnessRatio: c.sharpnessRatio ?? NaN,
  }));
  const hasDiag = values.pred_grad_mean_255 !== undefined && values.pred_grad_mean_255 !== null;
  const diagnosis: Diagnosis | null = hasDiag
    ? {
        pred: partialStats(values, 'pred'),
        target: partialStats(values, 'target'),
        sharpnessRatio: v('sharpness_ratio'),
        edgeRatio: v('edge_ratio'),
        maxRatio: v('max_ratio'),
        p999Ratio: ratio(v('pred_p999_255'), v('target_p999_255')),
        clinicPlan002: {
          gradOk: v('pred_grad_mean_255') > CLINIC_PLAN_002.gradMean_255,
          maxOk: v('pred_max_255') > CLINIC_PLAN_002.intensityMax_255,
        },
      }
    : null;
  const balance: TermBalance[] = BALANCE_TERMS.filter((t) => values[`lb_${t}_value`] !== undefined).map(
    (term) => ({
      term,
      value: v(`lb_${term}_value`),
      share: v(`lb_${term}_share`),
      gradNorm: v(`lb_${term}_grad`),
    }),
  );
  const losses: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(values)) if (k.startsWith('loss_')) losses[k.slice(5)] = x;
  const hasLosses = Object.keys(losses).length > 0;
  const trainL1 = values.train_l1;
  const ev: ModelEvaluation = {
    step,
    epoch,
    evalMode:
      values.eval_mode === undefined || values.eval_mode === null ? cfg.eval_mode : values.eval_mode === 1,
    cases,
    aggregate: {
      mean_l1: v('mean_l1'),
      median_l1: v('median_l1'),
      mean_psnr: v('mean_psnr'),
      median_psnr: v('median_psnr'),
      mean_ssim: v('mean_ssim'),
      median_ssim: v('median_ssim'),
      n_cases: values.n_cases ?? cases.length,
      mean_l1_pm1: values.mean_l1_pm1 ?? 2 * v('mean_l1'),
      median_l1_pm1: 2 * v('median_l1'),
      mean_sharpness_ratio: v('mean_sharpness_ratio'),
    },
    diagnosis,
    diagnosisCaseIds: [],
    balance: balance.length > 0 ? balance : null,
    balanceCaseIds: [],
    gap:
      trainL1 !== undefined && trainL1 !== null
        ? generalizationGap(trainL1, v('mean_l1'), NaN, values.eval_mode === 1, {
            G_L1: losses.G_L1 ?? null,
            lambda_L1: cfg.lambda_L1,
          })
        : null,
    sensitivity_255: values.sensitivity_255 ?? null,
    inputRange:
      values.photo_min !== undefined && values.photo_min !== null
        ? {
            photoMin: v('photo_min'),
            photoMax: v('photo_max'),
            xrayMin: v('xray_min'),
            xrayMax: v('xray_max'),
          }
        : null,
    lrNow: values.lr_now ?? null,
    durationMs: NaN,
  };
  return completeRound(ev, cfg, history, hasLosses ? losses : null, stuckOpts);
}
