/**
 * WebGPU memory: the studio's buffer-pool policy, peak accounting, and a dry step that measures a
 * training step's GPU memory without running it (issue 16 item 5 and its memory goal).
 *
 * TF.js 4.22's BufferManager (tfjs-backend-webgpu buffer_manager.js) keeps every released buffer
 * in a free pool keyed by exact byte size and usage, and never destroys one: `numBytesAllocatedInGPU`
 * is the sum over sizes of each size's high-water count, which for a U-Net step (every layer its own
 * sizes, peaking at different times) is far above the bytes ever in use at once.
 *
 * The policy (`installGpuMemoryPolicy`, on by default once the webgpu backend starts): after every
 * queue submit (the one point where no unsubmitted command encoder can reference a pooled buffer —
 * TF.js releases a tensor a command uses only at the submit that sends the command), when the
 * allocated bytes exceed the highest in-use bytes seen (since the last explicit trim) plus a slack
 * (32 MiB, at most a tenth of that high water), free buffers are destroyed, longest-unused first,
 * down to that bound. So allocated ≤ peak in use + slack, and a steady training loop keeps the
 * pool it can afford (few buffers re-created per step) instead of emptying it at every submit. Buffers keep their exact sizes (TF.js
 * reads a tensor back as its whole buffer, so sizes cannot be rounded) and tensors, kernels and
 * results are untouched: only when a buffer is freed changes. Destroying a buffer that submitted
 * work still uses is valid WebGPU (the implementation frees it when that work completes; TF.js
 * does the same with its staging buffers).
 *
 * Peaks: the policy also records the highest allocated (pool included) and in-use bytes since the
 * last `resetGpuMemoryPeaks`, at every acquire, so a mid-step peak is seen even when the pool is
 * trimmed before anyone samples `tf.memory()`.
 *
 * The dry step (`dryRun`): TF.js's `WEBGPU_ENGINE_COMPILE_ONLY` mode (backend_webgpu.js
 * runWebGPUProgram) allocates every output buffer (`uploadToGPU`) but records and dispatches
 * nothing. Two differences from a real step, both removed here: (1) a released tensor's buffer goes
 * back to the pool at once (`disposeData`: only ids in `commandQueueOwnedIds`, filled by
 * `recordAndSubmit`, wait for the next `submitQueue`), so the pool would be reused sooner than in a
 * real step — the dry run marks each program's inputs and output as queue-owned and submits every
 * `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` programs like `recordAndSubmit` does; (2) every new program
 * would start an asynchronous pipeline compilation (minutes on a CPU "GPU" at 512 px) — the dry
 * run's pipeline cache answers "present" for every key, so nothing compiles. Not counted: uniform
 * buffers (a few hundred bytes per dispatch, pooled) and read-back staging buffers.
 */
import * as tf from '@tensorflow/tfjs';

type GpuBuffer = { size: number; usage: number; destroy(): void };

interface BufferManagerLike {
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GpuBuffer;
  releaseBuffer(buffer: GpuBuffer, reuse?: boolean): void;
  numBytesUsed: number;
  numBytesAllocated: number;
  numFreeBuffers: number;
  freeBuffers: Map<string, GpuBuffer[]>;
}

interface DataIdLike {
  dataId: object;
}

interface WebGpuBackendLike {
  bufferManager: BufferManagerLike;
  submitQueue(): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  commandEncoder: unknown;
  commandQueueOwnedIds: WeakSet<object>;
  pipelineCache: Record<string, unknown>;
  runWebGPUProgram(program: unknown, inputs: DataIdLike[], ...rest: unknown[]): DataIdLike;
}

const COMPILE_ONLY = 'WEBGPU_ENGINE_COMPILE_ONLY';
const BATCH = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';

/**
 * Free bytes the pool may keep after a submit (the default policy): at most 32 MiB and at most a
 * tenth of the bytes in use, so small models do not carry a pool the size of their tensors.
 */
export const DEFAULT_GPU_POOL_SLACK_BYTES = 32 * 1024 * 1024;
export const DEFAULT_GPU_POOL_SLACK_FRACTION = 0.1;

export interface GpuMemoryPolicy {
  /** Trim the free pool after each submit (false: TF.js's pool, never trimmed). */
  trim: boolean;
  /** Free bytes kept after a trim: at most this … */
  slackBytes: number;
  /** … and at most this fraction of the bytes in use at the time. */
  slackFraction: number;
}

export interface GpuMemoryStats {
  /** Buffers held: in use + free pool (`numBytesAllocatedInGPU`). */
  allocated: number;
  /** Buffers held by live tensors (and tensors waiting for the next submit): `numBytesInGPU`. */
  inUse: number;
  /** Highest `allocated` since the last reset. */
  peakAllocated: number;
  /** Highest `inUse` since the last reset. */
  peakInUse: number;
  /** Buffers destroyed by trimming since the policy was installed, and their bytes. */
  trimmedBuffers: number;
  trimmedBytes: number;
}

interface Installed {
  backend: WebGpuBackendLike;
  policy: GpuMemoryPolicy;
  /** Free buffers in release order (oldest first). */
  free: Set<GpuBuffer>;
  /** Highest in-use bytes since the last explicit trim (trimGpuPool). */
  highWater: number;
  peakAllocated: number;
  peakInUse: number;
  trimmedBuffers: number;
  trimmedBytes: number;
  /** Compile-only programs since the last (emulated) submit. */
  dryCount: number;
  /** A dry run that emulates the submits (always, whatever the policy). */
  emulate: boolean;
}

/** The policy per backend instance (a backend rebuilt after a lost device gets its own). */
const installed = new WeakMap<object, Installed>();

function compileOnly(): boolean {
  try {
    return tf.env().getBool(COMPILE_ONLY);
  } catch {
    return false; // the flag is registered by the webgpu package
  }
}

function submitBatch(): number {
  try {
    return tf.env().getNumber(BATCH);
  } catch {
    return 15; // TF.js 4.22's default
  }
}

function asWebGpuBackend(x: unknown): WebGpuBackendLike | null {
  const b = x as Partial<WebGpuBackendLike> | null;
  const m = b?.bufferManager as Partial<BufferManagerLike> | undefined;
  if (
    !b ||
    !m ||
    typeof m.acquireBuffer !== 'function' ||
    typeof m.releaseBuffer !== 'function' ||
    !(m.freeBuffers instanceof Map) ||
    typeof b.submitQueue !== 'function' ||
    typeof b.runWebGPUProgram !== 'function'
  )
    return null; // not TF.js 4.22's webgpu backend
  return b as WebGpuBackendLike;
}

function activeBackend(): WebGpuBackendLike | null {
  return tf.getBackend() === 'webgpu' ? asWebGpuBackend(tf.backend()) : null;
}

/** The policy of `backend` (default: the active webgpu backend), null when not installed. */
function current(backend?: object): Installed | null {
  const b = backend ?? activeBackend();
  return (b && installed.get(b)) ?? null;
}

function notePeaks(s: Installed): void {
  const m = s.backend.bufferManager;
  if (m.numBytesAllocated > s.peakAllocated) s.peakAllocated = m.numBytesAllocated;
  if (m.numBytesUsed > s.peakInUse) s.peakInUse = m.numBytesUsed;
  if (m.numBytesUsed > s.highWater) s.highWater = m.numBytesUsed;
}

/** Submit like recordAndSubmit does (the compute pass ended first), through the policy's wrapper. */
function flush(b: WebGpuBackendLike): void {
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.submitQueue();
}

function slackOf(s: Installed): number {
  return Math.min(s.policy.slackBytes, s.policy.slackFraction * s.highWater);
}

/** Free bytes the pool may keep now: up to the in-use high water plus the slack. */
function keepOf(s: Installed): number {
  const used = s.backend.bufferManager.numBytesUsed;
  return Math.max(0, Math.max(s.highWater, used) + slackOf(s) - used);
}

/** Destroy free buffers, oldest released first, until the pool holds at most `keepBytes`. */
function trimTo(s: Installed, keepBytes: number): void {
  const m = s.backend.bufferManager;
  for (const buf of s.free) {
    if (m.numBytesAllocated - m.numBytesUsed <= keepBytes) break;
    s.free.delete(buf);
    const list = m.freeBuffers.get(`${buf.size}_${buf.usage}`);
    const i = list ? list.indexOf(buf) : -1;
    if (!list || i < 0) continue; // taken by a path this module does not see; TF.js owns it
    list.splice(i, 1);
    m.numFreeBuffers--;
    m.numBytesAllocated -= buf.size;
    s.trimmedBuffers++;
    s.trimmedBytes += buf.size;
    buf.destroy();
  }
}

/**
 * Install the policy and the peak accounting on the active webgpu backend (or `on`, a backend
 * object; tests pass one). Idempotent per backend instance; a new backend instance gets its own.
 * Returns false elsewhere than TF.js 4.22's webgpu backend.
 */
export function installGpuMemoryPolicy(policy: Partial<GpuMemoryPolicy> = {}, on?: object): boolean {
  const backend = on ? asWebGpuBackend(on) : activeBackend();
  if (!backend) return false;
  if (installed.has(backend)) {
    setGpuMemoryPolicy(policy, backend);
    return true;
  }
  const s: Installed = {
    backend,
    policy: {
      trim: true,
      slackBytes: DEFAULT_GPU_POOL_SLACK_BYTES,
      slackFraction: DEFAULT_GPU_POOL_SLACK_FRACTION,
      ...policy,
    },
    free: new Set(),
    highWater: 0,
    peakAllocated: 0,
    peakInUse: 0,
    trimmedBuffers: 0,
    trimmedBytes: 0,
    dryCount: 0,
    emulate: false,
  };
  const m = backend.bufferManager;
  const acquire = m.acquireBuffer.bind(m);
  const release = m.releaseBuffer.bind(m);
  m.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
    if (s.policy.trim && !(reuse && m.freeBuffers.get(`${size}_${usage}`)?.length)) {
      // a new buffer: make room first, so allocated stays ≤ in-use high water + slack at every
      // moment, not only after submits. Every pooled buffer may go: TF.js pools a buffer a recorded
      // command uses only at the submit that sends it (compile-only programs are marked the same
      // way while trimming is on), so none is referenced by the open command encoder.
      const used = m.numBytesUsed + size;
      trimTo(s, Math.max(0, Math.max(s.highWater, used) + slackOf(s) - used));
    }
    const buf = acquire(size, usage, mappedAtCreation, reuse);
    s.free.delete(buf);
    notePeaks(s);
    return buf;
  };
  m.releaseBuffer = (buffer, reuse = true) => {
    const before = m.numFreeBuffers;
    release(buffer, reuse);
    if (m.numFreeBuffers > before) s.free.add(buffer);
  };
  const submit = backend.submitQueue.bind(backend);
  backend.submitQueue = () => {
    submit();
    s.dryCount = 0;
    if (s.policy.trim) trimTo(s, keepOf(s));
  };
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, ...rest) => {
    const out = run(program, inputs, ...rest);
    // compile-only programs (the shader warm-up, a dry run) release and submit like recorded ones
    // when trimming is on, so the warm-up's pool is trimmed too; a dry run always does
    if ((s.emulate || s.policy.trim) && compileOnly()) {
      // what recordAndSubmit does with ids and submits when it records the program
      for (const t of inputs) backend.commandQueueOwnedIds.add(t.dataId);
      backend.commandQueueOwnedIds.add(out.dataId);
      s.dryCount++;
      if (s.dryCount >= submitBatch()) flush(backend);
    }
    return out;
  };
  installed.set(backend, s);
  return true;
}

/** Change the policy of the installed backend (for measurements: before/after in one sitting). */
export function setGpuMemoryPolicy(policy: Partial<GpuMemoryPolicy>, on?: object): void {
  const s = current(on);
  if (s) s.policy = { ...s.policy, ...policy };
}

export function gpuMemoryPolicy(on?: object): GpuMemoryPolicy | null {
  const s = current(on);
  return s ? { ...s.policy } : null;
}

/** Allocated / in-use bytes and their peaks; null when the policy is not installed on webgpu. */
export function gpuMemoryStats(on?: object): GpuMemoryStats | null {
  const s = current(on);
  if (!s) return null;
  const m = s.backend.bufferManager;
  return {
    allocated: m.numBytesAllocated,
    inUse: m.numBytesUsed,
    peakAllocated: s.peakAllocated,
    peakInUse: s.peakInUse,
    trimmedBuffers: s.trimmedBuffers,
    trimmedBytes: s.trimmedBytes,
  };
}

export function resetGpuMemoryPeaks(on?: object): void {
  const s = current(on);
  if (!s) return;
  const m = s.backend.bufferManager;
  s.peakAllocated = m.numBytesAllocated;
  s.peakInUse = m.numBytesUsed;
}

/**
 * Submit what is recorded (so no pooled buffer is referenced by an unsubmitted command) and
 * destroy free buffers down to `keepBytes` (default: the slack; 0 empties the pool); the in-use
 * high water starts again from what is in use now (a new run learns its own). Trims even when the
 * policy's `trim` is off (measurements start from an empty pool).
 */
export function trimGpuPool(keepBytes?: number, on?: object): void {
  const s = current(on);
  if (!s || compileOnly()) return;
  if (s.backend.commandEncoder) flush(s.backend);
  s.highWater = s.backend.bufferManager.numBytesUsed;
  trimTo(s, keepBytes ?? slackOf(s));
}

/**
 * Run `fn` (synchronous: no other op may run meanwhile) as a dry run: every op allocates its output
 * as in a real step, releases wait for the emulated submits (unless `deferRelease` is false: then
 * it allocates like the shader warm-up's compile-only step does under the current policy), nothing is compiled or dispatched (see
 * the module comment). Tensors `fn` leaves hold buffers whose contents are undefined: dispose them.
 * Throws when the policy is not installed on webgpu.
 */
export function dryRun<T>(fn: () => T, opts: { deferRelease?: boolean } = {}): T {
  const s = current();
  if (!s) throw new Error('dryRun needs the webgpu backend with the studio memory policy installed');
  const b = s.backend;
  const cache = b.pipelineCache;
  const previous = tf.env().getBool(COMPILE_ONLY);
  b.pipelineCache = new Proxy(cache, { has: () => true });
  tf.env().set(COMPILE_ONLY, true);
  // deferRelease false: released buffers return to the pool at once, like the shader warm-up's step
  s.emulate = opts.deferRelease !== false;
  try {
    return fn();
  } finally {
    s.emulate = false;
    tf.env().set(COMPILE_ONLY, previous);
    b.pipelineCache = cache;
    // the last emulated submit: releases what waited for it, sends the recorded uploads
    flush(b);
  }
}
