/**
 * engine/checkpointIo.ts on fake-indexeddb and the cpu backend: export of stored checkpoints in
 * every format and re-import with identical weights and outputs, server run folders (and ZIPs of
 * them) with the loss log as history, hostile inputs refused with the file named and nothing
 * stored, the server bundle round trip, and the worker's request handler.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { writeSafetensors } from '../../src/core/io/safetensors';
import { formatTrainOpt, serverOptionsFor } from '../../src/core/io/serverBundle';
import { writePth } from '../../src/core/io/pth';
import { listZip, readZip, writeZip } from '../../src/core/io/zip';
import { createDiscriminator, createGenerator, loadStateDict, stateDictOf } from '../../src/core/model';
import type { StateDict } from '../../src/core/model/types';
import { encodeTrainerState, loadTrainerState, type TrainerState } from '../../src/core/train/checkpoint';
import { freshAdam } from '../../src/core/train/adam';
import {
  buildServerBundleFromStore,
  commitImport,
  createIoService,
  describeServerBundle,
  exportCheckpointFiles,
  planImport,
  previewOf,
  sourceFromBytes,
  type ImportSource,
  type IoWorkerMessage,
} from '../../src/engine/checkpointIo';
import {
  createRun,
  listCheckpoints,
  listRuns,
  loadCheckpoint,
  readHistory,
  saveCheckpoint,
  type Kv,
  type StudioStorage,
} from '../../src/store';
import { openStudioStorage } from '../../src/store/storage';
import { explainError, shownNotes } from '../../src/ui/checkpoints/warnings';

const open = () => openStudioStorage({ prefix: `ckio-${globalThis.crypto.randomUUID()}` });

const SMALL: RunConfig = withDefaults({ netG: 'unet_32', size: 32, ngf: 4, ndf: 4, seed: 7 });
const SERVER_OK: RunConfig = withDefaults({ netG: 'unet_128', size: 128, ngf: 2, ndf: 2, seed: 3 });

async function nets(cfg: RunConfig, seed = cfg.seed): Promise<{ G: StateDict; D: StateDict }> {
  const g = createGenerator(cfg, seed);
  const d = createDiscriminator(cfg, seed + 1);
  try {
    // non-trivial BatchNorm statistics, so they must survive the round trip too
    const G = (await stateDictOf(g)).map((e) =>
      e.key.endsWith('running_mean')
        ? { ...e, data: Float32Array.from(e.data as Float32Array, (_, i) => 0.01 * (i % 7)) }
        : e.key.endsWith('num_batches_tracked')
          ? { ...e, data: BigInt64Array.of(123n) }
          : e,
    );
    return { G, D: await stateDictOf(d) };
  } finally {
    g.dispose();
    d.dispose();
  }
}

function trainerState(cfg: RunConfig, G: StateDict, D: StateDict, step: number, epoch: number): TrainerState {
  return {
    config: cfg,
    step,
    epoch,
    iterInEpoch: 0,
    trainCount: 4,
    dataOrder: [2, 0, 3, 1],
    historyLength: 0,
    metrics: { val_mean_l1: 0.25, val_mean_psnr: 11.5 },
    G,
    D,
    optimizer: { G: freshAdam(G, cfg), D: freshAdam(D, cfg) },
  };
}

/** A run with checkpoint `last` at (step, epoch) in a fresh store. */
async function storedRun(cfg: RunConfig, name = 'demo run', step = 40, epoch = 6) {
  const storage = await open();
  const { G, D } = await nets(cfg);
  const run = await createRun(storage.runs, {
    name,
    datasetId: 'demo-20-1',
    config: cfg,
    preprocessing: { mode: 'letterbox', size: cfg.size, pad: 'constant', padColor: [0, 0, 0], roi: null },
    backend: 'cpu',
    adapter: null,
  });
  await saveCheckpoint(
    storage.checkpoints,
    run.id,
    'last',
    encodeTrainerState(trainerState(cfg, G, D, step, epoch)),
  );
  return { storage, run, G, D };
}

function expectSameStateDict(a: StateDict, b: StateDict): void {
  expect(a.map((e) => e.key)).toEqual(b.map((e) => e.key));
  a.forEach((e, i) => {
    expect(b[i].shape, e.key).toEqual(e.shape);
    expect(b[i].dtype, e.key).toBe(e.dtype);
    expect(
      Buffer.compare(
        Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
        Buffer.from(b[i].data.buffer, b[i].data.byteOffset, b[i].data.byteLength),
      ),
      e.key,
    ).toBe(0);
  });
}

/** Eval-mode output of a generator state dict on a fixed input. */
async function evalOutput(cfg: RunConfig, sd: StateDict): Promise<Float32Array> {
  const g = createGenerator(cfg, 1);
  try {
    loadStateDict(g, sd, { strict: true });
    const x = tf.tidy(
      () => tf.sin(tf.range(0, cfg.size * cfg.size * 3).reshape([1, cfg.size, cfg.size, 3])) as tf.Tensor4D,
    );
    const y = g.apply(x, { training: false, dropout: false, updateStats: false });
    const out = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return out;
  } finally {
    g.dispose();
  }
}

const freshD = async (cfg: RunConfig): Promise<StateDict> => {
  const d = createDiscriminator(cfg, cfg.seed);
  try {
    return await stateDictOf(d);
  } finally {
    d.dispose();
  }
};

/** Sources that count their reads. */
function counted(files: Record<string, Uint8Array>): { sources: ImportSource[]; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const sources = Object.entries(files).map(([path, bytes]) => ({
    path,
    size: bytes.length,
    read: async () => {
      reads.set(path, (reads.get(path) ?? 0) + 1);
      return bytes;
    },
  }));
  return { sources, reads };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const enc = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('export of a stored checkpoint', () => {
  it('writes latest_net_G.pth / <epoch>_net_G.pth that import back to the same weights, config inferred, size from netG', async () => {
    const { storage, run, G } = await storedRun(SMALL);
    const latest = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    expect(latest.fileName).toBe('latest_net_G.pth');
    expect(latest.mime).toBe('application/octet-stream');
    const byEpoch = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'epoch',
    });
    // the manifest's epoch 6 is the epoch in progress: 5 are complete, the server's file name says 5
    expect(byEpoch.fileName).toBe('5_net_G.pth');

    const plan = await planImport([sourceFromBytes(byEpoch.fileName, byEpoch.bytes)]);
    expect(plan.kind).toBe('network');
    expect(plan.origin).toBe('file');
    expect(plan.format).toBe('pth');
    expect(plan.configSource).toBe('inferred');
    expect(plan.sizeFromFiles).toBe(false);
    expect([plan.config.netG, plan.config.ngf, plan.config.norm, plan.config.size]).toEqual([
      'unet_32',
      4,
      'batch',
      32,
    ]);
    expect(plan.epoch).toBe(5);
    expect(plan.D).toBeNull();
    // no discriminator in the file: its width follows ngf (server defaults 64/64, studio presets alike)
    expect(plan.config.ndf).toBe(4);
    expect(shownNotes(plan.warnings)).toEqual([{ key: 'ckpt.warn.ndfFromNgf', params: { ngf: '4' } }]);
    expectSameStateDict(G, plan.G.stateDict);
  });

  it('zips several files: pth G+D, safetensors, TF.js (model.json + shards) and the studio files', async () => {
    const { storage, run, G, D } = await storedRun(SMALL, 'Demo: run #1');
    const both = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'both',
      label: 'latest',
    });
    expect(both.fileName).toBe('Demo_run_1-last_latest_pth.zip');
    expect(listZip(both.bytes, 'x').map((e) => e.name)).toEqual(['latest_net_G.pth', 'latest_net_D.pth']);

    const st = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'safetensors',
      nets: 'D',
      label: 'latest',
    });
    expect(st.fileName).toBe('latest_net_D.safetensors');

    const tfjs = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'tfjs',
      nets: 'both',
      label: 'latest',
    });
    const names = listZip(tfjs.bytes, 'x').map((e) => e.name);
    expect(names).toContain('latest_net_G/model.json');
    expect(names).toContain('latest_net_D/model.json');
    expect(names.filter((n) => n.endsWith('.bin')).length).toBeGreaterThanOrEqual(2);
    // the TF.js ZIP imports with both networks and the config from its metadata (size included)
    const plan = await planImport([sourceFromBytes(tfjs.fileName, tfjs.bytes)]);
    expect([plan.kind, plan.format, plan.configSource, plan.sizeFromFiles]).toEqual([
      'network',
      'tfjs',
      'metadata',
      true,
    ]);
    expect(plan.config).toEqual(SMALL);
    expectSameStateDict(G, plan.G.stateDict);
    expectSameStateDict(D, plan.D!.stateDict);

    const studio = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'studio',
      nets: 'both',
      label: 'latest',
    });
    expect(studio.fileName).toBe('Demo_run_1-last.zip');
    const sp = await planImport([sourceFromBytes(studio.fileName, studio.bytes)]);
    expect([sp.kind, sp.format, sp.epoch]).toEqual(['studio', 'studio', 5]);
    expect(sp.state!.step).toBe(40);
    expect(sp.state!.dataOrder).toEqual([2, 0, 3, 1]);
  });
});

describe('import and commit', () => {
  it('stores a .pth as a finished run whose checkpoint gives the same eval-mode output; a fresh D is made', async () => {
    const { storage, run, G } = await storedRun(SMALL);
    const pth = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    const plan = await planImport([sourceFromBytes('downloads/latest_net_G.pth', pth.bytes)]);
    expect(plan.name).toBe('downloads');
    let dMade = 0;
    const out = await commitImport(storage, plan, {
      name: 'imported',
      datasetId: 'demo-20-1',
      freshDiscriminator: async (cfg) => {
        dMade++;
        return freshD(cfg);
      },
      nowMs: 1_700_000_000_000,
    });
    expect(dMade).toBe(1);
    expect(out.freshD).toBe(true);
    expect(out.run.status).toBe('finished');
    expect(out.run.backend).toBe('file');
    expect(out.run.adapter).toBe('pth · downloads/latest_net_G.pth');
    expect(out.run.origin).toEqual({
      kind: 'imported',
      format: 'pth',
      files: ['downloads/latest_net_G.pth'],
    });
    expect(out.run.datasetId).toBe('demo-20-1');
    expect(out.run.checkpointNames).toEqual(['last']);
    expect(out.checkpoint.epoch).toBe(1);
    const { files } = await loadCheckpoint(storage.checkpoints, out.run.id, 'last');
    const state = loadTrainerState(files);
    expectSameStateDict(G, state.G);
    expect(state.config.size).toBe(32);
    const [a, b] = [await evalOutput(SMALL, G), await evalOutput(state.config, state.G)];
    expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
    expect((await listRuns(storage.runs)).total).toBe(2);
  });

  it('refuses a size the U-Net cannot take, before storing anything', async () => {
    const { storage, run } = await storedRun(SMALL);
    const pth = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    const plan = await planImport([sourceFromBytes('latest_net_G.pth', pth.bytes)]);
    const err = await rejection(commitImport(storage, plan, { size: 0, freshDiscriminator: freshD }));
    expect(err.message).toContain('latest_net_G.pth');
    expect(err.message).toContain('size');
    expect((await listRuns(storage.runs)).total).toBe(1);
  });

  it('removes the half-written run when the disk fills while the checkpoint is stored', async () => {
    const { storage, run } = await storedRun(SMALL);
    const pth = await exportCheckpointFiles(storage, {
      runId: run.id,
      name: 'last',
      format: 'pth',
      nets: 'G',
      label: 'latest',
    });
    const plan = await planImport([sourceFromBytes('latest_net_G.pth', pth.bytes)]);
    const full: Kv = {
      ...storage.checkpoints,
      set: async () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
    };
    const err = await rejection(
      commitImport({ ...storage, checkpoints: full }, plan, { freshDiscriminator: freshD }),
    );
    expect(err.name).toBe('StorageFullError');
    const runs = await listRuns(storage.runs);
    expect(runs.runs.map((r) => r.id)).toEqual([run.id]);
    expect((await listCheckpoints(storage.checkpoints)).map((c) => c.runId)).toEqual([run.id]);
  });
});

const LOSS_LOG = [
  '================ Training Loss (Sat Nov 22 00:00:00 2025) ================',
  '(epoch: 1, iters: 2, time: 0.011, data: 0.002) G_GAN: 0.700 G_L1: 3.800 D_real: 0.600 D_fake: 0.710 ',
  '(epoch: 1, iters: 4, time: 0.012, data: 0.002) G_GAN: 0.800 G_L1: 3.500 D_real: 0.500 D_fake: 0.650 ',
  '(epoch: 2, iters: 2, time: 0.010, data: 0.001) G_GAN: 0.900 G_L1: nan D_real: 0.400 D_fake: 0.600 ',
  '',
].join('\n');

async function serverFolder(cfg: RunConfig, prefix = 'checkpoints/ceph_a') {
  const { G, D } = await nets(cfg);
  const old = await nets(cfg, cfg.seed + 10);
  const files: Record<string, Uint8Array> = {
    [`${prefix}/latest_net_G.pth`]: writePth(G, { archiveName: 'latest_net_G' }),
    [`${prefix}/latest_net_D.pth`]: writePth(D, { archiveName: 'latest_net_D' }),
    [`${prefix}/5_net_G.pth`]: writePth(old.G, { archiveName: 'archive' }),
    [`${prefix}/train_opt.txt`]: enc(formatTrainOpt(serverOptionsFor(cfg, 'ceph_a', 2))),
    [`${prefix}/loss_log.txt`]: enc(LOSS_LOG),
    [`${prefix}/web/images/epoch001_fake_B.png`]: new Uint8Array([0x89, 0x50]),
  };
  return { G, D, files };
}

describe('server run folders', () => {
  it('reads only the newest G, its D and the text files; the loss log becomes the train history', async () => {
    const { G, D, files } = await serverFolder(SMALL);
    const { sources, reads } = counted(files);
    const plan = await planImport(sources);
    expect([plan.kind, plan.origin, plan.name, plan.configSource, plan.epoch]).toEqual([
      'serverRun',
      'server',
      'ceph_a',
      'train_opt',
      2,
    ]);
    expect(reads.get('checkpoints/ceph_a/5_net_G.pth')).toBeUndefined();
    expect(plan.ignoredFiles).toEqual([
      { path: 'checkpoints/ceph_a/web/images/epoch001_fake_B.png', reason: 'notCheckpoint' },
      { path: 'checkpoints/ceph_a/5_net_G.pth', reason: 'olderEpoch' },
    ]);
    expect(plan.config.size).toBe(32);
    expectSameStateDict(G, plan.G.stateDict);
    expectSameStateDict(D, plan.D!.stateDict);
    // the preview's own rows say "no D" / "no loss log"; the other notes are translated or kept
    expect(
      shownNotes([
        ...plan.warnings,
        'no train_opt.txt: the settings come from the weights alone (training options are defaults)',
        'something new',
      ]),
    ).toEqual([{ key: 'ckpt.warn.noTrainOpt', params: {} }, { text: 'something new' }]);
    const preview = previewOf(plan);
    expect(preview.lossRecords).toBe(3);
    expect(preview.step).toBe(6);
    expect(preview.G.keys).toBe(G.length);

    const storage = await open();
    const out = await commitImport(storage, plan, { freshDiscriminator: freshD, nowMs: 5 });
    expect(out.freshD).toBe(false);
    expect(out.run.backend).toBe('server');
    expect(out.run.name).toBe('ceph_a');
    expect([out.run.step, out.run.epoch]).toEqual([6, 3]);
    const hist = await readHistory(storage.runs, out.run.id, 'train');
    // batch_size 1: epoch 1 has 4 images; steps 2, 4, then 4 + 2 = 6
    expect(hist.map((p) => p.step)).toEqual([2, 4, 6]);
    expect(hist.map((p) => p.epoch)).toEqual([1, 1, 2]);
    expect(hist[0].values).toEqual({ G_GAN: 0.7, G_L1: 3.8, D_real: 0.6, D_fake: 0.71, lr: 0.0002 });
    expect(hist[2].values.G_L1).toBeNull();
    expect(out.run.lastMetrics).toEqual({ G_GAN: 0.9, G_L1: null, D_real: 0.4, D_fake: 0.6, lr: 0.0002 });
    const state = loadTrainerState((await loadCheckpoint(storage.checkpoints, out.run.id, 'last')).files);
    expectSameStateDict(D, state.D);
  });

  it('reads the same run from a ZIP of the folder; a truncated ZIP is refused by name', async () => {
    const { G, files } = await serverFolder(SMALL, 'ceph_a');
    const zip = writeZip(Object.entries(files).map(([name, data]) => ({ name, data })));
    const plan = await planImport([sourceFromBytes('from-server.zip', zip)]);
    expect([plan.kind, plan.name, plan.epoch]).toEqual(['serverRun', 'ceph_a', 2]);
    expect(plan.G.file).toBe('from-server.zip/ceph_a/latest_net_G.pth');
    expectSameStateDict(G, plan.G.stateDict);

    const err = await rejection(
      planImport([sourceFromBytes('from-server.zip', zip.subarray(0, zip.length - 100))]),
    );
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect(err.message).toContain('from-server.zip');
  });

  it('names the key when train_opt.txt contradicts the weights', async () => {
    const { files } = await serverFolder(SMALL);
    files['checkpoints/ceph_a/train_opt.txt'] = enc(
      formatTrainOpt(serverOptionsFor({ ...SMALL, ngf: 8 }, 'ceph_a', 2)),
    );
    const err = await rejection(planImport(counted(files).sources));
    expect(err.message).toContain('latest_net_G.pth');
    expect(err.message).toMatch(/key "model\.model\.0\.weight" has shape \[4, 3, 4, 4\]/);
  });

  it('refuses two runs in one drop', async () => {
    const a = await serverFolder(SMALL, 'runs/a');
    const b = await serverFolder(SMALL, 'runs/b');
    const err = await rejection(planImport(counted({ ...a.files, ...b.files }).sources));
    expect(err.message).toContain('2 server runs (runs/a, runs/b)');
  });
});

describe('hostile and broken files', () => {
  it('refuses a pickle that calls os.system, naming the file and the global', async () => {
    const pkl = new Uint8Array([
      0x80,
      0x02,
      ...enc('cposix\nsystem\n'),
      0x58,
      4,
      0,
      0,
      0,
      ...enc('echo'),
      0x85,
      0x52,
      0x2e,
    ]);
    const evil = writeZip([
      { name: 'evil/data.pkl', data: pkl },
      { name: 'evil/version', data: enc('3\n') },
    ]);
    const err = await rejection(planImport([sourceFromBytes('evil_net_G.pth', evil)]));
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect(err.message).toContain('evil_net_G.pth');
    expect(err.message).toContain('refusing the global "posix.system"');
    expect(explainError(err.message)).toBe('ckpt.err.unsafePickle');
  });

  it('refuses a truncated .pth and overlapping safetensors offsets, naming the file', async () => {
    const { G } = await nets(SMALL);
    const pth = writePth(G);
    const e1 = await rejection(planImport([sourceFromBytes('cut_net_G.pth', pth.subarray(0, 5000))]));
    expect(e1.message).toContain('cut_net_G.pth');
    expect(explainError(e1.message)).toBe('ckpt.err.damaged');

    const header = enc(
      JSON.stringify({
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      }),
    );
    const st = new Uint8Array(8 + header.length + 12);
    new DataView(st.buffer).setBigUint64(0, BigInt(header.length), true);
    st.set(header, 8);
    const e2 = await rejection(planImport([sourceFromBytes('weights.safetensors', st)]));
    expect(e2.message).toContain('weights.safetensors');
    expect(e2.message).toContain('overlaps');
    expect(explainError(e2.message)).toBe('ckpt.err.safetensors');
  });

  it('names the key when safetensors metadata contradicts the shapes; a D alone is refused', async () => {
    const { G, D } = await nets(SMALL);
    const lying = writeSafetensors(G, { kind: 'G', studio_config: JSON.stringify({ ...SMALL, ngf: 8 }) });
    const e1 = await rejection(planImport([sourceFromBytes('G.safetensors', lying)]));
    expect(e1.message).toContain('G.safetensors: key "model.model.0.weight" has shape [4, 3, 4, 4]');
    expect(explainError(e1.message)).toBe('ckpt.err.shape');
    const e2 = await rejection(planImport([sourceFromBytes('latest_net_D.pth', writePth(D))]));
    expect(e2.message).toContain('latest_net_D.pth: this is a discriminator');
    const e3 = await rejection(planImport([sourceFromBytes('notes.txt', enc('hello'))]));
    expect(e3.message).toContain('nothing to import');
  });
});

describe('server bundle', () => {
  it('explains why unet_32 cannot go to the server and what to change', async () => {
    const { storage, run } = await storedRun(SMALL);
    const d = await describeServerBundle(storage, run.id, 'last', 2);
    expect(d.problem).toContain('netG unet_32 has no server equivalent');
    expect(d.problem).toContain('unet_128');
  });

  it('gives both commands and builds a bundle whose checkpoint folder imports back to the same weights', async () => {
    const { storage, run, G } = await storedRun(SERVER_OK, 'clinic p25', 40, 6);
    const d = await describeServerBundle(storage, run.id, 'last', 3);
    expect(d.problem).toBeNull();
    expect(d.bundleName).toBe('clinic_p25');
    expect(d.single).toMatch(
      /^python train\.py --dataroot \.\/datasets\/clinic_p25 --name clinic_p25 --model pix2pix --netG unet_128 --ngf 2 --ndf 2 --norm batch /,
    );
    expect(d.single).toContain('--continue_train --epoch_count 6');
    expect(d.multi).toMatch(/^torchrun --nproc_per_node=3 train\.py .* --norm syncbatch /);

    const image = (v: number) => ({
      width: 128,
      height: 128,
      data: new Uint8ClampedArray(128 * 128 * 4).fill(v),
    });
    let spec: unknown;
    const phases: string[] = [];
    const out = await buildServerBundleFromStore(
      storage,
      { runId: run.id, name: 'last', gpus: 3 },
      {
        loadCases: async (_s, datasetId, s, progress) => {
          expect(datasetId).toBe('demo-20-1');
          spec = s;
          progress(3, 3);
          return [
            { id: 'a', split: 'train', photo: image(10), xray: image(200) },
            { id: 'b', split: 'val', photo: image(20), xray: image(210) },
            { id: 'c', split: 'test', photo: image(30), xray: image(220) },
          ];
        },
        onProgress: (p) => phases.push(p.phase),
      },
    );
    expect(spec).toEqual({ mode: 'letterbox', size: 128, pad: 'constant', padColor: [0, 0, 0], roi: null });
    expect([...new Set(phases)]).toEqual(['checkpoint', 'dataset', 'writing']);
    expect(out.fileName).toBe('clinic_p25_server_bundle.zip');
    const names = out.contents.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'datasets/clinic_p25/train/a.png',
        'datasets/clinic_p25/val/b.png',
        'datasets/clinic_p25/test/c.png',
        'checkpoints/clinic_p25/latest_net_G.pth',
        'README.md',
      ]),
    );
    const readme = new TextDecoder().decode(readZip(out.bytes, 'b').get('README.md'));
    expect(readme).toContain(d.single);
    expect(readme).toContain(d.multi);
    // the server writes loss_log.txt next to the files; the bundle's folder already imports as a run
    const plan = await planImport([sourceFromBytes(out.fileName, out.bytes)]);
    expect([plan.kind, plan.name, plan.configSource, plan.config.size]).toEqual([
      'serverRun',
      'clinic_p25',
      'train_opt',
      128,
    ]);
    expectSameStateDict(G, plan.G.stateDict);
    expect(plan.ignoredFiles.filter((f) => f.path.includes('/datasets/')).length).toBe(3);
  });
});

describe('worker request handler', () => {
  it('inspects, commits by token, and answers errors as messages', async () => {
    const storage: StudioStorage = await open();
    const handle = createIoService({
      openStorage: async () => storage,
      freshDiscriminator: freshD,
      loadCases: async () => [],
      newToken: () => 'tok',
    });
    const posted: IoWorkerMessage[] = [];
    const post = (m: IoWorkerMessage) => posted.push(m);
    const { G } = await nets(SMALL);
    const blob = new Blob([writePth(G) as Uint8Array<ArrayBuffer>]);
    await handle(
      {
        kind: 'request',
        id: 1,
        method: 'inspectImport',
        params: { files: [{ path: 'a/latest_net_G.pth', blob }] },
      },
      post,
    );
    const r1 = posted[0] as { ok: true; result: { token: string; G: { keys: number }; name: string } };
    expect(r1.ok).toBe(true);
    expect([r1.result.token, r1.result.G.keys, r1.result.name]).toEqual(['tok', G.length, 'a']);
    await handle(
      {
        kind: 'request',
        id: 2,
        method: 'commitImport',
        params: { token: 'tok', name: 'mine', size: 32, datasetId: '' },
      },
      post,
    );
    expect((posted[1] as { ok: boolean }).ok).toBe(true);
    expect((await listRuns(storage.runs)).runs.map((r) => r.name)).toEqual(['mine']);
    await handle(
      {
        kind: 'request',
        id: 3,
        method: 'commitImport',
        params: { token: 'tok', name: 'again', size: 32, datasetId: '' },
      },
      post,
    );
    expect(posted[2]).toEqual({
      kind: 'response',
      id: 3,
      ok: false,
      error: { name: 'Error', message: 'this import preview has expired; drop the files again' },
    });
    await handle(
      {
        kind: 'request',
        id: 4,
        method: 'inspectImport',
        params: { files: [{ path: 'x.pth', blob: new Blob([new Uint8Array(10)]) }] },
      },
      post,
    );
    const r4 = posted[3] as { ok: false; error: { name: string; message: string } };
    expect(r4.ok).toBe(false);
    expect(r4.error.message).toContain('x.pth');
  });
});
