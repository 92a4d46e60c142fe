/**
 * Backend selection for TF.js — the same code in the page, the training worker and Node.
 *
 * Automatic order: webgpu → webgl → wasm → cpu. An explicit choice is tried first; if it cannot
 * start, the automatic order follows and a warning says so. Every backend that was tried and not
 * used records why, as an `EngineMessage` (code + params, rendered in the UI language; `.text` is
 * English for the CLI).
 *
 * Policy:
 * - webgpu: selected even when the only adapter is a CPU fallback (SwiftShader), with a warning.
 * - webgl: skipped in automatic mode when it computes in 16-bit floats (pix2pix training needs
 *   float32); used when chosen explicitly, with a warning and Adam epsilon 1e-4.
 * - wasm: single-threaded SIMD build, binaries from the app's own origin (wasmPaths.ts).
 * - cpu: always works; warned as far too slow for training.
 * Backend packages are imported lazily so the page's first load stays small.
 */
import * as tf from '@tensorflow/tfjs';
import { adapterName, detectRuntime, probeWebGpu, type AdapterReport, type Runtime } from './adapter';
import { engineMessage, type EngineMessage } from './messages';
import { setupWebGpuKernels } from './kernels/webgpu';
import { setupWasmKernels } from './kernels/wasmCopies';
import { installGpuMemoryPolicy } from './kernels/webgpuMemory';
import { errorText } from '../core/errors';

export { adapterLabel, adapterName, detectRuntime, probeWebGpu } from './adapter';
export type { AdapterLimits, AdapterReport, Runtime } from './adapter';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_ORDER];

export interface BackendSkip {
  backend: BackendName;
  reason: EngineMessage;
}

export interface BackendSelection {
  /** The backend TF.js now runs on (`tf.getBackend()`). */
  backend: BackendName;
  requested: BackendChoice;
  runtime: Runtime;
  /** Bits of float precision the backend computes with. */
  floatPrecision: 16 | 32;
  /** The Adam epsilon to pass explicitly on this backend (see recommendedAdamEpsilon). */
  adamEpsilon: number;
  /** The WebGPU adapter, whenever one was found (also when webgpu was not selected). */
  adapter?: AdapterReport;
  /** Backends tried before the selected one and why they were not used. */
  skipped: BackendSkip[];
  /** Things the user should act on (CPU fallback adapter, 16-bit floats, slow cpu, failed choice). */
  warnings: EngineMessage[];
  /** Facts worth knowing that need no action. */
  notes: EngineMessage[];
  versions: Record<string, string>;
}

/**
 * Adam epsilon for a backend: 1e-4 on 16-bit WebGL (TF.js's own choice there; 1e-7 underflows
 * to 0 in float16), else 1e-7. For webgl with unknown precision the conservative 1e-4.
 */
export function recommendedAdamEpsilon(backend: BackendName, floatPrecision?: 16 | 32): number {
  if (backend === 'webgl' && floatPrecision !== 32) return 1e-4;
  return 1e-7;
}

let wasmVersion: string | undefined;
let wasmPathsSet = false;

async function registerWasm(runtime: Runtime): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasmVersion = wasm.version_wasm;
  // Never the threaded build (crashes after minification, slower on 2 cores).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (runtime !== 'node' && !wasmPathsSet) {
    const { WASM_PATHS } = await import('./wasmPaths');
    wasm.setWasmPaths(WASM_PATHS);
    wasmPathsSet = true;
  }
}

async function startBackend(name: BackendName): Promise<EngineMessage | null> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return engineMessage('backend.initFailedConsole', { backend: name });
    await tf.ready();
    return tf.getBackend() === name ? null : engineMessage('backend.initFailedConsole', { backend: name });
  } catch (e) {
    return engineMessage('backend.initFailed', { backend: name, error: errorText(e) });
  }
}

/** The WebGL renderer string of the active webgl backend ("ANGLE (…SwiftShader…)"), if readable. */
function webglRenderer(): string | undefined {
  try {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r: unknown = gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
    return typeof r === 'string' && r.length > 0 ? r : undefined;
  } catch {
    return undefined;
  }
}

interface Attempt {
  ok: boolean;
  reason?: EngineMessage;
  floatPrecision: 16 | 32;
  warnings: EngineMessage[];
  notes: EngineMessage[];
}

function failed(reason: EngineMessage): Attempt {
  return { ok: false, reason, floatPrecision: 32, warnings: [], notes: [] };
}

async function tryBackend(
  name: BackendName,
  explicit: boolean,
  runtime: Runtime,
  webgpuProbe: { adapter: AdapterReport } | { reason: EngineMessage },
): Promise<Attempt> {
  const warnings: EngineMessage[] = [];
  const notes: EngineMessage[] = [];
  switch (name) {
    case 'webgpu': {
      if ('reason' in webgpuProbe) return failed(webgpuProbe.reason);
      try {
        await import('@tensorflow/tfjs-backend-webgpu');
        // the studio's conv-gradient kernels (tiled filter gradient, measured convT path)
        setupWebGpuKernels();
      } catch (e) {
        return failed(engineMessage('backend.initFailed', { backend: name, error: errorText(e) }));
      }
      const err = await startBackend('webgpu');
      if (err) return failed(err);
      // trim TF.js's never-freed buffer pool after each submit, count peaks (kernels/webgpuMemory.ts)
      installGpuMemoryPolicy();
      const a = webgpuProbe.adapter;
      if (a.isFallbackAdapter) {
        warnings.push(
          engineMessage('backend.webgpu.fallbackAdapter', {
            description: a.description || adapterName(a),
          }),
        );
      }
      return { ok: true, floatPrecision: 32, warnings, notes };
    }
    case 'webgl': {
      if (runtime === 'node') return failed(engineMessage('backend.notInNode.webgl'));
      let version: number;
      try {
        version = tf.env().getNumber('WEBGL_VERSION');
      } catch {
        version = 0;
      }
      if (version < 1) return failed(engineMessage('backend.webgl.noContext'));
      const err = await startBackend('webgl');
      if (err) return failed(err);
      const precision = tf.backend().floatPrecision();
      if (precision === 16) {
        if (!explicit) return failed(engineMessage('backend.webgl.float16'));
        warnings.push(engineMessage('backend.webgl.float16Chosen'));
      }
      const renderer = webglRenderer();
      if (renderer && /swiftshader|llvmpipe|software|basic render/i.test(renderer)) {
        warnings.push(engineMessage('backend.webgl.softwareRenderer', { renderer }));
      }
      return { ok: true, floatPrecision: precision, warnings, notes };
    }
    case 'wasm': {
      if (typeof WebAssembly === 'undefined') return failed(engineMessage('backend.wasm.missing'));
      try {
        await registerWasm(runtime);
        // the studio's copy kernels (Concat, Slice, SplitV, GatherV2: kernels/wasmCopies.ts)
        setupWasmKernels();
      } catch (e) {
        return failed(engineMessage('backend.initFailed', { backend: name, error: errorText(e) }));
      }
      const err = await startBackend('wasm');
      if (err) return failed(err);
      if (tf.getKernel('Conv2DBackpropFilter', 'wasm') == null)
        notes.push(engineMessage('backend.wasm.noFilterGrad'));
      return { ok: true, floatPrecision: 32, warnings, notes };
    }
    case 'cpu': {
      const err = await startBackend('cpu');
      if (err) return failed(err);
      warnings.push(engineMessage('backend.cpu.slow'));
      return { ok: true, floatPrecision: 32, warnings, notes };
    }
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Run `fn` when no other backend switch (selection, self-test) is in progress. Everything that
 * calls `tf.setBackend` in this module family goes through here so switches never interleave.
 */
export function withBackendLock<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn);
  queue = run.catch(() => undefined);
  return run;
}

/** What the engine needs of a WebGPU device (GPUDevice without the DOM types). */
export interface LosableDevice {
  lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
}

/** The GPUDevice of the active webgpu backend; null on any other backend. */
export function activeGpuDevice(): LosableDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: LosableDevice }).device;
  return device && typeof device.destroy === 'function' ? device : null;
}

/**
 * Drop a backend whose device is gone (every tensor on it goes too) so that the next
 * `tf.setBackend(name)` builds a new one: the instance is removed and the same factory registered
 * again. Serialised with other backend switches.
 */
export function resetBackend(name: BackendName): Promise<void> {
  return withBackendLock(async () => {
    const registry = (
      tf.engine() as unknown as {
        registryFactory: Record<
          string,
          { factory: () => tf.KernelBackend | Promise<tf.KernelBackend>; priority: number }
        >;
      }
    ).registryFactory;
    const entry = registry[name];
    if (!entry) return;
    try {
      tf.removeBackend(name);
    } catch {
      // disposing a backend without its device may throw; it is unregistered either way
      delete registry[name];
    }
    tf.registerBackend(name, entry.factory, entry.priority);
  });
}

/**
 * Choose and start a TF.js backend (`tf.setBackend`). Calls are serialised with other backend
 * switches. Never throws while the cpu backend can start.
 */
export function selectBackend(requested: BackendChoice = 'auto'): Promise<BackendSelection> {
  return withBackendLock(() => selectNow(requested));
}

async function selectNow(requested: BackendChoice): Promise<BackendSelection> {
  const runtime = detectRuntime();
  const webgpuProbe = await probeWebGpu(runtime);
  const skipped: BackendSkip[] = [];
  const warnings: EngineMessage[] = [];
  const notes: EngineMessage[] = [];
  const order: BackendName[] =
    requested === 'auto' ? [...BACKEND_ORDER] : [requested, ...BACKEND_ORDER.filter((b) => b !== requested)];

  let chosen: { name: BackendName; attempt: Attempt } | undefined;
  for (const name of order) {
    const attempt = await tryBackend(name, name === requested, runtime, webgpuProbe);
    if (attempt.ok) {
      chosen = { name, attempt };
      break;
    }
    if (attempt.reason) skipped.push({ backend: name, reason: attempt.reason });
  }
  if (!chosen) {
    // Unreachable in practice (cpu always starts); say so plainly if it happens.
    throw new Error(`No TF.js backend could start: ${skipped.map((s) => s.reason.text).join('; ')}`);
  }
  if (requested !== 'auto' && chosen.name !== requested) {
    warnings.push(engineMessage('backend.choiceUnavailable', { requested, backend: chosen.name }));
  }
  warnings.push(...chosen.attempt.warnings);
  notes.push(...chosen.attempt.notes);

  const versions: Record<string, string> = {
    tfjs: tf.version.tfjs,
    'tfjs-core': tf.version['tfjs-core'],
  };
  if (wasmVersion) versions['tfjs-backend-wasm'] = wasmVersion;

  return {
    backend: chosen.name,
    requested,
    runtime,
    floatPrecision: chosen.attempt.floatPrecision,
    adamEpsilon: recommendedAdamEpsilon(chosen.name, chosen.attempt.floatPrecision),
    adapter: 'adapter' in webgpuProbe ? webgpuProbe.adapter : undefined,
    skipped,
    warnings,
    notes,
    versions,
  };
}

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

export function isBackendChoice(s: string): s is BackendChoice {
  return s === 'auto' || isBackendName(s);
}
