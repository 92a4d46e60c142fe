/**
 * The studio's WebGPU conv-gradient kernels (src/engine/kernels/) equal the cpu backend in headless
 * Chromium (WebGPU on SwiftShader): the tiled split-K Conv2DBackpropFilter on the studio's layer
 * shapes — first, middle and last layers of G, PatchGAN's stride-2 and stride-1 layers, at 64 and
 * 128 px, batch 1 and 2 — and TF.js's Conv2DBackpropInput on both of its paths
 * (WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE true = the studio's measured default, and false, which the
 * benchmark times against it); and the tiled kernel after a call in WEBGPU_ENGINE_COMPILE_ONLY mode
 * (the engine's shader warm-up). Inputs are seeded values in [-1, 1); the bound is relative to the
 * largest |cpu value| of each result (float32 sums of up to 8,192 products).
 * The page is a bare bundle (test/bench/webgpuKernelPage.ts), not the built app.
 */
import { describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/config';
import { filterGradCase, inputGradCase, layerList, type Layer } from '../bench/convLayers';
import { openKernelPage, type Diff } from '../bench/webgpuKernelPage';

const TOL = 1e-5;

function pick(cfg: Parameters<typeof withDefaults>[0], names: string[]): Layer[] {
  const ls = layerList(withDefaults(cfg));
  return names.map((n) => {
    const l = ls.find((v) => v.name === n);
    if (!l) throw new Error(`no layer ${n}`);
    return l;
  });
}

const rel = (d: Diff): number => d.maxAbsDiff / Math.max(d.maxAbsRef, 1e-6);

describe('WebGPU conv-gradient kernels', () => {
  it(
    'equal the cpu backend on the studio layer shapes (tiled filter gradient; input gradient, both paths)',
    { timeout: 240_000 },
    async () => {
      const at64 = pick({ netG: 'unet_64', ngf: 8, ndf: 8, size: 64 }, [
        'G down0',
        'G down2',
        'G up0',
        'D layer0',
        'D layer3',
      ]);
      const at128 = pick({ netG: 'unet_128', ngf: 16, ndf: 16, size: 128 }, ['G down0', 'G up3', 'G up0']);
      const filterCases = [
        ...at64.map((l) => filterGradCase(l, 1)),
        ...[at64[0], at64[2], at64[4]].map((l) => filterGradCase(l, 2)),
        ...at128.map((l) => filterGradCase(l, 1)),
        filterGradCase(at128[1], 2),
      ];
      const inputCases = [...at64.map((l) => inputGradCase(l, 1)), inputGradCase(at128[1], 2)];
      const kp = await openKernelPage();
      try {
        const { backend, choices } = await kp.init();
        expect(backend).toBe('webgpu');
        expect(choices).toEqual({ filterGrad: 'tiled', convTranspose: 'naive' });

        const t0 = Date.now();
        const fg = await kp.filterGrad(filterCases, ['tiled']);
        const t1 = Date.now();
        const bad: string[] = [];
        let worst = 0;
        for (const r of fg) {
          const d = r.tiled as Diff;
          worst = Math.max(worst, rel(d));
          expect(d.maxAbsRef, r.name).toBeGreaterThan(0.5);
          if (!(rel(d) <= TOL)) bad.push(`filter ${r.name}: tiled ${rel(d).toExponential(2)}`);
        }
        // the studio's path on every case; the other (slow on SwiftShader) on a convT forward and a conv input gradient
        const ig = [
          ...(await kp.inputGrad(inputCases, ['naive'])),
          ...(await kp.inputGrad([inputGradCase(at64[1], 1), inputGradCase(at64[2], 2)], ['matmul'])),
        ];
        for (const r of ig) {
          for (const [v, d] of Object.entries(r)) {
            if (v === 'name') continue;
            expect((d as Diff).maxAbsRef, r.name).toBeGreaterThan(0.5);
            if (!(rel(d as Diff) <= TOL))
              bad.push(`input ${r.name}: ${v} ${rel(d as Diff).toExponential(2)}`);
          }
        }
        // the engine's shader warm-up runs a step in WEBGPU_ENGINE_COMPILE_ONLY mode first (2 K-splits here)
        for (const r of await kp.compileOnlyThenRun([filterCases[0]])) {
          expect(r.error, r.name).toBeNull();
          if (!(rel(r.tiled as Diff) <= TOL))
            bad.push(`compile-only then ${r.name}: ${rel(r.tiled as Diff)}`);
        }
        console.log(`[webgpu-kernels] filter gradients ${t1 - t0} ms, input gradients ${Date.now() - t1} ms`);
        console.log(
          `[webgpu-kernels] ${fg.length} filter-gradient and ${ig.length} input-gradient cases; largest relative difference of the tiled filter gradient ${worst.toExponential(2)}`,
        );
        expect(bad).toEqual([]);
        expect(kp.errors).toEqual([]);
      } finally {
        await kp.close();
      }
    },
  );
});
