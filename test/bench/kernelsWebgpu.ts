/**
 * The WebGPU half of the kernel benchmark (`npx tsx test/bench/kernels.ts --backend webgpu`), in
 * headless Chromium through test/bench/webgpuKernelPage.ts. Per conv layer shape of each config:
 *  - Conv2DBackpropFilter: TF.js 4.22's kernel ('tfjs'), the studio's tiled split-K kernel
 *    ('tiled') and what the studio runs ('auto': tiled unless N·Ho·Wo < TILED_MIN_K);
 *  - Conv2DBackpropInput (transposed conv forward / conv input gradient): TF.js's kernel with
 *    WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE true ('naive') and false ('matmul').
 * Milliseconds per call: CPU time of Chromium's GPU process (where SwiftShader computes; robust
 * to a loaded machine) over --reps calls ending in one read-back, after a warm-up call (shader
 * compilation); --wall prints wall-clock ms instead. Not a test; on SwiftShader the GPU is the CPU, shared with everything
 * else on the machine, so compare columns of one run, and re-measure on a real GPU.
 */
import { loadavg } from 'node:os';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { filterGradCase, inputGradCase, layerList } from './convLayers';
import { openKernelPage } from './webgpuKernelPage';

const CONFIGS: Record<string, { label: string; cfg: Partial<RunConfig> }> = {
  '128': { label: 'unet_128 ngf16 ndf16 @128', cfg: { netG: 'unet_128', ngf: 16, ndf: 16, size: 128 } },
  '256': { label: 'unet_256 ngf64 ndf64 @256', cfg: { netG: 'unet_256', ngf: 64, ndf: 64, size: 256 } },
};

const f = (v: number): string => v.toFixed(2);

export async function webgpuMain(args: string[]): Promise<void> {
  const arg = (name: string, dflt: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
  };
  const configs = arg('configs', '128').split(',');
  const reps = Number(arg('reps', '5'));
  const batch = Number(arg('batch', '1'));
  const only = arg('layers', '')
    .split(',')
    .filter((v) => v !== '');
  const skipInput = args.includes('--filter-only');
  const key = args.includes('--wall') ? 'wall' : 'cpu';
  const kp = await openKernelPage();
  try {
    const { backend, choices } = await kp.init();
    console.log(
      `# WebGPU kernels in headless Chromium (backend ${backend}; studio defaults ${JSON.stringify(choices)})`,
    );
    for (const id of configs) {
      const c = CONFIGS[id];
      if (!c) throw new Error(`unknown --configs entry "${id}" (128 or 256)`);
      const ls = layerList(withDefaults(c.cfg)).filter(
        (l) => only.length === 0 || only.some((o) => l.name.includes(o)),
      );
      console.log(
        `\n## ${c.label}, batch ${batch}, ${key === 'cpu' ? 'GPU-process CPU' : 'wall'} ms, mean of ${reps} calls (load ${loadavg()[0].toFixed(1)})`,
      );
      const fg = await kp.timeFilterGrad(
        ls.map((l) => filterGradCase(l, batch)),
        reps,
      );
      const ig = skipInput
        ? []
        : await kp.timeInputGrad(
            ls.map((l) => inputGradCase(l, batch)),
            reps,
          );
      console.log(
        '| layer | filter grad TF.js ms | tiled ms | studio (auto) ms | speed-up | input grad / convT naive ms | matmul ms |',
      );
      console.log('|---|---|---|---|---|---|---|');
      const sum = [0, 0, 0, 0, 0];
      fg.forEach((t, i) => {
        const r = { name: t.name, tfjs: t.tfjs[key], tiled: t.tiled[key], auto: t.auto[key] };
        const g = ig[i] ? { naive: ig[i].naive[key], matmul: ig[i].matmul[key] } : undefined;
        sum[0] += r.tfjs;
        sum[1] += r.tiled;
        sum[2] += r.auto;
        if (g) {
          sum[3] += g.naive;
          sum[4] += g.matmul;
        }
        console.log(
          `| ${r.name} | ${f(r.tfjs)} | ${f(r.tiled)} | ${f(r.auto)} | ${(r.tfjs / r.auto).toFixed(1)}x | ${g ? f(g.naive) : '-'} | ${g ? f(g.matmul) : '-'} |`,
        );
      });
      console.log(
        `| all layers once | ${f(sum[0])} | ${f(sum[1])} | ${f(sum[2])} | ${(sum[0] / sum[2]).toFixed(1)}x | ${f(sum[3])} | ${f(sum[4])} |`,
      );
    }
    if (kp.errors.length > 0) console.log(`page errors: ${kp.errors.join(' | ')}`);
  } finally {
    await kp.close();
  }
}
