/**
 * The engine's parts on their own (src/engine/session/): the recorder (metric events at most every
 * eventEveryMs, history written when due and before a checkpoint, heartbeats, a rollback dropping
 * buffered points, a failed history write warned once) and the training data (demo dataset info,
 * the prepared-cases cache keyed by size + preprocessing + direction, the evaluation list reported
 * once known), the session loop, predictImages, and the landmark detector as a session's work
 * (detectorWork: epochs, stop mid-epoch, a failing step). fake-indexeddb, a tiny generated demo, tiny
 * networks on the cpu backend.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGenerator } from '../../src/core/model';
import { predictImages } from '../../src/core/train/predict';
import { imageToTensor } from '../../src/core/train/data';
import { inferenceMode } from '../../src/core/train/trainer';
import { withDefaults } from '../../src/core/config';
import { createRun, openStudioStorage, readHistory, getRun, type StudioStorage } from '../../src/store';
import { demoValCount, type DemoGenerator, type SourceCase } from '../../src/engine/datasetIds';
import type { EngineEvent } from '../../src/engine/protocol';
import { DeviceWatch, faultMessage, inputRangeOf, num } from '../../src/engine/session/faults';
import { RunRecorder } from '../../src/engine/session/recorder';
import { TrainingSession, type SessionWork } from '../../src/engine/session/session';
import { TrainingData } from '../../src/engine/session/trainingData';
import type { TrainMessage } from '../../src/engine/trainMessages';
import { DEFAULT_AUGMENT } from '../../src/core/detector/augment';
import {
  DetectorTrainer,
  makeSample,
  type DetectorSample,
  type DetectorTrainConfig,
} from '../../src/core/detector/train';
import type { RgbaImage } from '../../src/core/image';
import { deriveSeed, Rng } from '../../src/core/rng';
import { detectorWork, type DetectorRun } from '../../src/engine/detector/work';
import {
  getDetector,
  newDetectorId,
  putDetectorRecord,
  type DetectorRecord,
} from '../../src/store/detectors';

let storage: StudioStorage;
beforeEach(async () => {
  storage = await openStudioStorage({ prefix: `session-${globalThis.crypto.randomUUID()}` });
});
afterEach(() => undefined);

const point = (
  step: number,
  v = step,
): { step: number; epoch: number; timeMs: number; values: Record<string, number> } => ({
  step,
  epoch: 1,
  timeMs: step,
  values: { G_L1: v },
});

function recorderWith(runId: string, runs: StudioStorage['runs'] = storage.runs) {
  let clock = 1000;
  const events: EngineEvent[] = [];
  const warnings: TrainMessage[] = [];
  let step = 0;
  const rec = new RunRecorder(
    runId,
    {
      runs,
      emit: (e) => events.push(e),
      warn: (m) => warnings.push(m),
      now: () => clock,
      progress: () => ({ step }) as never,
      position: () => ({ durationMs: 1234.4, step, epoch: 2 }),
    },
    { eventEveryMs: 250, historyEveryMs: 2000, heartbeatMs: 60_000 },
  );
  return {
    rec,
    events,
    warnings,
    tick: (ms: number) => (clock += ms),
    setStep: (s: number) => (step = s),
  };
}

describe('RunRecorder', () => {
  it('sends metric events at most every eventEveryMs (forced flushes always), then writes history when due', async () => {
    const run = await createRun(storage.runs, {
      name: 'r',
      datasetId: 'demo-8-1',
      config: withDefaults({}),
    } as never);
    const r = recorderWith(run.id);
    r.rec.train(point(1));
    r.rec.flushEvents(false);
    // first flush is due (nothing sent yet): one metrics event with the point, one progress event
    expect(r.events.map((e) => e.type)).toEqual(['metrics', 'progress']);
    r.rec.train(point(2));
    r.tick(100);
    r.rec.flushEvents(false);
    expect(r.events).toHaveLength(2); // not due
    r.rec.flushEvents(true);
    expect(r.events.map((e) => e.type)).toEqual(['metrics', 'progress', 'metrics', 'progress']);
    const sent = r.events
      .filter((e) => e.type === 'metrics')
      .flatMap((e) => (e.type === 'metrics' ? e.points : []));
    expect(sent.map((p) => p.step)).toEqual([1, 2]);

    expect(r.rec.historyDue()).toBe(false);
    expect(await readHistory(storage.runs, run.id, 'train')).toEqual([]);
    r.tick(2000);
    expect(r.rec.historyDue()).toBe(true);
    r.rec.val(point(2, 0.5));
    await r.rec.flushHistory();
    expect((await readHistory(storage.runs, run.id, 'train')).map((p) => p.step)).toEqual([1, 2]);
    expect((await readHistory(storage.runs, run.id, 'val')).map((p) => p.values.G_L1)).toEqual([0.5]);
    expect(r.rec.historyDue()).toBe(false);
    // written once: a second flush adds nothing
    await r.rec.flushHistory();
    expect(await readHistory(storage.runs, run.id, 'train')).toHaveLength(2);
  });

  it('a rollback drops buffered points after its step (history and events)', async () => {
    const run = await createRun(storage.runs, {
      name: 'r',
      datasetId: 'demo-8-1',
      config: withDefaults({}),
    } as never);
    const r = recorderWith(run.id);
    for (const s of [1, 2, 3, 4]) r.rec.train(point(s));
    r.rec.val(point(4));
    r.rec.dropAfter(2);
    r.rec.flushEvents(true);
    await r.rec.flushHistory();
    const sent = r.events.flatMap((e) => (e.type === 'metrics' ? e.points : []));
    expect(sent.map((p) => p.step)).toEqual([1, 2]);
    expect((await readHistory(storage.runs, run.id, 'train')).map((p) => p.step)).toEqual([1, 2]);
    expect(await readHistory(storage.runs, run.id, 'val')).toEqual([]);
  });

  it('heartbeats write the position while beating, never after stopHeartbeat', async () => {
    const run = await createRun(storage.runs, {
      name: 'r',
      datasetId: 'demo-8-1',
      config: withDefaults({}),
    } as never);
    const r = recorderWith(run.id);
    r.setStep(7);
    await r.rec.beat();
    expect((await getRun(storage.runs, run.id))!.step).toBe(0); // not started: no write
    r.rec.startHeartbeat();
    expect(r.rec.beating).toBe(true);
    await r.rec.beat();
    const rec = (await getRun(storage.runs, run.id))!;
    expect(rec.step).toBe(7);
    expect(rec.durationMs).toBe(1234);
    r.rec.stopHeartbeat();
    r.setStep(9);
    await r.rec.beat();
    expect((await getRun(storage.runs, run.id))!.step).toBe(7);
  });

  it('a failing history write is one warning, and the run goes on', async () => {
    const failing = {
      ...storage.runs,
      set: () => Promise.reject(new Error('QuotaExceededError')),
      setMany: () => Promise.reject(new Error('QuotaExceededError')),
      update: () => Promise.reject(new Error('QuotaExceededError')),
    } as unknown as StudioStorage['runs'];
    const r = recorderWith('no-such-run', failing);
    r.rec.train(point(1));
    await r.rec.flushHistory();
    r.rec.train(point(2));
    await r.rec.flushHistory();
    expect(r.warnings.map((w) => w.code)).toEqual(['engine.history.writeFailed']);
  });
});

// ---------------------------------------------------------------------------------------------

function img(size: number, v: number): RgbaImage {
  return { width: size, height: size, data: new Uint8ClampedArray(size * size * 4).fill(v) };
}

/** A tiny demo: n cases at the asked size, counting its calls. */
function tinyDemo(): { demo: DemoGenerator; calls: number[] } {
  const calls: number[] = [];
  const demo: DemoGenerator = async (n, _seed, size) => {
    calls.push(size);
    const val = demoValCount(n);
    const cases: SourceCase[] = Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      split: i < n - val ? 'train' : 'val',
      photo: img(size, 10 + i),
      xray: img(size, 200 - i),
      landmarks: [[1, 2]],
      pixelSpacingMm: { x: 0.5, y: 0.5 },
    }));
    return { cases };
  };
  return { demo, calls };
}

describe('TrainingData', () => {
  it('loads the demo, prepares at a size once (cache), reports the evaluation list once known', async () => {
    const { demo, calls } = tinyDemo();
    const events: EngineEvent[] = [];
    let infoChanged = 0;
    const td = new TrainingData({
      emit: (e) => events.push(e),
      warn: () => undefined,
      infoChanged: () => infoChanged++,
    });
    const info = await td.load({ kind: 'demo', cases: 10, seed: 3 }, storage, demo);
    expect(info).toMatchObject({ id: 'demo-10-3', trainCount: 8, valCount: 2, evalCaseIds: [] });
    const cfg = withDefaults({ size: 16 });
    const a = await td.prepare(cfg);
    expect(a.train).toHaveLength(8);
    expect(a.val.map((p) => p.id)).toEqual(['c8', 'c9']);
    expect(a.evalCaseIds).toEqual(['c8', 'c9']);
    expect(td.dataset!.info.evalCaseIds).toEqual(['c8', 'c9']);
    expect(infoChanged).toBe(1);
    expect(a.landmarks?.spacingOf('c8')).toEqual({ x: 0.5, y: 0.5 });
    // the same choice: the cache, no new generation
    expect(await td.prepare(withDefaults({ size: 16, lr: 0.1 }))).toBe(a);
    expect(calls).toEqual([16]);
    // another direction: photo and X-ray swap, and no landmark sharpness (the target is the photo)
    const b = await td.prepare(withDefaults({ size: 16, direction: 'BtoA' }));
    expect(b).not.toBe(a);
    expect(b.train[0].photo.data[0]).toBe(200);
    expect(b.landmarks).toBeNull();
    expect(calls).toEqual([16, 16]);
    expect(infoChanged).toBe(1);
    expect(events.some((e) => e.type === 'datasetProgress')).toBe(true);
    td.clear();
    expect(td.dataset).toBeNull();
    await expect(td.prepare(cfg)).rejects.toThrow();
  });

  it('refuses cases at the wrong size and a stored dataset that does not exist, naming it', async () => {
    const wrong: DemoGenerator = async (n, s, size) => {
      const r = await tinyDemo().demo(n, s, size);
      return { cases: r.cases.map((c) => ({ ...c, photo: img(size / 2, 0) })) };
    };
    const td = new TrainingData({
      emit: () => undefined,
      warn: () => undefined,
      infoChanged: () => undefined,
    });
    await td.load({ kind: 'demo', cases: 5, seed: 1 }, storage, wrong);
    await expect(td.prepare(withDefaults({ size: 16 }))).rejects.toThrow(
      /case c0: .*8 px images for a 16 px run/,
    );
    await expect(td.load({ kind: 'stored', datasetId: 'nope' }, storage, wrong)).rejects.toThrow(/nope/);
  });
});

describe('fault helpers (session/faults.ts)', () => {
  it('explains a fault with the restored step and the halved lr, numbers short', () => {
    const nan = faultMessage(
      { kind: 'nonFinite', step: 40, what: 'G_GAN', value: 'NaN', losses: {}, lr: 2e-4 },
      30,
      2e-4,
      1e-4,
    );
    expect(nan.code).toBe('engine.fault.nonFinite');
    expect(nan.params).toMatchObject({
      step: 40,
      restored: 30,
      lr: '2.00e-4',
      newLr: '1.00e-4',
      what: 'G_GAN',
    });
    const div = faultMessage(
      { kind: 'ganDiverged', step: 90, dLoss: 0.0004, gGan: 12.3456, reads: 5, losses: {}, lr: 0.002 },
      80,
      0.002,
      0.001,
    );
    expect(div.code).toBe('engine.fault.ganDiverged');
    expect(div.params).toMatchObject({ dLoss: '4.00e-4', gGan: '12.3', lr: '0.002', reads: 5 });
    expect(num(Infinity)).toBe('Infinity');
  });

  it('measures the input range on the [-1,1] scale over the first cases', () => {
    const r = inputRangeOf([{ photo: img(2, 0), xray: img(2, 255) }]);
    expect(r).toEqual({ photoMin: -1, photoMax: -1, xrayMin: 1, xrayMax: 1 });
    expect(inputRangeOf([])).toBeNull();
  });

  it('a device watch without a GPU device is lost only when told', async () => {
    const w = new DeviceWatch();
    w.watch();
    expect(await w.isLost()).toBe(false);
    w.simulateLoss('gone');
    expect(await w.isLost()).toBe(true);
    expect(w.lost).toBe('gone');
    w.watch();
    expect(w.lost).toBeNull();
  });
});

describe('TrainingSession (session/session.ts)', () => {
  /** A work of n steps that records what the session asked of it. */
  function countingWork(n: number, opts: { throwAt?: number; lostAt?: number } = {}) {
    const log: string[] = [];
    let step = 0;
    const work: SessionWork = {
      done: () => step >= n,
      repair: async () => false,
      step: async () => {
        step++;
        if (step === opts.throwAt) throw new Error(`boom at ${step}`);
        if (step === opts.lostAt) throw new Error('read failed');
        log.push(`step ${step}`);
        return 'ok';
      },
      classify: async (e) => {
        if (String(e).includes('read failed')) {
          log.push('lost');
          return 'lost';
        }
        throw e;
      },
      finish: async () => void log.push('finish'),
      stopped: async () => void log.push('stopped'),
      failed: async (e) => void log.push(`failed: ${(e as Error).message}`),
    };
    return { work, log, at: () => step };
  }
  const host = (): { now: () => number; yieldNow: () => Promise<void>; tick: (ms: number) => void } => {
    let t = 0;
    return { now: () => t, yieldNow: () => new Promise((r) => setTimeout(r, 0)), tick: (ms) => (t += ms) };
  };

  it('runs the work to its last step, then finish; a lost device is classified, not fatal', async () => {
    const h = host();
    const s = new TrainingSession(h, 500);
    const w = countingWork(3, { lostAt: 2 });
    s.start(w.work);
    await s.whenLoopEnds();
    expect(w.log).toEqual(['step 1', 'lost', 'step 3', 'finish']);
  });

  it('pauses after the step in flight, resumes on wake, stops a paused run; active time excludes the pause', async () => {
    const h = host();
    const s = new TrainingSession(h, 1000);
    const w = countingWork(1_000_000);
    s.start(w.work);
    await new Promise((r) => setTimeout(r, 5));
    h.tick(200);
    s.pause();
    expect(s.durationMs).toBe(1200);
    await new Promise((r) => setTimeout(r, 5));
    const at = w.at();
    h.tick(5000); // paused time does not count
    await new Promise((r) => setTimeout(r, 5));
    expect(w.at()).toBeLessThanOrEqual(at + 1);
    expect(s.durationMs).toBe(1200);
    s.resume();
    s.wake();
    await new Promise((r) => setTimeout(r, 5));
    expect(w.at()).toBeGreaterThan(at + 1);
    h.tick(300);
    expect(s.durationMs).toBe(1500);
    s.pause();
    await s.stop();
    expect(w.log.at(-1)).toBe('stopped');
    s.end();
    expect(s.ended).toBe(true);
    expect(s.durationMs).toBe(1500);
  });

  it('a step that throws (not a lost device) fails the run; speed leaves out the first sample', async () => {
    const s = new TrainingSession(host(), 0);
    const w = countingWork(10, { throwAt: 3 });
    s.start(w.work);
    await s.whenLoopEnds();
    expect(w.log).toEqual(['step 1', 'step 2', 'failed: boom at 3']);
    expect(s.itPerSec()).toBeNull();
    s.recordSpeed(1, 5000); // shader compilation
    s.recordSpeed(10, 1000);
    s.recordSpeed(10, 1000);
    expect(s.itPerSec()).toBe(10);
    s.resetSpeed();
    expect(s.itPerSec()).toBeNull();
  });
});

describe('predictImages (core/train/predict.ts, the one inference path)', () => {
  it('predicts one image per photo, reproducibly per seed tag, leaving no tensor behind', async () => {
    await tf.setBackend('cpu');
    const cfg = withDefaults({ netG: 'unet_32', ngf: 4, size: 32, no_dropout: false });
    const G = createGenerator(cfg, cfg.seed);
    const photos = [img(32, 40), img(32, 90)];
    const before = tf.memory().numTensors;
    const a = await predictImages(G, cfg, photos, { evalMode: false, seedTag: 'preview' });
    expect(tf.memory().numTensors).toBe(before);
    expect(a.map((p) => [p.width, p.height])).toEqual([
      [32, 32],
      [32, 32],
    ]);
    const again = await predictImages(G, cfg, photos, { evalMode: false, seedTag: 'preview' });
    expect(again[1].data).toEqual(a[1].data);
    // eval mode has no dropout: the seed tag does not matter
    const e1 = await predictImages(G, cfg, photos, { evalMode: true, seedTag: 'x' });
    const e2 = await predictImages(G, cfg, photos, { evalMode: true, seedTag: 'y' });
    expect(e1[0].data).toEqual(e2[0].data);
    G.dispose();
  });

  it('hands each prediction tensor to onPrediction before disposal, with the seeds the callers had', async () => {
    await tf.setBackend('cpu');
    // unet_64 has a dropout block (unet_32 has none): the seeds matter
    const cfg = withDefaults({ netG: 'unet_64', ngf: 4, size: 64, no_dropout: false, seed: 5 });
    const G = createGenerator(cfg, cfg.seed);
    const photos = [img(64, 40), img(64, 90), img(64, 150)];
    /** The forward the callers wrote out before: one photo, dropout seed `seed`. */
    const direct = async (photo: RgbaImage, seed: number): Promise<Float32Array> => {
      const x = imageToTensor(photo, cfg.input_nc);
      const y = G.apply(x, inferenceMode(cfg, false, seed));
      const v = (await y.data()) as Float32Array;
      tf.dispose([x, y]);
      return v;
    };
    const before = tf.memory().numTensors;
    const seen: { index: number; values: Float32Array; photo0: number }[] = [];
    const none = await predictImages(G, cfg, photos, {
      evalMode: false,
      seedTag: 'evaluate',
      images: false,
      onPrediction: async ({ index, photo, pred }) => {
        seen.push({ index, values: (await pred.data()) as Float32Array, photo0: (await photo.data())[0] });
      },
    });
    expect(none).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    expect(seen.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(seen[1].photo0).toBeCloseTo(90 / 127.5 - 1, 6);
    // bit-identical to the loops they replace: evaluation ('evaluate', i), …
    expect(seen[2].values).toEqual(await direct(photos[2], deriveSeed(cfg.seed, 'evaluate', 2)));
    // … a subset keeping its cases' places (the loss balance), and cli infer's one photo ('predict')
    const sub: Float32Array[] = [];
    await predictImages(G, cfg, [photos[2]], {
      evalMode: false,
      seedTag: 'evaluate',
      seedIndex: () => 2,
      images: false,
      onPrediction: async ({ pred }) => void sub.push((await pred.data()) as Float32Array),
    });
    expect(sub[0]).toEqual(seen[2].values);
    const one: Float32Array[] = [];
    const [png] = await predictImages(G, cfg, [photos[0]], {
      evalMode: false,
      seedTag: 'predict',
      seedIndex: () => null,
      onPrediction: async ({ pred }) => void one.push((await pred.data()) as Float32Array),
    });
    expect(one[0]).toEqual(await direct(photos[0], deriveSeed(cfg.seed, 'predict')));
    expect(one[0]).not.toEqual(await direct(photos[0], deriveSeed(cfg.seed, 'predict', 0)));
    expect(png.data[0]).toBe(Math.round(((one[0][0] + 1) / 2) * 255));
    // a callback that throws leaves no tensor behind either
    await expect(
      predictImages(G, cfg, photos, {
        evalMode: true,
        seedTag: 'x',
        onPrediction: () => {
          throw new Error('metric failed');
        },
      }),
    ).rejects.toThrow('metric failed');
    expect(tf.memory().numTensors).toBe(before);
    G.dispose();
  });
});

describe('detectorWork (engine/detector/work.ts: the detector on the training session)', () => {
  const symbols = ['S', 'N'];
  const sample = (i: number): DetectorSample =>
    makeSample(
      `c${i}`,
      img(16, 40 + 40 * i),
      [
        [4 + i, 5],
        [10, 9 + i],
      ],
      16,
      1,
    );

  /** A tiny detector training (16 px, 2 landmarks, 3 train + 1 val cases, 2 steps per epoch). */
  async function detectorRun(opts: { epochs: number; stopAtGpuCall?: number; nanAt?: number }) {
    await tf.setBackend('cpu');
    const cfg: DetectorTrainConfig = {
      arch: { size: 16, channels: [4, 8, 8], landmarks: 2, head: 'softmax', outStride: 2 },
      symbols,
      sigmaMm: 2,
      lr: 1e-3,
      batchSize: 1,
      seed: 1,
      augment: DEFAULT_AUGMENT,
    };
    const trainer = new DetectorTrainer(cfg);
    const record: DetectorRecord = {
      id: newDetectorId(1000),
      name: 'tiny',
      createdAt: 1000,
      updatedAt: 1000,
      status: 'training',
      symbols,
      datasetId: 'd',
      datasetName: 'd',
      cases: 3,
      epochs: opts.epochs,
      epochsDone: 0,
      options: { config: cfg },
      history: [],
      checkpoints: {},
    };
    await putDetectorRecord(storage.checkpoints, record);
    const run: DetectorRun = {
      id: record.id,
      record,
      trainer,
      train: [sample(0), sample(1), sample(2)],
      val: [sample(3)],
      symbols,
      mmPerPx: 1,
      epochs: opts.epochs,
      maxSteps: 2,
      state: {
        epoch: 0,
        step: 0,
        rng: trainer.rng.getState(),
        orderRng: [0, 0, 0, 0],
        bestMre: null,
        elapsedMs: 0,
      },
      history: [],
      orderRng: new Rng(7),
    };
    const events: EngineEvent[] = [];
    const session = new TrainingSession(
      { now: () => Date.now(), yieldNow: () => new Promise((r) => setTimeout(r, 0)) },
      0,
    );
    let steps = 0;
    const host = {
      storage: () => storage,
      emit: (e: EngineEvent) => events.push(e),
      now: () => Date.now(),
      gpu: async <T>(fn: () => Promise<T>): Promise<T> => {
        steps++;
        if (steps === opts.stopAtGpuCall) void session.stop();
        if (steps === opts.nanAt) return NaN as T;
        return fn();
      },
    };
    session.start(
      detectorWork(run, session, host, (r) => ({ status: r.status, epochsDone: r.epochsDone }) as never),
    );
    await session.whenLoopEnds();
    const points = events.flatMap((e) => (e.type === 'detectorEpoch' ? [e.point] : []));
    return { run, session, events, points, stored: await getDetector(storage.checkpoints, record.id) };
  }

  it('trains epoch by epoch on the session: val MRE per epoch, best + last with the resume position, one detectorDone', async () => {
    const before = tf.memory().numTensors;
    const r = await detectorRun({ epochs: 2 });
    expect(r.points.map((p) => [p.epoch, p.step])).toEqual([
      [1, 2],
      [2, 4],
    ]);
    expect(r.points.every((p) => p.valMreMm !== null && Number.isFinite(p.loss))).toBe(true);
    expect(r.stored?.status).toBe('finished');
    expect(r.stored?.epochsDone).toBe(2);
    expect(r.stored?.checkpoints.last?.epoch).toBe(2);
    expect(r.stored?.checkpoints.best?.valMreMm).toBe(Math.min(...r.points.map((p) => p.valMreMm as number)));
    expect((r.stored?.options as { trainState?: { epoch: number; step: number } }).trainState).toMatchObject({
      epoch: 2,
      step: 4,
    });
    expect(r.events.filter((e) => e.type === 'detectorDone')).toHaveLength(1);
    expect(r.events.at(-1)?.type).toBe('detectorDone');
    expect(r.session.ended).toBe(true);
    expect(tf.memory().numTensors).toBe(before); // the trainer is freed
  });

  it('a stop in the middle of an epoch ends that epoch first (its steps count), then stopped', async () => {
    // GPU calls: steps 1-2, epoch 1's evaluation, step 3 (the stop comes during it)
    const r = await detectorRun({ epochs: 3, stopAtGpuCall: 4 });
    // epoch 2 ends after its one step
    expect(r.points.map((p) => [p.epoch, p.step])).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(r.stored?.status).toBe('stopped');
    expect(r.stored?.epochsDone).toBe(2);
  });

  it('a non-finite loss fails the run: one error event naming it, record failed, trainer freed', async () => {
    const before = tf.memory().numTensors;
    const r = await detectorRun({ epochs: 2, nanAt: 2 });
    const errors = r.events.flatMap((e) => (e.type === 'error' ? [e.message] : []));
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe('engine.detector.failed');
    expect(String(errors[0].params?.error)).toMatch(/heatmap loss became NaN at step 1/);
    expect(r.stored?.status).toBe('failed');
    expect(r.stored?.error).toMatch(/NaN/);
    expect(r.points).toHaveLength(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
