/**
 * The server bundle (aligned dataset, .pth files, options, README commands), its streaming writer
 * (bounded memory, cancel, same bytes as the in-memory path) and the server import.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decode as decodePng } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { createImage, type RgbaImage } from '../../src/core/image';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { readPth, writePth } from '../../src/core/io/pth';
import {
  buildServerBundle,
  formatTrainOpt,
  pyFloat,
  serverOptionsFor,
  startServerBundle,
  writeServerBundle,
  type ServerBundleCase,
  type ServerBundleHead,
  type ServerBundleInput,
} from '../../src/core/io/serverBundle';
import {
  parseLossLog,
  parseTrainOpt,
  parseTrainOptDetailed,
  pickNewestGenerator,
  readServerRunFolder,
} from '../../src/core/io/serverImport';
import { createZipWriter, memorySink, readZip, writeZip, type ZipSink } from '../../src/core/io/zip';
import { encodeTrainerState } from '../../src/core/train/checkpoint';
import {
  buildServerBundleFromStore,
  describeServerBundle,
  streamBundleCases,
  writeServerBundleFromStore,
  type BundleProgress,
  type BundleTarget,
} from '../../src/engine/checkpoint';
import { loadDatasetForTraining } from '../../src/engine/datasetSource';
import { buildFileIndex, type ImportInput } from '../../src/engine/import/fileIndex';
import { planImport, runImport } from '../../src/engine/import/importDataset';
import { decodeImageNode, encodePngNode } from '../../src/core/io/decodeNode';
import { createRun, saveCheckpoint, type StudioStorage } from '../../src/store';
import { openStudioStorage } from '../../src/store/storage';
import { historyFromLossLog } from '../../src/core/io/serverImport';
import { freshAdam } from '../../src/core/train/adam';
import { expectedEntries } from '../../src/core/model/weights';
import type { StateDict } from '../../src/core/model/types';

const cfg: RunConfig = withDefaults({ netG: 'unet_128', ngf: 4, ndf: 4, size: 128 });

/** A state_dict with the exact keys/shapes of `c`, filled with a recognisable ramp. */
function fakeStateDict(c: RunConfig, kind: 'G' | 'D'): StateDict {
  return expectedEntries(c, kind).map((e, i) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    return e.dtype === 'int64'
      ? { key: e.key, dtype: 'int64', shape: e.shape, data: BigInt64Array.of(BigInt(i)) }
      : {
          key: e.key,
          dtype: 'float32',
          shape: e.shape,
          data: Float32Array.from({ length: n }, (_, j) => i + j * 1e-3),
        };
  });
}

function input(over: Partial<ServerBundleInput> = {}, c: RunConfig = cfg): ServerBundleInput {
  const img = (v: number) => createImage(c.size, c.size, [v, v + 1, v + 2, 255]);
  return {
    name: 'ceph1',
    cases: [
      { id: 'case 001', split: 'train', photo: img(10), xray: img(200) },
      { id: 'case002', split: 'train', photo: img(20), xray: img(210) },
      { id: 'case003', split: 'val', photo: img(30), xray: img(220) },
    ],
    G: fakeStateDict(c, 'G'),
    D: fakeStateDict(c, 'D'),
    config: c,
    epoch: 7,
    ...over,
  };
}

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe('buildServerBundle', () => {
  const files = readZip(buildServerBundle(input()), 'bundle.zip');

  it('holds the aligned dataset, both checkpoints, the options and the README', () => {
    expect([...files.keys()]).toEqual([
      'datasets/ceph1/train/case_001.png',
      'datasets/ceph1/train/case002.png',
      'datasets/ceph1/val/case003.png',
      'checkpoints/ceph1/latest_net_G.pth',
      'checkpoints/ceph1/latest_net_D.pth',
      'checkpoints/ceph1/train_opt.txt',
      'README.md',
    ]);
  });

  it('writes each pair side by side: photo (A) left, X-ray (B) right, RGB', () => {
    const png = decodePng(files.get('datasets/ceph1/train/case002.png')!);
    expect([png.width, png.height, png.channels]).toEqual([256, 128, 3]);
    const px = (x: number, y: number) =>
      Array.from(png.data.subarray((y * 256 + x) * 3, (y * 256 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([20, 21, 22]);
    expect(px(127, 127)).toEqual([20, 21, 22]);
    expect(px(128, 0)).toEqual([210, 211, 212]);
    expect(px(255, 64)).toEqual([210, 211, 212]);
  });

  it('stores the networks as .pth files with the server keys', () => {
    const g = readPth(files.get('checkpoints/ceph1/latest_net_G.pth')!, 'G');
    expect(g.map((t) => t.key)).toEqual(expectedEntries(cfg, 'G').map((e) => e.key));
    expect((g[1].data as Float32Array)[2]).toBeCloseTo(1.002, 6);
    expect(readPth(files.get('checkpoints/ceph1/latest_net_D.pth')!, 'D')).toHaveLength(
      expectedEntries(cfg, 'D').length,
    );
  });

  it('gives the exact single-GPU and torchrun commands', () => {
    const readme = text(files.get('README.md'));
    const common =
      'train.py --dataroot ./datasets/ceph1 --name ceph1 --model pix2pix --netG unet_128 --ngf 4 --ndf 4 --norm ';
    const tail =
      ' --direction AtoB --preprocess none --load_size 128 --crop_size 128 --lambda_L1 100 --gan_mode vanilla ' +
      '--batch_size 1 --lr 0.0002 --beta1 0.5 --n_epochs 100 --n_epochs_decay 100 --continue_train --epoch_count 8';
    expect(readme).toContain(`\npython ${common}batch${tail}\n`);
    expect(readme).toContain(`\ntorchrun --nproc_per_node=2 ${common}syncbatch${tail}\n`);
    expect(readme).toMatch(
      /batch statistics then span all GPUs: the effective batch is 2 × batch_size = 2 images/,
    );
    expect(readme).toContain('None: this run uses only options the server has.');
  });

  it("writes train_opt.txt in the server's print_options format", () => {
    const opt = text(files.get('checkpoints/ceph1/train_opt.txt'));
    const lines = opt.split('\n');
    expect(lines[0]).toBe('----------------- Options ---------------');
    expect(lines).toContain(`${'netG'.padStart(25)}: ${'unet_128'.padEnd(30)}\t[default: unet_256]`);
    expect(lines).toContain(`${'lambda_L1'.padStart(25)}: ${'100.0'.padEnd(30)}`);
    expect(lines).toContain(`${'epoch_count'.padStart(25)}: ${'8'.padEnd(30)}\t[default: 1]`);
    expect(lines[lines.length - 2]).toBe('----------------- End -------------------');
    // sorted by name like the server
    const names = lines.slice(1, -2).map((l) => l.split(':')[0].trim());
    expect(names).toEqual([...names].sort());
  });

  it('lists studio-only options and exports only scale 0 of a multi-scale D', () => {
    const c = { ...cfg, lambda_grad: 5, lambda_ssim: 0.5, num_D: 2 };
    const z = readZip(buildServerBundle(input({}, c)), 'b.zip');
    const readme = text(z.get('README.md'));
    expect(readme).toContain('- `lambda_grad` = 5: Sobel gradient loss (l1)');
    expect(readme).toContain('- `lambda_ssim` = 0.5: SSIM loss');
    expect(readme).toContain('- `num_D` = 2: multi-scale discriminator');
    expect(readme).not.toMatch(/--lambda_grad|--num_D/);
    const d = readPth(z.get('checkpoints/ceph1/latest_net_D.pth')!, 'D');
    expect(d.every((t) => t.key.startsWith('model.'))).toBe(true);
    expect(d).toHaveLength(expectedEntries(cfg, 'D').length);
  });

  it("says when the studio stepped the lr and what the server's current train.py does with it", () => {
    // n_epochs 4 + n_epochs_decay 6, 7 epochs done: the server continues with epoch 8
    const sched = { ...cfg, n_epochs: 4, n_epochs_decay: 6 };
    const lr = (f: number): string => pyFloat(2e-4 * f);
    const end = text(readZip(buildServerBundle(input({}, sched)), 'e.zip').get('README.md'));
    expect(end).toContain('## Learning-rate schedule');
    expect(end).toContain('at the END of each epoch (`lr_step_at` = `epoch_end`), like the current train.py');
    expect(end).toContain(`epoch 8: ${lr(1 - 4 / 7)}, epoch 9: ${lr(1 - 5 / 7)}, epoch 10: ${lr(1 - 6 / 7)}`);
    expect(end).toContain('None: this run uses only options the server has.');
    const start = text(
      readZip(buildServerBundle(input({}, { ...sched, lr_step_at: 'epoch_start' })), 's.zip').get(
        'README.md',
      ),
    );
    expect(start).toContain(
      'at the START of each epoch (`lr_step_at` = `epoch_start`), like the 2020 train.py',
    );
    // the server's current code vs the studio's schedule, epoch by epoch
    expect(start).toContain(
      `would use epoch 8: ${lr(1 - 4 / 7)}, epoch 9: ${lr(1 - 5 / 7)}, epoch 10: ${lr(1 - 6 / 7)} where the studio's ` +
        `schedule has epoch 8: ${lr(1 - 5 / 7)}, epoch 9: ${lr(1 - 6 / 7)}, epoch 10: 0.0`,
    );
    expect(start).toContain('move `model.update_learning_rate()` in train.py from the end of the epoch loop');
    expect(start).toContain(
      '- `lr_step_at` = epoch_start: the linear policy stepped at the start of each epoch',
    );
    // the server's command line is the same either way (the server has no such option)
    const cmd = (r: string) => r.split('\n').filter((l) => l.startsWith('python train.py'));
    expect(cmd(start)).toEqual(cmd(end));
  });

  it('refuses what the server cannot express, with a suggestion', () => {
    const small = withDefaults({ netG: 'unet_64', ngf: 4, ndf: 4, size: 64 });
    expect(() => buildServerBundle(input({}, small))).toThrow(CheckpointFormatError);
    expect(() => buildServerBundle(input({}, small))).toThrow(
      /netG unet_64 has no server equivalent.*Train a run with netG unet_128/,
    );
    expect(() => buildServerBundle(input({ name: '../x' }))).toThrow(/bundle name/);
    const wrongG = input();
    wrongG.G = fakeStateDict({ ...cfg, ngf: 8 }, 'G');
    expect(() => buildServerBundle(wrongG)).toThrow(
      /latest_net_G\.pth: key "model\.model\.0\.weight" has shape \[8, 3, 4, 4\]/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Streaming
// ---------------------------------------------------------------------------------------------

/** A distinct, deterministic image per case (photo RGB, X-ray grey), so PNGs differ per case. */
function caseImage(i: number, size: number, xray: boolean): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const k = (y * size + x) * 4;
      const v = (x * 3 + y * 5 + i * 17 + (xray ? 101 : 0)) & 255;
      data[k] = v;
      data[k + 1] = xray ? v : (x ^ y ^ i) & 255;
      data[k + 2] = xray ? v : (x * y + i) & 255;
      data[k + 3] = 255;
    }
  return { width: size, height: size, data };
}
const splitOf = (i: number): ServerBundleCase['split'] =>
  i % 5 === 4 ? 'val' : i % 7 === 6 ? 'test' : 'train';
const makeCase = (i: number, size: number): ServerBundleCase => ({
  id: `case ${i}`,
  split: splitOf(i),
  photo: caseImage(i, size, false),
  xray: caseImage(i, size, true),
});

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const isPng = (b: Uint8Array): boolean => b.length > 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);

// a full GC between cases shows what the writer still references (WeakRefs die only when unreachable)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Counts cases alive during a build: `produced - pngsWritten` (cases handed to the writer whose
 * PNG has not reached the sink yet), and, after a full GC, how many earlier cases' decoded images
 * and encoded PNGs are still reachable from anywhere.
 */
function aliveTracker() {
  const decoded: WeakRef<Uint8ClampedArray>[] = [];
  const encoded: WeakRef<Uint8Array>[] = [];
  let produced = 0;
  let written = 0;
  const max = { pending: 0, decoded: 0, encoded: 0 };
  const liveCount = <T extends object>(refs: WeakRef<T>[]): number =>
    refs.filter((r) => r.deref() !== undefined).length;
  return {
    max,
    sink: {
      write(chunk: Uint8Array) {
        if (isPng(chunk)) {
          written++;
          encoded.push(new WeakRef(chunk));
        }
      },
    } satisfies ZipSink,
    /** Before producing the next case (from a fresh macrotask, so WeakRefs may be cleared). */
    sample() {
      gc();
      max.decoded = Math.max(max.decoded, liveCount(decoded));
      max.encoded = Math.max(max.encoded, liveCount(encoded));
    },
    produced(c: ServerBundleCase) {
      produced++;
      decoded.push(new WeakRef(c.photo.data));
      max.pending = Math.max(max.pending, produced - written);
    },
  };
}

/** Cases made on demand, one per pull, each after a macrotask (as a store read would be). */
async function* lazyCases(n: number, size: number, track?: ReturnType<typeof aliveTracker>) {
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setImmediate(r));
    track?.sample();
    const c = makeCase(i, size);
    track?.produced(c);
    yield c;
  }
}

const streamCfg = withDefaults({ netG: 'unet_128', ngf: 4, ndf: 4, size: 128, num_D: 2, lambda_grad: 5 });
const streamHead = (): ServerBundleHead => ({
  name: 'ceph1',
  G: fakeStateDict(streamCfg, 'G'),
  D: fakeStateDict(streamCfg, 'D'),
  config: streamCfg,
  epoch: 7,
  gpus: 3,
});
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A bundle file in Node: written to `<path>.partial`, renamed when complete, removed on abort. */
function fileTarget(path: string): BundleTarget<string> & ZipSink {
  const partial = `${path}.partial`;
  let fd: number | null = openSync(partial, 'w');
  const closeFd = (): void => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  return {
    write(chunk) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd as number, chunk, off, chunk.length - off);
    },
    async close() {
      closeFd();
      renameSync(partial, path);
      return path;
    },
    async abort() {
      closeFd();
      if (existsSync(partial)) unlinkSync(partial);
    },
  };
}

const tmp = mkdtempSync(join(tmpdir(), 'server-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('streaming ZIP writer', () => {
  it('writes byte for byte what writeZip writes, aligned or not, and lists the entries', () => {
    const entries = [
      { name: 'a/data.pkl', data: Uint8Array.from({ length: 200 }, (_, i) => (i * 7) & 255) },
      { name: 'a/empty', data: new Uint8Array(0) },
      { name: 'a/ünï/1', data: new Uint8Array(65).fill(3) },
    ];
    for (const align of [64, 1]) {
      const sink = memorySink();
      const w = createZipWriter(sink, align);
      for (const e of entries) w.add(e.name, e.data);
      const size = w.finish();
      const expected = writeZip(entries, align);
      expect(size).toBe(expected.length);
      expect(sha256(sink.bytes())).toBe(sha256(expected));
      expect(w.entries).toEqual([
        { name: 'a/data.pkl', bytes: 200 },
        { name: 'a/empty', bytes: 0 },
        { name: 'a/ünï/1', bytes: 65 },
      ]);
    }
    const w = createZipWriter(memorySink());
    w.add('x', new Uint8Array(1));
    expect(() => w.add('x', new Uint8Array(1))).toThrow('ZIP entry "x" is listed twice');
    w.finish();
    expect(() => w.add('y', new Uint8Array(1))).toThrow(/after the archive was finished/);
  });
});

describe('streaming server bundle', () => {
  // SHA-256 of the archive the in-memory builder made before streaming existed (commit ab7bd62),
  // for these 12 cases, this G / D (num_D 2: scale 1 dropped), epoch 7 and 3 GPUs; updated once
  // since, when README.md gained its "Learning-rate schedule" section (issue 15, 1,327,924 -> 1,328,449
  // bytes; the README is the only entry that change touches)
  const OLD_ARCHIVE = {
    bytes: 1_328_449,
    sha256: '7d1406ee172fbf594e6c95fdb5657c9ee409cb10e6e0a2da1562e36bcc4a91ff',
  };

  it('makes the same archive as before, in memory and streamed from a lazy source', async () => {
    const cases = Array.from({ length: 12 }, (_, i) => makeCase(i, 128));
    const inMemory = buildServerBundle({ ...streamHead(), cases });
    expect([inMemory.length, sha256(inMemory)]).toEqual([OLD_ARCHIVE.bytes, OLD_ARCHIVE.sha256]);
    const sink = memorySink();
    const summary = await writeServerBundle(streamHead(), lazyCases(12, 128), sink);
    const streamed = sink.bytes();
    expect(sha256(streamed)).toBe(OLD_ARCHIVE.sha256);
    expect(summary.bytes).toBe(OLD_ARCHIVE.bytes);
    expect(summary.counts).toEqual({ train: 9, val: 2, test: 1 });
    expect(summary.entries.map((e) => e.name)).toEqual([...readZip(streamed, 'b.zip').keys()]);
    expect(summary.entries.slice(-4).map((e) => e.name)).toEqual([
      'checkpoints/ceph1/latest_net_G.pth',
      'checkpoints/ceph1/latest_net_D.pth',
      'checkpoints/ceph1/train_opt.txt',
      'README.md',
    ]);
  });

  it('keeps at most a couple of cases (decoded or encoded) alive while streaming 40 cases to a file', async () => {
    const track = aliveTracker();
    const path = join(tmp, 'forty.zip');
    const target = fileTarget(path);
    const sink: ZipSink = {
      write(chunk) {
        track.sink.write(chunk);
        target.write(chunk);
      },
    };
    let progress = 0;
    const summary = await writeServerBundle(streamHead(), lazyCases(40, 128, track), sink, {
      onCase: (n) => (progress = n),
    });
    await target.close();
    expect(progress).toBe(40);
    // each case's PNG is written before the next case is pulled
    expect(track.max.pending).toBe(1);
    // after a GC at each pull, at most the previous case (a generator frame may hold it) survives
    expect(track.max.decoded).toBeLessThanOrEqual(2);
    expect(track.max.encoded).toBeLessThanOrEqual(2);
    const files = readZip(readFileSync(path), 'forty.zip');
    expect(files.size).toBe(44);
    expect(summary.bytes).toBe(readFileSync(path).length);
    const png = decodePng(files.get('datasets/ceph1/test/case_13.png')!);
    const px = (x: number, y: number) =>
      Array.from(png.data.subarray((y * 256 + x) * 3, (y * 256 + x) * 3 + 3));
    // case 13, pixel (x 2, y 1): photo (3*2+5*1+13*17)&255 = 232, (2^1^13) = 14, (2*1+13) = 15; X-ray +101
    expect([px(2, 1), px(128 + 2, 1)]).toEqual([
      [232, 14, 15],
      [77, 77, 77],
    ]);
  });

  it('the tracker sees all 40 cases alive when they are loaded first (the old path)', async () => {
    const track = aliveTracker();
    const all: ServerBundleCase[] = [];
    for await (const c of lazyCases(40, 128, track)) all.push(c);
    track.sample();
    const w = startServerBundle(streamHead(), track.sink);
    for (const c of all) w.addCase(c);
    w.finish();
    expect(track.max.pending).toBe(40);
    expect(track.max.decoded).toBe(40);
  });

  it('stops on abort and on a bad case, leaving no bundle file', async () => {
    const path = join(tmp, 'cancelled.zip');
    const ctrl = new AbortController();
    const target = fileTarget(path);
    const run = writeServerBundle(streamHead(), lazyCases(40, 128), target, {
      signal: ctrl.signal,
      onCase: (n) => n === 10 && ctrl.abort(),
    }).catch(async (e: unknown) => {
      await target.abort();
      throw e;
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(readdirSync(tmp).filter((f) => f.startsWith('cancelled'))).toEqual([]);

    const bad = (async function* () {
      yield makeCase(0, 128);
      yield { ...makeCase(1, 128), photo: caseImage(1, 64, false) };
    })();
    await expect(writeServerBundle(streamHead(), bad, memorySink())).rejects.toThrow(
      'case case 1: the photo is 64×64 px but the run trains at 128×128; preprocess it first',
    );
  });
});

describe('streaming server bundle from the store', () => {
  async function storedCheckpoint(config: RunConfig = streamCfg) {
    const storage = await openStudioStorage({ prefix: `sb-${globalThis.crypto.randomUUID()}` });
    const G = fakeStateDict(streamCfg, 'G');
    const D = fakeStateDict(streamCfg, 'D');
    const run = await createRun(storage.runs, {
      name: 'clinic 40',
      datasetId: 'ds-1',
      config: streamCfg,
      preprocessing: { mode: 'letterbox', size: 128, pad: 'constant', padColor: [0, 0, 0], roi: null },
      backend: 'cpu',
      adapter: null,
    });
    const state = {
      config,
      step: 40,
      epoch: 4,
      iterInEpoch: 0,
      trainCount: 40,
      dataOrder: [],
      historyLength: 0,
      metrics: {},
      G,
      D,
      optimizer: { G: freshAdam(G, streamCfg), D: freshAdam(D, streamCfg) },
    };
    await saveCheckpoint(storage.checkpoints, run.id, 'last', encodeTrainerState(state));
    return { storage, run };
  }

  const decode = async (blob: Blob): Promise<RgbaImage> => {
    const r = decodeImageNode(new Uint8Array(await blob.arrayBuffer()));
    if (!r.ok) throw new Error(r.problem.message);
    return r.image;
  };

  /** A stored dataset `ds-1` of n photo/X-ray pairs (90×70 px PNGs, letterboxed to 128 by the loader). */
  async function storeDataset(storage: StudioStorage, n: number): Promise<void> {
    const inputs: ImportInput[] = [];
    const png = (img: RgbaImage) => new Blob([encodePngNode(img) as Uint8Array<ArrayBuffer>]);
    const crop = (img: RgbaImage): RgbaImage => {
      const data = new Uint8ClampedArray(90 * 70 * 4);
      for (let y = 0; y < 70; y++) data.set(img.data.subarray(y * 128 * 4, (y * 128 + 90) * 4), y * 90 * 4);
      return { width: 90, height: 70, data };
    };
    for (let k = 0; k < n; k++) {
      inputs.push({ path: `d/photo/${k}.png`, blob: png(crop(caseImage(k, 128, false))) });
      inputs.push({ path: `d/xray/${k}.png`, blob: png(crop(caseImage(k, 128, true))) });
    }
    const index = await buildFileIndex(inputs);
    const out = await runImport(
      index,
      planImport(index),
      { name: 'd', splitSeed: 3 },
      { storage, decode, datasetId: 'ds-1' },
    );
    expect(out.usable).toBe(n);
  }

  it('a checkpoint stored before lr_step_at existed is described and bundled as epoch_start (what it ran)', async () => {
    const { lr_step_at: _omit, ...old } = streamCfg;
    const { storage, run } = await storedCheckpoint(old as RunConfig);
    const described = await describeServerBundle(storage, run.id, 'last');
    expect(described.config.lr_step_at).toBe('epoch_start');
    expect(described.studioOnly.map((o) => o.name)).toContain('lr_step_at');
    const current = await storedCheckpoint();
    const now = await describeServerBundle(current.storage, current.run.id, 'last');
    expect(now.config.lr_step_at).toBe('epoch_end');
    expect(now.studioOnly.map((o) => o.name)).not.toContain('lr_step_at');
    const bundle = await buildServerBundleFromStore(
      storage,
      { runId: run.id, name: 'last', gpus: 2 },
      { loadCases: async () => [makeCase(0, 128)] },
    );
    const readme = text(readZip(bundle.bytes, 'old.zip').get('README.md'));
    expect(readme).toContain('at the START of each epoch (`lr_step_at` = `epoch_start`)');
  });

  it('streams a stored dataset through the loader one case at a time, the same archive as loading it whole', async () => {
    const { storage, run } = await storedCheckpoint();
    await storeDataset(storage, 16);
    const req = { runId: run.id, name: 'last', gpus: 2 };
    const track = aliveTracker();
    const out = await writeServerBundleFromStore(
      storage,
      req,
      {
        streamCases: (s, id, spec, onCase, onProgress, signal) =>
          streamBundleCases(
            s,
            id,
            spec,
            (c) => {
              track.sample();
              track.produced(c);
              onCase(c);
            },
            onProgress,
            signal,
            decode,
          ),
      },
      async () => {
        const sink = memorySink();
        return {
          write: (c) => (track.sink.write(c), sink.write(c)),
          close: async () => sink.bytes(),
          abort: async () => undefined,
        };
      },
    );
    expect(out.contents.filter((e) => e.name.startsWith('datasets/clinic_40/'))).toHaveLength(16);
    expect(track.max.pending).toBe(1);
    expect(track.max.decoded).toBeLessThanOrEqual(2);
    // the old way: every case loaded (now from the tensor cache the first pass filled), then one ZIP
    const whole = await buildServerBundleFromStore(storage, req, {
      loadCases: async (s, id, spec) => (await loadDatasetForTraining(s, id, spec, { decode })).cases,
    });
    expect(sha256(whole.bytes)).toBe(sha256(out.file));
  });

  it('streams case by case to the target, the same archive as the in-memory build; cancel aborts the target', async () => {
    const { storage, run } = await storedCheckpoint();
    const req = { runId: run.id, name: 'last', gpus: 2 };
    const track = aliveTracker();
    const progress: BundleProgress[] = [];
    let opened = '';
    const out = await writeServerBundleFromStore(
      storage,
      req,
      {
        streamCases: async (_s, datasetId, spec, onCase, onProgress) => {
          expect([datasetId, spec.size, spec.mode]).toEqual(['ds-1', 128, 'letterbox']);
          let i = 0;
          for await (const c of lazyCases(40, 128, track)) {
            onCase(c);
            onProgress(++i, 40);
          }
        },
        onProgress: (p) => progress.push(p),
      },
      async (fileName) => {
        opened = fileName;
        const t = fileTarget(join(tmp, fileName));
        return {
          write: (c) => (track.sink.write(c), t.write(c)),
          close: () => t.close(),
          abort: () => t.abort(),
        };
      },
    );
    expect(opened).toBe('clinic_40_server_bundle.zip');
    expect(out.file).toBe(join(tmp, 'clinic_40_server_bundle.zip'));
    expect(track.max.pending).toBe(1);
    expect(track.max.decoded).toBeLessThanOrEqual(2);
    expect(progress[0]).toEqual({ phase: 'checkpoint', done: 0, total: 1 });
    expect(progress.filter((p) => p.phase === 'dataset').at(-1)).toEqual({
      phase: 'dataset',
      done: 40,
      total: 40,
    });
    expect(progress.at(-1)).toEqual({ phase: 'writing', done: 40, total: 40 });
    const streamed = readFileSync(out.file);
    expect(out.bytes).toBe(streamed.length);
    expect(out.contents).toHaveLength(44);

    const inMemory = await buildServerBundleFromStore(storage, req, {
      loadCases: async () => Array.from({ length: 40 }, (_, i) => makeCase(i, 128)),
    });
    expect(sha256(inMemory.bytes)).toBe(sha256(streamed));
    expect(inMemory.contents).toEqual(out.contents);

    // cancel after 10 cases: the target is aborted (its partial file removed), never closed
    const ctrl = new AbortController();
    const calls: string[] = [];
    const cancelled = writeServerBundleFromStore(
      storage,
      req,
      {
        signal: ctrl.signal,
        streamCases: async (_s, _d, _spec, onCase, onProgress) => {
          let i = 0;
          for await (const c of lazyCases(40, 128)) {
            onCase(c);
            onProgress(++i, 40);
            if (i === 10) ctrl.abort();
          }
        },
      },
      async () => {
        const t = fileTarget(join(tmp, 'cancelled-store.zip'));
        return {
          write: (c) => t.write(c),
          close: () => (calls.push('close'), t.close()),
          abort: () => (calls.push('abort'), t.abort()),
        };
      },
    );
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toEqual(['abort']);
    expect(readdirSync(tmp).filter((f) => f.startsWith('cancelled-store'))).toEqual([]);
  });
});

describe('server import', () => {
  it('pyFloat prints like Python str()', () => {
    expect([pyFloat(100), pyFloat(2e-4), pyFloat(1e-5), pyFloat(0.5), pyFloat(0)]).toEqual([
      '100.0',
      '0.0002',
      '1e-05',
      '0.5',
      '0.0',
    ]);
  });

  it('parses train_opt.txt back into the run configuration', () => {
    const c = {
      ...cfg,
      norm: 'instance' as const,
      gan_mode: 'lsgan' as const,
      lambda_L1: 50,
      flip: false,
      lr: 1e-5,
      n_layers_D: 4,
    };
    const back = parseTrainOpt(formatTrainOpt(serverOptionsFor(c, 'x', 3)));
    expect(back).toMatchObject({
      netG: 'unet_128',
      ngf: 4,
      ndf: 4,
      n_layers_D: 4,
      norm: 'instance',
      gan_mode: 'lsgan',
      lambda_L1: 50,
      lr: 1e-5,
      flip: false,
      size: 128,
      jitter: false,
      epoch_count: 4,
      batch_size: 1,
    });
  });

  it('maps syncbatch to batch, older option names, and refuses ResNet generators', () => {
    const opt = [
      '----------------- Options ---------------',
      '                    norm: syncbatch',
      '                   niter: 50',
      '----------------- End -------------------',
    ].join('\n');
    const p = parseTrainOptDetailed(opt);
    expect(p.config).toEqual({ norm: 'batch', n_epochs: 50 });
    expect(p.notes.join(' ')).toMatch(/syncbatch/);
    expect(() => parseTrainOpt('                    netG: resnet_9blocks')).toThrow(
      /resnet_9blocks; the studio runs U-Net generators only/,
    );
  });

  it('parses the loss log, skipping headers and damaged lines', () => {
    const log = [
      '================ Training Loss (Mon Jan  6 10:00:00 2025) ================',
      '(epoch: 1, iters: 100, time: 0.123, data: 0.002) G_GAN: 0.702 G_L1: 38.412 D_real: 0.650 D_fake: 0.721 ',
      '(epoch: 1, iters: 200, time: 0.120, data: 0.002) G_GAN: 1.5e-01 G_L1: 3.8 D_real: nan D_fake: 0.5',
      'garbage (epoch: x)',
      '(epoch: 2, iters: 100) G_GAN: 0.9 G_L1: 20',
    ].join('\n');
    const r = parseLossLog(log);
    expect(r).toHaveLength(3);
    expect(r[0]).toEqual({
      epoch: 1,
      iters: 100,
      losses: { G_GAN: 0.702, G_L1: 38.412, D_real: 0.65, D_fake: 0.721 },
    });
    expect(r[1].losses.G_GAN).toBe(0.15);
    expect(r[1].losses.D_real).toBeNaN();
    expect(r[2]).toEqual({ epoch: 2, iters: 100, losses: { G_GAN: 0.9, G_L1: 20 } });
  });

  it('picks the newest generator', () => {
    expect(pickNewestGenerator(['5_net_G.pth', 'latest_net_G.pth', '20_net_G.pth'])).toBe('latest_net_G.pth');
    expect(pickNewestGenerator(['a/5_net_G.pth', 'a/20_net_G.pth', 'a/100_net_D.pth', 'a/3_net_G.pth'])).toBe(
      'a/20_net_G.pth',
    );
    expect(pickNewestGenerator(['iter_900_net_G.pth', 'iter_1200_net_G.pth'])).toBe('iter_1200_net_G.pth');
    expect(pickNewestGenerator(['latest_net_D.pth', 'loss_log.txt'])).toBeNull();
  });

  it('reads a server checkpoints/<name>/ folder: newest G, its D, options and loss curves', () => {
    const opt = formatTrainOpt(serverOptionsFor(cfg, 'clinic600', 0));
    const enc = new TextEncoder();
    const dir = 'checkpoints/clinic600/';
    const run = readServerRunFolder([
      { name: `${dir}10_net_G.pth`, bytes: writePth(fakeStateDict(cfg, 'G')) },
      { name: `${dir}20_net_G.pth`, bytes: writePth(fakeStateDict(cfg, 'G')) },
      { name: `${dir}20_net_D.pth`, bytes: writePth(fakeStateDict(cfg, 'D')) },
      { name: `${dir}train_opt.txt`, bytes: enc.encode(opt) },
      {
        name: `${dir}loss_log.txt`,
        bytes: enc.encode(
          '(epoch: 20, iters: 600, time: 0.1, data: 0.1) G_GAN: 0.8 G_L1: 5.0 D_real: 0.6 D_fake: 0.6\n',
        ),
      },
    ]);
    expect(run.generatorFile).toBe(`${dir}20_net_G.pth`);
    expect(run.name).toBe('clinic600');
    expect(run.epoch).toBe(20);
    expect(run.G.kind).toBe('G');
    expect(run.D?.kind).toBe('D');
    expect(run.config).toMatchObject({
      netG: 'unet_128',
      ngf: 4,
      ndf: 4,
      norm: 'batch',
      size: 128,
      lambda_L1: 100,
    });
    expect(run.lossLog[0].losses.G_L1).toBe(5);
    // options that contradict the weights name the key
    const lie = formatTrainOpt(serverOptionsFor({ ...cfg, ngf: 16 }, 'clinic600', 0));
    expect(() =>
      readServerRunFolder([
        { name: 'latest_net_G.pth', bytes: writePth(fakeStateDict(cfg, 'G')) },
        { name: 'train_opt.txt', bytes: enc.encode(lie) },
      ]),
    ).toThrow(
      /latest_net_G\.pth: key "model\.model\.0\.weight" has shape \[4, 3, 4, 4\], but netG unet_128, ngf 16/,
    );
  });
});

describe('cli import helpers', () => {
  it('rebuilds steps and learning rates from the loss log (iters = images in the epoch)', () => {
    const c = { ...cfg, batch_size: 4, n_epochs: 2, n_epochs_decay: 3 };
    const rec = (epoch: number, iters: number) => ({ epoch, iters, losses: { G_L1: epoch } });
    const rows = historyFromLossLog([rec(1, 200), rec(1, 400), rec(2, 200), rec(2, 400), rec(3, 400)], c);
    expect(rows.map((r) => r.step)).toEqual([50, 100, 150, 200, 300]);
    // the current train.py (lr_step_at epoch_end): epoch E runs at 1 - max(0, E - n_epochs) / (n_epochs_decay + 1)
    const expected = [1, 1, 1, 1, 0.75].map((f) => 2e-4 * f);
    rows.forEach((r, i) => expect(r.lr).toBeCloseTo(expected[i], 12));
    expect(rows[4]).toMatchObject({ epoch: 3, G_L1: 3 });
    // the 2020 train.py (epoch_start): 1 - max(0, E + 1 - n_epochs) / (n_epochs_decay + 1)
    const old = historyFromLossLog([rec(1, 400), rec(2, 400), rec(3, 400)], {
      ...c,
      lr_step_at: 'epoch_start',
    });
    old.forEach((r, i) => expect(r.lr).toBeCloseTo(2e-4 * [1, 0.75, 0.5][i], 12));
  });

  it('gives a fresh Adam state: zero moments in TF layout for parameters only', () => {
    const sd = fakeStateDict(cfg, 'G');
    const adam = freshAdam(sd, cfg);
    expect(adam.iterations).toBe(0);
    expect(adam.accBeta1).toBe(Math.fround(0.5));
    const conv = adam.m.find((e) => e.key === 'model.model.0.weight')!;
    expect(conv.shape).toEqual([4, 4, 3, 4]); // PyTorch (out 4, in 3, 4, 4) -> TF [kH, kW, in, out]
    expect(conv.data.every((v) => v === 0)).toBe(true);
    expect(adam.m.some((e) => /running_|num_batches/.test(e.key))).toBe(false);
    expect(adam.v).toHaveLength(adam.m.length);
  });
});
