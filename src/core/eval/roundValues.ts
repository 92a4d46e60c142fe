/**
 * A validation round as flat values for the run's `val` history series (MetricPoint values):
 * the clinic's names (`mean_l1` on [0,1], `mean_psnr` dB, ...), 0-255 diagnostics, the gap, the
 * loss balance, the losses at the round and per-case values `case:<id>:<metric>`; and back,
 * including the stuck verdict judged again from the stored rounds (`stuckOfStoredRound`).
 * No TF.js here: the page uses these (round.ts re-exports them).
 */
import { G_TERMS, LOSS_NAMES, type RunConfig } from '../config';
import type { TermBalance } from '../losses';
import { stuckChecklist } from './checklist';
import type { Diagnosis, ImageStats } from './diagnostics';
import type { CaseScore } from './failures';
import { generalizationGap } from './gap';
import { ISBI_LANDMARKS } from '../data/landmarkSet';
import { landmarkSharpnessFromValues, landmarkSharpnessValues } from './landmarkSharpnessSummary';
import type { MetricsRegion } from './contentRegion';
import type { CaseEval, ModelEvaluation, ValidationRound } from './types';
import {
  DEFAULT_STUCK,
  scheduleAware,
  STUCK_KINDS,
  stuckDetector,
  stuckMessage,
  stuckVerdict,
  type RoundDiag,
  type StuckOptions,
  type StuckVerdict,
} from './stuck';

export { STUCK_KINDS };

/** The finite, non-zero losses the stuck detector compares (server names). */
export function finiteLosses(losses: Record<string, number | null> | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!losses) return out;
  for (const k of LOSS_NAMES) {
    const v = losses[k];
    if (typeof v === 'number' && Number.isFinite(v) && v !== 0) out[k] = v;
  }
  return out;
}

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
  // 1: the image metrics above and below are over each case's content region (padding excluded);
  // absent (rounds stored before it): over the whole image — never mixed silently (metricsRegionOfValues)
  if (r.metricsRegion === 'content') {
    v.content_region = 1;
    if (a.mean_l1_whole !== undefined) v.mean_l1_whole = num(a.mean_l1_whole);
    if (a.mean_psnr_whole !== undefined) v.mean_psnr_whole = num(a.mean_psnr_whole);
    if (a.mean_ssim_whole !== undefined) v.mean_ssim_whole = num(a.mean_ssim_whole);
    if (a.mean_content_fraction !== undefined) v.content_fraction = num(a.mean_content_fraction);
  }
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
      p999_ratio: num(d.p999Ratio),
      plan002_grad_ok: d.clinicPlan002.gradOk ? 1 : 0,
      plan002_max_ok: d.clinicPlan002.maxOk ? 1 : 0,
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
  if (r.landmarkSharpness) Object.assign(v, landmarkSharpnessValues(r.landmarkSharpness));
  if (r.traceability) {
    // traceability (mm, SDR as a fraction): detector on the prediction; its floor on the real X-ray
    v.trace_mre = num(r.traceability.synthetic.mreMm ?? NaN);
    v.trace_sdr2 = num(r.traceability.synthetic.sdr['2']);
    v.trace_floor_mre = num(r.traceability.floor.mreMm ?? NaN);
  }
  for (const b of r.balance ?? []) {
    v[`lb_${b.term}_value`] = num(b.value);
    v[`lb_${b.term}_share`] = num(b.share);
    v[`lb_${b.term}_grad`] = num(b.gradNorm);
  }
  if ('stuck' in r) {
    v.stuck = r.stuck.stuck ? 1 : 0;
    v.stuck_kind = STUCK_KINDS.indexOf(r.stuck.kind);
    for (const [k, x] of Object.entries(r.losses ?? {})) v[`loss_${k}`] = num(x);
  }
  return v;
}

const CASE_PREFIX = 'case:';
const CASE_FIELDS = ['l1_01', 'psnr_db', 'ssim', 'sharpness_ratio'] as const;

/**
 * Where the image metrics of a stored `val` point were computed: 'content' when the round
 * recorded `content_region` = 1, else 'whole' (rounds stored before content-region metrics: their
 * mean_l1 / PSNR / SSIM / diagnostics include the letterbox padding).
 */
export function metricsRegionOfValues(values: Record<string, number | null>): MetricsRegion {
  return values.content_region === 1 ? 'content' : 'whole';
}

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

/**
 * The stuck verdict an earlier version stored with a round (`stuck` 0/1, `stuck_kind`), or null
 * when the round holds none. Its explanation names the round only: the detector's numbers were
 * not stored.
 */
export function storedVerdict(step: number, values: Record<string, number | null>): StuckVerdict | null {
  const code = values.stuck_kind;
  const flag = values.stuck;
  if ((code === undefined || code === null) && (flag === undefined || flag === null)) return null;
  const kind = typeof code === 'number' && STUCK_KINDS[code] ? STUCK_KINDS[code] : 'too_few_rounds';
  return stuckVerdict(flag === 1, kind, [stuckMessage('stored', { step })]);
}

/** A stored round: its step and its `val` history values. */
export interface StoredRound {
  step: number;
  values: Record<string, number | null>;
}

/**
 * The stuck verdict of the stored round at `step`, judged again like the engine does: the detector
 * over the diagnostics of the run's stored rounds before this one (`earlier`, oldest first; rounds
 * without diagnostics are skipped, as the engine's history skips them) and this one, then the
 * learning-rate rule with the round's `lr_now`. A round without image diagnostics cannot be
 * judged: then the verdict a previous version stored with it is read (`storedVerdict`), else
 * "nothing to judge".
 */
export function stuckOfStoredRound(
  step: number,
  values: Record<string, number | null>,
  cfg: RunConfig,
  earlier: readonly StoredRound[],
  opts: StuckOptions = DEFAULT_STUCK,
): StuckVerdict {
  const now = roundDiagFromValues(step, values);
  if (!now) {
    return (
      storedVerdict(step, values) ??
      stuckVerdict(false, 'too_few_rounds', [stuckMessage('noDiagnostics', { step })])
    );
  }
  const history: RoundDiag[] = [];
  for (const p of earlier) {
    const d = roundDiagFromValues(p.step, p.values);
    if (d) history.push(d);
  }
  history.push(now);
  const lr = values.lr_now;
  return scheduleAware(stuckDetector(history, opts), cfg, typeof lr === 'number' ? lr : null);
}

/** The stuck detector's view of a stored round (null when it has no diagnostics). */
export function roundDiagFromValues(step: number, values: Record<string, number | null>): RoundDiag | null {
  const g = values.pred_grad_mean_255;
  const m = values.pred_max_255;
  if (g === null || g === undefined || m === null || m === undefined) return null;
  const losses: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(values)) if (k.startsWith('loss_')) losses[k.slice(5)] = x;
  const s = values.sensitivity_255;
  const l1 = values.mean_l1;
  return {
    step,
    predGradMean_255: g,
    predMax_255: m,
    losses: finiteLosses(losses),
    ...(typeof s === 'number' ? { sensitivity_255: s } : {}),
    ...(typeof l1 === 'number' && Number.isFinite(l1) ? { valL1_01: l1 } : {}),
  };
}

/** Full English name of an ISBI landmark symbol ('' for other sets: the stored values hold symbols only). */
function isbiName(symbol: string): string {
  return ISBI_LANDMARKS.find((l) => l.id === symbol)?.name ?? '';
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

/**
 * A validation round rebuilt from a stored `val` history point (what `roundValues` +
 * `caseValues` wrote): per-case scores, summaries, diagnostics without histograms, loss balance,
 * gap, input range, losses; the stuck verdict is judged again with the run's stored rounds before
 * this one, `earlier` (`stuckOfStoredRound`), and the checklist answered again from these values
 * and the run config. Values the point does not hold are NaN / null.
 */
export function roundFromValues(
  step: number,
  epoch: number | null,
  values: Record<string, number | null>,
  cfg: RunConfig,
  earlier: readonly StoredRound[],
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
        p999Ratio: v('p999_ratio'),
        clinicPlan002: { gradOk: values.plan002_grad_ok === 1, maxOk: values.plan002_max_ok === 1 },
      }
    : null;
  const balance: TermBalance[] = G_TERMS.filter((t) => values[`lb_${t}_value`] !== undefined).map((term) => ({
    term,
    value: v(`lb_${term}_value`),
    share: v(`lb_${term}_share`),
    gradNorm: v(`lb_${term}_grad`),
  }));
  const losses: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(values)) if (k.startsWith('loss_')) losses[k.slice(5)] = x;
  const hasLosses = Object.keys(losses).length > 0;
  const trainL1 = values.train_l1;
  const region = metricsRegionOfValues(values);
  // a stored value under `key` as the aggregate field `as` (absent when not stored)
  const opt = (key: string, as: string = key): Record<string, number> =>
    typeof values[key] === 'number' ? { [as]: values[key] } : {};
  const ev: ModelEvaluation = {
    metricsRegion: region,
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
      ...opt('mean_l1_whole'),
      ...opt('mean_psnr_whole'),
      ...opt('mean_ssim_whole'),
      ...opt('content_fraction', 'mean_content_fraction'),
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
    // absent on rounds stored before the metric existed and on datasets without landmarks
    landmarkSharpness: landmarkSharpnessFromValues(values, isbiName),
  };
  const roundLosses = hasLosses ? losses : null;
  return {
    ...ev,
    losses: roundLosses,
    stuck: stuckOfStoredRound(step, values, cfg, earlier),
    checklist: stuckChecklist({
      cfg,
      evalMode: ev.evalMode,
      losses: roundLosses,
      inputRange: ev.inputRange,
      balance: ev.balance,
      lrNow: ev.lrNow,
    }),
  };
}
