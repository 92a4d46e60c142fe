/**
 * TF.js weights format for moving a checkpoint between studios: `model.json` plus binary shards
 * `group1-shard<i>of<n>.bin` of 4 MiB each, exactly TF.js's weights-manifest conventions (all weights
 * concatenated in manifest order, then cut into shards, so a weight may span two shards), so that
 * `tf.io.decodeWeights` can read the shards too.
 *
 * Layout: weights keep their state_dict key names AND PyTorch layout (conv [out,in,kH,kW], convT
 * [in,out,kH,kW]); `userDefinedMetadata.layout = "pytorch"` says so. The readers and writers of this
 * folder deal only with state_dicts, independent of the networks; the model's loadStateDict does the
 * one transpose for every format alike.
 *
 * dtypes: TF.js has no int64, so int64 tensors (`num_batches_tracked`) are written as int32 (values
 * beyond int32 are refused) and every int32 weight is read back as int64.
 */
import type { StateDict } from '../model/types';
import { CheckpointFormatError } from './checkpointError';

/** TF.js's own shard size (tfjs-converter `--weight_shard_size_bytes` default). */
export const TFJS_SHARD_BYTES = 4 * 1024 * 1024;
export const TFJS_FORMAT = 'ceph-gan-studio';
/** A model.json larger than this is refused (the manifest of a unet_256 is ~15 kB). */
const MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024;

export interface NamedFile {
  /** File name (a path is allowed; the reader matches shards by their base name). */
  name: string;
  bytes: Uint8Array;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

export interface TfjsModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  /** No graph: the networks are code, not a serialized topology. */
  modelTopology: null;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  userDefinedMetadata: Record<string, unknown>;
}

export interface TfjsCheckpoint {
  tensors: StateDict;
  /** `userDefinedMetadata` of model.json (e.g. `studio_config`, `kind`). */
  metadata: Record<string, unknown>;
}

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/**
 * Write `model.json` (first) and its shards. `metadata` goes to `userDefinedMetadata` next to
 * `layout: "pytorch"`.
 */
export function writeTfjs(
  sd: StateDict,
  metadata: Record<string, unknown> = {},
  shardBytes: number = TFJS_SHARD_BYTES,
): NamedFile[] {
  if (!Number.isInteger(shardBytes) || shardBytes < 1)
    throw new CheckpointFormatError(`bad shard size ${shardBytes}`);
  const weights: TfjsWeightSpec[] = [];
  const parts: Uint8Array[] = [];
  let total = 0;
  const keys = new Set<string>();
  for (const t of sd) {
    if (keys.has(t.key)) throw new CheckpointFormatError(`state_dict key "${t.key}" appears twice`);
    keys.add(t.key);
    if (t.data.length !== numelOf(t.shape)) {
      throw new CheckpointFormatError(
        `tensor "${t.key}": ${t.data.length} values for shape [${t.shape.join(', ')}]`,
      );
    }
    let bytes: Uint8Array;
    if (t.data instanceof Float32Array) {
      bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      weights.push({ name: t.key, shape: [...t.shape], dtype: 'float32' });
    } else {
      const i32 = new Int32Array(t.data.length);
      t.data.forEach((v, i) => {
        if (v > 2147483647n || v < -2147483648n) {
          throw new CheckpointFormatError(`tensor "${t.key}": value ${v} does not fit TF.js's int32`);
        }
        i32[i] = Number(v);
      });
      bytes = new Uint8Array(i32.buffer);
      weights.push({ name: t.key, shape: [...t.shape], dtype: 'int32' });
    }
    parts.push(bytes);
    total += bytes.length;
  }
  const nShards = Math.max(1, Math.ceil(total / shardBytes));
  const shards: NamedFile[] = [];
  for (let s = 0; s < nShards; s++) {
    shards.push({
      name: `group1-shard${s + 1}of${nShards}.bin`,
      bytes: new Uint8Array(Math.min(shardBytes, total - s * shardBytes)),
    });
  }
  let pos = 0;
  for (const p of parts) {
    let done = 0;
    while (done < p.length) {
      const s = Math.floor(pos / shardBytes);
      const at = pos - s * shardBytes;
      const n = Math.min(p.length - done, shardBytes - at);
      shards[s].bytes.set(p.subarray(done, done + n), at);
      done += n;
      pos += n;
    }
  }
  const model: TfjsModelJson = {
    format: TFJS_FORMAT,
    generatedBy: 'ceph-gan-studio',
    convertedBy: null,
    modelTopology: null,
    weightsManifest: [{ paths: shards.map((s) => s.name), weights }],
    userDefinedMetadata: { ...metadata, layout: 'pytorch' },
  };
  return [{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(model, null, 1)) }, ...shards];
}

/** True when the bytes look like a TF.js model.json (a JSON object with a weightsManifest). */
export function looksLikeTfjsModelJson(bytes: Uint8Array): boolean {
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  if (bytes[i] !== 0x7b) return false;
  const head = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 1 << 20)));
  return head.includes('"weightsManifest"');
}

/**
 * Read a TF.js checkpoint: `modelJson` is the model.json file, `files` must contain every shard it
 * lists (matched by base name). The manifest is validated against the shard bytes before anything
 * is allocated per tensor.
 */
export function readTfjs(modelJson: NamedFile, files: readonly NamedFile[]): TfjsCheckpoint {
  const fileName = modelJson.name;
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(`${fileName}: not a valid TF.js checkpoint — ${msg}`);
  };
  if (modelJson.bytes.length > MAX_MODEL_JSON_BYTES) fail(`model.json is ${modelJson.bytes.length} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(modelJson.bytes));
  } catch (e) {
    return fail(`model.json is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail('model.json is not a JSON object');
  const model = json as { weightsManifest?: unknown; userDefinedMetadata?: unknown };
  const manifest = model.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) return fail('weightsManifest is missing or empty');
  let metadata: Record<string, unknown> = {};
  const udm = model.userDefinedMetadata;
  if (udm !== undefined) {
    if (typeof udm !== 'object' || udm === null || Array.isArray(udm))
      fail('userDefinedMetadata is not an object');
    metadata = udm as Record<string, unknown>;
  }
  if (metadata.layout !== undefined && metadata.layout !== 'pytorch') {
    fail(`weights are in "${String(metadata.layout)}" layout; the studio reads PyTorch layout only`);
  }
  const byName = new Map<string, Uint8Array>();
  for (const f of files) byName.set(baseName(f.name), f.bytes);
  const tensors: StateDict = [];
  const keys = new Set<string>();
  manifest.forEach((group: unknown, g: number) => {
    if (typeof group !== 'object' || group === null) fail(`weightsManifest[${g}] is not an object`);
    const { paths, weights } = group as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
      fail(`weightsManifest[${g}].paths is not a list of names`);
    if (!Array.isArray(weights)) return fail(`weightsManifest[${g}].weights is not a list`);
    const shards = (paths as string[]).map((p) => {
      if (p.includes('..') || p.startsWith('/')) fail(`shard path "${p}" leaves the folder`);
      const b = byName.get(baseName(p));
      if (!b)
        return fail(`weight shard "${p}" is missing (select model.json together with all its .bin files)`);
      return b;
    });
    const groupBytes = shards.reduce((a, s) => a + s.length, 0);
    // validate the whole group before allocating anything
    let need = 0;
    const specs = weights.map((w: unknown, i: number) => {
      if (typeof w !== 'object' || w === null)
        return fail(`weightsManifest[${g}].weights[${i}] is not an object`);
      const { name, shape, dtype, quantization } = w as Record<string, unknown>;
      if (typeof name !== 'string') return fail(`weight ${i} has no name`);
      if (quantization !== undefined)
        fail(`weight "${name}" is quantized; the studio reads unquantized weights only`);
      if (dtype !== 'float32' && dtype !== 'int32')
        fail(`weight "${name}" has dtype ${JSON.stringify(dtype)} (only float32, int32)`);
      if (
        !Array.isArray(shape) ||
        shape.length > 32 ||
        !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
      ) {
        return fail(`weight "${name}" has an invalid shape ${JSON.stringify(shape)}`);
      }
      if (keys.has(name)) fail(`weight "${name}" appears twice`);
      keys.add(name);
      const numel = numelOf(shape as number[]);
      if (!Number.isSafeInteger(numel * 4)) fail(`weight "${name}" has an absurd shape`);
      need += numel * 4;
      return { name, shape: shape as number[], dtype: dtype as 'float32' | 'int32', numel };
    });
    if (need !== groupBytes) {
      fail(
        `the manifest needs ${need} bytes but the shards of group ${g + 1} hold ${groupBytes} (wrong or truncated shard?)`,
      );
    }
    const all = new Uint8Array(groupBytes);
    let at = 0;
    for (const s of shards) {
      all.set(s, at);
      at += s.length;
    }
    let pos = 0;
    for (const s of specs) {
      const raw = all.slice(pos, pos + s.numel * 4); // Uint8Array#slice: a copy with its own buffer
      pos += s.numel * 4;
      tensors.push({
        key: s.name,
        dtype: s.dtype === 'float32' ? 'float32' : 'int64',
        shape: s.shape,
        data:
          s.dtype === 'float32'
            ? new Float32Array(raw.buffer)
            : BigInt64Array.from(new Int32Array(raw.buffer), (v) => BigInt(v)),
      });
    }
  });
  return { tensors, metadata };
}
