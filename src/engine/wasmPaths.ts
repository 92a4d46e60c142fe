/// <reference types="vite/client" />
/**
 * The tfjs wasm binaries, bundled by Vite and served from the studio's own origin (never a CDN).
 * Browser/worker only: imported lazily by backend.ts when it starts the wasm backend there
 * (Node loads the binaries from node_modules by itself).
 *
 * The threaded build is never used: it crashes after Vite minification and was slower on the
 * 2-core machines we measured (see browser-runtime.md). backend.ts turns
 * WASM_HAS_MULTITHREAD_SUPPORT off, so its entry below is only there because setWasmPaths
 * requires all three names; it points at the SIMD build, which is what loads.
 *
 * The studio is served cross-origin isolated (COOP/COEP, vite.config.ts and README "Deployment"), so
 * the threaded build could load; it stays off because TF.js caps the threads at
 * hardwareConcurrency / 2 (1 on the 2-core machines measured, where it cannot gain anything) and
 * its pthread workers are built from the minified factory's source text. The Environment page
 * shows the thread count the engine runs with (deviceQueries.ts `wasmThreads`).
 */
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';

export const WASM_PATHS: Record<string, string> = {
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmSimdUrl,
};
