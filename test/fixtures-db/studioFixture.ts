/**
 * A studio database with every record kind, written through the store's own functions (the way the
 * current release writes it), plus the (de)serialisation of whole databases to JSON so a written
 * database can be committed (test/fixtures-db/schema-v<N>.json) and opened by later studio versions.
 *
 * Record kinds: dataset manifest + case records + original image Blobs, a tracing of the real X-ray
 * and one of a checkpoint's output, a tensor-cache variant with tensors, a run with train/val
 * history, checkpoints `last` and `best` split into several shards, a landmark detector record
 * with a weights Blob. Everything is small and deterministic (bytes from a seed); ids carry fixed
 * creation times.
 *
 * `readBackStudioFixture` reads every record back through the store's read functions and checks
 * it against what `writeStudioFixture` wrote (throws naming the first difference).
 */
import { createDatasetMeta, landmarkSetInfo, type CaseRecord } from '../../src/core/data/dataset';
import { ISBI_SET } from '../../src/core/data/landmarkSet';
import type { PreprocessSpec } from '../../src/core/data/preprocess';
import { chooseEvalList } from '../../src/core/data/splits';
import { withDefaults } from '../../src/core/config';
import type { DetectorMeta } from '../../src/core/detector/checkpoint';
import type { Point } from '../../src/core/image';
import {
  addCases,
  appendHistory,
  createDataset,
  createRun,
  getCachedTensors,
  getCase,
  getCaseImage,
  getDataset,
  getRun,
  listCheckpoints,
  listDatasets,
  listRuns,
  listTracings,
  loadCheckpoint,
  openTensorCache,
  putCachedTensors,
  readHistory,
  saveCheckpoint,
  saveTracing,
  type Kv,
  type StudioStorage,
  type TensorCacheSpec,
  type TracingTarget,
} from '../../src/store';
import {
  listDetectors,
  loadDetectorCheckpoint,
  putDetectorRecord,
  saveDetectorCheckpoint,
  type DetectorRecord,
} from '../../src/store/detectors';
import { DB_KINDS, type DbKind } from '../../src/store/schema';

/** Fixed creation time of everything in the fixture (ids are time-sortable). */
export const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

export const FIX = {
  datasetId: 'dsFixture01',
  datasetName: 'Clinic fixture (films 2019)',
  caseIds: ['case001', 'case002', 'case003'],
  runId: 'runFixture01',
  runName: 'fixture run',
  detectorId: 'detFixture01',
  symbols: landmarkSetInfo(ISBI_SET).symbols,
  /** checkpoint shards: every file is split into parts of this many bytes */
  partBytes: 96,
} as const;

/** Deterministic bytes. */
export function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const landmarks = (k: number): Point[] => FIX.symbols.map((_, i) => [120 + 7 * i + k, 340 + 5 * i - k]);

function caseRecord(id: string, i: number): CaseRecord {
  return {
    id,
    split: i === 2 ? 'val' : 'train',
    source: { photoPath: `photo/${id}.jpg`, xrayPath: `xray/${id}.png` },
    photoSize: { width: 640, height: 800 },
    xraySize: { width: 1935, height: 2400 },
    landmarks: i === 1 ? null : landmarks(i),
    phash: { photo: '0123456789abcdef', xray: 'fedcba9876543210' },
    flags: [],
    state: { excluded: false },
  };
}

const photoBytes = (i: number) => bytes(200 + i, 10 + i);
const xrayBytes = (i: number) => bytes(300 + i, 20 + i);

export const PREPROCESS: PreprocessSpec = {
  mode: 'letterbox',
  size: 32,
  pad: 'constant',
  padColor: [0, 0, 0],
  roi: null,
};
export const TENSOR_SPEC: TensorCacheSpec = { dtype: 'uint8', preprocessing: PREPROCESS };
const tensor = (seed: number) => ({ width: 4, height: 4, channels: 4 as const, data: bytes(64, seed) });

/** Checkpoint files (names as the trainer writes them; contents are seeded bytes). */
export function checkpointFiles(which: 'last' | 'best'): Map<string, Uint8Array> {
  const s = which === 'last' ? 100 : 200;
  return new Map([
    ['G.safetensors', bytes(400, s + 1)],
    ['D.safetensors', bytes(250, s + 2)],
    ['optimizer.safetensors', bytes(500, s + 3)],
    ['manifest.json', new TextEncoder().encode(JSON.stringify({ fixture: which, step: s }))],
  ]);
}

const CKPT_INFO = (which: 'last' | 'best') => ({
  epoch: which === 'last' ? 3 : 2,
  step: which === 'last' ? 120 : 80,
  completedEpochs: which === 'last' ? 3 : 2,
  metrics: { val_mean_l1: which === 'last' ? 0.21 : 0.19 },
  configSummary: { netG: 'unet_32', size: 32 },
});

export const DETECTOR_META: DetectorMeta = {
  format: 'ceph-studio-landmark-detector',
  version: 1,
  symbols: ['S', 'N'],
  arch: { size: 32, channels: [4, 8], landmarks: 2, head: 'softmax', outStride: 2 },
  preprocess: 'letterbox',
  sigmaMm: 3,
  mmPerPx: 0.1,
  decoder: 'dark',
  weightsFile: 'weights.safetensors',
  dtype: 'float32',
};
export const detectorWeights = () => bytes(333, 77);

const CKPT_TARGET: TracingTarget = { kind: 'checkpoint', runId: FIX.runId, name: 'best' };

/** Write one of every record kind into `storage` (freshly opened, empty). */
export async function writeStudioFixture(storage: StudioStorage): Promise<void> {
  const set = landmarkSetInfo(ISBI_SET);
  await createDataset(
    storage.datasets,
    createDatasetMeta({
      id: FIX.datasetId,
      name: FIX.datasetName,
      layout: 'folders',
      evalList: chooseEvalList([], 1),
      createdAt: new Date(T0).toISOString(),
      landmarkSet: set,
      mmPerPx: 0.1,
    }),
  );
  await addCases(
    storage.datasets,
    FIX.datasetId,
    FIX.caseIds.map((id, i) => ({
      record: caseRecord(id, i),
      images: {
        photo: { blob: new Blob([photoBytes(i)], { type: 'image/jpeg' }), fileName: `photo/${id}.jpg` },
        xray: { blob: new Blob([xrayBytes(i)], { type: 'image/png' }), fileName: `xray/${id}.png` },
      },
    })),
  );
  await saveTracing(
    storage.datasets,
    {
      datasetId: FIX.datasetId,
      caseId: FIX.caseIds[1],
      target: { kind: 'real', datasetId: FIX.datasetId },
      points: landmarks(9).map((p, i) => (i === 3 ? null : p)),
      symbols: FIX.symbols,
      tracer: 'Dr. Fixture',
    },
    { nowMs: T0 + 1000 },
  );
  await saveTracing(
    storage.datasets,
    {
      datasetId: FIX.datasetId,
      caseId: FIX.caseIds[2],
      target: CKPT_TARGET,
      points: landmarks(4),
      symbols: FIX.symbols,
      assisted: 'detector',
    },
    { nowMs: T0 + 2000 },
  );

  await openTensorCache(storage.tensors, FIX.datasetId, TENSOR_SPEC, { nowMs: T0 });
  await putCachedTensors(storage.tensors, FIX.datasetId, TENSOR_SPEC, [
    { caseId: FIX.caseIds[0], photo: tensor(1), xray: tensor(2) },
    { caseId: FIX.caseIds[1], photo: tensor(3), xray: null },
  ]);

  await createRun(
    storage.runs,
    {
      id: FIX.runId,
      name: FIX.runName,
      datasetId: FIX.datasetId,
      config: withDefaults({ netG: 'unet_32', size: 32, ngf: 4, ndf: 4, seed: 7 }),
      preprocessing: PREPROCESS,
      backend: 'wasm',
      adapter: null,
    },
    T0,
  );
  await appendHistory(
    storage.runs,
    FIX.runId,
    'train',
    Array.from({ length: 12 }, (_, i) => ({
      step: (i + 1) * 10,
      epoch: Math.floor(i / 4),
      timeMs: T0 + i * 1000,
      values: { G_GAN: 0.7 + i / 100, G_L1: 30 - i, D_real: 0.5, D_fake: 0.5 },
    })),
  );
  await appendHistory(storage.runs, FIX.runId, 'val', [
    { step: 80, epoch: 1, timeMs: T0 + 9000, values: { mean_l1: 0.19, mean_psnr: 14.5 } },
    { step: 120, epoch: 2, timeMs: T0 + 12000, values: { mean_l1: 0.21, mean_psnr: null } },
  ]);
  for (const which of ['best', 'last'] as const) {
    await saveCheckpoint(storage.checkpoints, FIX.runId, which, checkpointFiles(which), CKPT_INFO(which), {
      maxPartBytes: FIX.partBytes,
      nowMs: T0 + (which === 'best' ? 8000 : 12000),
    });
  }

  const det: DetectorRecord = {
    id: FIX.detectorId,
    name: 'fixture detector',
    createdAt: T0,
    updatedAt: T0,
    status: 'finished',
    symbols: ['S', 'N'],
    datasetId: FIX.datasetId,
    datasetName: FIX.datasetName,
    cases: 2,
    epochs: 2,
    epochsDone: 2,
    options: { size: 32 },
    history: [{ epoch: 1, step: 4, loss: 0.5, valMreMm: 2.5, valSdr2: 0.4, timeMs: T0 }],
    checkpoints: {},
  };
  await putDetectorRecord(storage.checkpoints, det);
  await saveDetectorCheckpoint(
    storage.checkpoints,
    FIX.detectorId,
    'best',
    detectorWeights(),
    {
      meta: DETECTOR_META,
      epoch: 2,
      step: 8,
      valMreMm: 2.25,
      valSdr: { '2': 0.5, '2.5': 0.6, '3': 0.7, '4': 0.9 },
      valN: 1,
    },
    {},
    T0 + 5000,
  );
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`fixture read-back: ${what}`);
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
const blobBytes = async (b: Blob | undefined) =>
  new Uint8Array(b ? await b.arrayBuffer() : new ArrayBuffer(0));

/**
 * Read every record back through the store's read functions and check it is what
 * `writeStudioFixture` wrote. Returns a count per record kind (for the test's message).
 */
export async function readBackStudioFixture(storage: StudioStorage): Promise<Record<string, number>> {
  const n: Record<string, number> = {};
  const ds = await listDatasets(storage.datasets);
  check(
    ds.some((d) => d.id === FIX.datasetId),
    `datasets ${JSON.stringify(ds.map((d) => d.id))}`,
  );
  const d = await getDataset(storage.datasets, FIX.datasetId);
  check(d?.name === FIX.datasetName && d.caseCount === 3, `dataset summary ${JSON.stringify(d)}`);
  check(d?.landmarkSet?.symbols.length === FIX.symbols.length, 'dataset landmark set');
  n.datasets = ds.length;
  n.cases = 0;
  n.images = 0;
  for (const [i, id] of FIX.caseIds.entries()) {
    const c = await getCase(storage.datasets, FIX.datasetId, id);
    check(JSON.stringify(c?.record) === JSON.stringify(caseRecord(id, i)), `case ${id} record`);
    n.cases++;
    const photo = await getCaseImage(storage.datasets, FIX.datasetId, id, 'photo');
    const xray = await getCaseImage(storage.datasets, FIX.datasetId, id, 'xray');
    check(same(await blobBytes(photo), photoBytes(i)), `case ${id} photo bytes`);
    check(same(await blobBytes(xray), xrayBytes(i)), `case ${id} X-ray bytes`);
    check(photo?.type === 'image/jpeg' && xray?.type === 'image/png', `case ${id} image types`);
    n.images += 2;
  }
  const tr = await listTracings(storage.datasets, FIX.datasetId);
  check(tr.length === 2, `tracings: ${tr.length}`);
  const real = tr.find((t) => t.caseId === FIX.caseIds[1]);
  check(
    real?.target.kind === 'real' && real.tracer === 'Dr. Fixture' && real.points[3] === null,
    'real tracing',
  );
  check(JSON.stringify(real?.points[0]) === JSON.stringify(landmarks(9)[0]), 'real tracing points');
  const ck = tr.find((t) => t.caseId === FIX.caseIds[2]);
  check(ck?.target.kind === 'checkpoint' && ck.assisted === 'detector', 'checkpoint tracing');
  n.tracings = tr.length;

  const cached = await getCachedTensors(storage.tensors, FIX.datasetId, TENSOR_SPEC, [...FIX.caseIds]);
  check(
    !!cached[0]?.photo && same(new Uint8Array(cached[0].photo.data), bytes(64, 1)),
    'tensor case001 photo',
  );
  check(!!cached[0]?.xray && same(new Uint8Array(cached[0].xray.data), bytes(64, 2)), 'tensor case001 X-ray');
  check(!!cached[1]?.photo && cached[1].xray === null, 'tensor case002');
  check(cached[2] === undefined, 'tensor case003 not cached');
  n.tensors = cached.filter(Boolean).length;

  const { runs } = await listRuns(storage.runs);
  check(runs.length === 1 && runs[0].id === FIX.runId, 'runs');
  const run = await getRun(storage.runs, FIX.runId);
  check(run?.name === FIX.runName && run.config.size === 32, 'run record');
  const train = await readHistory(storage.runs, FIX.runId, 'train');
  check(train.length === 12 && train[11].values.G_L1 === 19, `train history ${train.length}`);
  const val = await readHistory(storage.runs, FIX.runId, 'val');
  check(val.length === 2 && val[1].values.mean_psnr === null, 'val history');
  n.runs = runs.length;
  n.historyPoints = train.length + val.length;

  const cks = await listCheckpoints(storage.checkpoints, FIX.runId);
  check(cks.length === 2, `checkpoints: ${cks.length}`);
  n.checkpoints = 0;
  n.shards = 0;
  for (const which of ['best', 'last'] as const) {
    const { record, files } = await loadCheckpoint(storage.checkpoints, FIX.runId, which);
    check(record.step === CKPT_INFO(which).step, `checkpoint ${which} step`);
    const want = checkpointFiles(which);
    check(files.size === want.size, `checkpoint ${which} files`);
    for (const [name, b] of want) check(same(files.get(name) ?? new Uint8Array(), b), `${which}/${name}`);
    n.checkpoints++;
    n.shards += record.files.reduce((s, f) => s + f.parts, 0);
  }
  const dets = await listDetectors(storage.checkpoints);
  check(dets.length === 1 && dets[0].status === 'finished', 'detectors');
  const w = await loadDetectorCheckpoint(storage.checkpoints, FIX.detectorId, 'best');
  check(
    !!w && same(w.weights, detectorWeights()) && w.checkpoint.meta.decoder === 'dark',
    'detector weights',
  );
  n.detectors = dets.length;
  return n;
}

// --- whole databases <-> JSON ------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

const TYPED = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
} as const;
type TypedName = keyof typeof TYPED;

/** A stored value as JSON: Blobs, typed arrays and non-finite numbers are tagged objects. */
export async function encodeValue(v: unknown): Promise<Json> {
  if (v === undefined) return { $undefined: true };
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
  if (v instanceof Blob) return { $blob: b64(new Uint8Array(await v.arrayBuffer())), type: v.type };
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor.name as TypedName;
    if (!(name in TYPED)) throw new Error(`cannot encode a ${name}`);
    return { $typed: name, data: b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (Array.isArray(v)) return Promise.all(v.map(encodeValue));
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = await encodeValue(x);
    return out;
  }
  throw new Error(`cannot encode a stored ${(v as object).constructor?.name ?? typeof v}`);
}

export function decodeValue(j: Json): unknown {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return j.map(decodeValue);
  if ('$undefined' in j) return undefined;
  if ('$number' in j) return Number(j.$number);
  if ('$blob' in j) return new Blob([unb64(j.$blob as string)], { type: j.type as string });
  if ('$typed' in j) {
    const u = unb64(j.data as string);
    const C = TYPED[j.$typed as TypedName];
    return new C(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength));
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(j)) out[k] = decodeValue(x);
  return out;
}

export interface DbFixture {
  format: 'ceph-gan-studio/db-fixture@1';
  /** The store schema version (src/store/schema.ts) of the code that wrote it. */
  schemaVersion: number;
  /** How it was written. */
  writtenBy: string;
  /** Every key and value of each studio database, keys ascending. */
  databases: Record<DbKind, [string, Json][]>;
}

export async function dumpStorage(
  storage: StudioStorage,
  schemaVersion: number,
  writtenBy: string,
): Promise<DbFixture> {
  const databases = {} as Record<DbKind, [string, Json][]>;
  for (const kind of DB_KINDS) {
    const kv: Kv = storage[kind];
    const keys = await kv.keys('');
    const values = await kv.getMany(keys);
    databases[kind] = await Promise.all(
      keys.map(async (k, i) => [k, await encodeValue(values[i])] as [string, Json]),
    );
  }
  return { format: 'ceph-gan-studio/db-fixture@1', schemaVersion, writtenBy, databases };
}

/** Write a fixture's records, exactly as stored, into databases opened WITHOUT the studio (no schema check). */
export async function restoreFixture(fx: DbFixture, kvs: Record<DbKind, Kv>): Promise<void> {
  if (fx.format !== 'ceph-gan-studio/db-fixture@1') throw new Error(`not a db fixture: ${fx.format}`);
  for (const kind of DB_KINDS) {
    await kvs[kind].setMany(fx.databases[kind].map(([k, v]) => [k, decodeValue(v)] as const));
  }
}
