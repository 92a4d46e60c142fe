import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../src/core/config';
import { computeTransform, DEFAULT_PREPROCESS, type PreprocessSpec } from '../../src/core/data/preprocess';
import type { Point } from '../../src/core/image';
import {
  caseLandmarkSharpness,
  landmarkSharpness,
  landmarkSharpnessFromValues,
  landmarkSharpnessValues,
  landmarkWindow,
  preprocessedSpacing,
  summarizeLandmarkSharpness,
  windowMeans,
  worstLandmarks,
  type CaseLandmarkSharpness,
} from '../../src/core/eval/landmarkSharpness';
import { EngineCore } from '../../src/engine/engineCore';
import { isBetter } from '../../src/engine/session/metrics';
import type { EngineEvent } from '../../src/engine/protocol';
import { getRun, openStudioStorage, readHistory } from '../../src/store';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** [1,h,w,1] image in [-1,1] whose value in 0-255 units is f(x, y). */
function img255(h: number, w: number, f: (x: number, y: number) => number): tf.Tensor4D {
  const v = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) v[y * w + x] = f(x, y) / 127.5 - 1;
  return tf.tensor4d(v, [1, h, w, 1]);
}

/**
 * A bony-looking test film: a vertical step at x = 32 and a horizontal step at y = 48, with a fine
 * 2-px texture near them (trabecular bone); flat elsewhere. (A blur that only widens an isolated
 * step inside the window keeps the window's mean gradient: blur lowers it by removing contrast
 * and fine texture, which is what an over-smooth generator does.)
 */
const film = (x: number, y: number): number => {
  const near = (x >= 24 && x < 40) || (y >= 40 && y < 56);
  const texture = near ? 24 * (((x >> 1) + (y >> 1)) & 1) : 0;
  return (x < 32 ? 40 : 200) + (y < 48 ? 0 : 30) + texture;
};

/** The same film blurred with a (2r+1)² box (replicate border). */
function blurred(h: number, w: number, r: number): (x: number, y: number) => number {
  return (x, y) => {
    let s = 0;
    for (let dy = -r; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++)
        s += film(Math.min(w - 1, Math.max(0, x + dx)), Math.min(h - 1, Math.max(0, y + dy)));
    return s / (2 * r + 1) ** 2;
  };
}

const ONE_MM: { x: number; y: number } = { x: 1, y: 1 };

describe('landmark-region sharpness', () => {
  it('identical images give ratio 1 at every landmark with a window', async () => {
    const a = img255(64, 64, film);
    const b = img255(64, 64, film);
    const pts: (Point | null)[] = [[32, 20], [20, 48], [32.5, 48.5], null];
    const c = await caseLandmarkSharpness('c1', a, b, pts, ONE_MM, 10);
    expect(c.ratio.slice(0, 3)).toEqual([1, 1, 1]);
    expect(c.ratio[3]).toBeNull();
    expect(c.windowPx).toEqual([10, 10]);
    const s = summarizeLandmarkSharpness([c, { ...c, windowPx: [12, 9] }], ['S', 'N', 'Or', 'Po']);
    expect(s.windowPx).toEqual({ min: 9, max: 12 });
    expect(landmarkSharpnessFromValues(landmarkSharpnessValues(s))?.windowPx).toEqual({ min: 9, max: 12 });
    // the window on the step sees a real gradient (0-255 units)
    expect(c.target_255[0]).toBeGreaterThan(10);
    tf.dispose([a, b]);
  });

  it('a blurred prediction reads < 1 near edges, and far from edges gives no ratio (flat X-ray)', async () => {
    const pred = img255(64, 64, blurred(64, 64, 3));
    const tgt = img255(64, 64, film);
    const pts: (Point | null)[] = [
      [32, 20],
      [20, 48],
      [10, 10],
    ];
    const c = await caseLandmarkSharpness('c1', pred, tgt, pts, ONE_MM, 6);
    expect(c.ratio[0]).not.toBeNull();
    expect(c.ratio[0]!).toBeLessThan(0.8);
    expect(c.ratio[1]!).toBeLessThan(0.8);
    expect(c.ratio[2]).toBeNull(); // (10,10): flat in the X-ray within 3 mm
    // stronger blur, lower ratio
    const pred2 = img255(64, 64, blurred(64, 64, 1));
    const c2 = await caseLandmarkSharpness('c1', pred2, tgt, pts, ONE_MM, 6);
    expect(c2.ratio[0]!).toBeGreaterThan(c.ratio[0]!);
    tf.dispose([pred, tgt, pred2]);
  });

  it('maps a window in mm to the right pixel count for letterbox at two sizes (ISBI film, 0.1 mm/px)', () => {
    const spec = (size: number, mode: PreprocessSpec['mode'] = 'letterbox'): PreprocessSpec => ({
      ...DEFAULT_PREPROCESS,
      mode,
      size,
    });
    // 1935 x 2400 px letterboxed: 2400 px -> size, so one preprocessed px is 0.1 * 2400 / size mm
    const s256 = preprocessedSpacing(computeTransform(1935, 2400, spec(256)), 0.1);
    expect(s256.x).toBeCloseTo(0.9375, 10);
    expect(s256.y).toBeCloseTo(0.9375, 10);
    const s512 = preprocessedSpacing(computeTransform(1935, 2400, spec(512)), 0.1);
    expect(s512.x).toBeCloseTo(0.46875, 10);
    // 10 mm = 10.67 px at 256 -> 11 px; 21.33 px at 512 -> 21 px
    const b256 = landmarkWindow([128, 128], s256, 10, 256, 256)!;
    expect([b256.x1 - b256.x0, b256.y1 - b256.y0]).toEqual([11, 11]);
    const b512 = landmarkWindow([256.5, 256.5], s512, 10, 512, 512)!;
    expect([b512.x1 - b512.x0, b512.y1 - b512.y0]).toEqual([21, 21]);
    // the window is centred on the landmark within half a pixel
    expect(Math.abs((b512.x0 + b512.x1) / 2 - 256.5)).toBeLessThanOrEqual(0.5);
    // 5 mm at 512: 10.67 -> 11 px
    const b5 = landmarkWindow([100, 100], s512, 5, 512, 512)!;
    expect(b5.x1 - b5.x0).toBe(11);
    // stretch: two scales (1935 -> 256 across, 2400 -> 256 down)
    const st = preprocessedSpacing(computeTransform(1935, 2400, spec(256, 'stretch')), 0.1);
    const bs = landmarkWindow([128, 128], st, 10, 256, 256)!;
    expect(bs.x1 - bs.x0).toBe(Math.round(10 / ((0.1 * 1935) / 256)));
    expect(bs.y1 - bs.y0).toBe(11);
    expect(bs.x1 - bs.x0).toBe(13);
  });

  it('clips windows at the border and skips landmarks outside the image', () => {
    const box = landmarkWindow([0, 0], { x: 0.9375, y: 0.9375 }, 10, 256, 256)!;
    expect(box).toEqual({ x0: 0, y0: 0, x1: 6, y1: 6 });
    expect(landmarkWindow([-30, 10], ONE_MM, 10, 64, 64)).toBeNull();
    expect(landmarkWindow([Number.NaN, 10], ONE_MM, 10, 64, 64)).toBeNull();
    const m = windowMeans(
      Float32Array.from({ length: 16 }, (_, i) => i),
      4,
      4,
      [{ x0: 0, y0: 0, x1: 2, y1: 2 }, null],
    );
    expect(m).toEqual([(0 + 1 + 4 + 5) / 4, null]);
  });

  it('summarizes per landmark across cases (mean ratio), overall mean, worst landmarks, stored values', () => {
    const cases: CaseLandmarkSharpness[] = [
      { id: 'a', pred_255: [2, 8, null], target_255: [4, 8, null], ratio: [0.5, 1, null] },
      { id: 'b', pred_255: [3, 6, 1], target_255: [4, 8, 2], ratio: [0.75, 0.75, 0.5] },
    ];
    const s = summarizeLandmarkSharpness(cases, ['S', 'N', 'Go'], ['Sella', 'Nasion', 'Gonion'], 10);
    expect(s.perLandmark.map((r) => [r.symbol, r.n, r.meanRatio])).toEqual([
      ['S', 2, 0.625],
      ['N', 2, 0.875],
      ['Go', 1, 0.5],
    ]);
    expect(s.meanRatio).toBeCloseTo((0.625 + 0.875 + 0.5) / 3, 12);
    expect(s.perLandmark[0].meanPred_255).toBe(2.5);
    expect(s.perLandmark[2].sdRatio).toBeNull();
    expect(worstLandmarks(s, 2).map((r) => r.symbol)).toEqual(['Go', 'S']);
    const back = landmarkSharpnessFromValues(landmarkSharpnessValues(s), (k) => `name of ${k}`)!;
    expect(back.meanRatio).toBeCloseTo(s.meanRatio!, 12);
    expect(back.perLandmark.map((r) => [r.symbol, r.n, r.meanRatio, r.name])).toEqual([
      ['S', 2, 0.625, 'name of S'],
      ['N', 2, 0.875, 'name of N'],
      ['Go', 1, 0.5, 'name of Go'],
    ]);
    expect(back.windowMm).toBe(10);
    // a round stored before the metric existed
    expect(landmarkSharpnessFromValues({ mean_l1: 0.1 })).toBeNull();
  });

  it('keeps tf.memory().numTensors flat', async () => {
    const pred = img255(64, 64, blurred(64, 64, 1));
    const tgt = img255(64, 64, film);
    await landmarkSharpness([{ id: 'w', pred, target: tgt, points: [[32, 16]], spacing: ONE_MM }], ['S']);
    const before = tf.memory().numTensors;
    const s = await landmarkSharpness(
      [
        { id: 'a', pred, target: tgt, points: [[32, 16], null], spacing: ONE_MM },
        {
          id: 'b',
          pred: tgt,
          target: tgt,
          points: [
            [31, 16],
            [5, 5],
          ],
          spacing: ONE_MM,
        },
      ],
      ['S', 'N'],
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(s.perLandmark[0].n).toBe(2);
    expect(s.perLandmark[1].n).toBe(0);
    expect(s.perLandmark[1].meanRatio).toBeNull();
    const small = pred.slice([0, 0, 0, 0], [1, 16, 16, 1]);
    await expect(caseLandmarkSharpness('bad', small, tgt, [], ONE_MM)).rejects.toThrow(/same shape/);
    tf.dispose([pred, tgt, small]);
  });

  it("the 'lmSharp' best-checkpoint criterion prefers the value closest to 1", () => {
    expect(isBetter('lmSharp', 0.8, 0.7)).toBe(true);
    expect(isBetter('lmSharp', 1.1, 0.85)).toBe(true);
    expect(isBetter('lmSharp', 1.3, 0.8)).toBe(false);
    expect(isBetter('lmSharp', 0.5, null)).toBe(true);
    expect(isBetter('lmSharp', Number.NaN, null)).toBe(false);
  });
});

describe('landmark-region sharpness in the engine (demo phantom, cpu, fake-indexeddb)', () => {
  it("validation rounds carry it and 'lmSharp' keeps the best checkpoint; without landmarks on the target, L1 with a warning", async () => {
    const prefix = `lmsharp-${globalThis.crypto.randomUUID()}`;
    const core = new EngineCore({ home: 'node', eventEveryMs: 0, historyEveryMs: 0, useLocks: false });
    const events: EngineEvent[] = [];
    core.onEvent((e) => events.push(e));
    await core.init({ backend: 'cpu', storagePrefix: prefix });
    await core.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
    const cfg: Partial<RunConfig> = {
      netG: 'unet_32',
      size: 32,
      ngf: 4,
      ndf: 4,
      n_epochs: 1,
      n_epochs_decay: 0,
      log_every: 5,
      val_every: 2,
      save_every: 100,
      seed: 5,
    };
    const waitFinished = async (runId: string): Promise<void> => {
      const t0 = Date.now();
      while (!events.some((e) => e.type === 'run' && e.run.id === runId && e.run.status === 'finished')) {
        if (Date.now() - t0 > 120_000) throw new Error('run did not finish');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const a = await core.start({ config: cfg as RunConfig, name: 'lm', bestMetric: 'lmSharp' });
    await waitFinished(a.run.id);
    const storage = await openStudioStorage({ prefix });
    const run = await getRun(storage.runs, a.run.id);
    expect(run?.best?.metric).toBe('lm_sharp');
    const val = await readHistory(storage.runs, a.run.id, 'val');
    expect(val.length).toBeGreaterThan(0);
    for (const p of val) {
      expect(p.values.lm_sharp).toBeGreaterThan(0);
      expect(p.values['lm_sharp:Go']).toBeGreaterThan(0);
      // the phantom at 32 px: 7.5 mm per px, a 10 mm window is 1 px
      expect(p.values.lm_sharp_window_px_min).toBe(1);
    }
    const closest = Math.min(...val.map((p) => Math.abs((p.values.lm_sharp as number) - 1)));
    expect(Math.abs((run?.best?.value as number) - 1)).toBeCloseTo(closest, 12);
    const round = events.flatMap((e) => (e.type === 'validation' && e.round ? [e.round] : [])).at(-1);
    expect(round?.landmarkSharpness?.perLandmark).toHaveLength(19);
    expect(round?.landmarkSharpness?.perLandmark[0].name).toBe('Sella');

    // BtoA: the target is the photo, the landmarks are X-ray points: no metric, best by L1
    const b = await core.start({ config: { ...cfg, direction: 'BtoA' } as RunConfig, bestMetric: 'lmSharp' });
    await waitFinished(b.run.id);
    expect((await getRun(storage.runs, b.run.id))?.best?.metric).toBe('mean_l1');
    expect(events.some((e) => e.type === 'warning' && e.message.code === 'engine.best.noLandmarks')).toBe(
      true,
    );
    const valB = await readHistory(storage.runs, b.run.id, 'val');
    expect(valB.every((p) => p.values.lm_sharp === undefined)).toBe(true);
    await core.dispose();
  });
});
