/**
 * The engine core on the cpu backend with the store on fake-indexeddb, driven through the wire
 * protocol (fake transport) like the page drives the worker:
 *  - a run goes to the end: metrics, validation rounds, `last` and `best` checkpoints, history in
 *    the store, status `finished`, no tensors left after dispose;
 *  - resume through the engine's own path: a run paused after step 4 whose engine then dies
 *    (reload) is found interrupted by a new engine on the same storage, resumes from its `last`
 *    checkpoint (step 3) and produces exactly the losses and validation values of an
 *    uninterrupted run, with the history continuing without duplicates.
 * (Trainer-level resume equality and checkpoint atomicity are tested in train.test.ts and
 * checkpoint.test.ts; this tests the engine's save-via-store -> restore path.)
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/core/config';
import type { RgbaImage } from '../../src/core/image';
import { Rng } from '../../src/core/rng';
import { EngineCore } from '../../src/engine/engineCore';
import { demoValCount, type DemoGenerator, type SourceCase } from '../../src/engine/datasetIds';
import {
  connectEngine,
  serveEngine,
  type Engine,
  type EngineEvent,
  type FromEngine,
  type Port,
  type ToEngine,
} from '../../src/engine/protocol';
import { markOrphanedRuns } from '../../src/engine/runLocks';
import { createDiscriminator, stateDictOf } from '../../src/core/model';
import {
  commitImport,
  exportCheckpointFiles,
  planImport,
  sourceFromBytes,
} from '../../src/engine/checkpoint';
import {
  getRun,
  listCheckpoints,
  listRuns,
  openStudioStorage,
  readHistory,
  type MetricPoint,
} from '../../src/store';

/** A learnable toy pair: the X-ray is a grey, smoothed function of the photo. */
function toyCase(i: number, size: number, seed: number): { photo: RgbaImage; xray: RgbaImage } {
  const rng = new Rng(seed * 1000 + i);
  const photo = new Uint8ClampedArray(size * size * 4);
  const xray = new Uint8ClampedArray(size * size * 4);
  const cx = size * (0.3 + 0.4 * rng.next());
  const cy = size * (0.3 + 0.4 * rng.next());
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = (y * size + x) * 4;
      const d = Math.hypot(x - cx, y - cy) / size;
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
    photo: { width: size, height: size, data: photo },
    xray: { width: size, height: size, data: xray },
  };
}

const toyDemo: DemoGenerator = async (n, seed, size) => {
  const val = demoValCount(n);
  const cases: SourceCase[] = Array.from({ length: n }, (_, i) => ({
    id: `toy${String(i).padStart(3, '0')}`,
    split: i < n - val ? 'train' : 'val',
    landmarks: null,
    ...toyCase(i, size, seed),
  }));
  return { cases };
};

/** 6 toy cases = 5 train + 1 val; 2 epochs of 5 steps; every step logged; validation at 4, 8, 10. */
const CONFIG: Partial<RunConfig> = {
  netG: 'unet_32',
  size: 32,
  ngf: 4,
  ndf: 4,
  n_epochs: 1,
  n_epochs_decay: 1,
  log_every: 1,
  val_every: 4,
  save_every: 3,
  seed: 7,
  flip: true,
  jitter: false,
};

function fakeChannel(): { page: Port<FromEngine, ToEngine>; worker: Port<ToEngine, FromEngine> } {
  const toWorker = new Set<(m: ToEngine) => void>();
  const toPage = new Set<(m: FromEngine) => void>();
  return {
    page: {
      post: (m) => {
        const c = structuredClone(m);
        setTimeout(() => toWorker.forEach((h) => h(c)), 0);
      },
      listen: (h) => {
        toPage.add(h);
        return () => toPage.delete(h);
      },
    },
    worker: {
      post: (m) => {
        const c = structuredClone(m);
        setTimeout(() => toPage.forEach((h) => h(c)), 0);
      },
      listen: (h) => {
        toWorker.add(h);
        return () => toWorker.delete(h);
      },
    },
  };
}

function newCore(opts: { yieldNow?: () => Promise<void>; heartbeatMs?: number } = {}): EngineCore {
  return new EngineCore({ home: 'node', demo: toyDemo, eventEveryMs: 0, historyEveryMs: 0, ...opts });
}

/** The engine behind the fake worker boundary, and every event it sends. */
function remote(core: EngineCore): { engine: Engine; events: EngineEvent[] } {
  const ch = fakeChannel();
  serveEngine(core, ch.worker);
  const engine = connectEngine(ch.page, 'worker');
  const events: EngineEvent[] = [];
  engine.onEvent((e) => events.push(e));
  return { engine, events };
}

function until(events: EngineEvent[], pred: (e: EngineEvent) => boolean, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (events.some(pred)) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error('timed out waiting for an engine event'));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

const finished = (e: EngineEvent): boolean => e.type === 'run' && e.run.status === 'finished';
const finishedRun =
  (runId: string) =>
  (e: EngineEvent): boolean =>
    e.type === 'run' && e.run.id === runId && e.run.status === 'finished';
const lossesOf = (pts: MetricPoint[]): [number, Record<string, number | null>][] =>
  pts.map((p) => [p.step, p.values]);

let prefix = '';
let straightTrain: MetricPoint[] = [];
let straightVal: MetricPoint[] = [];

beforeAll(async () => {
  prefix = `engine-${globalThis.crypto.randomUUID()}`;
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('engine core (cpu backend, fake-indexeddb)', () => {
  it('generates the real demo phantom square at the training size, 20 % val', async () => {
    const { loadDemoCases } = await import('../../src/engine/demoData');
    const { cases } = await loadDemoCases(10, 4, 48);
    expect(cases).toHaveLength(10);
    expect(cases.filter((c) => c.split === 'val')).toHaveLength(demoValCount(10));
    expect(cases.every((c) => c.photo.width === 48 && c.photo.height === 48 && c.xray.width === 48)).toBe(
      true,
    );
    expect(cases[0].landmarks).toHaveLength(19);
    // deterministic by seed
    const again = await loadDemoCases(10, 4, 48);
    expect(Array.from(again.cases[3].xray.data.subarray(0, 400))).toEqual(
      Array.from(cases[3].xray.data.subarray(0, 400)),
    );
  });

  it('runs a demo run to the end through the protocol: curves, validation, checkpoints, history', async () => {
    const core = newCore();
    const { engine, events } = remote(core);
    const info = await engine.init({ backend: 'cpu', storagePrefix: prefix });
    expect(info.selection.backend).toBe('cpu');
    const ds = await engine.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
    expect([ds.id, ds.trainCount, ds.valCount]).toEqual(['demo-6-3', 5, 1]);
    const tensorsBefore = tf.memory().numTensors;

    const started = await engine.start({ config: CONFIG as RunConfig, name: 'straight', bestMetric: 'psnr' });
    expect([started.fromStep, started.totalSteps, started.stepsPerEpoch]).toEqual([0, 10, 5]);
    await until(events, finished);

    const metricSteps = events.flatMap((e) => (e.type === 'metrics' ? e.points.map((p) => p.step) : []));
    expect(metricSteps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const valSteps = events.flatMap((e) => (e.type === 'validation' ? [e.point.step] : []));
    expect(valSteps).toEqual([4, 8, 10]);
    const preview = events.filter((e) => e.type === 'preview');
    expect(preview.length).toBeGreaterThan(0);
    const ckptNames = new Set(events.flatMap((e) => (e.type === 'checkpoint' ? [e.record.name] : [])));
    expect([...ckptNames].sort()).toEqual(['best', 'last']);
    const last = events.filter((e) => e.type === 'progress').at(-1);
    if (last?.type !== 'progress') throw new Error('no progress event');
    expect(last.progress.step).toBe(10);
    expect(last.progress.itPerSec).toBeGreaterThan(0);

    const storage = await openStudioStorage({ prefix });
    const run = await getRun(storage.runs, started.run.id);
    expect(run?.status).toBe('finished');
    expect(run?.step).toBe(10);
    expect(run?.best?.metric).toBe('mean_psnr');
    expect(run?.checkpointNames.sort()).toEqual(['best', 'last']);
    const ckpts = await listCheckpoints(storage.checkpoints, started.run.id);
    expect(ckpts.find((c) => c.name === 'last')?.step).toBe(10);
    expect(ckpts.find((c) => c.name === 'last')?.metrics.val_mean_l1).toBeGreaterThan(0);

    straightTrain = await readHistory(storage.runs, started.run.id, 'train');
    straightVal = await readHistory(storage.runs, started.run.id, 'val');
    expect(straightTrain.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Object.keys(straightTrain[0].values).sort()).toEqual(
      [
        ...['D_fake', 'D_real', 'G_GAN', 'G_L1', 'G_fm', 'G_grad', 'G_lap', 'G_ssim', 'lr'],
        // gradient norms (core/train/trainer.ts gradNormPointValues): active terms, layer groups
        ...['grad:fake/G_GAN', 'grad:fake/G_L1'],
        ...['grad:G/outermost', 'grad:G/down', 'grad:G/innermost', 'grad:G/up'],
        ...[1, 2, 3, 4, 5].map((k) => `grad:D/layer${k}`),
      ].sort(),
    );
    expect(straightTrain.every((p) => (p.values['grad:fake/G_L1'] as number) > 0)).toBe(true);
    expect(straightTrain.every((p) => (p.values.G_L1 as number) > 0)).toBe(true);
    expect(straightVal.map((p) => p.step)).toEqual([4, 8, 10]);

    // the finished run's generator still answers evaluate (e.g. for the Evaluate section)
    const ev = await engine.evaluate({ withImages: true });
    expect(ev.step).toBe(10);
    expect(ev.aggregate.mean_l1).toBeCloseTo(straightVal[2].values.mean_l1 as number, 6);
    expect(ev.cases[0].prediction?.width).toBe(32);
    // the Evaluate section's full evaluation of a stored checkpoint, through the same engine
    const best = ckpts.find((c) => c.name === 'best');
    const full = await engine.evaluateCheckpoint({
      model: { kind: 'checkpoint', runId: started.run.id, name: 'best' },
    });
    expect(full.step).toBe(best?.step);
    expect(full.checkpoint).toBe('best');
    expect(full.grid.map((g) => g.id)).toEqual(['toy005']);
    expect(full.aggregate.mean_psnr).toBeCloseTo(best?.metrics.val_mean_psnr as number, 4);
    // validation rounds carry the diagnostics and the gap into the history and the event
    expect(straightVal[0].values).toHaveProperty('train_l1');
    expect(straightVal[0].values).toHaveProperty('sharpness_ratio');
    expect(events.some((e) => e.type === 'validation' && e.round !== undefined)).toBe(true);
    // and a checkpoint can be exported as one zip
    const zip = await engine.exportCheckpoint({ runId: started.run.id, name: 'last' });
    expect(zip.files[0].name).toBe(`${started.run.id}-last.zip`);
    expect(Array.from(zip.files[0].bytes.subarray(0, 4))).toEqual([0x50, 0x4b, 0x03, 0x04]);

    await engine.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('recovers a run interrupted after a reload from its last checkpoint with the same losses', async () => {
    expect(straightTrain).toHaveLength(10);
    // engine 1: pause right after step 4 (the last checkpoint is at step 3), then "the tab closes"
    let core1: EngineCore | null = null;
    let yields = 0;
    core1 = newCore({
      heartbeatMs: 1e9,
      yieldNow: async () => {
        yields++;
        if (yields === 4) void core1?.pause();
        await new Promise((r) => setImmediate(r));
      },
    });
    const one = remote(core1);
    await one.engine.init({ backend: 'cpu', storagePrefix: prefix });
    await one.engine.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
    const started = await one.engine.start({
      config: CONFIG as RunConfig,
      name: 'interrupted',
      bestMetric: 'psnr',
    });
    const runId = started.run.id;
    await until(one.events, (e) => e.type === 'run' && e.run.status === 'paused');
    const storage = await openStudioStorage({ prefix });
    const before = await readHistory(storage.runs, runId, 'train');
    expect(before.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect((await listCheckpoints(storage.checkpoints, runId)).find((c) => c.name === 'last')?.step).toBe(3);
    one.engine.terminate(); // the page goes away; engine 1 never writes again

    // a new page: the run is found interrupted (no Web Locks in Node: the heartbeat rule)
    const changed = await markOrphanedRuns(storage.runs, 'reloaded', {
      staleMs: 0,
      nowMs: Date.now() + 1000,
    });
    expect(changed).toContain(runId);
    expect((await getRun(storage.runs, runId))?.status).toBe('interrupted');

    const core2 = newCore();
    const two = remote(core2);
    await two.engine.init({ backend: 'cpu', storagePrefix: prefix });
    const resumed = await two.engine.recoverRun({ runId });
    expect(resumed.fromStep).toBe(3);
    await until(two.events, finished);
    const resumedSteps = two.events.flatMap((e) => (e.type === 'metrics' ? e.points.map((p) => p.step) : []));
    expect(resumedSteps).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(
      two.events.some((e) => e.type === 'warning' && e.message.code === 'engine.resume.fromCheckpoint'),
    ).toBe(true);

    // the stored curves continue where they stopped: steps 1..10 once each, and every value equals
    // the uninterrupted run's (weights, BatchNorm stats, Adam moments, epoch position, data order
    // and the per-step seeds all came back)
    const after = await readHistory(storage.runs, runId, 'train');
    const strip = (pts: MetricPoint[]) => lossesOf(pts).map(([s, v]) => [s, { ...v }]);
    expect(strip(after)).toEqual(strip(straightTrain));
    const val = await readHistory(storage.runs, runId, 'val');
    expect(val.map((p) => [p.step, p.values])).toEqual(straightVal.map((p) => [p.step, p.values]));
    const rec = await getRun(storage.runs, runId);
    expect(rec?.status).toBe('finished');
    expect(rec?.step).toBe(10);
    await two.engine.dispose();
    await core1.dispose().catch(() => undefined);
  });

  it('continues training from a finished run and from an imported .pth in new runs (fresh Adam, next epoch)', async () => {
    expect(straightTrain).toHaveLength(10);
    const storage = await openStudioStorage({ prefix });
    const straight = (await listRuns(storage.runs)).runs.find((r) => r.name === 'straight');
    if (!straight) throw new Error('the straight run is missing');
    const core = newCore();
    const { engine, events } = remote(core);
    await engine.init({ backend: 'cpu', storagePrefix: prefix });
    await engine.loadDataset({ kind: 'demo', cases: 6, seed: 3 });

    // the straight run finished its schedule (2 epochs): continuing needs epochs left
    const over = await engine
      .start({ config: CONFIG as RunConfig, init: { runId: straight.id, checkpoint: 'last' } })
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(over?.message).toMatch(/start at epoch 3 .*ends at epoch 2/);
    const missing = await engine
      .start({ config: CONFIG as RunConfig, init: { runId: straight.id, checkpoint: 'nope' } })
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(missing?.message).toMatch(/Checkpoint "nope" of run straight does not exist/);

    // two more epochs (3 and 4) on the server's linear policy; a different ngf is overridden by the
    // checkpoint's
    const more = { ...CONFIG, n_epochs: 3, n_epochs_decay: 1, ngf: 8, lambda_L1: 50 } as RunConfig;
    const started = await engine.start({
      config: more,
      name: 'continued',
      init: { runId: straight.id, checkpoint: 'last' },
    });
    expect([started.fromStep, started.totalSteps, started.stepsPerEpoch]).toEqual([0, 10, 5]);
    expect([started.run.config.ngf, started.run.config.epoch_count, started.run.config.lambda_L1]).toEqual([
      4, 3, 50,
    ]);
    expect(started.run.origin).toEqual({
      kind: 'continued',
      runId: straight.id,
      runName: 'straight',
      checkpoint: 'last',
      completedEpochs: 2,
      step: 10,
    });
    await until(events, finished);
    expect(
      events.some((e) => e.type === 'warning' && e.message.code === 'engine.continue.fromCheckpoint'),
    ).toBe(true);
    const hist = await readHistory(storage.runs, started.run.id, 'train');
    expect(hist.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // lr_step_at epoch_end (the default, the current train.py): epoch 3 of n_epochs 3 + decay 1
    // runs at the full lr, epoch 4 at half
    expect(started.run.config.lr_step_at).toBe('epoch_end');
    expect(hist[0].values.lr).toBeCloseTo(2e-4, 12);
    expect(hist[5].values.lr).toBeCloseTo(2e-4 * 0.5, 12);
    const rec = await getRun(storage.runs, started.run.id);
    expect([rec?.status, rec?.step]).toEqual(['finished', 10]);
    const last = (await listCheckpoints(storage.checkpoints, started.run.id)).find((c) => c.name === 'last');
    // epoch 4 is done (its last batch ran): 4 completed epochs, what the server calls 4_net_G.pth
    expect([last?.step, last?.epoch, last?.completedEpochs]).toEqual([10, 4, 4]);

    // a .pth as the server writes it, imported (trainCount 0, fresh D), then continued
    const pth = await exportCheckpointFiles(storage, {
      runId: straight.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'epoch',
    });
    expect(pth.fileName).toBe('2_net_G.pth');
    const plan = await planImport([sourceFromBytes(pth.fileName, pth.bytes)]);
    const imported = await commitImport(storage, plan, {
      name: 'from server',
      datasetId: 'demo-6-3',
      freshDiscriminator: async (cfg) => {
        const D = createDiscriminator(cfg, cfg.seed);
        try {
          return await stateDictOf(D);
        } finally {
          D.dispose();
        }
      },
    });
    const fromPth = await engine.start({
      config: { ...more, n_epochs: 3, n_epochs_decay: 0, lr_step_at: 'epoch_start' },
      name: 'continued from pth',
      init: { runId: imported.run.id, checkpoint: 'last' },
    });
    expect(fromPth.run.config.epoch_count).toBe(3);
    expect(fromPth.run.origin).toMatchObject({
      kind: 'continued',
      runName: 'from server',
      completedEpochs: 2,
    });
    await until(events, finishedRun(fromPth.run.id));
    const h2 = await readHistory(storage.runs, fromPth.run.id, 'train');
    expect(h2.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    // n_epochs 3, decay 0, lr_step_at epoch_start (the 2020 train.py): the last epoch runs at lr 0
    expect(h2[0].values.lr).toBe(0);
    expect(h2.every((p) => Number.isFinite(p.values.G_L1))).toBe(true);
    // same G, same data order and seeds, but a fresh D: G_L1 of step 1 equals the continued run's
    expect(h2[0].values.G_L1).toBeCloseTo(hist[0].values.G_L1 as number, 5);
    // while the same run from fresh networks (no init) starts elsewhere: the weights were loaded
    const fresh = await engine.start({
      config: { ...more, n_epochs: 3, n_epochs_decay: 0, epoch_count: 3 },
      name: 'fresh at epoch 3',
    });
    expect(fresh.run.origin).toEqual({ kind: 'new' });
    await until(events, finishedRun(fresh.run.id));
    const h3 = await readHistory(storage.runs, fresh.run.id, 'train');
    const g1 = (p: MetricPoint): number => p.values.G_L1 as number;
    console.log(`step-1 G_L1: continued ${g1(hist[0])}, from .pth ${g1(h2[0])}, fresh ${g1(h3[0])}`);
    expect(Math.abs(g1(h3[0]) - g1(hist[0]))).toBeGreaterThan(1e-3 * g1(hist[0]));
    await engine.dispose();
  });

  it('closes a run once however it ends: a step that throws fails it (record, one error event), stop stops the next', async () => {
    const core = newCore();
    const events: EngineEvent[] = [];
    core.onEvent((e) => events.push(e));
    await core.init({ backend: 'cpu', storagePrefix: prefix });
    await core.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
    const tensorsBefore = tf.memory().numTensors;
    const broken = await core.start({ config: CONFIG as RunConfig, name: 'breaks' });
    const t = core.trainerForTests;
    if (!t) throw new Error('no trainer');
    const step = t.step.bind(t);
    t.step = () => {
      if (t.globalStep >= 2) throw new Error('kernel exploded');
      return step();
    };
    await until(events, (e) => e.type === 'run' && e.run.status === 'failed');
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].type === 'error' && errors[0].message.params?.error).toBe('kernel exploded');
    const storage = await openStudioStorage({ prefix });
    const failed = await getRun(storage.runs, broken.run.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toContain('kernel exploded');
    // the steps before the failure are written down
    expect((await readHistory(storage.runs, broken.run.id, 'train')).map((p) => p.step)).toEqual([1, 2]);
    expect((await core.getStatus()).phase).toBe('ready');

    // the engine is free again; a stopped run keeps its position and a last checkpoint at it
    const seen = events.length;
    const next = await core.start({ config: CONFIG as RunConfig, name: 'stopped' });
    const nextAt = (step: number) => (): boolean =>
      events.some((e, i) => i >= seen && e.type === 'metrics' && e.points.some((p) => p.step >= step));
    await until(events, nextAt(2));
    const rec = await core.stop();
    expect(rec?.status).toBe('stopped');
    const stopped = await getRun(storage.runs, next.run.id);
    expect(stopped?.status).toBe('stopped');
    expect(stopped?.step).toBeGreaterThanOrEqual(2);
    const last = (await listCheckpoints(storage.checkpoints, next.run.id)).find((c) => c.name === 'last');
    expect(last?.step).toBe(stopped?.step);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1);
    await core.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
