/** Short human names for the backend badge and the banners (no TF.js imported here). */
import { adapterName } from '../engine/adapter';
import type { BackendSelection } from '../engine/backend';
import type { StringKey } from './strings';

type T = (key: StringKey, params?: Record<string, string | number>) => string;

export function backendName(t: T, backend: BackendSelection['backend']): string {
  return t(`backend.name.${backend}`);
}

/** e.g. "WebGPU · SwiftShader (CPU fallback)", "WebGPU · nvidia ampere", "WebAssembly". */
export function backendBadgeText(t: T, sel: BackendSelection): string {
  const name = backendName(t, sel.backend);
  if (sel.backend === 'webgpu' && sel.adapter) {
    const adapter = adapterName(sel.adapter);
    return `${name} · ${sel.adapter.isFallbackAdapter ? t('badge.adapterFallback', { name: adapter }) : adapter}`;
  }
  if (sel.backend === 'webgl' && sel.floatPrecision === 16) return `${name} · ${t('badge.float16')}`;
  return name;
}
