/**
 * The run comparison's view model (issue 15), plain functions over stored run records and their
 * `val` / `train` histories, so a unit test can say what rows, columns and curves come out:
 * - `runSummary`: a RunRecord + its stored validation rounds → core's RunSummary (best and last
 *   round, gate verdict judged on the last round with the Evaluate view's thresholds, failure
 *   rate from the stored per-case values);
 * - `compareTable`: core/experiments/compare.ts's table (only the options that differ), with the
 *   status of runs that did not finish (running, paused, interrupted) written as such;
 * - `legendLabels`: one label per run with its differing values (a sweep's `vary` first);
 * - `overlayColumns`: uPlot's aligned data, one column per run over the union of steps;
 * - `studyOf`: when every run carries `sweep.subset`, the sample-size study's points, whether the
 *   runs had equal steps or equal epochs, and core/experiments/study.ts's reading.
 * Runs written before these fields existed (no `sweep`, no diagnostics, no traceability) simply
 * give `null` cells. No Svelte, no TF.js.
 */
import {
  bestAndLast,
  comparisonTable,
  configDiff,
  type ComparisonTable,
  type GateStatus,
  type RunSummary,
  type ValPoint,
} from '../../core/experiments/compare';
import { readStudy, type StudyPoint, type StudyReading } from '../../core/experiments/study';
import { failureStats, type FailureRule } from '../../core/eval/failures';
import { evaluateGate, type GateThresholds } from '../../core/eval/gate';
import { casesFromValues, metricsRegionOfValues } from '../../core/eval/roundValues';
import { EmaSmoother } from '../../core/eval/ema';
import type { RunRecord, RunStatus } from '../../store/runs';

/** A sweep's or study's tag on its runs (store/runs.ts `RunRecord.sweep`, contract; optional). */
export interface SweepTag {
  id: string;
  name: string;
  index: number;
  vary: Record<string, unknown>;
  subset?: { size: number; of: number };
  /** What the study held equal, when the queue recorded it. */
  held?: 'steps' | 'epochs';
}

/** One stored point (a MetricPoint without its time). */
export interface HistPoint {
  step: number;
  epoch?: number;
  values: Record<string, number | null>;
}

/** One run as the comparison reads it. */
export interface CompareRun {
  run: RunRecord;
  /** Its stored `val` rounds, step order. */
  val: readonly HistPoint[];
  /** Training cases of its dataset (null: unknown); a study subset's size wins. */
  trainCases: number | null;
  valCases?: number | null;
}

/** One colour per run (colour-blind friendly, distinct from the loss colours' order). */
export const RUN_COLORS = [
  '#1d6a86',
  '#d95f02',
  '#7570b3',
  '#1b9e77',
  '#e7298a',
  '#a6761d',
  '#66a61e',
  '#555f6b',
] as const;

export function runColor(i: number): string {
  return RUN_COLORS[i % RUN_COLORS.length];
}

export function sweepOf(run: RunRecord): SweepTag | null {
  const s = (run as RunRecord & { sweep?: unknown }).sweep;
  if (!s || typeof s !== 'object') return null;
  const t = s as Partial<SweepTag>;
  return typeof t.id === 'string' ? (t as SweepTag) : null;
}

const num = (x: number | null | undefined): number | null =>
  typeof x === 'number' && Number.isFinite(x) ? x : null;

/** A stored validation round as the comparison reads it (failure rate from its per-case values). */
export function valPointOf(p: HistPoint, rule: FailureRule): ValPoint {
  const v = p.values;
  const cases = casesFromValues(v);
  const fs = cases.length > 0 ? failureStats(cases, rule) : null;
  return {
    step: p.step,
    mean_l1: num(v.mean_l1),
    mean_psnr: num(v.mean_psnr),
    mean_ssim: num(v.mean_ssim),
    sharpness_ratio: num(v.sharpness_ratio),
    pred_grad_mean_255: num(v.pred_grad_mean_255),
    pred_max_255: num(v.pred_max_255),
    lm_sharp: num(v.lm_sharp),
    trace_mre_mm: num(v.trace_mre),
    train_l1: num(v.train_l1),
    gap_ratio: num(v.gap_ratio),
    failure_rate: fs && fs.total > 0 ? fs.rate : null,
    // content-region metrics (rounds stored before them are whole-image) and traceability extras
    metrics_region: metricsRegionOfValues(v),
    mean_l1_whole: num(v.mean_l1_whole),
    content_fraction: num(v.content_fraction),
    edge_ratio: num(v.edge_ratio),
    max_ratio: num(v.max_ratio),
    trace_floor_mre_mm: num(v.trace_floor_mre),
    trace_sdr2: num(v.trace_sdr2),
  };
}

/** The gate's verdict on one round (traceability judged only when the round has it). */
export function gateOf(p: ValPoint | null, thresholds: GateThresholds): GateStatus | null {
  if (!p) return null;
  return evaluateGate(
    {
      mean_l1: p.mean_l1,
      mean_psnr: p.mean_psnr,
      failure_rate: p.failure_rate ?? null,
      sharpness_ratio: p.sharpness_ratio ?? null,
      trace_mre: p.trace_mre_mm !== null && p.trace_mre_mm !== undefined ? p.trace_mre_mm : undefined,
    },
    thresholds,
  ).status;
}

/** Training cases a run used: its study subset, else its `train_subset` option, else the dataset's. */
export function trainCasesOf(c: CompareRun): number | null {
  const sub = sweepOf(c.run)?.subset?.size;
  if (typeof sub === 'number') return sub;
  const opt = (c.run.config as unknown as Record<string, unknown>).train_subset;
  if (typeof opt === 'number' && opt > 0) return c.trainCases === null ? opt : Math.min(opt, c.trainCases);
  return c.trainCases;
}

export function runSummary(c: CompareRun, rule: FailureRule, gate: GateThresholds): RunSummary {
  const points = c.val.map((p) => valPointOf(p, rule));
  const { best, last } = bestAndLast(points);
  return {
    name: c.run.name,
    config: c.run.config as unknown as Record<string, unknown>,
    status: c.run.status === 'failed' ? 'failed' : 'done',
    ...(c.run.status === 'failed' ? { error: c.run.error ?? '' } : {}),
    // unknown counts stay empty cells (formatCell renders null as —, the CSV as empty)
    train_cases: trainCasesOf(c) as number,
    val_cases: (c.valCases ?? null) as number,
    steps: c.run.step,
    epochs: c.run.epoch,
    best,
    last,
    gate: gateOf(last, gate),
    duration_s: c.run.durationMs > 0 ? c.run.durationMs / 1000 : null,
    backend: c.run.backend,
  };
}

/** How a run that did not finish is written in the status column. */
export const STATUS_TEXT: Record<Exclude<RunStatus, 'finished' | 'failed'>, { en: string; zh: string }> = {
  running: { en: 'running', zh: '训练中' },
  paused: { en: 'paused', zh: '已暂停' },
  stopped: { en: 'stopped', zh: '已停止' },
  interrupted: { en: 'interrupted', zh: '已中断' },
};

export interface CompareOptions {
  rule: FailureRule;
  gate: GateThresholds;
  lang?: 'en' | 'zh';
}

/** The comparison table of the runs, in the order given. */
export function compareTable(runs: readonly CompareRun[], opts: CompareOptions): ComparisonTable {
  const t = comparisonTable(runs.map((c) => runSummary(c, opts.rule, opts.gate)));
  const col = t.columns.findIndex((c) => c.key === 'status');
  if (col >= 0)
    runs.forEach((c, i) => {
      const s = c.run.status;
      if (s !== 'finished' && s !== 'failed') t.rows[i][col] = STATUS_TEXT[s][opts.lang ?? 'en'];
    });
  return t;
}

function valueText(x: unknown): string {
  return x === undefined ? '—' : typeof x === 'object' ? JSON.stringify(x) : String(x);
}

/**
 * One legend label per run: its name and the values that tell it apart (a sweep's `vary`
 * values, else the config options that differ between the runs).
 */
export function legendLabels(runs: readonly RunRecord[]): string[] {
  const diff = configDiff(runs.map((r) => r.config as unknown as Record<string, unknown>));
  return runs.map((r) => {
    const sw = sweepOf(r);
    const cfg = r.config as unknown as Record<string, unknown>;
    const keys = diff.length > 0 ? diff : sw ? Object.keys(sw.vary) : [];
    const parts = keys.map((k) => `${k}=${valueText(sw && k in sw.vary ? sw.vary[k] : cfg[k])}`);
    if (sw?.subset && !keys.includes('train_subset')) parts.push(`${sw.subset.size}/${sw.subset.of} cases`);
    // a sweep's run names carry their values already (lambda_L1=80,lambda_grad=5): not twice
    const bare = r.name.replace(/\s+/g, '');
    const missing = parts.filter((p) => !bare.includes(p.replace(/\s+/g, '')));
    return missing.length > 0 ? `${r.name} · ${missing.join(', ')}` : r.name;
  });
}

/** uPlot's aligned columns: x (the union of steps) then one column per run (null where it has no point). */
export type OverlayColumns = [number[], ...(number | null)[][]];

export interface OverlayOptions {
  /** At most this many points per run (evenly thinned, the last kept). */
  maxPoints?: number;
  /** TensorBoard-style EMA weight (0 = raw). */
  smoothing?: number;
}

/** Each run's `key` values over its points, aligned on the union of steps. */
export function overlayColumns(
  histories: readonly (readonly HistPoint[])[],
  key: string,
  opts: OverlayOptions = {},
): OverlayColumns {
  const maxPoints = opts.maxPoints ?? Infinity;
  const perRun = histories.map((h) => {
    const ema = opts.smoothing && opts.smoothing > 0 ? new EmaSmoother(opts.smoothing) : null;
    const pts: [number, number][] = [];
    for (const p of h) {
      const x = p.values[key];
      if (typeof x !== 'number' || !Number.isFinite(x)) continue;
      pts.push([p.step, ema ? ema.push(x) : x]);
    }
    if (pts.length <= maxPoints) return pts;
    const stride = pts.length / maxPoints;
    const thin: [number, number][] = [];
    for (let i = 0; i < maxPoints - 1; i++) thin.push(pts[Math.floor(i * stride)]);
    thin.push(pts[pts.length - 1]);
    return thin;
  });
  const xs = [...new Set(perRun.flatMap((pts) => pts.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const cols = perRun.map((pts) => {
    const col: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const [x, y] of pts) col[index.get(x) as number] = y;
    return col;
  });
  return [xs, ...cols];
}

export type StudyHeld = 'steps' | 'epochs' | 'neither';

export interface StudyView {
  points: StudyPoint[];
  /** What the runs had equal: the queue's record, else read from their steps and epochs. */
  held: StudyHeld;
  steps: number[];
  epochs: number[];
  reading: StudyReading;
}

/** A study point from a run's last round (every subset trained the same length). */
export function studyPointOf(s: RunSummary): StudyPoint {
  const l = s.last;
  return {
    cases: s.train_cases,
    val_l1: num(l?.mean_l1),
    psnr_db: num(l?.mean_psnr),
    sharpness_ratio: num(l?.sharpness_ratio),
    lm_sharp: num(l?.lm_sharp),
    trace_mre_mm: num(l?.trace_mre_mm),
    train_l1: num(l?.train_l1),
    gap_ratio: num(l?.gap_ratio),
  };
}

/** Runs form a sample-size study when there are at least two and every one carries `sweep.subset`. */
export function isStudy(runs: readonly RunRecord[]): boolean {
  return runs.length >= 2 && runs.every((r) => sweepOf(r)?.subset !== undefined);
}

export function studyOf(runs: readonly CompareRun[], opts: CompareOptions): StudyView | null {
  if (!isStudy(runs.map((c) => c.run))) return null;
  const summaries = runs.map((c) => runSummary(c, opts.rule, opts.gate));
  const points = summaries.map(studyPointOf).filter((p) => typeof p.cases === 'number' && p.cases > 0);
  const steps = runs.map((c) => c.run.step);
  const epochs = runs.map((c) => c.run.epoch);
  const recorded = runs.map((c) => sweepOf(c.run)?.held).find((h) => h !== undefined);
  const allSame = (xs: number[]): boolean => xs.every((x) => x === xs[0]);
  const held: StudyHeld = recorded ?? (allSame(steps) ? 'steps' : allSame(epochs) ? 'epochs' : 'neither');
  return {
    points,
    held,
    steps,
    epochs,
    reading: readStudy(points, undefined, { gateMaxL1: opts.gate.maxMeanL1_01 }),
  };
}
