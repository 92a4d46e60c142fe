/**
 * TensorBoard's debiased exponential moving average for loss curves:
 *   last = last * s + (1 - s) * x;  n += 1;  smoothed = last / (1 - s^n)
 * starting from last = 0, n = 0. The debias factor makes the first output equal the first value
 * (no pull towards 0). Non-finite values (NaN, ±Infinity) are passed through unchanged in the
 * output and do not update the state, so one bad step does not poison the rest of the curve.
 * s = 0 returns the input unchanged; s must be in [0, 1).
 */

function checkWeight(s: number): void {
  if (!(s >= 0 && s < 1)) throw new RangeError(`EMA smoothing weight must be in [0, 1), got ${s}`);
}

/** Incremental smoother for streaming values (the live loss chart). */
export class EmaSmoother {
  private last = 0;
  private n = 0;
  private readonly s: number;

  constructor(s: number) {
    checkWeight(s);
    this.s = s;
  }

  /** Adds a value and returns its smoothed value (non-finite x is returned as-is). */
  push(x: number): number {
    if (!Number.isFinite(x)) return x;
    this.last = this.last * this.s + (1 - this.s) * x;
    this.n += 1;
    return this.last / (1 - this.s ** this.n);
  }

  /** Number of finite values seen. */
  get count(): number {
    return this.n;
  }

  reset(): void {
    this.last = 0;
    this.n = 0;
  }
}

/** Smooths a whole series (same length as the input). */
export function smoothSeries(values: readonly number[], s: number): number[] {
  const ema = new EmaSmoother(s);
  return values.map((x) => ema.push(x));
}
