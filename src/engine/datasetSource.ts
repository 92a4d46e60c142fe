/**
 * Loading a stored dataset for training (used by the training engine, in its Worker or the page).
 *
 *   loadDatasetForTraining(storage, datasetId, spec, opts?) →
 *     { cases: { id, split, photo, xray, landmarks? }[], evalList: string[], meta, skipped }
 *
 * - `storage`: from `openStudioStorage()` (the `datasets` and `tensors` databases are used).
 * - `spec`: the run's preprocessing (mode, size, pad, ROI box); every image is preprocessed with the
 *   core (`preprocessCase`), photo and X-ray each with its own exact transform.
 * - `cases`: every case that is NOT excluded by the user and has both images, in import order,
 *   train, val and test (pass `opts.splits` to load fewer). Images are `RgbaImage`s of
 *   spec.size × spec.size (alpha 255). `landmarks` (when the case has them) are the original
 *   X-ray landmarks mapped with the X-ray's transform, in preprocessed pixels; map them back with
 *   `toOriginal(computeTransform(xraySize.width, xraySize.height, spec), p)` (preprocess.ts).
 * - `evalList`: the dataset's fixed evaluation list (meta.evalList.ids) restricted to the returned
 *   val cases, in list order. The stored list itself is never changed here; `meta.evalList` has
 *   it whole (with its version, to record with a run).
 * - `skipped`: cases left out for a reason other than the user's exclusion (a missing image, an
 *   image that no longer decodes), with an English reason.
 *
 * Tensor cache: the preprocessed pixels are cached per (dataset, spec) in the `tensors` database
 * (photo RGB, X-ray grey when R = G = B, 8-bit). A second load with the same spec reads the cache
 * and decodes nothing (`progress.decoded` stays 0). A full disk while caching is not an error: the
 * load continues without caching (`progress.cacheFull`).
 *
 * Decoding needs `createImageBitmap` + `OffscreenCanvas` (Worker or page); Node passes
 * `opts.decode` (e.g. fast-png via core/io/decodeNode).
 *
 * Memory: the returned images stay in memory (spec.size² × 4 bytes × 2 per case: 2 MB at 512,
 * 8 MB at 1024); at 1024 px use `opts.splits` or `opts.onCase` with `keepImages: false`.
 */
import type { CaseSplit, DatasetMeta } from '../core/data/dataset';
import {
  computeTransform,
  pointsToPreprocessed,
  preprocessCase,
  splitAlignedImage,
  validatePreprocessSpec,
  type PreprocessSpec,
} from '../core/data/preprocess';
import type { Point, RgbaImage } from '../core/image';
import { DEFAULT_MM_PER_PX } from '../core/data/dataset';
import { preprocessedSpacing, type PixelSpacing } from '../core/eval/landmarkSharpnessSummary';
import { contentRect, type PixelRect } from '../core/eval/contentRegion';
import { getCaseImage, getCases, getDataset, listCaseIds, type StoredCase } from '../store/datasets';
import { NotFoundError, StorageFullError } from '../store/errors';
import type { StudioStorage } from '../store/storage';
import {
  getCachedTensors,
  openTensorCache,
  putCachedTensors,
  type CaseTensors,
  type TensorCacheSpec,
  type TensorImage,
} from '../store/tensorCache';
import { decodeImageBlob } from './import/decode';

/** Bump when this file's output for the same spec changes (a new tensor-cache key). */
export const TRAINING_CACHE_VERSION = 1;

export interface TrainingCase {
  id: string;
  split: CaseSplit;
  photo: RgbaImage;
  xray: RgbaImage;
  /** Preprocessed X-ray pixels, landmark-set order. */
  landmarks?: Point[];
  /** mm per preprocessed X-ray pixel (x, y), from the dataset's pixel spacing and the transform (with landmarks). */
  pixelSpacingMm?: PixelSpacing;
  /**
   * Content regions (the image, not the letterbox / ROI padding) of the preprocessed photo and
   * X-ray, whole pixels (core/eval/contentRegion.ts): validation metrics are computed on the
   * target's. Absent when the stored case does not record the original size.
   */
  photoContent?: PixelRect;
  xrayContent?: PixelRect;
}

export interface LoadProgress {
  /** Cases handled (loaded or skipped) of `total`. */
  done: number;
  total: number;
  /** Cases read from the tensor cache. */
  fromCache: number;
  /** Cases decoded and preprocessed (and put in the cache). */
  decoded: number;
  skipped: number;
  /** True once caching stopped because the disk is full (loading continues). */
  cacheFull: boolean;
}

export interface LoadForTrainingOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Splits to load (default all three). */
  splits?: readonly CaseSplit[];
  /** Image decoder (default: createImageBitmap + OffscreenCanvas). */
  decode?: (blob: Blob) => Promise<RgbaImage>;
  signal?: AbortSignal;
  /** Called with every case as it is ready. */
  onCase?: (c: TrainingCase) => void;
  /** Keep the cases in the result (default true; false with onCase streams them). */
  keepImages?: boolean;
  /** Cases per cache read / write (default 16). */
  chunkSize?: number;
}

export interface LoadedTrainingData {
  cases: TrainingCase[];
  evalList: string[];
  meta: DatasetMeta;
  skipped: { id: string; reason: string }[];
}

/** The tensor-cache spec of a preprocessing spec. */
export function trainingCacheSpec(spec: PreprocessSpec): TensorCacheSpec {
  return { dtype: 'uint8', preprocessing: spec, codeVersion: TRAINING_CACHE_VERSION };
}

function isGrey(img: RgbaImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/** RGBA → compact tensor image: 1 channel when grey, else RGB (alpha is always 255 after preprocessing). */
export function packImage(img: RgbaImage): TensorImage {
  const n = img.width * img.height;
  const grey = isGrey(img);
  const channels = grey ? 1 : 3;
  const out = new Uint8Array(n * channels);
  const d = img.data;
  if (grey) for (let i = 0; i < n; i++) out[i] = d[i * 4];
  else
    for (let i = 0; i < n; i++) {
      out[i * 3] = d[i * 4];
      out[i * 3 + 1] = d[i * 4 + 1];
      out[i * 3 + 2] = d[i * 4 + 2];
    }
  return { width: img.width, height: img.height, channels, data: out };
}

/** Compact tensor image → RGBA (alpha 255). */
export function unpackImage(t: TensorImage): RgbaImage {
  const n = t.width * t.height;
  const out = new Uint8ClampedArray(n * 4);
  const d = t.data;
  for (let i = 0; i < n; i++) {
    if (t.channels === 1) {
      const v = d[i];
      out[i * 4] = v;
      out[i * 4 + 1] = v;
      out[i * 4 + 2] = v;
    } else {
      const c = t.channels;
      out[i * 4] = d[i * c];
      out[i * 4 + 1] = d[i * c + 1];
      out[i * 4 + 2] = d[i * c + 2];
    }
    out[i * 4 + 3] = 255;
  }
  return { width: t.width, height: t.height, data: out };
}

function usableReason(c: StoredCase): string | null {
  if (c.images.aligned) return null;
  if (!c.images.photo && !c.images.xray) return 'it has no readable image';
  if (!c.images.photo) return 'it has no photo';
  if (!c.images.xray) return 'it has no X-ray';
  return null;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decode and preprocess one stored case (originals from the store). */
async function preprocessStored(
  storage: Pick<StudioStorage, 'datasets'>,
  datasetId: string,
  c: StoredCase,
  spec: PreprocessSpec,
  decode: (blob: Blob) => Promise<RgbaImage>,
): Promise<{ photo: RgbaImage; xray: RgbaImage }> {
  const id = c.record.id;
  let photo: RgbaImage;
  let xray: RgbaImage;
  if (c.images.aligned) {
    const blob = await getCaseImage(storage.datasets, datasetId, id, 'aligned');
    if (!blob) throw new Error(`${c.images.aligned.fileName} is missing from the store`);
    ({ photo, xray } = splitAlignedImage(await decode(blob)));
  } else {
    const pb = await getCaseImage(storage.datasets, datasetId, id, 'photo');
    const xb = await getCaseImage(storage.datasets, datasetId, id, 'xray');
    if (!pb || !xb) throw new Error('the photo or the X-ray is missing from the store');
    photo = await decode(pb);
    xray = await decode(xb);
  }
  const p = preprocessCase(photo, xray, null, spec);
  return { photo: p.photo, xray: p.xray };
}

/**
 * Load a stored dataset's usable cases at the run's preprocessing (see the file comment).
 * Throws NotFoundError for a missing dataset and Error for an invalid spec.
 */
export async function loadDatasetForTraining(
  storage: Pick<StudioStorage, 'datasets' | 'tensors'>,
  datasetId: string,
  spec: PreprocessSpec,
  opts: LoadForTrainingOptions = {},
): Promise<LoadedTrainingData> {
  const problems = validatePreprocessSpec(spec);
  if (problems.length)
    throw new Error(`Invalid preprocessing for dataset ${datasetId}: ${problems.join(' ')}`);
  const meta = await getDataset(storage.datasets, datasetId);
  if (!meta) throw new NotFoundError(`dataset ${datasetId} does not exist (it may have been deleted)`);
  const decode = opts.decode ?? decodeImageBlob;
  const splits = new Set<CaseSplit>(opts.splits ?? ['train', 'val', 'test']);
  const chunk = Math.max(1, opts.chunkSize ?? 16);
  const keep = opts.keepImages ?? true;

  const ids = await listCaseIds(storage.datasets, datasetId);
  const records: StoredCase[] = [];
  for (let i = 0; i < ids.length; i += 200)
    records.push(...(await getCases(storage.datasets, datasetId, ids.slice(i, i + 200))));

  // the fixed evaluation list may hold test cases (held out like val; a re-split keeps them): when
  // val is read, they are read too, so the grid stays the same 20 cases (as `test`: not trained on,
  // not in the val metrics)
  const listed = new Set(meta.evalList.ids);
  const heldOut = (c: StoredCase): boolean =>
    splits.has('val') && c.record.split === 'test' && listed.has(c.record.id);
  const skipped: { id: string; reason: string }[] = [];
  const wanted: StoredCase[] = [];
  for (const c of records) {
    if (c.record.state.excluded || !(splits.has(c.record.split) || heldOut(c))) continue;
    const why = usableReason(c);
    if (why) skipped.push({ id: c.record.id, reason: `case ${c.record.id} is skipped: ${why}` });
    else wanted.push(c);
  }

  const cacheSpec = trainingCacheSpec(spec);
  await openTensorCache(storage.tensors, datasetId, cacheSpec);
  const progress: LoadProgress = {
    done: 0,
    total: wanted.length + skipped.length,
    fromCache: 0,
    decoded: 0,
    skipped: skipped.length,
    cacheFull: false,
  };
  progress.done = skipped.length;
  opts.onProgress?.({ ...progress });

  const cases: TrainingCase[] = [];
  for (let i = 0; i < wanted.length; i += chunk) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const part = wanted.slice(i, i + chunk);
    const cached = await getCachedTensors(
      storage.tensors,
      datasetId,
      cacheSpec,
      part.map((c) => c.record.id),
    );
    const fresh: CaseTensors[] = [];
    for (let k = 0; k < part.length; k++) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const c = part[k];
      const rec = c.record;
      let photo: RgbaImage;
      let xray: RgbaImage;
      const hit = cached[k];
      if (hit && hit.photo && hit.xray) {
        photo = unpackImage(hit.photo);
        xray = unpackImage(hit.xray);
        progress.fromCache++;
      } else {
        try {
          ({ photo, xray } = await preprocessStored(storage, datasetId, c, spec, decode));
        } catch (e) {
          skipped.push({ id: rec.id, reason: `case ${rec.id} is skipped: ${errText(e)}` });
          progress.skipped++;
          progress.done++;
          opts.onProgress?.({ ...progress });
          continue;
        }
        progress.decoded++;
        fresh.push({ caseId: rec.id, photo: packImage(photo), xray: packImage(xray) });
      }
      const tc: TrainingCase = { id: rec.id, split: rec.split, photo, xray };
      if (rec.photoSize)
        tc.photoContent = contentRect(computeTransform(rec.photoSize.width, rec.photoSize.height, spec));
      if (rec.xraySize)
        tc.xrayContent = contentRect(computeTransform(rec.xraySize.width, rec.xraySize.height, spec));
      if (rec.landmarks && rec.xraySize) {
        const t = computeTransform(rec.xraySize.width, rec.xraySize.height, spec);
        tc.landmarks = pointsToPreprocessed(t, rec.landmarks);
        tc.pixelSpacingMm = preprocessedSpacing(t, meta.mmPerPx > 0 ? meta.mmPerPx : DEFAULT_MM_PER_PX);
      }
      opts.onCase?.(tc);
      if (keep) cases.push(tc);
      progress.done++;
      opts.onProgress?.({ ...progress });
    }
    if (fresh.length && !progress.cacheFull) {
      try {
        await putCachedTensors(storage.tensors, datasetId, cacheSpec, fresh);
      } catch (e) {
        if (!(e instanceof StorageFullError)) throw e;
        progress.cacheFull = true;
        opts.onProgress?.({ ...progress });
      }
    }
  }

  const heldOutIds = new Set(
    (keep ? cases.map((c) => ({ id: c.id, split: c.split })) : wanted.map((c) => c.record))
      .filter((c) => c.split === 'val' || c.split === 'test')
      .map((c) => c.id),
  );
  const evalList = meta.evalList.ids.filter((id) => heldOutIds.has(id) && !skipped.some((s) => s.id === id));
  const { bytesOnDisk: _b, updatedAt: _u, ...metaOnly } = meta;
  return { cases, evalList, meta: metaOnly, skipped };
}
