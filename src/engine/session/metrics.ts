/**
 * What the engine keeps of a run's numbers (part of the engine, see engineCore.ts): which validation
 * value is better for the run's best-checkpoint metric, the round summary key each metric reads, and a
 * logged step as a history point. Pure functions.
 */
import { LOSS_NAMES, type StepMetrics } from '../../core/train/trainer';
import type { MetricPoint } from '../../store';
import type { BestMetric } from '../protocol';

/** Whether `a` is a better value than `b` of a validation metric. */
export function isBetter(metric: BestMetric, a: number, b: number | null): boolean {
  if (!Number.isFinite(a)) return false;
  if (b === null) return true;
  // landmark-region sharpness (pred ÷ X-ray): closest to 1 wins (blurred below, busier above)
  if (metric === 'lmSharp') return Math.abs(a - 1) < Math.abs(b - 1);
  // L1 and traceability MRE (mm): lower is better
  return metric === 'l1' || metric === 'traceMre' ? a < b : a > b;
}

/** The validation round's summary value each best metric reads. */
export const BEST_KEYS: Record<BestMetric, string> = {
  l1: 'mean_l1',
  psnr: 'mean_psnr',
  ssim: 'mean_ssim',
  lmSharp: 'lm_sharp',
  traceMre: 'trace_mre',
};

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** A logged step as a history point (non-finite values stored as null). */
export function metricPoint(m: StepMetrics, timeMs: number): MetricPoint {
  const values: Record<string, number | null> = {};
  for (const name of LOSS_NAMES) values[name] = finiteOrNull(m.losses[name]);
  values.lr = m.lr;
  return { step: m.step, epoch: m.epoch, timeMs, values };
}
