/**
 * PyTorch `.pth` state_dict files (torch.save's zip format, torch >= 1.6).
 *
 * Writer: `<archive>/data.pkl` (protocol-2 pickle, see pickle.ts), `<archive>/byteorder` = `little`,
 * `<archive>/data/<i>` (one storage per tensor, raw little-endian), `<archive>/version` = `3\n`;
 * STORED entries with data aligned to 64 bytes like PyTorch. float32 tensors use FloatStorage,
 * int64 (`num_batches_tracked`, shape ()) LongStorage. Loads with `torch.load(path, weights_only=True)`.
 *
 * Reader: any top-level folder name, with or without padding or `byteorder`, ignores `_metadata`
 * and unknown entries (`.data/serialization_id` of torch >= 2.1). Storages of type Double, Half and
 * BFloat16 are converted to float32 (the studio trains in float32; a half-precision checkpoint loses
 * nothing by widening); Long stays int64. Tensors must be contiguous views inside their storage.
 */
import type { StateDict, TensorEntry } from '../model/types';
import { CheckpointFormatError } from './checkpointError';
import {
  STORAGE_ITEM_BYTES,
  pickleStateDict,
  unpickleStateDict,
  type PickleTensorSpec,
  type StorageRef,
  type TensorRef,
} from './pickle';
import { listZip, looksLikeZip, readZipEntry, writeZip, type ZipEntry } from './zip';

export interface WritePthOptions {
  /** Top-level folder inside the zip (torch uses the file stem or `archive`). Default `archive`. */
  archiveName?: string;
  /** Data alignment in bytes (PyTorch: 64). */
  align?: number;
}

/**
 * Largest `data.pkl` read (checked against the ZIP directory before inflating). The pickle of a
 * unet_256 generator is ~50 kB: anything near this is not a state_dict.
 */
export const MAX_PICKLE_BYTES = 64 * 1024 * 1024;
/**
 * Largest total of the declared unpacked sizes of a `.pth` (checked before any entry is read). A
 * unet_256 generator at ngf 64 is ~220 MB; the cap stops a file of small DEFLATE entries that each
 * pass the ratio check from demanding many gigabytes together.
 */
export const MAX_PTH_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024;

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = s;
    s *= shape[i];
  }
  return stride;
}

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Serialise a state_dict as a torch.save-compatible `.pth` (zip) file. */
export function writePth(sd: StateDict, options: WritePthOptions = {}): Uint8Array {
  const archive = options.archiveName ?? 'archive';
  if (!/^[A-Za-z0-9_.-]+$/.test(archive)) {
    throw new CheckpointFormatError(`archive name "${archive}" must be a plain file stem`);
  }
  const keys = new Set<string>();
  const specs: PickleTensorSpec[] = [];
  const data: Uint8Array[] = [];
  sd.forEach((t, i) => {
    if (keys.has(t.key)) throw new CheckpointFormatError(`state_dict key "${t.key}" appears twice`);
    keys.add(t.key);
    const numel = numelOf(t.shape);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || t.data.length !== numel) {
      throw new CheckpointFormatError(
        `tensor "${t.key}": ${t.data.length} values for shape [${t.shape.join(', ')}]`,
      );
    }
    const isFloat = t.data instanceof Float32Array;
    if ((t.dtype === 'float32') !== isFloat) {
      throw new CheckpointFormatError(
        `tensor "${t.key}": dtype ${t.dtype} but its data is a ${t.data.constructor.name}`,
      );
    }
    specs.push({
      key: t.key,
      storageType: t.dtype === 'float32' ? 'FloatStorage' : 'LongStorage',
      storageKey: String(i),
      numel,
      size: [...t.shape],
      stride: contiguousStride(t.shape),
    });
    data.push(bytesOf(t.data));
  });
  const enc = new TextEncoder();
  return writeZip(
    [
      { name: `${archive}/data.pkl`, data: pickleStateDict(specs) },
      { name: `${archive}/byteorder`, data: enc.encode('little') },
      ...data.map((d, i) => ({ name: `${archive}/data/${i}`, data: d })),
      { name: `${archive}/version`, data: enc.encode('3\n') },
    ],
    options.align ?? 64,
  );
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decode `count` elements of a storage starting at element `offset` into a float32 / int64 array. */
function decodeStorage(
  bytes: Uint8Array,
  type: StorageRef['storageType'],
  offset: number,
  count: number,
): Float32Array | BigInt64Array {
  const item = STORAGE_ITEM_BYTES[type];
  const src = bytes.subarray(offset * item, (offset + count) * item);
  const copy = new Uint8Array(src); // a copy: aligned, independent of the archive (Buffer.slice would be a view)
  const dv = new DataView(copy.buffer);
  switch (type) {
    case 'FloatStorage':
      return new Float32Array(copy.buffer);
    case 'LongStorage':
      return new BigInt64Array(copy.buffer);
    case 'DoubleStorage': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case 'HalfStorage': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
      return out;
    }
    case 'BFloat16Storage': {
      const out = new Float32Array(count);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = dv.getUint16(i * 2, true) << 16;
      return out;
    }
  }
}

function checkTensor(key: string, t: TensorRef, fail: (msg: string) => never): number {
  const { size, stride, storageOffset, storage } = t;
  if (size.length !== stride.length)
    fail(`tensor "${key}" has ${size.length} sizes but ${stride.length} strides`);
  if (!size.every((d) => d >= 0)) fail(`tensor "${key}" has a negative size [${size.join(', ')}]`);
  const numel = numelOf(size);
  if (!Number.isSafeInteger(numel)) fail(`tensor "${key}" has an absurd size [${size.join(', ')}]`);
  if (numel > 0) {
    const expect = contiguousStride(size);
    for (let i = 0; i < size.length; i++) {
      if (size[i] !== 1 && stride[i] !== expect[i]) {
        fail(
          `tensor "${key}" is not contiguous (stride [${stride.join(', ')}] for size [${size.join(', ')}]); ` +
            `save it with tensor.contiguous()`,
        );
      }
    }
  }
  if (storageOffset < 0 || storageOffset + numel > storage.numel) {
    fail(
      `tensor "${key}" (offset ${storageOffset}, ${numel} elements) does not fit in its storage "${storage.key}" of ${storage.numel} elements`,
    );
  }
  return numel;
}

/** Parse a `.pth` state_dict file. Every problem raises a CheckpointFormatError naming the file. */
export function readPth(bytes: Uint8Array, fileName = 'checkpoint.pth'): StateDict {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(`${fileName}: ${msg}`);
  };
  if (!looksLikeZip(bytes)) {
    if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
      fail(
        'this is the legacy (pre-1.6) PyTorch format, which the studio does not read; re-save it with ' +
          'torch.save(torch.load(path), path) in PyTorch 1.6 or newer',
      );
    }
    fail('not a PyTorch .pth file (it does not start with a ZIP header)');
  }
  const entries = listZip(bytes, fileName);
  const declared = entries.reduce((a, e) => a + e.size, 0);
  if (declared > MAX_PTH_UNPACKED_BYTES) {
    fail(
      `its entries declare ${declared} bytes unpacked in total, above the ${MAX_PTH_UNPACKED_BYTES}-byte limit of a ` +
        'checkpoint (a damaged or crafted file); re-save the state_dict with torch.save',
    );
  }
  const byName = new Map<string, ZipEntry>();
  for (const e of entries) byName.set(e.name, e);
  const pkl = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pkl.length === 0) fail('no <folder>/data.pkl inside: this ZIP is not a torch.save file');
  if (pkl.length > 1) fail(`${pkl.length} data.pkl entries inside (${pkl.map((e) => e.name).join(', ')})`);
  if (pkl[0].size > MAX_PICKLE_BYTES) {
    fail(
      `${pkl[0].name} unpacks to ${pkl[0].size} bytes, above the ${MAX_PICKLE_BYTES}-byte limit of a state_dict pickle ` +
        '(a damaged or crafted file); re-save the state_dict with torch.save',
    );
  }
  const prefix = pkl[0].name.slice(0, -'data.pkl'.length);
  const byteorder = byName.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(readZipEntry(bytes, byteorder, fileName)).trim();
    if (order !== 'little') fail(`byte order "${order}" is not supported (only little-endian)`);
  }
  const pickled = unpickleStateDict(readZipEntry(bytes, pkl[0], fileName), `${fileName} (${pkl[0].name})`);

  const storages = new Map<string, { ref: StorageRef; bytes: Uint8Array }>();
  const storageOf = (ref: StorageRef): Uint8Array => {
    const have = storages.get(ref.key);
    if (have) {
      if (have.ref.storageType !== ref.storageType || have.ref.numel !== ref.numel) {
        fail(`storage "${ref.key}" is referenced with two different types or sizes`);
      }
      return have.bytes;
    }
    const entry = byName.get(`${prefix}data/${ref.key}`);
    if (!entry) return fail(`storage entry ${prefix}data/${ref.key} is missing`);
    const need = ref.numel * STORAGE_ITEM_BYTES[ref.storageType];
    if (entry.size !== need) {
      fail(
        `storage ${prefix}data/${ref.key} holds ${entry.size} bytes but ${ref.numel} × torch.${ref.storageType} needs ${need} (truncated or damaged)`,
      );
    }
    const data = readZipEntry(bytes, entry, fileName);
    storages.set(ref.key, { ref, bytes: data });
    return data;
  };

  const seen = new Set<string>();
  const sd: StateDict = [];
  for (const { key, tensor } of pickled.entries) {
    if (seen.has(key)) fail(`key "${key}" appears twice`);
    seen.add(key);
    const numel = checkTensor(key, tensor, fail);
    const storageBytes = storageOf(tensor.storage);
    const dtype: TensorEntry['dtype'] = tensor.storage.storageType === 'LongStorage' ? 'int64' : 'float32';
    sd.push({
      key,
      dtype,
      shape: [...tensor.size],
      data: decodeStorage(storageBytes, tensor.storage.storageType, tensor.storageOffset, numel),
    });
  }
  return sd;
}
