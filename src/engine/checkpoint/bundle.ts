/**
 * Server bundle (`describeServerBundle`, `writeServerBundleFromStore`, `buildServerBundleFromStore`):
 * the commands and the ZIP of core/io/serverBundle.ts for a stored checkpoint, with the cases of a
 * stored dataset (preprocessed like the run) or of the demo phantom, streamed case by case
 * (`streamBundleCases`) so memory holds G/D, one .pth and a few cases.
 */
import { type RunConfig, storedConfig } from '../../core/config';
import type { PreprocessSpec } from '../../core/data/preprocess';
import type { RgbaImage } from '../../core/image';
import { CheckpointFormatError } from '../../core/io/checkpointError';
import {
  assertServerCompatible,
  type ServerBundleCase,
  serverCommandArgs,
  startServerBundle,
  studioOnlyOptions,
} from '../../core/io/serverBundle';
import { memorySink } from '../../core/io/zip';
import {
  type CheckpointManifest,
  MANIFEST_FILE,
  parseManifest,
  readCheckpointNetwork,
} from '../../core/train/checkpoint';
import { checkpointReader, getRun, type RunRecord, type StudioStorage } from '../../store';
import { datasetSourceFromId } from '../datasetIds';
import { DEFAULT_PAD } from './commit';
import { completedEpochs, type DownloadFile, safeFileStem } from './export';
import { errorText } from '../../core/errors';

export interface BundleDescription {
  runId: string;
  checkpoint: string;
  /** The server's --name (and folder names): the run name made file-safe. */
  bundleName: string;
  /** Completed epochs; the server continues with --epoch_count epoch + 1. */
  epoch: number;
  gpus: number;
  /** Null when the server can express the run; else why not and what to change (English). */
  problem: string | null;
  /** `python train.py …` (one GPU). */
  single: string;
  /** `torchrun --nproc_per_node=<gpus> train.py … --norm syncbatch` (DDP). */
  multi: string;
  /** Options the server does not have, with the run's values. */
  studioOnly: { name: string; value: string; note: string }[];
  /** The run's dataset id ('' when none is recorded). */
  datasetId: string;
  config: RunConfig;
}

/**
 * A stored checkpoint whose files are read one at a time on demand (the bundle needs the manifest
 * and the G and D shards, never the optimizer state, which is twice the generator's size).
 */
async function lazyCheckpoint(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  name: string,
): Promise<{
  run: RunRecord | undefined;
  manifest: CheckpointManifest;
  get: (file: string) => Promise<Uint8Array | undefined>;
}> {
  const [run, { get }] = await Promise.all([
    getRun(storage.runs, runId),
    checkpointReader(storage.checkpoints, runId, name),
  ]);
  const mbytes = await get(MANIFEST_FILE);
  if (!mbytes) throw new CheckpointFormatError(`checkpoint "${name}": ${MANIFEST_FILE} is missing`);
  return { run, manifest: parseManifest(mbytes, `checkpoint "${name}"`), get };
}

/** The commands and compatibility of a stored checkpoint's server bundle (no files are built). */
export async function describeServerBundle(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  name: string,
  gpus = 2,
): Promise<BundleDescription> {
  const { run, manifest } = await lazyCheckpoint(storage, runId, name);
  const cfg = storedConfig(manifest.config);
  const bundleName = safeFileStem(run?.name ?? runId);
  const epoch = completedEpochs(manifest);
  let problem: string | null = null;
  try {
    assertServerCompatible(cfg);
  } catch (e) {
    problem = errorText(e);
  }
  const multiNorm = cfg.norm === 'batch' ? 'syncbatch' : cfg.norm;
  return {
    runId,
    checkpoint: name,
    bundleName,
    epoch,
    gpus,
    problem,
    single: `python train.py ${serverCommandArgs(cfg, bundleName, epoch).join(' ')}`,
    multi: `torchrun --nproc_per_node=${gpus} train.py ${serverCommandArgs(cfg, bundleName, epoch, multiNorm).join(' ')}`,
    studioOnly: studioOnlyOptions(cfg),
    datasetId: run?.datasetId ?? '',
    config: cfg,
  };
}

export interface BundleRequest {
  runId: string;
  name: string;
  gpus: number;
  /** A stored dataset id or a demo id `demo-<cases>-<seed>`; default the run's own. */
  datasetId?: string;
}

export interface BundleProgress {
  /**
   * `checkpoint`: reading G and D; `dataset`: cases loaded, preprocessed, encoded and written
   * (`done` of `total`); `writing`: the .pth files and the ZIP directory.
   */
  phase: 'checkpoint' | 'dataset' | 'writing';
  done: number;
  total: number;
}

export interface BundleDeps {
  /** The cases at the run's preprocessing (photo and X-ray `spec.size` square), all in memory. */
  loadCases(
    storage: StudioStorage,
    datasetId: string,
    spec: PreprocessSpec,
    onProgress: (done: number, total: number) => void,
  ): Promise<ServerBundleCase[]>;
  onProgress?: (p: BundleProgress) => void;
  signal?: AbortSignal;
}

export interface BundleStreamDeps {
  /**
   * Hand every case at the run's preprocessing to `onCase`, in dataset order, one at a time
   * (load, preprocess, call, forget); `onCase` encodes and writes the case before it returns, and
   * may throw (a bad case, a full disk, an abort), which must end the loading with that error.
   */
  streamCases(
    storage: StudioStorage,
    datasetId: string,
    spec: PreprocessSpec,
    onCase: (c: ServerBundleCase) => void,
    onProgress: (done: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  onProgress?: (p: BundleProgress) => void;
  /** Cancel: the build stops at the next case and the target is discarded. */
  signal?: AbortSignal;
}

/** Where a streamed bundle goes: a file (Node), the Origin Private File System, Blob parts. */
export interface BundleTarget<R> {
  /** The next bytes of the ZIP, synchronously (see ZipSink: never modify, copy if kept). */
  write(chunk: Uint8Array): void;
  /** The archive is complete: flush it, give it its final name and return it. */
  close(): Promise<R>;
  /** A failure or cancel: remove everything written (must not throw). */
  abort(): Promise<void>;
}

/** A streamed bundle: what the target returned, with the archive's size and entries. */
export interface WrittenBundle<R> {
  fileName: string;
  mime: string;
  file: R;
  bytes: number;
  contents: { name: string; bytes: number }[];
}

/** Cases per tensor-cache read / write while streaming (the loader holds up to two chunks). */
const STREAM_CHUNK = 4;

/**
 * `BundleStreamDeps.streamCases` for the studio's datasets: a stored dataset (`loadDatasetForTraining`
 * with `keepImages: false`: each case decoded or read from the tensor cache, preprocessed, handed
 * over and dropped) or a demo id `demo-<cases>-<seed>` (the phantom generator makes all its cases at
 * once; demo sets are small). One task per demo case, so that a worker's terminate() ends it between
 * cases. `decode` defaults to createImageBitmap + OffscreenCanvas (Node passes its own).
 */
export async function streamBundleCases(
  storage: StudioStorage,
  datasetId: string,
  spec: PreprocessSpec,
  onCase: (c: ServerBundleCase) => void,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
  decode?: (blob: Blob) => Promise<RgbaImage>,
): Promise<void> {
  const source = datasetSourceFromId(datasetId);
  if (source.kind === 'demo') {
    const { loadDemoCases } = await import('../demoData');
    const { cases } = await loadDemoCases(source.cases, source.seed, spec.size);
    for (let i = 0; i < cases.length; i++) {
      // Chromium's worker.terminate() ends a worker between tasks at once, a long task only after ~2 s
      await new Promise((r) => setTimeout(r, 0));
      signal?.throwIfAborted();
      const c = cases[i];
      onCase({ id: c.id, split: c.split, photo: c.photo, xray: c.xray });
      onProgress(i + 1, cases.length);
    }
    return;
  }
  const { loadDatasetForTraining } = await import('../datasetSource');
  await loadDatasetForTraining(storage, source.datasetId, spec, {
    keepImages: false,
    chunkSize: STREAM_CHUNK,
    signal,
    decode,
    onCase: (c) => onCase({ id: c.id, split: c.split, photo: c.photo, xray: c.xray }),
    onProgress: (p) => onProgress(p.done, p.total),
  });
}

/**
 * Stream the server bundle of a stored checkpoint, with a dataset's cases, to the target that
 * `openTarget(fileName)` opens once the run has passed its checks. Memory: the G and D state_dicts,
 * one .pth at a time at the end, and the case in hand (plus what `streamCases` buffers); the ZIP
 * itself never. Throws a CheckpointFormatError when the server cannot express the run (the message
 * says what to change), the signal's reason when aborted; on any failure after the target is open
 * it is aborted first, so no half-written archive remains.
 */
export async function writeServerBundleFromStore<R>(
  storage: StudioStorage,
  req: BundleRequest,
  deps: BundleStreamDeps,
  openTarget: (fileName: string) => Promise<BundleTarget<R>>,
): Promise<WrittenBundle<R>> {
  const { signal } = deps;
  signal?.throwIfAborted();
  deps.onProgress?.({ phase: 'checkpoint', done: 0, total: 1 });
  const { run, manifest, get } = await lazyCheckpoint(storage, req.runId, req.name);
  const cfg = storedConfig(manifest.config);
  assertServerCompatible(cfg);
  const datasetId = req.datasetId ?? run?.datasetId ?? '';
  if (!datasetId) {
    throw new CheckpointFormatError(
      `run ${run?.name ?? req.runId} has no dataset recorded; choose the dataset whose cases go into the bundle`,
    );
  }
  const where = `run ${run?.name ?? req.runId}, checkpoint "${req.name}"`;
  const G = (await readCheckpointNetwork(get, 'G', where)).stateDict;
  const D = (await readCheckpointNetwork(get, 'D', where)).stateDict;
  signal?.throwIfAborted();
  const spec: PreprocessSpec = {
    ...(run?.preprocessing ?? { mode: cfg.preprocess, ...DEFAULT_PAD, size: cfg.size }),
    size: cfg.size,
  };
  const bundleName = safeFileStem(run?.name ?? req.runId);
  const fileName = `${bundleName}_server_bundle.zip`;
  let target: BundleTarget<R> | null = null;
  // checks the networks against the configuration before the target exists; writes nothing yet
  const writer = startServerBundle(
    { name: bundleName, G, D, config: cfg, epoch: completedEpochs(manifest), gpus: req.gpus },
    { write: (chunk) => (target as BundleTarget<R>).write(chunk) },
  );
  target = await openTarget(fileName);
  try {
    deps.onProgress?.({ phase: 'dataset', done: 0, total: 0 });
    await deps.streamCases(
      storage,
      datasetId,
      spec,
      (c) => {
        signal?.throwIfAborted();
        writer.addCase(c);
      },
      (done, total) => deps.onProgress?.({ phase: 'dataset', done, total }),
      signal,
    );
    signal?.throwIfAborted();
    deps.onProgress?.({ phase: 'writing', done: 0, total: writer.cases });
    const summary = writer.finish();
    signal?.throwIfAborted();
    const file = await target.close();
    deps.onProgress?.({ phase: 'writing', done: writer.cases, total: writer.cases });
    return {
      fileName,
      mime: 'application/zip',
      file,
      bytes: summary.bytes,
      contents: summary.entries.map((e) => ({ name: e.name, bytes: e.bytes })),
    };
  } catch (e) {
    await target.abort();
    throw e;
  }
}

/**
 * The server bundle ZIP of a stored checkpoint, built in memory with `deps.loadCases` (small
 * datasets, tests, the `buildBundle` command). Same archive as `writeServerBundleFromStore`.
 * Throws a CheckpointFormatError when the server cannot express the run.
 */
export async function buildServerBundleFromStore(
  storage: StudioStorage,
  req: BundleRequest,
  deps: BundleDeps,
): Promise<DownloadFile> {
  const out = await writeServerBundleFromStore(
    storage,
    req,
    {
      streamCases: async (s, datasetId, spec, onCase, onProgress) => {
        const cases = await deps.loadCases(s, datasetId, spec, onProgress);
        for (const c of cases) onCase(c);
      },
      onProgress: deps.onProgress,
      signal: deps.signal,
    },
    async () => {
      const sink = memorySink();
      return { write: (c) => sink.write(c), close: async () => sink.bytes(), abort: async () => undefined };
    },
  );
  return { fileName: out.fileName, mime: out.mime, bytes: out.file, contents: out.contents };
}

/**
 * A bundle written by the checkpoint worker (`writeBundle`): a File in the Origin Private File
 * System (`stored` = its folder path from the OPFS root, for removal once saved) or, where OPFS is
 * missing, a Blob assembled from parts (`stored` null).
 */
export interface BundleFile {
  fileName: string;
  mime: string;
  blob: Blob;
  bytes: number;
  contents: { name: string; bytes: number }[];
  stored: string[] | null;
}
