import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  LEGACY_LR_STEP_AT,
  LR_STEP_AT,
  storedConfig,
  withDefaults,
  type RunConfig,
} from '../../src/core/config';
import {
  epochLrFactor,
  lastEpoch,
  learningRateAt,
  linearPolicyFactor,
  lrStepAt,
  schedulerCounter,
  stepsPerEpoch,
  warmupFactor,
} from '../../src/core/train/schedule';

/** The factor of every epoch of a run, epoch_count .. lastEpoch (+ `past` epochs beyond the end). */
const factors = (cfg: RunConfig, past = 0): number[] =>
  Array.from({ length: lastEpoch(cfg) - cfg.epoch_count + 1 + past }, (_, i) =>
    epochLrFactor(cfg.epoch_count + i, cfg),
  );

describe('linear LR policy, stepped at the END of each epoch (lr_step_at epoch_end, train.py 2025, the default)', () => {
  const cfg = withDefaults({ n_epochs: 100, n_epochs_decay: 100, epoch_count: 1, lr: 2e-4 });

  it('is the default of a new run', () => {
    expect(DEFAULT_CONFIG.lr_step_at).toBe('epoch_end');
    expect(cfg.lr_step_at).toBe('epoch_end');
    expect(lrStepAt(cfg)).toBe('epoch_end');
  });

  it('matches hand-computed server factors: 1 - max(0, E - n_epochs) / (n_epochs_decay + 1)', () => {
    expect(epochLrFactor(1, cfg)).toBe(1);
    expect(epochLrFactor(99, cfg)).toBe(1);
    expect(epochLrFactor(100, cfg)).toBe(1);
    expect(epochLrFactor(101, cfg)).toBeCloseTo(1 - 1 / 101, 15);
    expect(epochLrFactor(150, cfg)).toBeCloseTo(1 - 50 / 101, 15);
    // the last epoch runs at 1/(n_epochs_decay+1), never at 0
    expect(epochLrFactor(200, cfg)).toBeCloseTo(1 / 101, 15);
    expect(Math.min(...factors(cfg))).toBeGreaterThan(0);
    // past the end: 0, clamped, never negative
    expect(epochLrFactor(201, cfg)).toBe(0);
    expect(epochLrFactor(260, cfg)).toBe(0);
  });

  it('is the lambda_rule of the scheduler counter, k = E - epoch_count (no step before the first epoch)', () => {
    expect(schedulerCounter(1, cfg)).toBe(0);
    expect(schedulerCounter(200, cfg)).toBe(199);
    expect(linearPolicyFactor(0, cfg)).toBe(1);
    expect(linearPolicyFactor(100, cfg)).toBeCloseTo(100 / 101, 15);
    expect(linearPolicyFactor(200, cfg)).toBe(0);
  });

  it('small schedules (demo preset 5 + 5): decay from epoch 6, the last epoch at 1/6', () => {
    const demo = withDefaults({ n_epochs: 5, n_epochs_decay: 5, lr: 1e-3 });
    const f = factors(demo);
    expect(f.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
    [5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6].forEach((x, i) => expect(f[5 + i]).toBeCloseTo(x, 15));
    expect(lastEpoch(demo)).toBe(10);
    expect(learningRateAt(demo, 6, 0)).toBeCloseTo(1e-3 * (5 / 6), 18);
    // a one-epoch run (n_epochs 1, n_epochs_decay 0) learns at the full rate
    expect(factors(withDefaults({ n_epochs: 1, n_epochs_decay: 0 }))).toEqual([1]);
  });
});

describe('linear LR policy, stepped at the START of each epoch (lr_step_at epoch_start, train.py 2020)', () => {
  const cfg = withDefaults({
    n_epochs: 100,
    n_epochs_decay: 100,
    epoch_count: 1,
    lr: 2e-4,
    lr_step_at: 'epoch_start',
  });

  it('matches hand-computed server factors: 1 - max(0, E + 1 - n_epochs) / (n_epochs_decay + 1)', () => {
    expect(epochLrFactor(1, cfg)).toBe(1);
    expect(epochLrFactor(98, cfg)).toBe(1);
    expect(epochLrFactor(99, cfg)).toBe(1);
    expect(epochLrFactor(100, cfg)).toBeCloseTo(1 - 1 / 101, 15);
    expect(epochLrFactor(150, cfg)).toBeCloseTo(1 - 51 / 101, 15);
    expect(epochLrFactor(199, cfg)).toBeCloseTo(1 / 101, 15);
    // the last epoch runs at lr 0 (the scheduler was stepped before the epoch)
    expect(epochLrFactor(200, cfg)).toBe(0);
    expect(epochLrFactor(260, cfg)).toBe(0);
  });

  it('is one epoch ahead of epoch_end: the same lambda_rule, counter k = E - epoch_count + 1', () => {
    const end = { ...cfg, lr_step_at: 'epoch_end' as const };
    expect(schedulerCounter(1, cfg)).toBe(1);
    for (const e of [1, 99, 100, 150, 199, 200])
      expect(epochLrFactor(e, cfg)).toBe(epochLrFactor(e + 1, end));
  });

  it('small schedules (demo preset 5 + 5): decay from epoch 5, the last epoch at 0', () => {
    const demo = withDefaults({ n_epochs: 5, n_epochs_decay: 5, lr: 1e-3, lr_step_at: 'epoch_start' });
    const f = factors(demo);
    expect(f.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(f[4]).toBeCloseTo(5 / 6, 15);
    expect(f[8]).toBeCloseTo(1 / 6, 15);
    expect(f[9]).toBe(0);
    expect(learningRateAt(demo, 5, 0)).toBeCloseTo(1e-3 * (5 / 6), 18);
    // n_epochs 1 + n_epochs_decay 0: the only epoch is the last, at lr 0
    expect(factors(withDefaults({ n_epochs: 1, n_epochs_decay: 0, lr_step_at: 'epoch_start' }))).toEqual([0]);
  });
});

describe('both conventions under --continue_train --epoch_count N', () => {
  for (const at of LR_STEP_AT) {
    it(`${at}: a run continued at epoch N gets the factors the uninterrupted run had from N on`, () => {
      const full = withDefaults({ n_epochs: 4, n_epochs_decay: 6, lr_step_at: at });
      const all = factors(full);
      for (const n of [2, 5, 6, 10]) {
        const continued = { ...full, epoch_count: n };
        expect(factors(continued)).toEqual(all.slice(n - 1));
        // the server's LambdaLR restarts its counter at 0 (or 1 after the first step at epoch_start)
        expect(schedulerCounter(n, continued)).toBe(at === 'epoch_end' ? 0 : 1);
        expect(epochLrFactor(n, continued)).toBe(linearPolicyFactor(at === 'epoch_end' ? 0 : 1, continued));
      }
    });
  }

  it('epoch_count 8 of 4 + 6: the server run continues at 1 - 4/7 (epoch_end) or 1 - 5/7 (epoch_start)', () => {
    const end = withDefaults({ n_epochs: 4, n_epochs_decay: 6, epoch_count: 8 });
    const start = { ...end, lr_step_at: 'epoch_start' as const };
    expect(factors(end).map((f) => f * 7)).toEqual([3, 2, 1].map((x) => expect.closeTo(x, 12) as number));
    expect(factors(start).map((f) => f * 7)).toEqual([2, 1, 0].map((x) => expect.closeTo(x, 12) as number));
  });
});

describe('configs stored before lr_step_at existed', () => {
  it('ran epoch_start, and keep it: the schedule and storedConfig read a missing option so', () => {
    const { lr_step_at: _omit, ...old } = withDefaults({ n_epochs: 5, n_epochs_decay: 5 });
    expect(LEGACY_LR_STEP_AT).toBe('epoch_start');
    expect(lrStepAt(old as Partial<RunConfig>)).toBe('epoch_start');
    expect(factors(old as RunConfig)).toEqual(
      factors(withDefaults({ n_epochs: 5, n_epochs_decay: 5, lr_step_at: 'epoch_start' })),
    );
    expect(storedConfig(old).lr_step_at).toBe('epoch_start');
    // a stored choice is kept; a new run's defaults are the current convention
    expect(storedConfig({ ...old, lr_step_at: 'epoch_end' }).lr_step_at).toBe('epoch_end');
    expect(withDefaults(old).lr_step_at).toBe('epoch_end');
  });

  it('refuses an unknown value with a message naming both choices', () => {
    const bad = { ...DEFAULT_CONFIG, lr_step_at: 'middle' } as unknown as RunConfig;
    expect(() => epochLrFactor(1, bad)).toThrow(/lr_step_at is "middle".*epoch_end.*epoch_start/);
  });
});

describe('warmup', () => {
  it('is off by default', () => {
    expect(DEFAULT_CONFIG.warmup_steps).toBe(0);
    expect(warmupFactor(0, DEFAULT_CONFIG)).toBe(1);
  });

  it('ramps linearly to 1 over warmup_steps steps (0-based step index)', () => {
    const cfg = withDefaults({ warmup_steps: 4, lr: 1e-3 });
    expect([0, 1, 2, 3, 4, 100].map((s) => warmupFactor(s, cfg))).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    expect(learningRateAt(cfg, 1, 1)).toBeCloseTo(5e-4, 18);
  });

  it('multiplies with the epoch decay', () => {
    const cfg = withDefaults({ warmup_steps: 10, lr: 2e-4, n_epochs: 1, n_epochs_decay: 3 });
    // epoch 3: factor 1 - (3 - 1) / 4 = 0.5; step 4: warmup 0.5
    expect(learningRateAt(cfg, 3, 4)).toBeCloseTo(2e-4 * 0.5 * 0.5, 18);
    // epoch_start: epoch 2 already at 1 - (2 + 1 - 1) / 4 = 0.5
    expect(learningRateAt({ ...cfg, lr_step_at: 'epoch_start' }, 2, 4)).toBeCloseTo(2e-4 * 0.5 * 0.5, 18);
  });
});

describe('steps per epoch', () => {
  it('keeps the last partial batch like the server DataLoader', () => {
    expect(stepsPerEpoch(80, 1)).toBe(80);
    expect(stepsPerEpoch(80, 3)).toBe(27);
    expect(stepsPerEpoch(3, 2)).toBe(2);
    expect(() => stepsPerEpoch(0, 1)).toThrow(/empty/);
  });
});
