/**
 * The studio's WebGPU buffer-pool policy (src/engine/kernels/webgpuMemory.ts) on TF.js 4.22's own
 * BufferManager (tfjs-backend-webgpu/dist/buffer_manager.js) over a fake GPU device, driven like
 * the webgpu backend drives it: tensors acquire exact-size buffers, a released tensor's buffer goes
 * back to the pool at the next queue submit (every 15 programs), a U-Net-like step whose layers all
 * have their own sizes. TF.js's pool keeps the high-water count of every size (allocated ≫ in use);
 * the policy keeps allocated ≤ the in-use high water + slack at every acquire, re-creates few
 * buffers once the loop is steady, never destroys a buffer the open command encoder references
 * while a command encoder is open, and never hands out a destroyed buffer.
 */
import { describe, expect, it } from 'vitest';
// TF.js's own pool (an ES module file; no WebGPU needed)
import { BufferManager } from '@tensorflow/tfjs-backend-webgpu/dist/buffer_manager.js';
import {
  gpuMemoryStats,
  installGpuMemoryPolicy,
  resetGpuMemoryPeaks,
  setGpuMemoryPolicy,
  trimGpuPool,
} from '../../src/engine/kernels/webgpuMemory';

interface FakeBuffer {
  size: number;
  usage: number;
  destroyed: boolean;
  destroy(): void;
}

const USAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const MiB = 2 ** 20;

/** The parts of TF.js's WebGPUBackend the policy touches, with its submit semantics. */
function fakeBackend() {
  /** Buffers the open command encoder references (written by a program since the last submit). */
  const encoderRefs = new Set<FakeBuffer>();
  const log = {
    destroyedWhileEncoding: 0,
    handedOutDestroyed: 0,
    created: 0,
    createdPerStep: [] as number[],
  };
  const device = {
    createBuffer({ size, usage }: { size: number; usage: number }): FakeBuffer {
      log.created++;
      const b: FakeBuffer = {
        size,
        usage,
        destroyed: false,
        destroy() {
          if (encoderRefs.has(b)) log.destroyedWhileEncoding++;
          b.destroyed = true;
        },
      };
      return b;
    },
  };
  const pending: FakeBuffer[] = [];
  let programs = 0;
  const backend = {
    bufferManager: new BufferManager(device as never) as unknown as {
      acquireBuffer(size: number, usage: number): FakeBuffer;
      releaseBuffer(b: FakeBuffer): void;
      numBytesAllocated: number;
      numBytesUsed: number;
    },
    commandEncoder: null as object | null,
    commandQueueOwnedIds: new WeakSet<object>(),
    pipelineCache: {} as Record<string, unknown>,
    ensureCommandEncoderReady() {
      backend.commandEncoder ??= {};
    },
    endComputePassEncoder() {},
    submitQueue() {
      backend.commandEncoder = null;
      encoderRefs.clear();
      programs = 0;
      for (const b of pending.splice(0)) backend.bufferManager.releaseBuffer(b);
    },
    runWebGPUProgram(_p: unknown, inputs: { dataId: object }[]) {
      return { dataId: inputs[0]?.dataId ?? {} };
    },
    /** A program writing a new tensor of `bytes` (its buffer from the pool or new). */
    program(bytes: number): FakeBuffer {
      backend.ensureCommandEncoderReady();
      const b = backend.bufferManager.acquireBuffer(bytes, USAGE);
      if (b.destroyed) log.handedOutDestroyed++;
      encoderRefs.add(b);
      if (++programs >= 15) backend.submitQueue();
      return b;
    },
    /** Dispose a tensor a recorded command used: its buffer returns at the next submit. */
    dispose(b: FakeBuffer) {
      pending.push(b);
    },
  };
  return { backend, log };
}

/**
 * One U-Net-like training step: a forward pass keeps one activation per layer (every layer its own
 * size) plus short-lived temporaries; the backward pass frees the activations in reverse while
 * making gradients of their sizes and temporaries of new sizes; then the weights' update.
 */
function step(be: ReturnType<typeof fakeBackend>['backend'], layers: number[]): void {
  const acts: FakeBuffer[] = [];
  for (const [i, bytes] of layers.entries()) {
    const tmp = be.program(bytes + 256 * (i + 1)); // e.g. a norm's temporary, its own size
    acts.push(be.program(bytes));
    be.dispose(tmp);
  }
  let grad: FakeBuffer | null = null;
  for (let i = layers.length - 1; i >= 0; i--) {
    const g = be.program(layers[i]);
    const tmp = be.program(layers[i] * 2 + 512 * (i + 1)); // a concat / transpose of the gradient
    be.dispose(tmp);
    if (grad) be.dispose(grad);
    be.dispose(acts[i]);
    grad = g;
  }
  if (grad) be.dispose(grad);
  for (let i = 0; i < 20; i++) be.dispose(be.program(4096 * (i + 1))); // the update's temporaries
  be.ensureCommandEncoderReady();
  be.submitQueue();
}

// a 128-px U-Net's activation sizes, down and back up (bytes)
const LAYERS = [64, 32, 16, 8, 4, 2, 1, 2, 4, 8, 16, 32, 64].map((k, i) => k * 64 * 1024 + i * 1024);

function run(trim: boolean, slack: number) {
  const { backend, log } = fakeBackend();
  expect(installGpuMemoryPolicy({ trim, slackBytes: slack, slackFraction: 1 }, backend)).toBe(true);
  let worstSlack = 0; // allocated − the in-use high water so far, seen at every acquire
  let highWater = 0;
  const m = backend.bufferManager;
  const acquire = m.acquireBuffer.bind(m);
  m.acquireBuffer = (size: number, usage: number) => {
    const b = acquire(size, usage);
    highWater = Math.max(highWater, m.numBytesUsed);
    worstSlack = Math.max(worstSlack, m.numBytesAllocated - highWater);
    return b;
  };
  for (let s = 0; s < 3; s++) {
    const before = log.created;
    step(backend, LAYERS);
    log.createdPerStep.push(log.created - before);
  }
  const stats = gpuMemoryStats(backend);
  if (!stats) throw new Error('policy not installed');
  return { stats, log, worstSlack, backend };
}

describe('WebGPU buffer-pool policy (webgpuMemory.ts) on TF.js BufferManager', () => {
  it('keeps allocated bytes within the in-use high water + slack at every acquire across training steps', () => {
    // the pool is trimmed at every submit to the high water + slack, releases come only at submits
    const slack = 1 * MiB;
    const { stats, log, worstSlack } = run(true, slack);
    expect(worstSlack).toBeLessThanOrEqual(slack);
    expect(stats.peakAllocated).toBeLessThanOrEqual(stats.peakInUse + slack);
    // a steady loop keeps what it can afford: later steps re-create fewer buffers than the first
    expect(log.createdPerStep[2]).toBeLessThan(log.createdPerStep[0]);
    expect(stats.trimmedBuffers).toBeGreaterThan(0);
    expect(log.destroyedWhileEncoding).toBe(0);
    expect(log.handedOutDestroyed).toBe(0);
  });

  it("TF.js's pool alone (trimming off) holds far more than is in use — what the policy removes", () => {
    const off = run(false, 1 * MiB);
    const on = run(true, 1 * MiB);
    expect(off.stats.trimmedBuffers).toBe(0);
    // the same steps use the same bytes at once; TF.js's exact-size pool holds every size's high water
    expect(on.stats.peakInUse).toBe(off.stats.peakInUse);
    expect(off.stats.peakAllocated).toBeGreaterThan(1.3 * off.stats.peakInUse);
    expect(on.stats.peakAllocated).toBeLessThan(off.stats.peakAllocated);
  });

  it('counts exactly: allocated = bytes of the buffers not destroyed; trimGpuPool(0) empties the pool', () => {
    const { backend, stats } = run(true, 2 * MiB);
    const m = backend.bufferManager;
    expect(stats.allocated).toBe(m.numBytesAllocated);
    expect(m.numBytesUsed).toBe(0); // every tensor of the steps was released
    expect(m.numBytesAllocated).toBeLessThanOrEqual(stats.peakInUse + 2 * MiB);
    trimGpuPool(0, backend);
    expect(m.numBytesAllocated).toBe(0);
    resetGpuMemoryPeaks(backend);
    expect(gpuMemoryStats(backend)?.peakAllocated).toBe(0);
    // trimming off: the pool keeps what it has; the explicit trim still empties it
    setGpuMemoryPolicy({ trim: false }, backend);
    step(backend, LAYERS);
    expect(m.numBytesAllocated).toBeGreaterThan(stats.peakInUse + 2 * MiB);
    trimGpuPool(0, backend);
    expect(m.numBytesAllocated).toBe(0);
  });

  it('is not installed on something that is not a TF.js 4.22 webgpu backend', () => {
    expect(installGpuMemoryPolicy({}, { bufferManager: {} })).toBe(false);
    expect(gpuMemoryStats({})).toBeNull();
  });
});
