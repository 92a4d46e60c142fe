/**
 * The WebGPU adapter as the studio reports it (vendor, architecture, fallback, limits, features)
 * and the runtime we are in. No TF.js here, so the page can import it without loading TF.js.
 */
import { engineMessage, type EngineMessage } from './messages';
import { errorText } from '../core/errors';

export type Runtime = 'browser' | 'worker' | 'node';

export function detectRuntime(): Runtime {
  const g = globalThis as { document?: unknown; process?: { versions?: { node?: string } } };
  if (typeof g.document !== 'undefined') return 'browser';
  if (typeof g.process?.versions?.node === 'string') return 'node';
  return 'worker';
}

export interface AdapterLimits {
  /** bytes */
  maxBufferSize: number;
  /** bytes */
  maxStorageBufferBindingSize: number;
  /** bytes */
  maxComputeWorkgroupStorageSize: number;
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  limits: AdapterLimits;
  features: { shaderF16: boolean; timestampQuery: boolean; all: string[] };
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** The WebGPU adapter's report, or why there is none. Never throws. */
export async function probeWebGpu(
  runtime: Runtime = detectRuntime(),
): Promise<{ adapter: AdapterReport } | { reason: EngineMessage }> {
  if (runtime === 'node') return { reason: engineMessage('backend.notInNode.webgpu') };
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  const gpu = nav && 'gpu' in nav ? nav.gpu : undefined;
  if (!gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    return {
      reason: engineMessage(
        secure === false ? 'backend.webgpu.insecureContext' : 'backend.webgpu.noNavigatorGpu',
      ),
    };
  }
  let adapter: GPUAdapter | null;
  try {
    // The same request tfjs-backend-webgpu makes, so we describe the adapter it will use.
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { reason: engineMessage('backend.webgpu.adapterError', { error: errorText(e) }) };
  }
  if (!adapter) return { reason: engineMessage('backend.webgpu.noAdapter') };
  // Chrome 114-126 had requestAdapterInfo(); 127+ has adapter.info; isFallbackAdapter moved
  // from the adapter to its info in 2025.
  const legacy = adapter as unknown as {
    info?: AdapterInfoLike;
    requestAdapterInfo?: () => Promise<AdapterInfoLike>;
    isFallbackAdapter?: boolean;
  };
  let info: AdapterInfoLike = legacy.info ?? {};
  if (!legacy.info && typeof legacy.requestAdapterInfo === 'function') {
    try {
      info = await legacy.requestAdapterInfo();
    } catch {
      info = {};
    }
  }
  const features = [...adapter.features].map(String).sort();
  return {
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? legacy.isFallbackAdapter ?? false),
      limits: {
        maxBufferSize: adapter.limits.maxBufferSize,
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      },
      features: {
        shaderF16: adapter.features.has('shader-f16'),
        timestampQuery: adapter.features.has('timestamp-query'),
        all: features,
      },
    },
  };
}

/** A short name for the adapter: "SwiftShader", "nvidia ampere", else the description. */
export function adapterName(adapter: AdapterReport): string {
  if (adapter.architecture === 'swiftshader') return 'SwiftShader';
  return (
    [adapter.vendor, adapter.architecture].filter((s) => s.length > 0).join(' ') ||
    adapter.description ||
    'GPU'
  );
}

/** adapterName plus " (CPU fallback)" for fallback adapters (English; the UI translates the suffix). */
export function adapterLabel(adapter: AdapterReport): string {
  const name = adapterName(adapter);
  return adapter.isFallbackAdapter ? `${name} (CPU fallback)` : name;
}
