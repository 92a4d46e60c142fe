import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng';
import * as stuckModule from '../../src/core/eval/stuck';
import {
  CLINIC_PLAN_002,
  diagnose,
  histogram,
  imageStats,
  imageStatsFromMaps,
  outputInputSensitivity,
  stuckDetector,
  type RoundDiag,
} from '../../src/core/eval/diagnostics';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** [1,h,w,3] image in [-1,1] whose grey value in 0-255 units is f(i, j) (all channels equal). */
function grey255(h: number, w: number, f: (i: number, j: number) => number): tf.Tensor4D {
  const v: number[] = [];
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) for (let c = 0; c < 3; c++) v.push(f(i, j) / 127.5 - 1);
  return tf.tensor4d(v, [1, h, w, 3]);
}

describe('histogram', () => {
  it('counts fixed bins [lo + i w, lo + (i+1) w) with under/overflow', () => {
    const h = histogram([0, 1.9, 2, 127.9, 128, -1, 64], 0, 128, 64);
    expect(h.counts[0]).toBe(2);
    expect(h.counts[1]).toBe(1);
    expect(h.counts[32]).toBe(1);
    expect(h.counts[63]).toBe(1);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(h.underflow).toBe(1);
    expect(h.overflow).toBe(1);
    expect(() => histogram([1], 1, 1, 4)).toThrow(/hi > lo/);
  });
});

describe('imageStats (0-255 units)', () => {
  it('a hard 0 -> 255 step edge: gradient 127.5 on both sides of the edge, 0 elsewhere', async () => {
    const step = grey255(8, 8, (_i, j) => (j >= 4 ? 255 : 0));
    const before = tf.memory().numTensors;
    const s = await imageStats(step);
    expect(tf.memory().numTensors).toBe(before);
    step.dispose();
    expect(s.n_images).toBe(1);
    expect(s.n_pixels).toBe(64);
    // columns 3 and 4: |gx| = 255 * (1+2+1) / 8 = 127.5 ; 16 of 64 pixels
    expect(s.gradMean_255).toBeCloseTo(31.875, 3);
    expect(s.gradMax_255).toBeCloseTo(127.5, 3);
    expect(s.gradMin_255).toBeCloseTo(0, 6);
    expect(s.gradP1_255).toBeCloseTo(0, 6);
    // 48 zeros then 16 x 127.5: p99 rank 62.37 -> 127.5 ; p50 rank 31.5 -> 0
    expect(s.gradP99_255).toBeCloseTo(127.5, 3);
    expect(s.gradP999_255).toBeCloseTo(127.5, 3);
    expect(s.gradHist.counts[0]).toBe(48);
    expect(s.gradHist.counts[63]).toBe(16); // 127.5 in [126, 128)
    expect(s.gradHist.overflow).toBe(0);
    expect(s.intensityMin_255).toBeCloseTo(0, 4);
    expect(s.intensityMax_255).toBeCloseTo(255, 4);
    expect(s.intensityMean_255).toBeCloseTo(127.5, 3);
    // 32 zeros then 32 x 255: p1 rank 0.63 -> 0 ; p99 rank 62.37 -> 255
    expect(s.intensityP1_255).toBeCloseTo(0, 4);
    expect(s.intensityP99_255).toBeCloseTo(255, 4);
    expect(s.intensityHist.counts[0]).toBe(32);
    expect(s.intensityHist.counts[63]).toBe(32);
  });

  it('a ramp of 4 grey levels per pixel: gradient 4 inside, 2 on the first/last column', async () => {
    const ramp = grey255(6, 8, (_i, j) => 100 + 4 * j);
    const s = await imageStats(ramp);
    ramp.dispose();
    // per row: 2, 4 x 6, 2 -> mean 28 / 8 = 3.5
    expect(s.gradMean_255).toBeCloseTo(3.5, 3);
    expect(s.gradMin_255).toBeCloseTo(2, 3);
    expect(s.gradMax_255).toBeCloseTo(4, 3);
    // 12 twos then 36 fours: p1 rank 0.47 -> 2
    expect(s.gradP1_255).toBeCloseTo(2, 3);
    expect(s.intensityMax_255).toBeCloseTo(128, 3);
    expect(s.intensityMin_255).toBeCloseTo(100, 3);
    // intensities 100..128 step 4, 6 each: p99 rank 46.53 -> 128 ; p1 rank 0.47 -> 100
    expect(s.intensityP99_255).toBeCloseTo(128, 3);
    expect(s.gradHist.counts[1]).toBe(12); // 2 in [2, 4)
    expect(s.gradHist.counts[2]).toBe(36); // 4 in [4, 6)
  });

  it('pure-TS stats interpolate percentiles like numpy', () => {
    // grad 0..99: p1 = 0.99, p99 = 98.01, p99.9 = 98.901
    const g = Float32Array.from({ length: 100 }, (_, i) => i);
    const s = imageStatsFromMaps(g, g, 1, { bins: 10, gradHistMax_255: 50 });
    expect(s.gradP1_255).toBeCloseTo(0.99, 4);
    expect(s.gradP99_255).toBeCloseTo(98.01, 4);
    expect(s.gradP999_255).toBeCloseTo(98.901, 4);
    expect(s.gradMean_255).toBeCloseTo(49.5, 6);
    expect(s.gradHist.counts).toEqual(new Array(10).fill(5));
    expect(s.gradHist.overflow).toBe(50);
    expect(() => imageStatsFromMaps(g, new Float32Array(3), 1)).toThrow(/equal/);
  });
});

describe('diagnose / sensitivity', () => {
  it('compares a blurred prediction with a sharp target', async () => {
    const target = grey255(8, 8, (_i, j) => (j >= 4 ? 255 : 0));
    const pred = grey255(8, 8, (_i, j) => 100 + 4 * j);
    const d = await diagnose(pred, target);
    expect(d.sharpnessRatio).toBeCloseTo(3.5 / 31.875, 4);
    expect(d.maxRatio).toBeCloseTo(128 / 255, 4);
    expect(d.clinicPlan002).toEqual({ gradOk: true, maxOk: false }); // 3.5 > 3.0, 128 < 140
    expect(CLINIC_PLAN_002).toEqual({ gradMean_255: 3.0, intensityMax_255: 140 });
    tf.dispose([target, pred]);
  });

  it('outputInputSensitivity is the mean abs difference in 0-255 units', async () => {
    const a = tf.fill([2, 4, 4, 3], -1) as tf.Tensor4D;
    const b = tf.fill([2, 4, 4, 3], -0.5) as tf.Tensor4D;
    expect(await outputInputSensitivity(a, b)).toBeCloseTo(63.75, 4);
    expect(await outputInputSensitivity(a, a)).toBe(0);
    tf.dispose([a, b]);
  });
});

describe('stuckDetector', () => {
  /** Diagnostics of one round computed from real prediction tensors. */
  async function round(step: number, pred: tf.Tensor4D, losses: Record<string, number>): Promise<RoundDiag> {
    const s = await imageStats(pred);
    return { step, predGradMean_255: s.gradMean_255, predMax_255: s.intensityMax_255, losses };
  }

  it('a constant-output generator trips it while the losses still move', async () => {
    // the same smooth prediction every round (the clinic's frozen 2.133 / 112.34)
    const frozen = grey255(16, 16, (i, j) => 80 + 2 * j + i);
    const history: RoundDiag[] = [];
    for (let r = 0; r < 6; r++) history.push(await round(100 * r, frozen, { G_L1: 10 - r, G_GAN: 0.7 }));
    const v = stuckDetector(history, { k: 5, relTol: 0.01 });
    expect(v.stuck).toBe(true);
    expect(v.kind).toBe('frozen');
    expect(v.reason).toMatch(/G_L1/);
    expect(v.reason).toMatch(/steps 100-500/);
    frozen.dispose();
  });

  it('a prediction whose gradient rises each round is not stuck', async () => {
    const history: RoundDiag[] = [];
    for (let r = 0; r < 6; r++) {
      const pred = grey255(16, 16, (_i, j) => 60 + (1 + r) * j);
      history.push(await round(100 * r, pred, { G_L1: 10 - r }));
      pred.dispose();
    }
    expect(history[5].predGradMean_255).toBeGreaterThan(history[0].predGradMean_255 * 2);
    const v = stuckDetector(history, { k: 5, relTol: 0.01 });
    expect(v.stuck).toBe(false);
    expect(v.kind).toBe('moving');
  });

  it('flat diagnostics with flat losses is a plateau; too few rounds; input-independent output', () => {
    const flat: RoundDiag[] = Array.from({ length: 4 }, (_, r) => ({
      step: r,
      predGradMean_255: 2.133,
      predMax_255: 112.34,
      losses: { G_L1: 3.84 + 1e-4 * r },
    }));
    expect(stuckDetector(flat, { k: 4, relTol: 0.01 })).toMatchObject({ stuck: false, kind: 'plateau' });
    expect(stuckDetector(flat.slice(0, 2), { k: 4, relTol: 0.01 })).toMatchObject({
      stuck: false,
      kind: 'too_few_rounds',
    });
    const insensitive = [...flat.slice(0, 1), { ...flat[1], sensitivity_255: 0.02 }];
    const v = stuckDetector(insensitive, { k: 4, relTol: 0.01 });
    expect(v).toMatchObject({ stuck: true, kind: 'insensitive' });
    expect(v.reason).toMatch(/0\.020/);
    expect(() => stuckDetector(flat, { k: 1, relTol: 0.01 })).toThrow(/k must be/);
  });
});

// ---------------------------------------------------------------------------------------------
// The detector moved to the TF.js-free stuck.ts: same verdicts, no TF.js on its import graph
// ---------------------------------------------------------------------------------------------

/** The detector as it was in diagnostics.ts before the move (verbatim logic): the reference. */
function previousStuckDetector(
  history: readonly RoundDiag[],
  opts: { k: number; relTol: number; sensitivityTol_255?: number },
): { stuck: boolean; kind: string; reason: string } {
  const relativeRange = (values: number[]): number => {
    const v = values.filter(Number.isFinite);
    if (v.length < 2) return 0;
    const min = Math.min(...v);
    const max = Math.max(...v);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    if (max === min) return 0;
    return Math.abs(mean) < 1e-12 ? Infinity : (max - min) / Math.abs(mean);
  };
  const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'unbounded');
  const { k, relTol } = opts;
  if (!Number.isInteger(k) || k < 2) throw new Error(`stuckDetector: k must be an integer >= 2, got ${k}`);
  const sensTol = opts.sensitivityTol_255 ?? 0.5;
  const last = history[history.length - 1];
  if (last?.sensitivity_255 !== undefined && last.sensitivity_255 < sensTol) {
    return {
      stuck: true,
      kind: 'insensitive',
      reason:
        `output barely depends on the input: predictions for two different photos differ by ` +
        `${last.sensitivity_255.toFixed(3)} (0-255 units, mean abs) < ${sensTol} at step ${last.step}`,
    };
  }
  if (history.length < k) {
    return {
      stuck: false,
      kind: 'too_few_rounds',
      reason: `need ${k} validation rounds to judge, have ${history.length}`,
    };
  }
  const win = history.slice(-k);
  const gradRel = relativeRange(win.map((r) => r.predGradMean_255));
  const maxRel = relativeRange(win.map((r) => r.predMax_255));
  const keys = Object.keys(win[0].losses).filter((key) => win.every((r) => key in r.losses));
  let movingKey = '';
  let movingRel = 0;
  for (const key of keys) {
    const rel = relativeRange(win.map((r) => r.losses[key]));
    if (rel > movingRel) {
      movingRel = rel;
      movingKey = key;
    }
  }
  const span = `steps ${win[0].step}-${last.step} (${k} rounds)`;
  const diag =
    `prediction mean gradient ${last.predGradMean_255.toFixed(3)} (0-255 units per px, changed ` +
    `${pct(gradRel)}) and maximum intensity ${last.predMax_255.toFixed(2)} (0-255, changed ${pct(maxRel)})`;
  if (gradRel < relTol && maxRel < relTol) {
    if (movingRel >= relTol) {
      return {
        stuck: true,
        kind: 'frozen',
        reason: `${diag} stayed frozen over ${span} while loss ${movingKey} changed ${pct(movingRel)}`,
      };
    }
    return {
      stuck: false,
      kind: 'plateau',
      reason: `${diag}: these and all losses changed less than ${pct(relTol)} over ${span} (a plateau)`,
    };
  }
  return { stuck: false, kind: 'moving', reason: `${diag} over ${span}: the images are still changing` };
}

/** A series value: constant, changed below 1 %, or changed a lot (or 0 / NaN now and then). */
function drift(rng: Rng, base: number, r: number, mode: number): number {
  if (mode === 0) return base;
  if (mode === 1) return base * (1 + 0.002 * rng.uniform(-1, 1));
  if (mode === 2) return base * (1 + 0.2 * r + 0.05 * rng.next());
  return rng.next() < 0.15 ? (rng.next() < 0.5 ? 0 : NaN) : base * (1 + 0.3 * rng.uniform(-1, 1));
}

/** 600 seeded histories covering every verdict (frozen, plateau, moving, too few, insensitive). */
function generatedFixtures(): { history: RoundDiag[]; opts: { k: number; relTol: number } }[] {
  const rng = new Rng(2133);
  const out: { history: RoundDiag[]; opts: { k: number; relTol: number } }[] = [];
  for (let n = 0; n < 600; n++) {
    const k = 2 + rng.int(4);
    const len = rng.int(k + 3);
    const [gradMode, maxMode, lossMode] = [rng.int(4), rng.int(4), rng.int(4)];
    const grad = 0.5 + 10 * rng.next();
    const max = 60 + 190 * rng.next();
    const history: RoundDiag[] = [];
    for (let r = 0; r < len; r++) {
      const losses: Record<string, number> = { G_GAN: drift(rng, 0.7, r, lossMode === 3 ? 1 : 0) };
      if (rng.next() < 0.9) losses.G_L1 = drift(rng, 12, r, lossMode);
      if (lossMode === 2) losses.D_fake = drift(rng, 0.5, r, 2);
      const d: RoundDiag = {
        step: 100 * (r + 1),
        predGradMean_255: drift(rng, grad, r, gradMode),
        predMax_255: drift(rng, max, r, maxMode),
        losses,
      };
      if (rng.next() < 0.15) d.sensitivity_255 = rng.next() < 0.5 ? 0.5 * rng.next() : 2 + rng.next();
      history.push(d);
    }
    out.push({ history, opts: { k, relTol: 0.01 } });
  }
  return out;
}

/** The numbers a reason mentions ("unbounded" is the new "∞"). */
function numbersOf(text: string): Set<string> {
  return new Set(text.replace(/unbounded/g, '∞').match(/∞|\d+(?:\.\d+)?/g) ?? []);
}

describe('stuck.ts (the detector without TF.js)', () => {
  it('gives the same verdicts as the detector before the move, with the same numbers', () => {
    const fixtures = generatedFixtures();
    const kinds = new Map<string, number>();
    for (const { history, opts } of fixtures) {
      const before = previousStuckDetector(history, opts);
      const now = stuckDetector(history, opts);
      expect([now.stuck, now.kind]).toEqual([before.stuck, before.kind]);
      // every number of the old one-line reason is in the new English rendering
      const have = numbersOf(now.reason);
      for (const x of numbersOf(before.reason))
        expect(have.has(x), `${x} of "${before.reason}" in "${now.reason}"`).toBe(true);
      // and the English rendering is the structured explanation's
      expect(now.reason).toBe(stuckModule.stuckExplanationText(now.explanation, 'en'));
      kinds.set(now.kind, (kinds.get(now.kind) ?? 0) + 1);
    }
    // every branch is exercised many times
    for (const kind of ['too_few_rounds', 'insensitive', 'frozen', 'plateau', 'moving']) {
      expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(20);
    }
  });

  it('the hand-made fixtures keep their verdicts and explain with units', () => {
    const flat: RoundDiag[] = [0, 1, 2].map((r) => ({
      step: 1000 * (r + 1),
      predGradMean_255: 2.133,
      predMax_255: 112.34,
      losses: { G_L1: 5 - r, G_GAN: 0.7 },
      valL1_01: 0.2031 - 0.0001 * r,
    }));
    const v = stuckDetector(flat, { k: 3, relTol: 0.01 });
    expect([v.stuck, v.kind]).toEqual([true, 'frozen']);
    expect(v.explanation).toEqual([
      {
        key: 'frozen',
        params: {
          grad: '2.133',
          gradChange: '0.00 %',
          max: '112.34',
          maxChange: '0.00 %',
          from: 1000,
          to: 3000,
          k: 3,
          loss: 'G_L1',
          // (5 - 3) / mean 4 = 50 %
          lossChange: '50.00 %',
          lossFrom: '5',
          lossTo: '3',
        },
      },
      { key: 'valL1', params: { from: '0.2031', to: '0.2029' } },
    ]);
    expect(v.reason).toBe(
      'prediction mean gradient 2.133 grey levels/px (0–255 scale, changed 0.00 %) and maximum intensity ' +
        '112.34 (0–255, changed 0.00 %) stayed frozen over steps 1000-3000 (3 rounds) while training loss ' +
        'G_L1 changed 50.00 % (5 → 3); validation mean L1 0.2031 → 0.2029 (on [0,1])',
    );
    // previous verdicts of the same rounds
    expect(previousStuckDetector(flat, { k: 3, relTol: 0.01 }).kind).toBe('frozen');
    const zh = stuckModule.stuckExplanationText(v.explanation, 'zh');
    expect(zh).toBe(
      '第 1000–3000 步（3 轮验证）中，预测图平均梯度 2.133 灰度级/像素（0–255 尺度，变化 0.00 %）和最大强度 112.34' +
        '（0–255，变化 0.00 %）几乎不变，而训练损失 G_L1 变化了 50.00 %（5 → 3）；验证集平均 L1 0.2031 → 0.2029（[0,1] 尺度）',
    );
  });

  it('imports no TF.js: its static import graph (type-only imports aside) stays framework-free', () => {
    // value imports survive compilation (verbatimModuleSyntax: `import { type X }` keeps the module)
    const runtimeImports = (file: string): string[] => {
      const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
      const out: string[] = [];
      for (const st of src.statements) {
        if (ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly) {
          out.push((st.moduleSpecifier as ts.StringLiteral).text);
        } else if (ts.isExportDeclaration(st) && !st.isTypeOnly && st.moduleSpecifier) {
          out.push((st.moduleSpecifier as ts.StringLiteral).text);
        }
      }
      return out;
    };
    const closure = (entry: string): { files: string[]; packages: string[] } => {
      const files = new Set<string>();
      const packages = new Set<string>();
      const queue = [resolve(entry)];
      while (queue.length > 0) {
        const f = queue.pop() as string;
        if (files.has(f)) continue;
        files.add(f);
        for (const spec of runtimeImports(f)) {
          if (spec.startsWith('.'))
            queue.push(resolve(dirname(f), spec.endsWith('.ts') ? spec : `${spec}.ts`));
          else packages.add(spec);
        }
      }
      return { files: [...files].map((f) => f.replace(/.*\/src\//, 'src/')).sort(), packages: [...packages] };
    };
    const stuck = closure('src/core/eval/stuck.ts');
    expect(stuck).toEqual({
      files: [
        'src/core/config.ts',
        'src/core/eval/checklist.ts',
        'src/core/eval/stuck.ts',
        'src/core/train/schedule.ts',
      ],
      packages: [],
    });
    // the page's path to the verdict (stored rounds -> verdict) is TF.js-free as well
    const page = closure('src/core/eval/roundValues.ts');
    expect(page.packages.filter((p) => p.includes('tensorflow'))).toEqual([]);
    expect(page.files).toContain('src/core/eval/stuck.ts');
    expect(page.files).not.toContain('src/core/eval/diagnostics.ts');
    expect(page.files).not.toContain('src/core/losses.ts');
    // the walker does see TF.js where it is: diagnostics.ts
    expect(closure('src/core/eval/diagnostics.ts').packages).toContain('@tensorflow/tfjs');
    // diagnostics.ts re-exports the very same detector
    expect(stuckDetector).toBe(stuckModule.stuckDetector);
  });
});
