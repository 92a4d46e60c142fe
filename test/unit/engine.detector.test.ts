import 'fake-indexeddb/auto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../src/core/config';
import { createDatasetMeta } from '../../src/core/data/dataset';
import { chooseEvalList } from '../../src/core/data/splits';
import { encodeDetector } from '../../src/core/detector/checkpoint';
import { createDetectorNet } from '../../src/core/detector/model';
import { generatePhantomCase } from '../../src/core/data/phantom';
import { demoSamples, run as trainLandmarks } from '../../src/cli/trainLandmarks';
import { loadDemoCases } from '../../src/engine/demoData';
import { EngineCore } from '../../src/engine/engineCore';
import { isBetter } from '../../src/engine/session/metrics';
import type { DetectorEpochPoint, EngineEvent } from '../../src/engine/protocol';
import { roundValues } from '../../src/core/eval/roundValues';
import { createDataset } from '../../src/store/datasets';
import {
  getDetector,
  newDetectorId,
  putDetectorRecord,
  saveDetectorCheckpoint,
} from '../../src/store/detectors';
import { getRun, openStudioStorage, readHistory } from '../../src/store';

const prefix = `engdet-${globalThis.crypto.randomUUID()}`;
const readAsset = (path: string) =>
  readFile(resolve(__dirname, '../../public', path)).then((b) => new Uint8Array(b));

function makeCore(): { core: EngineCore; events: EngineEvent[] } {
  const core = new EngineCore({
    home: 'node',
    eventEveryMs: 0,
    historyEveryMs: 0,
    useLocks: false,
    readAsset,
  });
  const events: EngineEvent[] = [];
  core.onEvent((e) => events.push(e));
  return { core, events };
}

async function until(cond: () => boolean, what: string, ms = 50_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const epochs = (events: EngineEvent[], id: string): DetectorEpochPoint[] =>
  events.flatMap((e) => (e.type === 'detectorEpoch' && e.detectorId === id ? [e.point] : []));
const done = (events: EngineEvent[], id: string) =>
  events.some(
    (e) => e.type === 'detectorDone' && e.summary.ref.kind === 'stored' && e.summary.ref.detectorId === id,
  );
const idOf = (s: { ref: { kind: string; detectorId?: string } }) => s.ref.detectorId as string;

let a: ReturnType<typeof makeCore>;
beforeAll(async () => {
  a = makeCore();
  await a.core.init({ backend: 'cpu', storagePrefix: prefix });
  await a.core.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
});
afterAll(async () => {
  await a.core.dispose();
});

describe('landmark detector through the engine (demo phantom, cpu, fake-indexeddb)', () => {
  let detectorId = '';

  it('trains on the demo: detectorEpoch points with val MRE, stored best + last, no tensor leak', async () => {
    const before = tf.memory().numTensors;
    const s = await a.core.trainDetector({
      datasetId: 'demo',
      size: 32,
      epochs: 2,
      maxStepsPerEpoch: 3,
      name: 'tiny',
    });
    detectorId = idOf(s);
    expect(s.status).toBe('training');
    expect(s.symbols).toHaveLength(19);
    // one training at a time on the GPU: a GAN run is refused while the detector trains
    await expect(
      a.core.start({ config: { netG: 'unet_32', size: 32 } as Partial<RunConfig> as RunConfig }),
    ).rejects.toThrow(/Landmark detector tiny is training/);
    await until(() => done(a.events, detectorId), 'the detector to finish');
    const pts = epochs(a.events, detectorId);
    expect(pts.map((p) => p.epoch)).toEqual([1, 2]);
    for (const p of pts) {
      expect(p.valMreMm).toBeGreaterThan(0);
      expect(p.valSdr2).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(p.loss)).toBe(true);
    }
    expect(a.events.some((e) => e.type === 'detectorProgress' && e.detectorId === detectorId)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    const storage = await openStudioStorage({ prefix });
    const rec = await getDetector(storage.checkpoints, detectorId);
    expect(rec?.status).toBe('finished');
    expect(rec?.epochsDone).toBe(2);
    expect(rec?.checkpoints.last?.meta.symbols).toHaveLength(19);
    expect(rec?.checkpoints.best?.valMreMm).toBe(Math.min(...pts.map((p) => p.valMreMm as number)));
    const list = await a.core.listDetectors();
    expect(list[0].ref.kind).toBe('shipped');
    const mine = list.find((d) => d.ref.kind === 'stored' && d.ref.detectorId === detectorId);
    expect(mine?.heldOut?.mreMm).toBeGreaterThan(0);
    expect(mine?.trainedOn?.cases).toBeGreaterThan(0);
    // detect on a phantom film of another size: 19 points in its own frame
    const film = generatePhantomCase(9, 0, { width: 48, height: 40, split: 'val' }).xray;
    const r = await a.core.detect({ detector: { kind: 'stored', detectorId }, images: [film] });
    expect(r.symbols).toHaveLength(19);
    expect(r.points[0]).toHaveLength(19);
    for (const p of r.points[0]) {
      expect(p![0]).toBeGreaterThanOrEqual(-1);
      expect(p![0]).toBeLessThanOrEqual(49);
    }
  }, 60_000);

  it('stops, and resumes from its last checkpoint in a new engine (a reload)', async () => {
    const s = await a.core.trainDetector({ datasetId: 'demo', size: 32, epochs: 3, maxStepsPerEpoch: 2 });
    const id = idOf(s);
    await until(() => epochs(a.events, id).length >= 1, 'a first epoch');
    const stopped = await a.core.stopDetector();
    expect(stopped?.status).toBe('stopped');
    const doneBefore = stopped?.epochsDone as number;
    expect(doneBefore).toBeGreaterThanOrEqual(1);
    expect(doneBefore).toBeLessThan(3);
    const b = makeCore();
    await b.core.init({ backend: 'cpu', storagePrefix: prefix });
    await b.core.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
    const r = await b.core.resumeDetector({ detectorId: id });
    expect(r.status).toBe('training');
    await until(() => done(b.events, id), 'the resumed detector to finish');
    const after = epochs(b.events, id).map((p) => p.epoch);
    expect(after[0]).toBe(doneBefore + 1);
    expect(after.at(-1)).toBe(3);
    const rec = await getDetector((await openStudioStorage({ prefix })).checkpoints, id);
    expect(rec?.status).toBe('finished');
    expect(rec?.history.map((p) => p.epoch)).toEqual([1, 2, 3]);
    await b.core.deleteDetector({ detectorId: id });
    expect(
      (await b.core.listDetectors()).some((d) => d.ref.kind === 'stored' && d.ref.detectorId === id),
    ).toBe(false);
    await b.core.dispose();
  }, 60_000);

  it('refuses a dataset without landmarks and a detector whose landmark set differs (naming both)', async () => {
    const storage = await openStudioStorage({ prefix });
    await createDataset(
      storage.datasets,
      createDatasetMeta({
        id: 'ds-nolm',
        name: 'Clinic photos',
        layout: 'folders',
        evalList: chooseEvalList([], 1),
      }),
    );
    const e1 = await a.core.trainDetector({ datasetId: 'ds-nolm' }).catch((e: unknown) => e as Error);
    expect(e1).toBeInstanceOf(Error);
    expect((e1 as Error).message).toMatch(/a detector needs landmarks — trace the films first/);
    expect((e1 as { trainMessage?: { code: string } }).trainMessage?.code).toBe(
      'engine.detector.needsLandmarks',
    );

    // a stored detector of three other landmarks
    const id = newDetectorId();
    const net = createDetectorNet(
      { size: 16, channels: [4, 8, 8], landmarks: 3, head: 'softmax', outStride: 2 },
      1,
    );
    const enc = await encodeDetector(
      net,
      { symbols: ['P1', 'P2', 'P3'], preprocess: 'letterbox', sigmaMm: 3, mmPerPx: 0.1, decoder: 'dark' },
      'float32',
    );
    net.dispose();
    await putDetectorRecord(storage.checkpoints, {
      id,
      name: 'Aariz-like',
      createdAt: 1,
      updatedAt: 1,
      // left 'training' by a tab that was closed mid-training
      status: 'training',
      symbols: ['P1', 'P2', 'P3'],
      datasetId: 'x',
      datasetName: 'x',
      cases: 1,
      epochs: 1,
      epochsDone: 1,
      options: {},
      history: [],
      checkpoints: {},
    });
    await saveDetectorCheckpoint(storage.checkpoints, id, 'best', enc.files['weights.safetensors'], {
      meta: enc.meta,
      epoch: 1,
      step: 1,
      valMreMm: null,
      valSdr: null,
      valN: 0,
    });
    const listed = (await a.core.listDetectors()).find(
      (d) => d.ref.kind === 'stored' && d.ref.detectorId === id,
    );
    expect(listed?.status).toBe('stopped'); // interrupted: resumable, not shown as training
    const both = /Aariz-like finds 3 landmarks \[P1, P2, P3\].*has 19 landmarks \[S, N, Or/;
    await expect(
      a.core.trainDetector({ datasetId: 'demo', init: { kind: 'stored', detectorId: id }, size: 32 }),
    ).rejects.toThrow(both);
    const cfg = {
      netG: 'unet_32',
      size: 32,
      ngf: 4,
      ndf: 4,
      n_epochs: 1,
      n_epochs_decay: 0,
    } as Partial<RunConfig> as RunConfig;
    await expect(
      a.core.start({ config: cfg, traceability: { kind: 'stored', detectorId: id } }),
    ).rejects.toThrow(both);
    await a.core.deleteDetector({ detectorId: id });
  }, 30_000);

  it("validation rounds with traceability carry trace_mre; 'traceMre' picks the best checkpoint (lower is better)", async () => {
    expect(isBetter('traceMre', 1.2, 1.5)).toBe(true);
    expect(isBetter('traceMre', 1.6, 1.5)).toBe(false);
    const cfg = {
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
    } as Partial<RunConfig> as RunConfig;
    const started = await a.core.start({
      config: cfg,
      bestMetric: 'traceMre',
      traceability: { kind: 'stored', detectorId },
    });
    // and vice versa: no detector training while the GAN run trains
    await expect(a.core.trainDetector({ datasetId: 'demo', size: 32 })).rejects.toThrow(
      /A GAN run .* is training/,
    );
    const runId = started.run.id;
    await until(
      () => a.events.some((e) => e.type === 'run' && e.run.id === runId && e.run.status === 'finished'),
      'the GAN run to finish',
    );
    const rounds = a.events.flatMap((e) =>
      e.type === 'validation' && e.runId === runId && e.round ? [e] : [],
    );
    expect(rounds.length).toBeGreaterThan(0);
    for (const v of rounds) {
      const t = v.round!.traceability!;
      expect(t.cases).toBe(1); // 6 demo cases: 1 val case
      expect(t.detector.name).toBe('tiny');
      expect(t.floor.perLandmark).toHaveLength(19);
      expect(t.synthetic.mreMm).toBeGreaterThan(0);
      expect(t.measurements.map((m) => m.id)).toContain('ANB');
      expect(v.point.values.trace_mre).toBeCloseTo(t.synthetic.mreMm as number, 9);
      expect(v.point.values.trace_floor_mre).toBeCloseTo(t.floor.mreMm as number, 9);
      expect(v.point.values.trace_sdr2).toBe(t.synthetic.sdr['2']);
    }
    // the floor (detector on the real X-ray) is computed once per run
    const floors = new Set(rounds.map((v) => v.round!.traceability!.floor.mreMm));
    expect(floors.size).toBe(1);
    const storage = await openStudioStorage({ prefix });
    const run = await getRun(storage.runs, runId);
    expect(run?.best?.metric).toBe('trace_mre');
    const val = await readHistory(storage.runs, runId, 'val');
    expect(run?.best?.value).toBe(Math.min(...val.map((p) => p.values.trace_mre as number)));
    // an old round (no traceability) still yields its values
    const { traceability: _t, ...old } = rounds[0].round!;
    void _t;
    expect(roundValues(old).trace_mre).toBeUndefined();

    // evaluateCheckpoint with traceability
    const ev = await a.core.evaluateCheckpoint({
      model: { kind: 'checkpoint', runId, name: 'last' },
      traceability: { kind: 'stored', detectorId },
    });
    expect(ev.traceability?.cases).toBe(1);
    expect(ev.traceability?.synthetic.perLandmark).toHaveLength(19);
  }, 60_000);

  it('traceability goes on after a lost device: the detector is loaded again on the new backend', async () => {
    const cfg = {
      netG: 'unet_32',
      size: 32,
      ngf: 4,
      ndf: 4,
      n_epochs: 4,
      n_epochs_decay: 0,
      log_every: 1,
      val_every: 1,
      save_every: 2,
      seed: 6,
    } as Partial<RunConfig> as RunConfig;
    // wasm: its dispose frees the backend's memory, so a net kept across the lost device would fail
    // (the cpu backend keeps old tensors readable and would hide that)
    const b = makeCore();
    await b.core.init({ backend: 'wasm', storagePrefix: prefix });
    await b.core.loadDataset({ kind: 'demo', cases: 6, seed: 3 });
    const from = 0;
    const started = await b.core.start({ config: cfg, traceability: { kind: 'stored', detectorId } });
    const runId = started.run.id;
    const mine = () => b.events.slice(from);
    await until(
      () => mine().some((e) => e.type === 'validation' && e.runId === runId && !!e.round?.traceability),
      'a first traced round',
    );
    await b.core.injectFault({ kind: 'destroyDevice' });
    await until(
      () => mine().some((e) => e.type === 'run' && e.run.id === runId && e.run.status === 'finished'),
      'the run to finish after the recovery',
    );
    const codes = mine().flatMap((e) => (e.type === 'warning' ? [e.message.code] : []));
    expect(codes).toContain('engine.fault.deviceRecovered');
    expect(codes).not.toContain('engine.trace.failed');
    // every round after the recovery is still scored by the detector
    const recoveredAt = mine().findIndex(
      (e) => e.type === 'warning' && e.message.code === 'engine.fault.deviceRecovered',
    );
    const after = mine()
      .slice(recoveredAt)
      .flatMap((e) => (e.type === 'validation' && e.runId === runId && e.round ? [e.round] : []));
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) expect(r.traceability?.synthetic.mreMm).toBeGreaterThan(0);
    await b.core.dispose();
    await tf.setBackend('cpu');
  }, 120_000);

  it('cli train-landmarks --demo uses the phantom cases and val split the engine generates', async () => {
    const cli = demoSamples(10, 3, 32);
    const engine = await loadDemoCases(10, 3, 32);
    expect(cli.val.map((c) => c.id)).toEqual(engine.cases.filter((c) => c.split === 'val').map((c) => c.id));
    expect(cli.train.length + cli.val.length).toBe(10);
    expect(cli.mmPerPx).toBe(engine.cases[0].pixelSpacingMm?.x);
    expect(cli.val[0].points[0]).toEqual(engine.cases.find((c) => c.id === cli.val[0].id)!.landmarks![0]);
    await expect(trainLandmarks(['--demo', '10', '--data', 'x', '--out', 'y'])).rejects.toThrow(
      /either --data or --demo/,
    );
    await expect(trainLandmarks(['--out', 'y'])).rejects.toThrow(
      /--data <dir> \(or --demo <n>\) is required/,
    );
  });
});
