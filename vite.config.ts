/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { offlineServiceWorker } from './src/build/offline';

/**
 * Cross-origin isolation (COOP + COEP): lets the wasm backend use SharedArrayBuffer, i.e. its
 * threaded SIMD build. Every resource the studio loads is same-origin, so `require-corp` blocks
 * nothing. Deployments must send the same two headers (README, "Deployment").
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [svelte(), offlineServiceWorker()],
  base: './',
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 4000 },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION_HEADERS },
  test: {
    testTimeout: 180_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', pool: 'forks' },
      },
      {
        extends: true,
        test: { name: 'parity', include: ['test/parity/**/*.test.ts'], environment: 'node', pool: 'forks' },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
