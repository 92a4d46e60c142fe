/**
 * Validation rounds end to end on a tiny pix2pix (unet_32, ngf 4) on the cpu backend, through the
 * engine-facing functions of src/engine/evaluation.ts:
 *  - a constant-output generator trips the stuck detector (input-independent at once, and frozen
 *    diagnostics while the losses move), a trained one does not;
 *  - the round's numbers are wired to the tested primitives: mean L1 equals Trainer.evaluate's
 *    (same seeds), the diagnostics equal `diagnose` on the same predictions, the loss balance
 *    equals `lossBalance` on the same case (its norms are finite-difference checked in
 *    losses.test.ts), the gap's train L1 is the train subset's L1, the input range is the tensors';
 *  - history values round-trip (stuck history after a resume, per-case values for failures), and
 *    the stuck verdict judged again from the stored rounds (what the page does) equals the engine's;
 *  - on-demand evaluation of a checkpoint stored in IndexedDB (fake-indexeddb) gives the same
 *    numbers and the grid images; no tensor leaks.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { diagnose, stuckDetector } from '../../src/core/eval/diagnostics';
import {
  caseValues,
  DEFAULT_STUCK,
  evaluateModel,
  metricsRegionOf,
  metricsRegionOfValues,
  roundFromValues,
  roundValues,
  stuckOfStoredRound,
  type StoredRound,
} from '../../src/core/eval/round';
import type { Point, RgbaImage } from '../../src/core/image';
import { preprocessImage, type PreprocessSpec } from '../../src/core/data/preprocess';
import { contentRect, type PixelRect, type RegionPair } from '../../src/core/eval/contentRegion';
import type { Generator } from '../../src/core/model/types';
import { caseLandmarkSharpness } from '../../src/core/eval/landmarkSharpness';
import { lossBalance } from '../../src/core/losses';
import { deriveSeed, Rng } from '../../src/core/rng';
import { encodeTrainerState } from '../../src/core/train/checkpoint';
import { createInMemoryDataSource, imageToTensor, type ImagePair } from '../../src/core/train/data';
import { inferenceMode, Trainer } from '../../src/core/train/trainer';
import {
  caseScoresOfPoint,
  chooseTrainSubset,
  evaluateCheckpoint,
  historyFromValPoints,
  loadCheckpointModel,
  roundDiag,
  runValidationRound,
  validationPointValues,
  bestOfRound,
  comparableBest,
  type ValidationRound,
} from '../../src/engine/evaluation';
import { openStudioStorage, saveCheckpoint } from '../../src/store';

const SIZE = 32;

/** The rounds as the store keeps them (`val` history points through JSON). */
function stored(rounds: readonly ValidationRound[]): StoredRound[] {
  return rounds.map((r) => ({
    step: r.step,
    values: JSON.parse(JSON.stringify(validationPointValues(r).all)) as Record<string, number | null>,
  }));
}

/** A learnable toy pair: the X-ray is a grey, smoothed function of the photo (as engine.core.test). */
function toyPair(i: number): ImagePair {
  const rng = new Rng(9000 + i);
  const photo = new Uint8ClampedArray(SIZE * SIZE * 4);
  const xray = new Uint8ClampedArray(SIZE * SIZE * 4);
  const cx = SIZE * (0.3 + 0.4 * rng.next());
  const cy = SIZE * (0.3 + 0.4 * rng.next());
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const k = (y * SIZE + x) * 4;
      const d = Math.hypot(x - cx, y - cy) / SIZE;
      photo[k] = 200 - 150 * d;
      photo[k + 1] = 120 + 60 * Math.sin(x / 3);
      photo[k + 2] = rng.int(256);
      photo[k + 3] = 255;
      const g = d < 0.25 ? 230 : 40 + 60 * d;
      xray[k] = xray[k + 1] = xray[k + 2] = g;
      xray[k + 3] = 255;
    }
  }
  return {
    id: `toy${String(i).padStart(2, '0')}`,
    photo: { width: SIZE, height: SIZE, data: photo } as RgbaImage,
    xray: { width: SIZE, height: SIZE, data: xray } as RgbaImage,
  };
}

const TRAIN = Array.from({ length: 6 }, (_, i) => toyPair(i));
const VAL = Array.from({ length: 4 }, (_, i) => toyPair(100 + i));
const EVAL_IDS = VAL.map((p) => p.id as string);

function config(over: Partial<RunConfig> = {}): RunConfig {
  return withDefaults({
    netG: 'unet_32',
    size: SIZE,
    ngf: 4,
    ndf: 4,
    n_epochs: 50,
    n_epochs_decay: 0,
    log_every: 1,
    seed: 11,
    flip: false,
    jitter: false,
    ...over,
  });
}

function newTrainer(cfg: RunConfig): Trainer {
  return Trainer.create(cfg, createInMemoryDataSource(TRAIN, { size: SIZE }));
}

function disposeTrainer(t: Trainer): void {
  t.dispose();
  t.data.dispose();
}

async function train(t: Trainer, steps: number): Promise<Record<string, number | null>> {
  for (let i = 0; i < steps; i++) t.step();
  const m = await t.drainMetrics();
  return { ...m[m.length - 1].losses };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('stuck detector through runValidationRound', () => {
  it('a constant-output generator trips it: input-independent at once, frozen while the losses move', async () => {
    const cfg = config();
    const t = newTrainer(cfg);
    try {
      // every G parameter 0: each layer outputs 0, tanh(0) = 0, a uniform grey 127.5 for any photo
      for (const v of t.G.params.values()) v.assign(tf.zerosLike(v));
      const subset = chooseTrainSubset(TRAIN, cfg.seed, 3);
      const rounds: ValidationRound[] = [];
      for (let r = 0; r < 3; r++) {
        const losses = { G_GAN: 0.7 + 0.1 * r, G_L1: 30 - 5 * r, D_real: 0.6, D_fake: 0.5 - 0.1 * r };
        const round = await runValidationRound(t, VAL, subset, cfg, {
          history: rounds.map((x) => roundDiag(x, x.losses)),
          losses,
          diagCaseIds: EVAL_IDS,
        });
        rounds.push(round);
      }
      const first = rounds[0];
      expect(first.stuck).toMatchObject({ stuck: true, kind: 'insensitive' });
      // the page judges the stored rounds again: the engine's verdicts, explanation included
      const points = stored(rounds);
      expect(points.map((p, i) => stuckOfStoredRound(p.step, p.values, cfg, points.slice(0, i)))).toEqual(
        rounds.map((r) => r.stuck),
      );
      expect(roundFromValues(first.step, null, roundValues(first), cfg, []).stuck).toMatchObject({
        stuck: true,
        kind: 'insensitive',
      });
      expect(first.sensitivity_255).toBe(0);
      expect(first.diagnosis?.pred.gradMean_255).toBe(0);
      expect(first.diagnosis?.pred.intensityMax_255).toBe(127.5);
      expect(first.diagnosis?.sharpnessRatio).toBe(0);
      expect(first.diagnosis?.clinicPlan002).toEqual({ gradOk: false, maxOk: false });
      // without the sensitivity measurement the frozen gradient/maximum with moving losses still trips it
      const blind = rounds.map((x) => {
        const d = roundDiag(x, x.losses);
        delete d.sensitivity_255;
        return d;
      });
      expect(stuckDetector(blind.slice(0, 2), { k: 3, relTol: 0.01 }).kind).toBe('too_few_rounds');
      expect(stuckDetector(blind, { k: 3, relTol: 0.01 })).toMatchObject({ stuck: true, kind: 'frozen' });
      // the same from stored rounds without the sensitivity value
      const blindPoints = points.map((p) => {
        const values = { ...p.values };
        delete values.sensitivity_255;
        return { step: p.step, values };
      });
      const last = blindPoints[2];
      const again = stuckOfStoredRound(last.step, last.values, cfg, blindPoints.slice(0, 2));
      expect(again).toEqual(stuckDetector(blind, DEFAULT_STUCK));
      expect(again.explanation.map((m) => m.key)).toEqual(['frozen', 'valL1']);
      expect(rounds[2].checklist.map((i) => i.id)).toEqual([
        'mode',
        'losses',
        'input_range',
        'weights',
        'lr',
      ]);
    } finally {
      disposeTrainer(t);
    }
  });

  it('a generator that is being trained does not trip it', async () => {
    const cfg = config();
    const t = newTrainer(cfg);
    try {
      const subset = chooseTrainSubset(TRAIN, cfg.seed, 3);
      const rounds: ValidationRound[] = [];
      for (let r = 0; r < 3; r++) {
        const losses = await train(t, 6);
        rounds.push(
          await runValidationRound(t, VAL, subset, cfg, {
            history: rounds.map((x) => roundDiag(x, x.losses)),
            losses,
            diagCaseIds: EVAL_IDS,
          }),
        );
      }
      const last = rounds[2];
      expect(last.step).toBe(18);
      expect(last.stuck).toMatchObject({ stuck: false, kind: 'moving' });
      const points = stored(rounds);
      expect(points.map((p, i) => stuckOfStoredRound(p.step, p.values, cfg, points.slice(0, i)))).toEqual(
        rounds.map((r) => r.stuck),
      );
      expect(rounds.map((r) => r.stuck.kind)).toEqual(['too_few_rounds', 'too_few_rounds', 'moving']);
      expect(last.sensitivity_255).toBeGreaterThan(0.5);
      const grads = rounds.map((r) => r.diagnosis?.pred.gradMean_255 ?? NaN);
      expect(new Set(grads).size).toBe(3);
      // the losses come from training: every active term > 0
      expect(last.checklist.find((i) => i.id === 'losses')?.status).toBe('ok');
      expect(last.checklist.find((i) => i.id === 'input_range')?.status).toBe('ok');
    } finally {
      disposeTrainer(t);
    }
  });
});

describe('a round is wired to the tested primitives', () => {
  it('metrics, diagnostics, loss balance, gap and input range agree with direct computations', async () => {
    const cfg = config({ lambda_grad: 5 });
    const t = newTrainer(cfg);
    try {
      const losses = await train(t, 4);
      const subset = chooseTrainSubset(TRAIN, cfg.seed, 3);
      expect(subset).toHaveLength(3);
      expect(chooseTrainSubset([...TRAIN].reverse(), cfg.seed, 3).map((p) => p.id)).toEqual(
        subset.map((p) => p.id),
      );
      const before = tf.memory().numTensors;
      const round = await runValidationRound(t, VAL, subset, cfg, {
        history: [],
        losses,
        diagCaseIds: [EVAL_IDS[2], EVAL_IDS[0], 'not-a-case'],
        balanceCases: 1,
      });
      expect(tf.memory().numTensors).toBe(before);

      // metrics: the trainer's own evaluation (same dropout seeds)
      const ref = await t.evaluate(VAL);
      expect(round.aggregate.n_cases).toBe(4);
      expect(round.aggregate.mean_l1).toBeCloseTo(ref.aggregate.mean_l1, 6);
      expect(round.aggregate.mean_psnr).toBeCloseTo(ref.aggregate.mean_psnr, 4);
      expect(round.aggregate.mean_l1_pm1).toBeCloseTo(2 * ref.aggregate.mean_l1, 6);
      round.cases.forEach((c, i) => expect(c.ssim).toBeCloseTo(ref.cases[i].ssim, 5));

      // diagnostics: pooled over the (valid) diagnostic cases in their given order
      expect(round.diagnosisCaseIds).toEqual([EVAL_IDS[2], EVAL_IDS[0]]);
      const idx = [2, 0];
      const preds = idx.map((i) =>
        t.G.apply(
          imageToTensor(VAL[i].photo, 3),
          inferenceMode(cfg, cfg.eval_mode, deriveSeed(cfg.seed, 'evaluate', i)),
        ),
      );
      const xrays = idx.map((i) => imageToTensor(VAL[i].xray, 3));
      const p = tf.concat(preds) as tf.Tensor4D;
      const x = tf.concat(xrays) as tf.Tensor4D;
      const d = await diagnose(p, x);
      expect(round.diagnosis?.pred.gradMean_255).toBeCloseTo(d.pred.gradMean_255, 4);
      expect(round.diagnosis?.pred.gradP999_255).toBeCloseTo(d.pred.gradP999_255, 4);
      expect(round.diagnosis?.pred.intensityMax_255).toBeCloseTo(d.pred.intensityMax_255, 4);
      expect(round.diagnosis?.target).toEqual(d.target);
      expect(round.diagnosis?.sharpnessRatio).toBeCloseTo(d.sharpnessRatio, 5);
      expect(round.diagnosis?.pred.gradHist.counts).toEqual(d.pred.gradHist.counts);
      // per-case sharpness ratio of case 0
      const c0 = await diagnose(preds[1], xrays[1]);
      expect(round.cases[0].sharpnessRatio).toBeCloseTo(c0.sharpnessRatio, 5);
      tf.dispose([...preds, ...xrays, p, x]);

      // loss balance of the first diagnostic case (VAL[2]) with D in its training forward
      const photo = imageToTensor(VAL[2].photo, 3);
      const xray = imageToTensor(VAL[2].xray, 3);
      const fake = t.G.apply(photo, inferenceMode(cfg, cfg.eval_mode, deriveSeed(cfg.seed, 'evaluate', 2)));
      const dMode = { training: true, dropout: false, updateStats: false };
      const direct = await lossBalance(cfg, fake, xray, (f) => t.D.apply(photo, f, dMode));
      tf.dispose([photo, xray, fake]);
      expect(round.balanceCaseIds).toEqual([EVAL_IDS[2]]);
      expect(round.balance?.map((b) => b.term)).toEqual(['G_GAN', 'G_L1', 'G_grad']);
      round.balance?.forEach((b, i) => {
        expect(b.value).toBeCloseTo(direct[i].value, 5);
        expect(b.share).toBeCloseTo(direct[i].share, 5);
        expect(b.gradNorm).toBeCloseTo(direct[i].gradNorm, 5);
      });

      // gap: the train subset evaluated like validation
      let sum = 0;
      for (let i = 0; i < subset.length; i++) {
        const ph = imageToTensor(subset[i].photo, 3);
        const xr = imageToTensor(subset[i].xray, 3);
        const pr = t.G.apply(ph, inferenceMode(cfg, cfg.eval_mode, deriveSeed(cfg.seed, 'evaluateTrain', i)));
        sum += (await tf.mean(tf.abs(tf.sub(pr, xr))).data())[0] / 2;
        tf.dispose([ph, xr, pr]);
      }
      expect(round.gap?.train_l1_01).toBeCloseTo(sum / subset.length, 5);
      expect(round.gap?.ratio).toBeCloseTo(round.aggregate.mean_l1 / (sum / subset.length), 4);
      expect(round.gap?.lossL1_01).toBeCloseTo((losses.G_L1 as number) / cfg.lambda_L1 / 2, 8);

      // input range: RGBA / 127.5 - 1 over every val case
      let lo = Infinity;
      let hi = -Infinity;
      for (const c of VAL)
        for (let i = 0; i < c.photo.data.length; i += 4)
          for (let k = 0; k < 3; k++) {
            const v = c.photo.data[i + k] / 127.5 - 1;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
      expect(round.inputRange?.photoMin).toBeCloseTo(lo, 6);
      expect(round.inputRange?.photoMax).toBeCloseTo(hi, 6);
      expect(round.lrNow).toBe(t.nextLearningRate);

      // history values: stuck history and per-case scores survive the store's flat values
      const { summary, all } = validationPointValues(round);
      expect(summary.mean_l1).toBe(round.aggregate.mean_l1);
      expect(summary.lb_G_grad_grad).toBe(round.balance?.[2].gradNorm);
      expect(Object.keys(summary).some((k) => k.startsWith('case:'))).toBe(false);
      const point = { step: round.step, epoch: 1, timeMs: 0, values: JSON.parse(JSON.stringify(all)) };
      expect(historyFromValPoints([point])).toEqual([roundDiag(round, losses)]);
      expect(caseScoresOfPoint(point)).toEqual(
        round.cases.map((c) => ({
          id: c.id,
          l1_01: c.l1_01,
          psnr_db: c.psnr_db,
          ssim: c.ssim,
          sharpnessRatio: c.sharpnessRatio,
        })),
      );
      expect(Object.keys(caseValues(round))).toHaveLength(16);
      expect(roundValues(round).stuck).toBe(0);
      // the Evaluate view rebuilds a stored round from these values alone
      const rebuilt = roundFromValues(round.step, 1, point.values, cfg, []);
      expect(rebuilt.aggregate).toEqual({ ...round.aggregate, median_l1_pm1: 2 * round.aggregate.median_l1 });
      expect(rebuilt.balance).toEqual(round.balance);
      expect(rebuilt.gap?.train_l1_01).toBe(round.gap?.train_l1_01);
      expect(rebuilt.gap?.ratio).toBeCloseTo(round.gap?.ratio ?? NaN, 12);
      expect(rebuilt.diagnosis?.sharpnessRatio).toBe(round.diagnosis?.sharpnessRatio);
      expect(rebuilt.diagnosis?.pred.intensityMax_255).toBe(round.diagnosis?.pred.intensityMax_255);
      expect(rebuilt.inputRange).toEqual(round.inputRange);
      expect(rebuilt.stuck).toEqual(round.stuck);
      expect(rebuilt.diagnosis?.clinicPlan002).toEqual(round.diagnosis?.clinicPlan002);
      expect(rebuilt.diagnosis?.p999Ratio).toBe(round.diagnosis?.p999Ratio);
      expect(rebuilt.checklist).toEqual(round.checklist);
      expect(rebuilt.cases.map((c) => [c.id, c.l1_01, c.sharpnessRatio])).toEqual(
        round.cases.map((c) => [c.id, c.l1_01, c.sharpnessRatio]),
      );
    } finally {
      disposeTrainer(t);
    }
  });

  it('landmark-region sharpness: per case equals the direct computation, stored per landmark, absent on old rounds', async () => {
    const cfg = config();
    const t = newTrainer(cfg);
    try {
      const losses = await train(t, 2);
      // three val cases with landmarks (one point missing in the second), the fourth without any
      const pts: (Point | null)[][] = [
        [
          [16, 16],
          [8, 24],
          [30, 2],
        ],
        [[12.5, 20.5], null, [4, 4]],
        [
          [20, 10],
          [16, 16],
          [-40, 3],
        ],
      ];
      const val: ImagePair[] = VAL.map((p, i) => (i < 3 ? { ...p, landmarks: pts[i] as Point[] } : p));
      const spacing = { x: 0.5, y: 0.5 };
      const landmarks = {
        symbols: ['S', 'N', 'Or'],
        names: ['Sella', 'Nasion', 'Orbitale'],
        windowMm: 3,
        spacingOf: (id: string) => (id === EVAL_IDS[3] ? null : spacing),
      };
      const before = tf.memory().numTensors;
      const round = await runValidationRound(t, val, [], cfg, { history: [], losses, landmarks });
      expect(tf.memory().numTensors).toBe(before);
      const lm = round.landmarkSharpness;
      expect(lm?.windowMm).toBe(3);
      // 3 mm at 0.5 mm per preprocessed pixel: 6 px
      expect(lm?.windowPx).toEqual({ min: 6, max: 6 });
      // a second round reads the X-ray windows from the cache: the same numbers
      const again = await runValidationRound(t, val, [], cfg, { history: [], losses, landmarks });
      expect(again.landmarkSharpness?.cases).toEqual(lm?.cases);
      expect(tf.memory().numTensors).toBe(before);
      expect(lm?.cases?.map((c) => c.id)).toEqual(EVAL_IDS.slice(0, 3));
      for (let i = 0; i < 3; i++) {
        const photo = imageToTensor(val[i].photo, 3);
        const xray = imageToTensor(val[i].xray, 3);
        const pred = t.G.apply(photo, inferenceMode(cfg, cfg.eval_mode, deriveSeed(cfg.seed, 'evaluate', i)));
        const direct = await caseLandmarkSharpness(val[i].id as string, pred, xray, pts[i], spacing, 3);
        tf.dispose([photo, xray, pred]);
        const got = lm?.cases?.[i];
        direct.ratio.forEach((r, k) =>
          r === null ? expect(got?.ratio[k]).toBeNull() : expect(got?.ratio[k]).toBeCloseTo(r, 5),
        );
      }
      // missing point and a window outside the image give no ratio
      expect(lm?.cases?.[1].ratio[1]).toBeNull();
      expect(lm?.cases?.[2].ratio[2]).toBeNull();
      expect(lm?.perLandmark.map((r) => r.symbol)).toEqual(['S', 'N', 'Or']);
      expect(lm?.meanRatio).toBeGreaterThan(0);
      // stored with the round: overall and per landmark, and back in the Evaluate view
      const { summary } = validationPointValues(round);
      expect(summary.lm_sharp).toBeCloseTo(lm?.meanRatio ?? NaN, 12);
      expect(summary['lm_sharp:S']).toBeCloseTo(lm?.perLandmark[0].meanRatio ?? NaN, 12);
      const rebuilt = roundFromValues(round.step, 1, JSON.parse(JSON.stringify(summary)), cfg, []);
      expect(rebuilt.landmarkSharpness?.perLandmark.map((r) => [r.symbol, r.name, r.n])).toEqual(
        lm?.perLandmark.map((r) => [r.symbol, r.name, r.n]),
      );
      // a round stored before the metric existed (and a dataset without landmarks) loads without it
      const { lm_sharp: _a, ...old } = summary;
      void _a;
      const oldValues = Object.fromEntries(Object.entries(old).filter(([k]) => !k.startsWith('lm_sharp')));
      expect(roundFromValues(round.step, 1, oldValues, cfg, []).landmarkSharpness).toBeNull();
      const none = await runValidationRound(t, VAL, [], cfg, { history: [], losses });
      expect(none.landmarkSharpness).toBeNull();
      expect(validationPointValues(none).summary.lm_sharp).toBeUndefined();
    } finally {
      disposeTrainer(t);
    }
  });

  it('evaluates a checkpoint stored in IndexedDB on demand, with the grid images and the same numbers', async () => {
    const cfg = config();
    const t = newTrainer(cfg);
    try {
      const losses = await train(t, 3);
      const subset = chooseTrainSubset(TRAIN, cfg.seed);
      const round = await runValidationRound(t, VAL, subset, cfg, {
        history: [],
        losses,
        diagCaseIds: EVAL_IDS,
      });
      const storage = await openStudioStorage({ prefix: `eval-${globalThis.crypto.randomUUID()}` });
      await saveCheckpoint(storage.checkpoints, 'run-eval', 'best', encodeTrainerState(await t.getState()));
      const before = tf.memory().numTensors;
      const model = await loadCheckpointModel(storage, 'run-eval', 'best');
      let ev;
      try {
        ev = await evaluateCheckpoint(
          model,
          { train: TRAIN, val: VAL, evalCaseIds: EVAL_IDS.slice(0, 3) },
          { model: { kind: 'checkpoint', runId: 'run-eval', name: 'best' } },
        );
      } finally {
        model.release();
      }
      expect(tf.memory().numTensors).toBe(before);
      expect([ev.step, ev.checkpoint, ev.runId]).toEqual([3, 'best', 'run-eval']);
      expect(ev.aggregate.mean_l1).toBeCloseTo(round.aggregate.mean_l1, 6);
      expect(ev.gap?.train_l1_01).toBeCloseTo(round.gap?.train_l1_01 ?? NaN, 6);
      expect(ev.balance?.[1].gradNorm).toBeCloseTo(round.balance?.[1].gradNorm ?? NaN, 5);
      expect(ev.grid.map((g) => g.id)).toEqual(EVAL_IDS.slice(0, 3));
      expect(ev.grid[0].prediction.width).toBe(SIZE);
      expect(ev.grid[0].xray).toBe(VAL[0].xray);
      expect(ev.diagnosisCaseIds).toEqual(EVAL_IDS.slice(0, 3));
      expect(ev.losses?.G_L1).toBeCloseTo(losses.G_L1 as number, 5);
      await expect(
        evaluateCheckpoint(model, { train: TRAIN, val: [], evalCaseIds: [] }, { model: { kind: 'current' } }),
      ).rejects.toThrow(/no validation cases/);
      await expect(loadCheckpointModel(storage, 'run-eval', 'nope')).rejects.toThrow();
    } finally {
      disposeTrainer(t);
    }
  });
});

describe('content region: runs that differ in preprocessing are scored on the same pixels', () => {
  /** A "generator" that returns its input: the photo IS the prediction (no training needed). */
  const identity = {
    params: new Map(),
    buffers: new Map(),
    batchesTracked: new Map(),
    keyOrder: [],
    dispose: () => undefined,
    apply: (photo: tf.Tensor4D) => tf.clone(photo),
  } as unknown as Generator;

  /** A non-square "film" (W × H) with smooth structure and edges, grey, values 30..200. */
  function film(w: number, h: number): RgbaImage {
    const data = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const k = (y * w + x) * 4;
        const g = 30 + 120 * (x / w) + (Math.hypot(x - w / 2, y - h / 3) < h / 5 ? 50 : 0);
        data[k] = data[k + 1] = data[k + 2] = g;
        data[k + 3] = 255;
      }
    return { width: w, height: h, data };
  }

  /** The same film, brighter by `d` levels everywhere (a prediction off by d/255 on every pixel). */
  function brighter(img: RgbaImage, d: number): RgbaImage {
    const data = Uint8ClampedArray.from(img.data);
    for (let i = 0; i < data.length; i += 4) for (let k = 0; k < 3; k++) data[i + k] += d;
    return { ...img, data };
  }

  const spec = (mode: 'stretch' | 'letterbox'): PreprocessSpec => ({
    mode,
    size: SIZE,
    pad: 'constant',
    padColor: [0, 0, 0],
    roi: null,
  });

  /** A pair whose prediction (the photo, through `identity`) is `pred` and target `target`, preprocessed. */
  function pairOf(id: string, target: RgbaImage, pred: RgbaImage, mode: 'stretch' | 'letterbox'): RegionPair {
    const t = preprocessImage(target, spec(mode));
    const p = preprocessImage(pred, spec(mode));
    return { id, photo: p.image, xray: t.image, content: contentRect(t.transform) };
  }

  const cfg = config({ eval_mode: true });

  it('garbage in the letterbox padding does not change any content-region figure (it changes the whole-image one)', async () => {
    const target = film(48, 30);
    const clean = pairOf('a', target, brighter(target, 12), 'letterbox');
    const r = clean.content as PixelRect;
    expect(r.w).toBe(SIZE);
    expect(r.h).toBeLessThan(SIZE); // 48 × 30 letterboxed to 32 px: 20 rows of content
    // the same prediction with random values in every padding pixel
    const noisy = Uint8ClampedArray.from(clean.photo.data);
    const rng = new Rng(5);
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        if (y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w) continue;
        const k = (y * SIZE + x) * 4;
        noisy[k] = noisy[k + 1] = noisy[k + 2] = rng.int(256);
      }
    const garbage: RegionPair = { ...clean, id: 'b', photo: { ...clean.photo, data: noisy } };
    const before = tf.memory().numTensors;
    const evA = await evaluateModel(identity, null, cfg, [clean], [], { step: 1, diagCaseIds: ['a'] });
    const evB = await evaluateModel(identity, null, cfg, [garbage], [], { step: 1, diagCaseIds: ['b'] });
    expect(tf.memory().numTensors).toBe(before);
    expect(evA.metricsRegion).toBe('content');
    const strip = (e: typeof evA) => ({
      l1: e.cases[0].l1_01,
      psnr: e.cases[0].psnr_db,
      ssim: e.cases[0].ssim,
      sharp: e.cases[0].sharpnessRatio,
      grad: e.diagnosis?.pred.gradMean_255,
      max: e.diagnosis?.pred.intensityMax_255,
      p999: e.diagnosis?.pred.intensityP999_255,
      target: e.diagnosis?.target.gradMean_255,
    });
    expect(strip(evB)).toEqual(strip(evA));
    // on the content region the prediction is off by 12 levels on every pixel
    expect(evA.cases[0].l1_01).toBeCloseTo(12 / 255, 6);
    // the whole-image figures see the padding: perfect padding dilutes the error, garbage inflates it
    expect(evA.aggregate.mean_l1_whole).toBeCloseTo(((12 / 255) * r.w * r.h) / (SIZE * SIZE), 6);
    expect(evB.aggregate.mean_l1_whole as number).toBeGreaterThan(evA.aggregate.mean_l1_whole as number);
    expect(evA.aggregate.mean_content_fraction).toBeCloseTo((r.w * r.h) / (SIZE * SIZE), 9);
    // the flag and the whole-image figures go into the stored round and come back
    const values = JSON.parse(JSON.stringify(roundValues(evA))) as Record<string, number | null>;
    expect(values.content_region).toBe(1);
    expect(values.mean_l1_whole).toBeCloseTo(evA.aggregate.mean_l1_whole as number, 12);
    const rebuilt = roundFromValues(1, 1, values, cfg, []);
    expect(rebuilt.metricsRegion).toBe('content');
    expect(rebuilt.aggregate.mean_content_fraction).toBe(evA.aggregate.mean_content_fraction);
  });

  it('stretch and letterbox of the same film and prediction score the same content-region error', async () => {
    const target = film(60, 36);
    const pred = brighter(target, 20);
    const st = pairOf('s', target, pred, 'stretch');
    const lb = pairOf('l', target, pred, 'letterbox');
    expect(st.content).toEqual({ x: 0, y: 0, w: SIZE, h: SIZE });
    const evS = await evaluateModel(identity, null, cfg, [st], [], { step: 1 });
    const evL = await evaluateModel(identity, null, cfg, [lb], [], { step: 1 });
    // 20 levels on every film pixel, whichever way it was fitted into the square
    expect(evS.aggregate.mean_l1).toBeCloseTo(20 / 255, 3);
    expect(evL.aggregate.mean_l1).toBeCloseTo(evS.aggregate.mean_l1, 3);
    expect(evL.aggregate.mean_psnr).toBeCloseTo(evS.aggregate.mean_psnr, 1);
    // stretch has no padding: its whole-image figure is the content one
    expect(evS.aggregate.mean_l1_whole).toBe(evS.aggregate.mean_l1);
    // the old whole-image rule would credit the letterboxed run for its black margin
    const legacy = await evaluateModel(identity, null, cfg, [{ ...lb, content: null }], [], { step: 1 });
    expect(legacy.aggregate.mean_l1).toBeLessThan(0.7 * evS.aggregate.mean_l1);
    expect(legacy.aggregate.mean_l1).toBeCloseTo(evL.aggregate.mean_l1_whole as number, 9);
  });

  it('best-checkpoint selection: a whole-image best stored before content-region metrics is not compared with new rounds', () => {
    const old = { metric: 'mean_l1', value: 0.05, step: 100, epoch: 2 };
    expect(comparableBest(old)).toBeNull();
    expect(comparableBest({ ...old, metric: 'lm_sharp' })).toBeNull();
    // traceability is scored in the original film frame: unaffected by the padding
    expect(comparableBest({ ...old, metric: 'trace_mre', value: 2.1 })).toEqual({
      ...old,
      metric: 'trace_mre',
      value: 2.1,
    });
    const marked = bestOfRound(old, { metricsRegion: 'content' });
    expect(marked.region).toBe('content');
    expect(comparableBest(marked)).toEqual(marked);
    expect(bestOfRound(old, {})).toEqual(old);
    expect(comparableBest(null)).toBeNull();
  });

  it('a stored round without the flag reads as whole-image, and a bad region is refused with the case named', async () => {
    const old = { mean_l1: 0.1, mean_psnr: 15, mean_ssim: 0.5, n_cases: 2 };
    const rebuilt = roundFromValues(10, 1, old, cfg, []);
    expect(rebuilt.metricsRegion).toBe('whole');
    expect(metricsRegionOf(rebuilt)).toBe('whole');
    expect(metricsRegionOfValues(old)).toBe('whole');
    expect(rebuilt.aggregate.mean_l1_whole).toBeUndefined();
    const target = film(40, 40);
    const bad: RegionPair = {
      ...pairOf('x1', target, target, 'stretch'),
      content: { x: 4, y: 0, w: SIZE, h: 8 },
    };
    await expect(evaluateModel(identity, null, cfg, [bad], [], { step: 1 })).rejects.toThrow(/case x1/);
  });
});
