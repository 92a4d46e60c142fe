/**
 * Two ways a pix2pix run goes wrong that the engine catches at its metric reads (TF.js-free, pure):
 *  - non-finite values: the first NaN/Inf among a logged step's losses, gradient norms and the
 *    generator output's mean |G(x)| (`firstNonFinite`), and among a checkpoint's weights
 *    (`firstNonFiniteWeight`), all checked in JavaScript on values read back from the backend;
 *  - a diverging GAN: the discriminator wins outright (D loss → 0) while G_GAN keeps rising
 *    (`GanDivergenceWatch`), judged over several consecutive logged steps so one lucky batch does
 *    not trigger it.
 */
import type { GanMode } from '../config';

/** The values of one logged step the checks need (StepMetrics has them). */
export interface LoggedValues {
  step: number;
  losses: Record<string, number>;
  gradNorms?: Record<string, number>;
  termGradNorms?: Partial<Record<string, number>>;
  outputAbsMean?: number;
}

/** The first value that is not finite, with a name a user recognises; null when all are finite. */
export function firstNonFinite(m: LoggedValues): { name: string; value: number } | null {
  for (const [name, value] of Object.entries(m.losses)) if (!Number.isFinite(value)) return { name, value };
  if (m.outputAbsMean !== undefined && !Number.isFinite(m.outputAbsMean))
    return { name: 'G(photo)', value: m.outputAbsMean };
  for (const [name, value] of Object.entries(m.gradNorms ?? {}))
    if (!Number.isFinite(value)) return { name: `‖∇${name}‖`, value };
  for (const [name, value] of Object.entries(m.termGradNorms ?? {}))
    if (value !== undefined && !Number.isFinite(value)) return { name: `‖∂${name}/∂fake‖`, value };
  return null;
}

/** The first state_dict entry holding a NaN/Inf (float32 entries; int64 counters cannot be). */
export function firstNonFiniteWeight(
  entries: readonly { key: string; data: ArrayLike<number> | BigInt64Array }[],
): string | null {
  for (const e of entries) {
    if (e.data instanceof BigInt64Array) continue;
    const d = e.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return e.key;
  }
  return null;
}

export interface GanDivergenceOptions {
  /** The discriminator loss 0.5 (D_real + D_fake) stays below this … */
  dLossBelow: number;
  /** … for this many consecutive logged steps … */
  window: number;
  /** … while G_GAN is above this and higher than at the window's start. */
  gGanAbove: number;
}

/**
 * Defaults per gan_mode. vanilla (BCE): D loss 0.01 means D(real) ≈ 0.99 and D(fake) ≈ 0.01, i.e.
 * G_GAN = −log D(fake) ≈ 4.6; "exploding" is taken as above 5. lsgan: D loss → 0 with G_GAN =
 * (D(fake) − 1)² → 1, so "exploding" is above 0.8.
 */
export function divergenceDefaults(mode: GanMode): GanDivergenceOptions {
  if (mode === 'lsgan') return { dLossBelow: 0.005, window: 5, gGanAbove: 0.8 };
  return { dLossBelow: 0.01, window: 5, gGanAbove: 5 };
}

export interface GanDivergence {
  /** Step of the logged read that completed the window. */
  step: number;
  /** Consecutive logged steps with D loss below the bound. */
  reads: number;
  dLoss: number;
  gGan: number;
}

/** Feeds on each logged step's losses; says when the GAN has diverged. */
export class GanDivergenceWatch {
  private recent: { step: number; dLoss: number; gGan: number }[] = [];
  constructor(private readonly opts: GanDivergenceOptions | null) {}

  /** Forget everything (after a rollback). */
  reset(): void {
    this.recent = [];
  }

  push(step: number, losses: Record<string, number>): GanDivergence | null {
    const o = this.opts;
    if (!o) return null;
    const dLoss = 0.5 * ((losses.D_real ?? NaN) + (losses.D_fake ?? NaN));
    const gGan = losses.G_GAN ?? NaN;
    if (!(dLoss < o.dLossBelow)) {
      this.recent = [];
      return null;
    }
    this.recent.push({ step, dLoss, gGan });
    if (this.recent.length > o.window) this.recent.shift();
    if (this.recent.length < o.window) return null;
    const first = this.recent[0];
    const last = this.recent[this.recent.length - 1];
    if (!(last.gGan > o.gGanAbove && last.gGan >= first.gGan)) return null;
    return { step, reads: this.recent.length, dLoss: last.dLoss, gGan: last.gGan };
  }
}
