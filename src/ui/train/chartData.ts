/**
 * Data behind the live charts, kept outside Svelte's reactivity (thousands of points; the
 * component redraws when a version number changes, at most a few times per second).
 *
 * One `SeriesSet` per chart: a shared x axis (the step) and one column per series, raw and
 * smoothed with TensorBoard's debiased EMA (`core/eval/ema.ts`), smoothed incrementally as
 * points arrive and recomputed only when the slider moves. `data()` hands uPlot the arrays
 * (copies only for the log scale, where values <= 0 must become gaps).
 */
import { EmaSmoother } from '../../core/eval/ema';
import type { GTerm } from '../../core/config';

/**
 * Gradient-norm series: metric-point keys written by the engine from the trainer's
 * `gradNormPointValues` (core/train/trainer.ts; a unit test keeps the two in step).
 * `grad:fake/<term>`: the term's pull on G's output, ‖∂(λᵢLᵢ)/∂fake‖ (fake in [-1, 1]);
 * `grad:G/<group>`: the L2 norm of G's weight gradient in that layer group.
 */
export const GRAD_FAKE_SERIES = [
  'grad:fake/G_GAN',
  'grad:fake/G_L1',
  'grad:fake/G_grad',
  'grad:fake/G_lap',
  'grad:fake/G_fm',
  'grad:fake/G_ssim',
] as const;
export const GRAD_GROUP_SERIES = [
  'grad:G/outermost',
  'grad:G/down',
  'grad:G/innermost',
  'grad:G/up',
] as const;
/** One colour per loss name, shared by the loss chart and the gradient-norm chart. */
export const TERM_COLORS: Record<GTerm | 'D_real' | 'D_fake', string> = {
  G_GAN: '#1d6a86',
  G_L1: '#d95f02',
  G_grad: '#7570b3',
  G_lap: '#e7298a',
  G_fm: '#66a61e',
  G_ssim: '#a6761d',
  D_real: '#1b9e77',
  D_fake: '#555f6b',
};

/** Every gradient-norm series, in one SeriesSet (the charts pick their columns with `only`). */
export const GRAD_NORM_SERIES: readonly string[] = [...GRAD_FAKE_SERIES, ...GRAD_GROUP_SERIES];

/**
 * G_GAN's pull on G's output over G_L1's (raw values of one logged step), or null when either is
 * missing or G_L1's is 0. Below ~0.01 the adversarial term barely shapes G: lambda_L1 dominates.
 */
export function ganToL1Ratio(values: Record<string, number | null>): number | null {
  const gan = values['grad:fake/G_GAN'];
  const l1 = values['grad:fake/G_L1'];
  if (typeof gan !== 'number' || typeof l1 !== 'number' || !(l1 > 0)) return null;
  return gan / l1;
}

export interface SeriesPoint {
  step: number;
  values: Record<string, number | null>;
}

/** uPlot's aligned data: x first, then one column per series (null = gap). */
export type ChartColumns = [number[], ...(number | null)[][]];

export class SeriesSet {
  readonly names: readonly string[];
  /** Series that are smoothed (the others, e.g. the learning rate, are drawn raw). */
  private readonly smoothed: ReadonlySet<string>;
  x: number[] = [];
  raw: (number | null)[][];
  smooth: (number | null)[][];
  private smoothers: EmaSmoother[];
  private weight: number;

  constructor(names: readonly string[], opts: { weight?: number; smoothed?: readonly string[] } = {}) {
    this.names = names;
    this.smoothed = new Set(opts.smoothed ?? names);
    this.weight = opts.weight ?? 0;
    this.raw = names.map(() => []);
    this.smooth = names.map(() => []);
    this.smoothers = names.map(() => new EmaSmoother(this.weight));
  }

  get length(): number {
    return this.x.length;
  }

  get smoothingWeight(): number {
    return this.weight;
  }

  /** Step of the last point, or -Infinity. */
  get lastStep(): number {
    return this.x.length > 0 ? this.x[this.x.length - 1] : -Infinity;
  }

  /**
   * Append points in step order. A point at or before the last stored step (a resumed run
   * logging its steps again) first drops the stored points from that step on.
   */
  append(points: readonly SeriesPoint[]): void {
    for (const p of points) {
      if (p.step <= this.lastStep) this.truncateFrom(p.step);
      this.x.push(p.step);
      this.names.forEach((name, i) => {
        const v = p.values[name];
        const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
        this.raw[i].push(value);
        this.smooth[i].push(
          this.smoothed.has(name) && value !== null ? this.smoothers[i].push(value) : value,
        );
      });
    }
  }

  /** Drop every point with step >= `step`. */
  truncateFrom(step: number): void {
    let keep = this.x.length;
    while (keep > 0 && this.x[keep - 1] >= step) keep--;
    if (keep === this.x.length) return;
    this.x.length = keep;
    for (const col of this.raw) col.length = keep;
    this.resmooth();
  }

  setWeight(weight: number): void {
    if (weight === this.weight) return;
    this.weight = weight;
    this.resmooth();
  }

  private resmooth(): void {
    this.smoothers = this.names.map(() => new EmaSmoother(this.weight));
    this.smooth = this.names.map((name, i) => {
      const s = this.smoothers[i];
      const on = this.smoothed.has(name);
      return this.raw[i].map((v) => (on && v !== null ? s.push(v) : v));
    });
  }

  clear(): void {
    this.x = [];
    this.raw = this.names.map(() => []);
    this.resmooth();
  }

  /** Non-null points per series (what the e2e test counts). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((name, i) => {
      out[name] = this.raw[i].reduce<number>((n, v) => (v === null ? n : n + 1), 0);
    });
    return out;
  }

  /**
   * Columns for uPlot; with `log`, values <= 0 become gaps. `only`: just these series, in this
   * order (a name not in the set gives an all-gap column).
   */
  data(opts: { smoothed: boolean; log: boolean; only?: readonly string[] }): ChartColumns {
    const all = opts.smoothed ? this.smooth : this.raw;
    const cols = opts.only
      ? opts.only.map((name) => {
          const i = this.names.indexOf(name);
          return i >= 0 ? all[i] : this.x.map(() => null);
        })
      : all;
    const ys = opts.log ? cols.map((c) => c.map((v) => (v !== null && v > 0 ? v : null))) : cols;
    return [this.x, ...ys];
  }

  /** The last value of each series, raw. */
  last(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    this.names.forEach((name, i) => {
      const col = this.raw[i];
      out[name] = col.length > 0 ? col[col.length - 1] : null;
    });
    return out;
  }
}
