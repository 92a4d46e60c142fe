import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, withDefaults } from '../../src/core/config';
import {
  epochLrFactor,
  lastEpoch,
  learningRateAt,
  linearPolicyFactor,
  stepsPerEpoch,
  warmupFactor,
} from '../../src/core/train/schedule';

describe('linear LR policy (server lambda_rule, stepped at the start of each epoch)', () => {
  const cfg = withDefaults({ n_epochs: 100, n_epochs_decay: 100, epoch_count: 1, lr: 2e-4 });

  it('matches hand-computed server factors', () => {
    // factor(E) = 1 - max(0, E + 1 - 100) / 101
    expect(epochLrFactor(1, cfg)).toBe(1);
    expect(epochLrFactor(98, cfg)).toBe(1);
    expect(epochLrFactor(99, cfg)).toBe(1);
    expect(epochLrFactor(100, cfg)).toBeCloseTo(1 - 1 / 101, 15);
    expect(epochLrFactor(150, cfg)).toBeCloseTo(1 - 51 / 101, 15);
    expect(epochLrFactor(199, cfg)).toBeCloseTo(1 / 101, 15);
    // the server's last epoch runs at lr 0 (scheduler stepped before the epoch)
    expect(epochLrFactor(200, cfg)).toBe(0);
    // past the end: clamped, never negative
    expect(epochLrFactor(260, cfg)).toBe(0);
  });

  it('is the lambda_rule of the scheduler counter', () => {
    expect(linearPolicyFactor(0, cfg)).toBe(1);
    expect(linearPolicyFactor(100, cfg)).toBeCloseTo(100 / 101, 15);
    expect(linearPolicyFactor(200, cfg)).toBe(0);
  });

  it('gives the same LR per epoch whatever epoch_count a resumed server run starts at', () => {
    const resumed = { ...cfg, epoch_count: 120 };
    for (const e of [120, 121, 150, 199, 200]) expect(epochLrFactor(e, resumed)).toBe(epochLrFactor(e, cfg));
  });

  it('small schedules (demo preset 5 + 5)', () => {
    const demo = withDefaults({ n_epochs: 5, n_epochs_decay: 5, lr: 1e-3 });
    const f = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((e) => epochLrFactor(e, demo));
    expect(f.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(f[4]).toBeCloseTo(5 / 6, 15);
    expect(f[8]).toBeCloseTo(1 / 6, 15);
    expect(f[9]).toBe(0);
    expect(lastEpoch(demo)).toBe(10);
    expect(learningRateAt(demo, 5, 0)).toBeCloseTo(1e-3 * (5 / 6), 18);
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
    // epoch 2: factor 1 - (2 + 1 - 1) / 4 = 0.5; step 4: warmup 0.5
    expect(learningRateAt(cfg, 2, 4)).toBeCloseTo(2e-4 * 0.5 * 0.5, 18);
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
