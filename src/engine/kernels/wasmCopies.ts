/**
 * The studio's wasm kernels for the copy ops of a training step (`setupWasmKernels`, registered when
 * the wasm backend starts in engine/backend.ts; benchmarks and tests call it too). They compute the
 * same values as TF.js 4.22's own — they only move elements — but without its two costs:
 *  - `Slice` / `SplitV` read their input through `backend.readSync`, which copies the WHOLE input
 *    out of the wasm heap for every slice (a two-way split copies the input twice before slicing);
 *  - `Concat`, `Slice` and `SplitV` copy one `subarray().set()` per innermost row, ~0.1 µs each:
 *    a concat or split on the channel axis of a 3- or 6-channel 128×128 image is 16,384 to 49,152
 *    such calls (3–5 ms on this machine) for 100 k floats;
 *  - `GatherV2` copies element by element in C++ (≈ 7 ns per float: 30 ms to pick four of the
 *    sixteen 1024×256 taps of a convT filter in layers.parityConvT).
 * Here every op copies runs of contiguous elements straight between views of the wasm heap: a plain
 * loop for short runs (up to `LOOP_MAX_RUN` elements), `TypedArray.set` (a memcpy) for longer ones.
 * float32 and int32 values are copied as 32-bit words (bit-exact); strings, bools and gathers with
 * `batchDims` go to TF.js's kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Runs up to this many elements are copied by a loop, longer ones by `TypedArray.set`. */
export const LOOP_MAX_RUN = 16;

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** float32 and int32 tensors are copied as 32-bit words (bit-exact, one view type for V8). */
const copyable = (t: tf.TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32';

/** A 32-bit word view of a tensor's values on the wasm heap (valid until the next allocation). */
function words(backend: BackendWasm, t: tf.TensorInfo): Int32Array {
  const v = backend.typedArrayFromHeap(t);
  return new Int32Array(v.buffer, v.byteOffset, v.length);
}

/** Copy `n` elements from `src[s]` to `dst[d]`. */
function copyRun(src: Int32Array, s: number, dst: Int32Array, d: number, n: number): void {
  if (n <= LOOP_MAX_RUN) {
    for (let k = 0; k < n; k++) dst[d + k] = src[s + k];
  } else {
    dst.set(src.subarray(s, s + n), d);
  }
}

/** Copy `rows` runs of `run` elements, `srcStride` apart in `src`, back to back into `dst`. */
function copyRows(
  src: Int32Array,
  s: number,
  srcStride: number,
  dst: Int32Array,
  d: number,
  rows: number,
  run: number,
): number {
  if (run > LOOP_MAX_RUN) {
    for (let r = 0; r < rows; r++, s += srcStride, d += run) dst.set(src.subarray(s, s + run), d);
  } else if (run === 1) {
    for (let r = 0; r < rows; r++, s += srcStride) dst[d++] = src[s];
  } else {
    const skip = srcStride - run;
    for (let r = 0; r < rows; r++, s += skip) {
      for (let k = 0; k < run; k++) dst[d++] = src[s++];
    }
  }
  return d;
}

/**
 * Copy the box `begin`..`begin+size` of `src` (shape `shape`) into `dst` from offset `dstOffset`,
 * row-major. Every axis the box covers whole is first merged into the axis before it, so a split
 * on the channel axis of [n,h,w,c] is one strided 2-D copy.
 */
function copyBox(
  src: Int32Array,
  shape: number[],
  begin: number[],
  size: number[],
  dst: Int32Array,
  dstOffset = 0,
): void {
  const sh: number[] = [];
  const b: number[] = [];
  const sz: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (sh.length > 0 && begin[i] === 0 && size[i] === shape[i]) {
      const j = sh.length - 1;
      sh[j] *= shape[i];
      b[j] *= shape[i];
      sz[j] *= shape[i];
    } else {
      sh.push(shape[i]);
      b.push(begin[i]);
      sz.push(size[i]);
    }
  }
  if (sz.some((v) => v === 0)) return;
  const k = sh.length;
  if (k === 0) {
    dst[dstOffset] = src[0];
    return;
  }
  const strides = new Array<number>(k).fill(1);
  for (let i = k - 2; i >= 0; i--) strides[i] = strides[i + 1] * sh[i + 1];
  let base = 0;
  for (let i = 0; i < k; i++) base += b[i] * strides[i];
  const run = sz[k - 1];
  if (k === 1) {
    copyRun(src, base, dst, dstOffset, run);
    return;
  }
  // odometer over the axes before the last two; the last two are one strided 2-D copy
  const outerAxes = k - 2;
  const idx = new Array<number>(outerAxes).fill(0);
  let outer = 1;
  for (let i = 0; i < outerAxes; i++) outer *= sz[i];
  let d = dstOffset;
  for (let o = 0; o < outer; o++) {
    let s = base;
    for (let i = 0; i < outerAxes; i++) s += idx[i] * strides[i];
    d = copyRows(src, s, strides[k - 2], dst, d, sz[k - 2], run);
    for (let i = outerAxes - 1; i >= 0; i--) {
      if (++idx[i] < sz[i]) break;
      idx[i] = 0;
    }
  }
}

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function concat(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const all = Object.values(args.inputs) as tf.TensorInfo[];
  const inputs = all.filter((t) => sizeOf(t.shape) > 0);
  if (inputs.length < 2 || !copyable(inputs[0])) return fallback(args as never);
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, all[0].shape)[0];
  tf.backend_util.assertParamsConsistent(
    all.map((t) => t.shape),
    axis,
  );
  const outShape = tf.backend_util.computeOutShape(
    all.map((t) => t.shape),
    axis,
  );
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = inputs.map((t) => sizeOf(t.shape.slice(axis)));
  const total = inner.reduce((a, b) => a + b, 0);
  // views after makeOutput: an allocation may grow (and so replace) the heap's buffer
  const dst = words(backend, out);
  let offset = 0;
  for (let i = 0; i < inputs.length; i++) {
    const n = inner[i];
    const src = words(backend, inputs[i]);
    if (n > LOOP_MAX_RUN || outer === 1) {
      for (let o = 0, s = 0, d = offset; o < outer; o++, s += n, d += total)
        dst.set(src.subarray(s, s + n), d);
    } else {
      // short rows: one loop over the input, jumping over the other inputs' part of each output row
      const skip = total - n;
      for (let o = 0, s = 0, d = offset; o < outer; o++, d += skip) {
        for (let k = 0; k < n; k++) dst[d++] = src[s++];
      }
    }
    offset += n;
  }
  return out;
}

function slice(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  if (!copyable(x)) return fallback(args as never);
  const [begin, size] = tf.slice_util.parseSliceParams(
    x,
    args.attrs?.begin as number[],
    args.attrs?.size as number[],
  );
  const out = backend.makeOutput(size, x.dtype);
  copyBox(words(backend, x), x.shape, begin, size, words(backend, out));
  return out;
}

function splitV(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  if (!copyable(x)) return fallback(args as never);
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(
    x as tf.Tensor,
    args.attrs?.numOrSizeSplits as number | number[],
    axis,
  );
  const outs = sizes.map((s) => {
    const shape = x.shape.slice();
    shape[axis] = s;
    return backend.makeOutput(shape, x.dtype);
  });
  const src = words(backend, x);
  const begin = new Array<number>(x.shape.length).fill(0);
  outs.forEach((o, i) => {
    copyBox(src, x.shape, begin, o.shape, words(backend, o));
    begin[axis] += sizes[i];
  });
  return outs;
}

function gatherV2(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const indices = args.inputs.indices as tf.TensorInfo;
  const batchDims = (args.attrs?.batchDims as number | undefined) ?? 0;
  if (!copyable(x) || batchDims !== 0 || indices.dtype !== 'int32') return fallback(args as never);
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x.shape)[0];
  const dim = x.shape[axis];
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v > dim - 1 || v < 0) throw new Error(`GatherV2: the index value ${v} is not in [0, ${dim - 1}]`);
  }
  const ids = Array.from(idx);
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = backend.makeOutput(outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const src = words(backend, x);
  const dst = words(backend, out);
  let d = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * dim * inner;
    for (const v of ids) {
      copyRun(src, base + v * inner, dst, d, inner);
      d += inner;
    }
  }
  return out;
}

type StudioKernel = (args: KernelArgs, fallback: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[];

const STUDIO_KERNELS: Record<string, StudioKernel> = {
  Concat: concat,
  Slice: slice,
  SplitV: splitV,
  GatherV2: gatherV2,
};

/** TF.js's own wasm kernels, kept while the studio's are registered. */
const originals = new Map<string, tf.KernelConfig>();

/**
 * Register the studio's wasm copy kernels (Concat, Slice, SplitV, GatherV2) in place of TF.js's.
 * Idempotent; returns false when the wasm backend's kernels are not registered (package not imported).
 */
export function setupWasmKernels(): boolean {
  if (tf.getKernel('Concat', 'wasm') == null) return false;
  for (const [name, fn] of Object.entries(STUDIO_KERNELS)) {
    if (originals.has(name)) continue;
    const original = tf.getKernel(name, 'wasm');
    if (original == null) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => fn(args as unknown as KernelArgs, original.kernelFunc),
    });
  }
  return true;
}

/** Put TF.js's own kernels back (benchmarks and tests compare both). */
export function removeWasmKernels(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
}

/** Whether the studio's wasm copy kernels are registered now. */
export function wasmKernelsRegistered(): boolean {
  return originals.size > 0;
}
