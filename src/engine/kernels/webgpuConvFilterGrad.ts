/**
 * A tiled, split-K WebGPU `Conv2DBackpropFilter` (the weight gradient of every conv and, with x and
 * dy swapped, of every transposed conv) replacing TF.js 4.22's naive kernel, which runs one thread
 * per weight looping serially over every output pixel (≈ 31 % of a unet_128 step on WebGPU).
 *
 * The filter gradient is a matrix product over an implicit im2col of the NHWC input:
 *   dW[(kh,kw,ci), co] = Σ_k A[k, (kh,kw,ci)] · B[k, co],   k = (n, ho, wo),  K = N·Ho·Wo
 *   A[k, (kh,kw,ci)] = x[n, ho·sh − padTop + kh, wo·sw − padLeft + kw, ci]   (0 outside x)
 *   B[k, co]         = dy[n, ho, wo, co]
 * One workgroup (8×8 threads, 4×4 outputs each) computes a 32×32 tile of dW over one chunk of K,
 * staging 32-long slices of A (read from x by index, never materialised) and B in workgroup
 * memory. K is split across workgroups (`splits`), each writing its partial tile to its own slice
 * of a [splits, …] buffer; a second program sums the slices in a fixed order. No atomics, so the
 * result is deterministic (a resumed run stays bit-identical on the same device).
 *
 * Shapes where K is short (the innermost layers: K = 1…16) or Co < 8 (PatchGAN's last layer) stay
 * on TF.js's kernel: there its loop is short or a tile would mostly be padding (`TILED_MIN_K`,
 * `TILED_MIN_CO`; measured with test/bench/kernels.ts --backend webgpu: on SwiftShader the tiled
 * kernel is 2-13x faster on the layers with K ≥ 64 (unet_128 ngf16 @128, all 19 layers once:
 * TF.js 4,420 ms, studio 1,747 ms of GPU-process CPU), up to 7x slower at K ≤ 16 or Co = 1). NCHW input also stays on
 * TF.js's (the studio is NHWC throughout).
 */
import * as tf from '@tensorflow/tfjs';

/** Which filter-gradient path the webgpu backend runs ('auto': the tiled one where it is faster). */
export type WebGpuFilterGradPath = 'auto' | 'tiled' | 'tfjs';

/** Below this many summed positions (N·Ho·Wo) 'auto' keeps TF.js's kernel (measured, see above). */
export const TILED_MIN_K = 64;
/** Below this many output channels 'auto' keeps TF.js's kernel (PatchGAN's last layer, Co = 1). */
export const TILED_MIN_CO = 8;
/** Each workgroup sums about this many positions (rounded up to whole 32-long tiles). */
const TARGET_CHUNK = 512;
/** Upper bound on the partial-sum buffer (floats): splits × M × N. */
const MAX_PARTIAL_VALUES = 1 << 23;
const MAX_SPLITS = 64;

const TILE = 32;

let path: WebGpuFilterGradPath = 'auto';
let original: tf.KernelFunc | null = null;

/** Choose the path ('auto' by default); for benchmarks and tests. */
export function setWebGpuFilterGradPath(p: WebGpuFilterGradPath): void {
  path = p;
}

export function getWebGpuFilterGradPath(): WebGpuFilterGradPath {
  return path;
}

/** True once `registerWebGpuConvFilterGrad` has replaced TF.js's kernel. */
export function webGpuFilterGradRegistered(): boolean {
  return original !== null;
}

interface ProgramUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** What `WebGPUBackend.runWebGPUProgram` needs of a program (tfjs-backend-webgpu's WebGPUProgram). */
interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  size?: boolean;
  workgroupSize: [number, number, number];
  getUserCode(): string;
}

interface WebGpuBackendLike {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniform[],
  ): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Partial filter gradients: output [splits·kH, kW, Ci, Co], slice s = the sum over K-chunk s.
 * 8×8 threads; each thread owns 4 rows (m = ty + 8r) × `cols` columns (n = tx + 8c) of a
 * 32 × 8·cols tile, held in scalar registers (the code is unrolled: an indexed array would live in
 * memory on SwiftShader). `cols` = 1, 2 or 4 follows Co so a 1- or 3-channel output wastes no tile.
 */
class FilterGradTiledProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [3], y: [1, 2], z: [0] };
  dispatch: [number, number, number];
  variableNames = ['x', 'dy'];
  uniforms =
    'pads : vec2<i32>, strides : vec2<i32>, dimM : i32, dimN : i32, dimK : i32, kChunk : i32, numTiles : i32, filterWidth : i32,';
  workgroupSize: [number, number, number] = [8, 8, 1];
  private cols: number;

  constructor(filterShape: number[], splits: number) {
    const [kh, kw, ci, co] = filterShape;
    this.cols = co <= 8 ? 1 : co <= 16 ? 2 : 4;
    this.outputShape = [splits * kh, kw, ci, co];
    this.dispatch = [Math.ceil(co / (8 * this.cols)), Math.ceil((kh * kw * ci) / TILE), splits];
    this.shaderKey = `studioConv2DDerFilterTiled_${this.cols}`;
  }

  getUserCode(): string {
    const cols = this.cols;
    const tn = 8 * cols;
    const rows = [0, 1, 2, 3];
    const cs = Array.from({ length: cols }, (_, c) => c);
    const each = (f: (r: number, c: number) => string): string =>
      rows.flatMap((r) => cs.map((c) => f(r, c))).join('\n');
    return `
      var<workgroup> tileA : array<array<f32, ${TILE}>, ${TILE}>;
      var<workgroup> tileB : array<array<f32, ${tn}>, ${TILE}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let tid = ty * 8 + tx;
        let n0 = i32(workgroupId.x) * ${tn};
        let m0 = i32(workgroupId.y) * ${TILE};
        let split = i32(workgroupId.z);
        let dimM = uniforms.dimM;
        let dimN = uniforms.dimN;
        let kStart = split * uniforms.kChunk;
        let kEnd = min(kStart + uniforms.kChunk, uniforms.dimK);
        let inH = uniforms.xShape[1];
        let inW = uniforms.xShape[2];
        let inC = uniforms.xShape[3];
        let outW = uniforms.dyShape[2];
        let outHW = uniforms.dyShape[1] * outW;
        let kwCi = uniforms.filterWidth * inC;

        // staging: this thread fills column (tid % 32) of tileA, rows (tid / 32) + 2i,
        // and column (tid % ${tn}) of tileB, rows (tid / ${tn}) + ${64 / tn}i
        let colA = tid % ${TILE};
        let rowA = tid / ${TILE};
        let mA = m0 + colA;
        let mOk = mA < dimM;
        let khA = mA / kwCi;
        let kwA = (mA - khA * kwCi) / inC;
        let ciA = mA - khA * kwCi - kwA * inC;
        let colB = tid % ${tn};
        let rowB = tid / ${tn};
        let nB = n0 + colB;
        let nOk = nB < dimN;

        ${each((r, c) => `var acc${r}${c} = 0.0;`)}
        for (var t = 0; t < uniforms.numTiles; t = t + 1) {
          let k0 = kStart + t * ${TILE};
          for (var i = 0; i < ${TILE / 2}; i = i + 1) {
            let kk = rowA + 2 * i;
            let k = k0 + kk;
            var a = 0.0;
            if (k < kEnd && mOk) {
              let nb = k / outHW;
              let p = k - nb * outHW;
              let ho = p / outW;
              let ih = ho * uniforms.strides.x - uniforms.pads.x + khA;
              let iw = (p - ho * outW) * uniforms.strides.y - uniforms.pads.y + kwA;
              if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) {
                a = x[((nb * inH + ih) * inW + iw) * inC + ciA];
              }
            }
            tileA[kk][colA] = a;
          }
          for (var i = 0; i < ${tn / 2}; i = i + 1) {
            let kk = rowB + ${64 / tn} * i;
            let k = k0 + kk;
            var b = 0.0;
            if (k < kEnd && nOk) {
              b = dy[k * dimN + nB];
            }
            tileB[kk][colB] = b;
          }
          workgroupBarrier();
          let kLen = min(${TILE}, kEnd - k0);
          for (var kk = 0; kk < kLen; kk = kk + 1) {
            ${rows.map((r) => `let a${r} = tileA[kk][ty + ${8 * r}];`).join('\n')}
            ${cs.map((c) => `let b${c} = tileB[kk][tx + ${8 * c}];`).join('\n')}
            ${each((r, c) => `acc${r}${c} = fma(a${r}, b${c}, acc${r}${c});`)}
          }
          workgroupBarrier();
        }

        let base = split * dimM * dimN;
        ${rows
          .map(
            (r) => `if (m0 + ty + ${8 * r} < dimM) {
          let row = base + (m0 + ty + ${8 * r}) * dimN;
          ${cs.map((c) => `if (n0 + tx + ${8 * c} < dimN) { result[row + n0 + tx + ${8 * c}] = acc${r}${c}; }`).join('\n')}
        }`,
          )
          .join('\n')}
      }
    `;
  }
}

/** Sums the `splits` partial slices in order: output = the filter gradient. */
class SumSplitsProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey = 'studioConv2DDerFilterSumSplits';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames = ['partials'];
  uniforms = 'splits : i32,';
  size = true;
  workgroupSize: [number, number, number] = [64, 1, 1];

  constructor(filterShape: number[]) {
    this.outputShape = filterShape;
    this.dispatchLayout = { x: filterShape.map((_, i) => i) };
    const n = filterShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(n / 64), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var s = 0.0;
          for (var i = 0; i < uniforms.splits; i = i + 1) {
            s = s + partials[i * uniforms.size + index];
          }
          setOutputAtIndex(index, s);
        }
      }
    `;
  }
}

/** How the K = N·Ho·Wo sum is split: `splits` chunks of `chunk` positions (a multiple of 32). */
export function planSplits(m: number, n: number, k: number): { splits: number; chunk: number } {
  let splits = Math.max(1, Math.min(MAX_SPLITS, Math.round(k / TARGET_CHUNK)));
  splits = Math.max(1, Math.min(splits, Math.floor(MAX_PARTIAL_VALUES / Math.max(1, m * n))));
  const chunk = Math.ceil(Math.ceil(k / splits) / TILE) * TILE;
  return { splits: Math.ceil(k / chunk), chunk };
}

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** The tiled filter gradient for one call (NHWC), or null where TF.js's kernel should run. */
function tiledFilterGrad(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  backend: WebGpuBackendLike,
  attrs: FilterGradAttrs,
): tf.TensorInfo | null {
  if (path === 'tfjs' || attrs.dataFormat === 'NCHW' || x.dtype !== 'float32') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [kh, kw, ci, co] = attrs.filterShape;
  const m = kh * kw * ci;
  const k = info.batchSize * info.outHeight * info.outWidth;
  if (path === 'auto' && (k < TILED_MIN_K || co < TILED_MIN_CO)) return null;
  const { splits, chunk } = planSplits(m, co, k);
  const program = new FilterGradTiledProgram(attrs.filterShape, splits);
  const uniforms: ProgramUniform[] = [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [m] },
    { type: 'int32', data: [co] },
    { type: 'int32', data: [k] },
    { type: 'int32', data: [chunk] },
    { type: 'int32', data: [chunk / TILE] },
    { type: 'int32', data: [kw] },
  ];
  const partials = backend.runWebGPUProgram(program, [x, dy], 'float32', uniforms);
  if (splits === 1) return partials; // already [kH, kW, Ci, Co]
  const out = backend.runWebGPUProgram(new SumSplitsProgram(attrs.filterShape), [partials], 'float32', [
    { type: 'int32', data: [splits] },
  ]);
  backend.disposeData(partials.dataId);
  return out;
}

/**
 * Replace the webgpu backend's `Conv2DBackpropFilter` with the tiled one (falling back to TF.js's
 * own kernel where `tiledFilterGrad` declines). Call after `@tensorflow/tfjs-backend-webgpu` has
 * registered its kernels; idempotent. Returns false when no webgpu kernel is registered.
 */
export function registerWebGpuConvFilterGrad(): boolean {
  if (original) return true;
  const config = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
  if (!config) return false;
  const tfjsKernel = config.kernelFunc;
  original = tfjsKernel;
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const r = tiledFilterGrad(
        x,
        dy,
        args.backend as unknown as WebGpuBackendLike,
        args.attrs as unknown as FilterGradAttrs,
      );
      return r ?? tfjsKernel(args);
    },
  });
  return true;
}
