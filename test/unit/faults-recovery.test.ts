/**
 * Faults during training (issue 17, items 1 and 2), on the wasm backend with the store on
 * fake-indexeddb:
 *  - NaN weights injected before a step (the engine's test hook) are detected at the next metric
 *    read with that step; the run pauses, rolls back to its last good checkpoint (the store keeps
 *    only finite checkpoints and a history cut back to that step), and resumes with the learning
 *    rate halved through the wire protocol; the message exists in English and Chinese;
 *  - the automatic policy resumes by itself with the lr halved;
 *  - a checkpoint whose weights are not finite is refused (the previous one stays) and handled the
 *    same way, also when no metric read falls between the NaN and the save;
 *  - a diverging GAN is flagged with the clinic's checklist;
 *  - a lost device (simulated on wasm: the backend is really dropped with every tensor) is recovered:
 *    backend re-created, run continued from the last checkpoint to the end, stored checkpoints intact.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src/core/config';
import type { RgbaImage } from '../../src/core/image';
import { Rng } from '../../src/core/rng';
import { withDefaults } from '../../src/core/config';
import { messageText } from '../../src/core/messages';
import { loadTrainerState } from '../../src/core/train/checkpoint';
import { createInMemoryDataSource } from '../../src/core/train/data';
import { Trainer } from '../../src/core/train/trainer';
import {
  divergenceDefaults,
  firstNonFinite,
  firstNonFiniteWeight,
  GanDivergenceWatch,
  type GanDivergenceOptions,
} from '../../src/core/train/divergence';
import { EngineCore } from '../../src/engine/engineCore';
import { demoValCount, type DemoGenerator, type SourceCase } from '../../src/engine/datasetIds';
import { engineFromCore } from '../../src/engine/inPage';
import {
  connectEngine,
  serveEngine,
  type Engine,
  type EngineEvent,
  type FromEngine,
  type Port,
  type RunRecovery,
  type ToEngine,
} from '../../src/engine/protocol';
import { trainMessageText, type TrainMessage } from '../../src/engine/trainMessages';
import {
  getCheckpoint,
  getRun,
  listCheckpoints,
  loadCheckpoint,
  openStudioStorage,
  readHistory,
  type StudioStorage,
} from '../../src/store';

function toyCase(i: number, size: number, seed: number): { photo: RgbaImage; xray: RgbaImage } {
  const rng = new Rng(seed * 1000 + i);
  const photo = new Uint8ClampedArray(size * size * 4);
  const xray = new Uint8ClampedArray(size * size * 4);
  for (let k = 0; k < size * size; k++) {
    const g = rng.int(256);
    photo[4 * k] = g;
    photo[4 * k + 1] = 255 - g;
    photo[4 * k + 2] = (k * 7) % 256;
    photo[4 * k + 3] = 255;
    xray[4 * k] = xray[4 * k + 1] = xray[4 * k + 2] = (g + k) % 256;
    xray[4 * k + 3] = 255;
  }
  return {
    photo: { width: size, height: size, data: photo },
    xray: { width: size, height: size, data: xray },
  };
}

const toyDemo: DemoGenerator = async (n, seed, size) => {
  const val = demoValCount(n);
  const cases: SourceCase[] = Array.from({ length: n }, (_, i) => ({
    id: `toy${i}`,
    split: i < n - val ? 'train' : 'val',
    landmarks: null,
    ...toyCase(i, size, seed),
  }));
  return { cases };
};

/** 6 toy cases = 5 train + 1 val: 10 steps; every step logged; `best` at 4 and 8, `last` at 3, 5, 6, 9, 10. */
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
  flip: false,
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

interface Harness {
  core: EngineCore;
  engine: Engine;
  events: EngineEvent[];
  storage: StudioStorage;
}

async function harness(
  opts: { wire?: boolean; divergence?: Partial<GanDivergenceOptions> } = {},
): Promise<Harness> {
  const prefix = `faults-${globalThis.crypto.randomUUID()}`;
  const core = new EngineCore({
    home: 'node',
    demo: toyDemo,
    eventEveryMs: 0,
    historyEveryMs: 0,
    useLocks: false,
    ...(opts.divergence ? { divergence: opts.divergence } : {}),
  });
  let engine: Engine;
  if (opts.wire) {
    const ch = fakeChannel();
    serveEngine(core, ch.worker);
    engine = connectEngine(ch.page, 'worker');
  } else {
    engine = engineFromCore(core, 'node');
  }
  const events: EngineEvent[] = [];
  engine.onEvent((e) => events.push(e));
  await engine.init({ backend: 'wasm', storagePrefix: prefix });
  await engine.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
  return { core, engine, events, storage: await openStudioStorage({ prefix }) };
}

function until(
  events: EngineEvent[],
  pred: (e: EngineEvent) => boolean,
  timeoutMs = 60_000,
): Promise<EngineEvent> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const hit = events.find(pred);
      if (hit) resolve(hit);
      else if (Date.now() - t0 > timeoutMs) reject(new Error('timed out waiting for an engine event'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

const waitingRecovery = (e: EngineEvent): boolean =>
  e.type === 'status' && e.status.recovery?.waiting === true;
const runStatus =
  (status: string) =>
  (e: EngineEvent): boolean =>
    e.type === 'run' && e.run.status === status;
const warnings = (events: EngineEvent[]): TrainMessage[] =>
  events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

async function recoveryOf(events: EngineEvent[]): Promise<RunRecovery> {
  const e = await until(events, waitingRecovery);
  if (e.type !== 'status' || !e.status.recovery) throw new Error('no recovery');
  return e.status.recovery;
}

/** Every stored checkpoint of the run loads and has finite weights; returns name -> step. */
async function storedCheckpointsIntact(
  storage: StudioStorage,
  runId: string,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const rec of await listCheckpoints(storage.checkpoints, runId)) {
    const { files } = await loadCheckpoint(storage.checkpoints, runId, rec.name);
    const state = loadTrainerState(files, rec.name);
    expect(firstNonFiniteWeight(state.G)).toBeNull();
    expect(firstNonFiniteWeight(state.D)).toBeNull();
    expect(state.step).toBe(rec.step);
    out[rec.name] = rec.step;
  }
  return out;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('faults: non-finite values', () => {
  it('NaN at step 5 → detected at that read, paused, rolled back to step 4, resumed with lr halved (wire)', async () => {
    const { core, engine, events, storage } = await harness({ wire: true });
    const tensorsBefore = tf.memory().numTensors;
    const started = await engine.start({ config: CONFIG as RunConfig, name: 'nan' });
    await engine.injectFault({ kind: 'nonFinite', atStep: 5 });
    const rec = await recoveryOf(events);
    // detected at the read of step 5 (every step is logged), rolled back to the newest good checkpoint
    expect([rec.kind, rec.step, rec.restoredStep]).toEqual(['nonFinite', 5, 4]);
    expect([rec.lr, rec.proposedLr]).toEqual([2e-4, 1e-4]);
    expect(rec.message.code).toBe('engine.fault.nonFinite');
    expect(rec.message.params).toMatchObject({ step: 5, restored: 4, lr: '2.00e-4', newLr: '1.00e-4' });
    const en = trainMessageText(rec.message, 'en');
    const zh = trainMessageText(rec.message, 'zh');
    expect(en).toMatch(/^Step 5: .* became NaN .*step 4.*lr 2\.00e-4 → 1\.00e-4/);
    expect(zh).toMatch(/^第 5 步：.*变为 NaN.*第 4 步.*lr 2\.00e-4 → 1\.00e-4/);
    expect(rec.checklist.map((c) => c.id)).toContain('losses');
    // the losses item says which term is not > 0 (they are NaN)
    expect(rec.checklist.find((c) => c.id === 'losses')?.status).toBe('fail');
    const status = await engine.getStatus();
    expect(status.phase).toBe('paused');
    expect(core.trainerForTests?.globalStep).toBe(4);
    const run = await getRun(storage.runs, started.run.id);
    expect([run?.status, run?.step]).toEqual(['paused', 4]);
    // nothing stored is lost or poisoned: last (3) and best (4) are finite; history cut to step 4
    expect(await storedCheckpointsIntact(storage, started.run.id)).toEqual({ last: 3, best: 4 });
    expect((await readHistory(storage.runs, started.run.id, 'train')).map((p) => p.step)).toEqual([
      1, 2, 3, 4,
    ]);

    // the offered resume: lr halved, the run goes to its end with finite losses only
    await engine.resume({ lrScale: 0.5 });
    expect((await engine.getStatus()).recovery ?? null).toBeNull();
    await until(events, runStatus('finished'));
    const train = await readHistory(storage.runs, started.run.id, 'train');
    expect(train.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(train.every((p) => p.values.G_L1 !== null && Number.isFinite(p.values.G_L1))).toBe(true);
    // steps 4 and 5 are in the same epoch: after the rollback the lr is half the schedule's
    expect(train[4].values.lr as number).toBeCloseTo((train[3].values.lr as number) / 2, 15);
    const { files } = await loadCheckpoint(storage.checkpoints, started.run.id, 'last');
    const last = loadTrainerState(files);
    expect([last.step, last.config.lr]).toEqual([10, 1e-4]);
    expect(await storedCheckpointsIntact(storage, started.run.id)).toMatchObject({ last: 10 });
    await engine.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('the automatic policy resumes by itself with the lr halved (rollback to a fresh start)', async () => {
    const { engine, events, storage } = await harness();
    const started = await engine.start({ config: CONFIG as RunConfig, recovery: { autoResume: true } });
    await engine.injectFault({ kind: 'nonFinite', atStep: 2 });
    await until(events, runStatus('finished'));
    const codes = warnings(events).map((m) => m.code);
    expect(codes).toContain('engine.fault.nonFinite');
    expect(codes).toContain('engine.fault.autoResumed');
    expect(events.some(waitingRecovery)).toBe(false);
    const fault = warnings(events).find((m) => m.code === 'engine.fault.nonFinite');
    expect(fault?.params).toMatchObject({ step: 2, restored: 0 });
    const { files } = await loadCheckpoint(storage.checkpoints, started.run.id, 'last');
    expect(loadTrainerState(files).config.lr).toBe(1e-4);
    const steps = (await readHistory(storage.runs, started.run.id, 'train')).map((p) => p.step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await engine.dispose();
  });

  it('a checkpoint with NaN weights is refused (no metric read in between) and the run rolled back', async () => {
    const { engine, events, storage } = await harness();
    // only step 1 is logged: the NaN from step 5 is first seen by the save at the epoch's end (5)
    const cfg = { ...CONFIG, log_every: 100, val_every: 100 } as RunConfig;
    const started = await engine.start({ config: cfg });
    await engine.injectFault({ kind: 'nonFinite', atStep: 5 });
    const rec = await recoveryOf(events);
    expect([rec.kind, rec.step, rec.restoredStep]).toEqual(['nonFinite', 5, 3]);
    expect(rec.message.params.what).toMatch(/^model\./);
    const refused = warnings(events).find((m) => m.code === 'engine.fault.checkpointRefused');
    expect(refused?.params).toMatchObject({ name: 'last', step: 5 });
    expect(trainMessageText(refused as TrainMessage, 'zh')).toContain('第 5 步未保存检查点“last”');
    expect(await storedCheckpointsIntact(storage, started.run.id)).toEqual({ last: 3 });
    await engine.stop();
    expect((await getCheckpoint(storage.checkpoints, started.run.id, 'last'))?.step).toBe(3);
  });

  it('a diverging GAN is flagged the same way, with the clinic checklist', async () => {
    // thresholds any run meets, so the toy run "diverges" at its second read
    const { engine, events } = await harness({ divergence: { dLossBelow: 1e9, gGanAbove: -1, window: 1 } });
    await engine.start({ config: CONFIG as RunConfig });
    const rec = await recoveryOf(events);
    expect([rec.kind, rec.step, rec.restoredStep]).toEqual(['ganDiverged', 1, 0]);
    expect(rec.message.code).toBe('engine.fault.ganDiverged');
    expect(trainMessageText(rec.message, 'zh')).toMatch(/^第 1 步：GAN 正在发散/);
    expect(rec.checklist.map((c) => c.id)).toEqual(['mode', 'losses', 'input_range', 'weights', 'lr']);
    // each answer renders from the checklist table in both languages (no code fallback, no open placeholder)
    for (const c of rec.checklist)
      for (const lang of ['en', 'zh'] as const)
        expect(messageText(c.answer, lang)).toMatch(/^(?!checklist\.)[^{}]{5,}$/);
    expect(rec.checklist.find((c) => c.id === 'input_range')?.status).toBe('ok');
    await engine.stop();
  });

  it('judges divergence over consecutive reads; names the first non-finite value', () => {
    const w = new GanDivergenceWatch(divergenceDefaults('vanilla'));
    const healthy = Array.from({ length: 30 }, (_, i) => w.push(i, { D_real: 0.6, D_fake: 0.5, G_GAN: 0.9 }));
    expect(healthy.every((d) => d === null)).toBe(true);
    // one lucky batch does not count; five in a row with G_GAN rising past 5 does
    expect(w.push(40, { D_real: 0.001, D_fake: 0.001, G_GAN: 7 })).toBeNull();
    expect(w.push(41, { D_real: 0.5, D_fake: 0.5, G_GAN: 1 })).toBeNull();
    const run = [3, 4, 5.5, 6.5, 8].map((g, i) => w.push(50 + i, { D_real: 0.002, D_fake: 0.003, G_GAN: g }));
    expect(run.slice(0, 4)).toEqual([null, null, null, null]);
    expect(run[4]).toMatchObject({ step: 54, reads: 5, gGan: 8 });
    expect(firstNonFinite({ step: 1, losses: { G_L1: 1 }, outputAbsMean: NaN })?.name).toBe('G(photo)');
    expect(firstNonFinite({ step: 1, losses: { G_L1: Infinity } })).toEqual({
      name: 'G_L1',
      value: Infinity,
    });
    expect(firstNonFinite({ step: 1, losses: { G_L1: 1 }, gradNorms: { 'D/layer1': NaN } })?.name).toBe(
      '‖∇D/layer1‖',
    );
    expect(firstNonFinite({ step: 1, losses: { G_L1: 1 }, outputAbsMean: 0.3 })).toBeNull();
    expect(firstNonFiniteWeight([{ key: 'a', data: new Float32Array([1, NaN]) }])).toBe('a');
  });
});

describe('faults: the trainer reads the generator output back', () => {
  it('mean |G(photo)| is logged, finite when healthy, NaN (and finite=false) when G is poisoned', async () => {
    // wasm was registered by the engine tests above (selectBackend)
    await tf.setBackend(tf.findBackendFactory('wasm') ? 'wasm' : 'cpu');
    const cfg = withDefaults(CONFIG);
    const pairs = [0, 1].map((i) => ({ id: `p${i}`, ...toyCase(i, 32, 1) }));
    const data = createInMemoryDataSource(pairs, { size: 32 });
    const trainer = Trainer.create(cfg, data, { gradNorms: false });
    try {
      trainer.step();
      const ok = await trainer.readMetrics();
      expect(ok.finite).toBe(true);
      expect(ok.outputAbsMean).toBeGreaterThan(0);
      expect(ok.outputAbsMean).toBeLessThanOrEqual(1);
      const first = trainer.G.params.values().next().value as tf.Variable;
      tf.tidy(() => first.assign(tf.fill(first.shape, NaN)));
      trainer.step();
      const bad = await trainer.readMetrics();
      expect(Number.isNaN(bad.outputAbsMean)).toBe(true);
      expect(bad.finite).toBe(false);
    } finally {
      trainer.dispose();
      data.dispose();
    }
  });
});

describe('faults: lost device', () => {
  it('re-creates the backend and continues from the last checkpoint; stored checkpoints intact', async () => {
    const { core, engine, events, storage } = await harness();
    const started = await engine.start({ config: CONFIG as RunConfig, name: 'lost' });
    await until(events, (e) => e.type === 'checkpoint' && e.record.name === 'best' && e.record.step === 4);
    await engine.injectFault({ kind: 'destroyDevice' });
    await until(events, runStatus('finished'));
    const msgs = warnings(events);
    const lost = msgs.find((m) => m.code === 'engine.fault.deviceLost');
    const back = msgs.find((m) => m.code === 'engine.fault.deviceRecovered');
    expect(lost).toBeDefined();
    expect(back?.params).toMatchObject({ backend: 'wasm' });
    expect(Number(back?.params.restored)).toBeGreaterThanOrEqual(4);
    expect(trainMessageText(lost as TrainMessage, 'zh')).toMatch(/GPU 设备丢失.*已存储的内容没有丢失/);
    const run = await getRun(storage.runs, started.run.id);
    expect([run?.status, run?.step]).toEqual(['finished', 10]);
    expect(await storedCheckpointsIntact(storage, started.run.id)).toMatchObject({ last: 10 });
    const steps = (await readHistory(storage.runs, started.run.id, 'train')).map((p) => p.step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(core.trainerForTests?.globalStep).toBe(10);

    // lost again between runs: the next command re-creates the backend first; the stored
    // checkpoint evaluates on it
    const recoveredBefore = warnings(events).filter((m) => m.code === 'engine.fault.deviceRecovered').length;
    await engine.injectFault({ kind: 'destroyDevice' });
    const ev = await engine.evaluateCheckpoint({
      model: { kind: 'checkpoint', runId: started.run.id, name: 'last' },
    });
    expect(ev.step).toBe(10);
    expect(Number.isFinite(ev.aggregate.mean_l1)).toBe(true);
    expect(warnings(events).filter((m) => m.code === 'engine.fault.deviceRecovered')).toHaveLength(
      recoveredBefore + 1,
    );
    await engine.dispose();
  });
});
