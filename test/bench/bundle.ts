/**
 * Peak memory of the server bundle: 100 cases at 512 px (unet_256, ngf 64: a 218 MB generator),
 * built the old way (every case decoded in memory, then `buildServerBundle` → one ZIP buffer) and
 * streamed (`writeServerBundle`: one case at a time, the ZIP to a file through a ZipSink).
 *
 *   npx tsx test/bench/bundle.ts [--cases 100] [--size 512] [--src <dir of an older src/>]
 *
 * Each mode runs in its own `node --expose-gc` process; reported: peak RSS (the kernel's maxRSS),
 * the RSS with the networks alone before the first case, and the peak of V8 heap + ArrayBuffers
 * above that point, sampled after every case (the dataset-dependent part). `--src` loads serverBundle.ts from another checkout (e.g. the commit
 * before streaming, extracted with `git archive <commit> src | tar -x -C /tmp/old`) for "before".
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withDefaults, type RunConfig } from '../../src/core/config';
import type { RgbaImage } from '../../src/core/image';
import type { ServerBundleCase, ServerBundleInput } from '../../src/core/io/serverBundle';
import type { ZipSink } from '../../src/core/io/zip';
import { expectedEntries } from '../../src/core/model/weights';
import type { StateDict } from '../../src/core/model/types';

type Mode = 'old' | 'stream';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** A state_dict of `cfg` filled with a ramp (the values do not matter, the bytes do). */
function stateDict(cfg: RunConfig, kind: 'G' | 'D'): StateDict {
  return expectedEntries(cfg, kind).map((e, i) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.dtype === 'int64')
      return { key: e.key, dtype: 'int64', shape: e.shape, data: BigInt64Array.of(1n) };
    const data = new Float32Array(n);
    for (let j = 0; j < n; j++) data[j] = i + (j % 1000) * 1e-3;
    return { key: e.key, dtype: 'float32', shape: e.shape, data };
  });
}

/** A smooth image with a little noise, per case (PNGs of realistic, not trivial, size). */
function image(i: number, size: number, grey: boolean): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  let r = (i + 1) * 2654435761;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      r = (r * 1103515245 + 12345) >>> 0;
      const noise = (r >>> 28) - 8;
      const v = 128 + 90 * Math.sin((x + i * 13) / 37) * Math.cos((y - i * 7) / 53) + noise;
      const k = (y * size + x) * 4;
      data[k] = v;
      data[k + 1] = grey ? v : v * 0.8 + 20;
      data[k + 2] = grey ? v : v * 0.6 + 40;
      data[k + 3] = 255;
    }
  return { width: size, height: size, data };
}

const makeCase = (i: number, size: number): ServerBundleCase => ({
  id: `case${String(i).padStart(4, '0')}`,
  split: i % 10 === 9 ? 'val' : 'train',
  photo: image(i, size, false),
  xray: image(i, size, true),
});

/** The bundle as a file: chunks written at once (synchronously), nothing kept. */
function fileSink(path: string): ZipSink & { close(): void } {
  const fd = openSync(path, 'w');
  return {
    write(chunk) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    },
    close: () => closeSync(fd),
  };
}

async function child(mode: Mode, n: number, size: number, src: string, out: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const mod = (await import(
    pathToFileURL(join(src, 'core/io/serverBundle.ts')).href
  )) as typeof import('../../src/core/io/serverBundle');
  const cfg = withDefaults({ netG: 'unet_256', ngf: 64, ndf: 64, size });
  const head = { name: 'bench', G: stateDict(cfg, 'G'), D: stateDict(cfg, 'D'), config: cfg, epoch: 10 };
  gc();
  const base = process.memoryUsage();
  const baseRss = base.rss;
  const baseHeap = base.heapUsed + base.arrayBuffers;
  let peakHeap = 0;
  let peakCases = 0;
  /** After each case (`inCases`), and once at the end. */
  const sample = (inCases: boolean): void => {
    const m = process.memoryUsage();
    const above = m.heapUsed + m.arrayBuffers - baseHeap;
    peakHeap = Math.max(peakHeap, above);
    if (inCases) peakCases = Math.max(peakCases, above);
  };
  const t0 = performance.now();
  if (mode === 'old') {
    // what the worker did before: every case decoded and kept, then one ZIP buffer
    const cases: ServerBundleCase[] = [];
    for (let i = 0; i < n; i++) {
      cases.push(makeCase(i, size));
      sample(true);
    }
    const input: ServerBundleInput = { ...head, cases };
    const bytes = mod.buildServerBundle(input);
    sample(false);
    const sink = fileSink(out);
    sink.write(bytes);
    sink.close();
  } else {
    const sink = fileSink(out);
    async function* lazy(): AsyncGenerator<ServerBundleCase> {
      for (let i = 0; i < n; i++) {
        yield makeCase(i, size);
        sample(true);
      }
    }
    await mod.writeServerBundle(head, lazy(), sink);
    sample(false);
    sink.close();
  }
  const ms = performance.now() - t0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify({
      mode,
      baseRss,
      peakRss,
      peakHeap,
      peakCases,
      ms,
      bytes: statSync(out).size,
      cases: n,
      size,
    }),
  );
}

async function main(): Promise<void> {
  const n = Number(arg('cases', '100'));
  const size = Number(arg('size', '512'));
  const src = resolve(arg('src', resolve('src')));
  const mode = arg('child', '') as Mode | '';
  if (mode) return child(mode, n, size, src, arg('out', ''));

  const dir = mkdtempSync(join(tmpdir(), 'bundle-bench-'));
  const mbs = (b: number): string => (b / 1e6).toFixed(0);
  console.log(`server bundle, ${n} cases at ${size} px, unet_256 ngf 64; serverBundle.ts from ${src}`);
  console.log(
    '| mode | peak RSS MB | RSS with G+D only MB | heap+ArrayBuffers above G+D: peak while cases go in MB | same, peak overall MB | ZIP MB | time s |',
  );
  console.log('|---|---|---|---|---|---|---|');
  try {
    for (const m of ['old', 'stream'] as Mode[]) {
      // an older src/ has no streaming writer: streaming always uses this checkout's
      const from = m === 'stream' ? resolve('src') : src;
      const r = spawnSync(
        process.execPath,
        [
          '--expose-gc',
          '--import',
          'tsx',
          'test/bench/bundle.ts',
          '--child',
          m,
          '--cases',
          String(n),
          '--size',
          String(size),
          '--src',
          from,
          '--out',
          join(dir, `${m}.zip`),
        ],
        { encoding: 'utf8', maxBuffer: 1 << 24 },
      );
      if (r.status !== 0) throw new Error(`${m} failed: ${r.stderr}`);
      const line = r.stdout.trim().split('\n').at(-1) as string;
      const x = JSON.parse(line) as {
        mode: Mode;
        baseRss: number;
        peakRss: number;
        peakHeap: number;
        peakCases: number;
        ms: number;
        bytes: number;
      };
      console.log(
        `| ${m}${m === 'old' ? ` (${from === resolve('src') ? 'buildServerBundle, this checkout' : from})` : ''} | ${mbs(x.peakRss)} | ${mbs(x.baseRss)} | ${mbs(x.peakCases)} | ${mbs(x.peakHeap)} | ${mbs(x.bytes)} | ${(x.ms / 1000).toFixed(1)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
