/**
 * Preprocessed tensors cached per (dataset, preprocessing key), so training does not decode and
 * resample the originals again. The key is the canonical JSON of everything that changes the
 * pixels (dtype, the full preprocessing spec incl. size, ROI box and pad mode, a code version):
 * change any of it and the lookup misses, so stale tensors are never served.
 *
 * Keys (tensors database):
 *   var/<datasetId>/<keyHash>              TensorCacheVariant (the key, its cases, its bytes)
 *   t/<datasetId>/<keyHash>/<caseId>       StoredCaseTensors (photo/xray as Blobs of raw pixels)
 *
 * Like datasets, a batch of tensors is written in one transaction, then listed in the variant with
 * `update()`; only listed cases are served. At most `maxVariants` variants per dataset are kept:
 * creating another evicts the least recently opened.
 */
import type { PreprocessSpec } from '../core/data/preprocess';
import { asStorageFull } from './errors';
import { assertId, deleteUnder, keysUnder, type Kv } from './kv';

export type TensorDtype = 'uint8' | 'float32';

export interface TensorCacheSpec {
  /** `uint8`: RGBA / grey bytes 0-255; `float32`: values as the trainer wants them. */
  dtype: TensorDtype;
  /** The full preprocessing (mode, output size, ROI box, pad mode and colour): any change is a new cache. */
  preprocessing: PreprocessSpec;
  /** Bump when the preprocessing code changes its output for the same spec (default 1). */
  codeVersion?: number;
}

/** One preprocessed image: `width * height * channels` values, row-major, interleaved channels. */
export interface TensorImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** Uint8ClampedArray/Uint8Array for `uint8`, Float32Array for `float32`. Read back as the former. */
  data: Uint8ClampedArray | Uint8Array | Float32Array;
}

export interface CaseTensors {
  caseId: string;
  photo: TensorImage | null;
  xray: TensorImage | null;
}

interface StoredTensor {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  dtype: TensorDtype;
  blob: Blob;
}

interface StoredCaseTensors {
  caseId: string;
  photo: StoredTensor | null;
  xray: StoredTensor | null;
}

export interface TensorCacheVariant {
  datasetId: string;
  /** Hash of `key`, used in the store's keys. */
  hash: string;
  /** Canonical JSON of the spec. */
  key: string;
  spec: TensorCacheSpec;
  /** Cases whose tensors are complete. */
  caseIds: string[];
  /** Bytes of the stored pixel data. */
  bytes: number;
  createdAt: number;
  /** Last `openTensorCache` (for least-recently-used eviction). */
  usedAt: number;
}

/** Default number of cached preprocessing variants kept per dataset. */
export const DEFAULT_MAX_VARIANTS = 2;

/** JSON with object keys sorted at every level (undefined members dropped), for stable keys. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    const s = JSON.stringify(v);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const obj = v as Record<string, unknown>;
  const parts = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${parts.join(',')}}`;
}

/** The cache key of a spec (codeVersion defaulted to 1). */
export function tensorCacheKey(spec: TensorCacheSpec): string {
  return canonicalJson({ ...spec, codeVersion: spec.codeVersion ?? 1 });
}

/** cyrb53: a fast 53-bit string hash, as 11 base-36 digits. */
export function hashKey(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36).padStart(11, '0');
}

const varPrefix = (ds: string) => `var/${ds}/`;
const varKey = (ds: string, hash: string) => `var/${ds}/${hash}`;
const tPrefix = (ds: string, hash: string) => `t/${ds}/${hash}/`;
const tKey = (ds: string, hash: string, caseId: string) => `t/${ds}/${hash}/${caseId}`;

function toStored(img: TensorImage, dtype: TensorDtype, what: string): StoredTensor {
  const n = img.width * img.height * img.channels;
  if (img.data.length !== n) {
    throw new Error(`${what}: ${img.data.length} values for ${img.width} x ${img.height} x ${img.channels}`);
  }
  const isFloat = img.data instanceof Float32Array;
  if (isFloat !== (dtype === 'float32')) {
    throw new Error(`${what}: ${isFloat ? 'Float32Array' : 'byte'} data in a ${dtype} cache`);
  }
  const bytes = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return {
    width: img.width,
    height: img.height,
    channels: img.channels,
    dtype,
    blob: new Blob([bytes as Uint8Array<ArrayBuffer>]),
  };
}

async function fromStored(t: StoredTensor): Promise<TensorImage> {
  const buf = await t.blob.arrayBuffer();
  const data = t.dtype === 'float32' ? new Float32Array(buf) : new Uint8ClampedArray(buf);
  return { width: t.width, height: t.height, channels: t.channels, data };
}

async function evictVariants(
  kv: Kv,
  datasetId: string,
  keepHash: string,
  maxVariants: number,
): Promise<void> {
  const keys = await keysUnder(kv, varPrefix(datasetId));
  const vs = (await kv.getMany<TensorCacheVariant>(keys)).filter(
    (v): v is TensorCacheVariant => v !== undefined && v.hash !== keepHash,
  );
  vs.sort((a, b) => b.usedAt - a.usedAt);
  for (const v of vs.slice(Math.max(0, maxVariants - 1))) await deleteVariant(kv, datasetId, v.hash);
}

async function deleteVariant(kv: Kv, datasetId: string, hash: string): Promise<void> {
  await kv.del(varKey(datasetId, hash)); // unlisted first: readers stop trusting its tensors
  await deleteUnder(kv, tPrefix(datasetId, hash));
}

export interface OpenTensorCacheOptions {
  /** Variants kept per dataset, this one included (default 2). */
  maxVariants?: number;
  nowMs?: number;
}

/**
 * Open (create if needed) the cache variant for a spec and mark it used; evicts the least recently
 * used other variants of the dataset beyond `maxVariants`. Returns the variant (with the ids of the
 * cases already cached).
 */
export async function openTensorCache(
  kv: Kv,
  datasetId: string,
  spec: TensorCacheSpec,
  opts: OpenTensorCacheOptions = {},
): Promise<TensorCacheVariant> {
  assertId(datasetId, 'dataset');
  const key = tensorCacheKey(spec);
  const hash = hashKey(key);
  const now = opts.nowMs ?? Date.now();
  let variant: TensorCacheVariant | undefined;
  let collided = false;
  await kv.update<TensorCacheVariant>(varKey(datasetId, hash), (old) => {
    collided = old !== undefined && old.key !== key;
    variant =
      old && !collided
        ? { ...old, usedAt: now }
        : { datasetId, hash, key, spec, caseIds: [], bytes: 0, createdAt: now, usedAt: now };
    return variant;
  });
  // a hash collision (different key, same hash): the old tensors belong to another spec
  if (collided) await deleteUnder(kv, tPrefix(datasetId, hash));
  await evictVariants(kv, datasetId, hash, Math.max(1, opts.maxVariants ?? DEFAULT_MAX_VARIANTS));
  return variant!;
}

/**
 * Store preprocessed tensors of some cases (one transaction), then list them in the variant.
 * Call `openTensorCache` first. Cases already listed are skipped (same key = same pixels).
 * Quota errors become StorageFullError; nothing half-listed remains. Returns how many were stored.
 */
export async function putCachedTensors(
  kv: Kv,
  datasetId: string,
  spec: TensorCacheSpec,
  items: readonly CaseTensors[],
): Promise<number> {
  assertId(datasetId, 'dataset');
  const key = tensorCacheKey(spec);
  const hash = hashKey(key);
  const notOpen = () =>
    new Error(`the tensor cache of dataset ${datasetId} was not opened or was evicted; open it again`);
  const current = await kv.get<TensorCacheVariant>(varKey(datasetId, hash));
  if (!current || current.key !== key) throw notOpen();
  const listed = new Set(current.caseIds);
  const entries: [string, StoredCaseTensors][] = [];
  const bytesById = new Map<string, number>();
  for (const it of items) {
    assertId(it.caseId, 'case');
    if (listed.has(it.caseId) || bytesById.has(it.caseId)) continue;
    const photo = it.photo ? toStored(it.photo, spec.dtype, `photo of case ${it.caseId}`) : null;
    const xray = it.xray ? toStored(it.xray, spec.dtype, `X-ray of case ${it.caseId}`) : null;
    bytesById.set(it.caseId, (photo?.blob.size ?? 0) + (xray?.blob.size ?? 0));
    entries.push([tKey(datasetId, hash, it.caseId), { caseId: it.caseId, photo, xray }]);
  }
  if (entries.length === 0) return 0;
  try {
    await kv.setMany(entries);
    await kv.update<TensorCacheVariant>(varKey(datasetId, hash), (old) => {
      if (!old || old.key !== key) throw notOpen();
      const have = new Set(old.caseIds);
      const fresh = [...bytesById.keys()].filter((id) => !have.has(id));
      const bytes = fresh.reduce((sum, id) => sum + (bytesById.get(id) ?? 0), old.bytes);
      return { ...old, caseIds: old.caseIds.concat(fresh), bytes };
    });
  } catch (e) {
    await kv.delMany(entries.map(([k]) => k)).catch(() => undefined);
    throw await asStorageFull(e, 'start training again');
  }
  return entries.length;
}

/**
 * Cached tensors of the given cases under this spec, in order; `undefined` for a case that is not
 * cached (never cached, different spec, or evicted): preprocess it and put it.
 */
export async function getCachedTensors(
  kv: Kv,
  datasetId: string,
  spec: TensorCacheSpec,
  caseIds: readonly string[],
): Promise<(CaseTensors | undefined)[]> {
  assertId(datasetId, 'dataset');
  const key = tensorCacheKey(spec);
  const hash = hashKey(key);
  const v = await kv.get<TensorCacheVariant>(varKey(datasetId, hash));
  if (!v || v.key !== key) return caseIds.map(() => undefined);
  const listed = new Set(v.caseIds);
  const want = caseIds.filter((id) => listed.has(id));
  const recs = await kv.getMany<StoredCaseTensors>(want.map((id) => tKey(datasetId, hash, id)));
  const byId = new Map<string, CaseTensors>();
  for (const r of recs) {
    if (!r) continue;
    byId.set(r.caseId, {
      caseId: r.caseId,
      photo: r.photo ? await fromStored(r.photo) : null,
      xray: r.xray ? await fromStored(r.xray) : null,
    });
  }
  return caseIds.map((id) => byId.get(id));
}

/** Summary of a cached variant (without its case list). */
export type TensorCacheInfo = Omit<TensorCacheVariant, 'caseIds'> & { caseCount: number };

/** The cached variants of one dataset (or all), with their sizes. */
export async function listTensorCache(kv: Kv, datasetId?: string): Promise<TensorCacheInfo[]> {
  if (datasetId !== undefined) assertId(datasetId, 'dataset');
  const keys = await keysUnder(kv, datasetId === undefined ? 'var/' : varPrefix(datasetId));
  const vs = await kv.getMany<TensorCacheVariant>(keys);
  return vs
    .filter((v): v is TensorCacheVariant => v !== undefined)
    .map(({ caseIds, ...rest }) => ({ ...rest, caseCount: caseIds.length }));
}

/** Bytes of cached tensors of one dataset (or all). */
export async function tensorCacheBytes(kv: Kv, datasetId?: string): Promise<number> {
  return (await listTensorCache(kv, datasetId)).reduce((s, v) => s + v.bytes, 0);
}

/** Drop the cached tensors of a dataset: all variants, or only the one of `spec`. */
export async function deleteTensorCache(kv: Kv, datasetId: string, spec?: TensorCacheSpec): Promise<void> {
  assertId(datasetId, 'dataset');
  if (spec) {
    await deleteVariant(kv, datasetId, hashKey(tensorCacheKey(spec)));
    return;
  }
  await deleteUnder(kv, varPrefix(datasetId));
  await deleteUnder(kv, `t/${datasetId}/`);
}

/** Drop every variant of a dataset except the one of `keep`. */
export async function invalidateTensorCache(kv: Kv, datasetId: string, keep: TensorCacheSpec): Promise<void> {
  assertId(datasetId, 'dataset');
  const keepHash = hashKey(tensorCacheKey(keep));
  for (const v of await listTensorCache(kv, datasetId)) {
    if (v.hash !== keepHash) await deleteVariant(kv, datasetId, v.hash);
  }
}
