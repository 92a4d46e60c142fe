/**
 * The CLI as a user runs it (`npx tsx src/cli.ts ...` subprocesses) and the analytic config
 * costs behind `info`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli';
import { encodeNpy } from '../../src/cli/infer';
import { PRESETS, withDefaults, type RunConfig } from '../../src/core/config';
import { checkMemory, WASM_HEAP_BYTES, wasmHeapNeed } from '../../src/engine/memoryEstimate';
import { trainMessageText } from '../../src/engine/trainMessages';
import { decodeImageNode, encodePngNode } from '../../src/core/io/decodeNode';
import { Rng } from '../../src/core/rng';
import { loadTrainerState, readCheckpointFiles } from '../../src/core/train/checkpoint';
import { createInMemoryDataSource } from '../../src/core/train/data';
import { describeConfig } from '../../src/core/train/info';
import { Trainer } from '../../src/core/train/trainer';
import { createFsStorage } from '../../src/cli/fsStorage';

const ROOT = join(import.meta.dirname, '..', '..');

function cli(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'src', 'cli.ts'), ...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Run the CLI in this process (no tsx start-up), capturing what it prints. */
async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** Parse a .npy v1.0 header and data (little-endian float32, C order). */
function readNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLen = bytes[8] | (bytes[9] << 8);
  expect((10 + headerLen) % 64).toBe(0);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
  expect(header.endsWith('\n')).toBe(true);
  expect(header).toContain("'descr': '<f4'");
  expect(header).toContain("'fortran_order': False");
  const m = /'shape': \(([^)]*)\)/.exec(header) as RegExpExecArray;
  const shape = m[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const body = bytes.slice(10 + headerLen);
  return { shape, data: new Float32Array(body.buffer, 0, body.byteLength / 4) };
}

describe('info (analytic costs)', () => {
  it('parameter counts equal the server reference', () => {
    expect(describeConfig(withDefaults({ netG: 'unet_256' })).paramsG).toBe(54_413_955);
    expect(describeConfig(withDefaults({ netG: 'unet_256' })).buffersG).toBe(9_869);
    expect(describeConfig(withDefaults({ netG: 'unet_256', norm: 'instance' })).paramsG).toBe(54_409_603);
    expect(describeConfig(withDefaults({ netG: 'unet_128', size: 128 })).paramsG).toBe(41_828_995);
    expect(describeConfig(withDefaults({})).paramsD).toBe(2_768_705);
    expect(describeConfig(withDefaults({ norm: 'instance' })).paramsD).toBe(2_767_809);
  });

  it('conv MACs equal an independent hand count', () => {
    // unet_256 ngf 64 at 256 px and the 70x70 PatchGAN, summed layer by layer in Python
    const info = describeConfig(withDefaults({ netG: 'unet_256', ngf: 64, size: 256 }));
    expect(info.macsG).toBe(6_048_186_368);
    expect(info.macsD).toBe(3_197_140_992);
    expect(info.flopsPerStep).toBe(2 * 3 * (6_048_186_368 + 3 * 3_197_140_992));
    const small = describeConfig(withDefaults({ netG: 'unet_64', ngf: 8, ndf: 8, size: 64 }));
    expect(small.macsG).toBe(6_815_744);
    expect(small.macsD).toBe(3_477_504);
    // multi-scale D: scale 1 sees 32 px -> convs 16, 8, 4, 3, 2
    const ms = describeConfig(
      withDefaults({ netG: 'unet_64', ngf: 8, ndf: 8, size: 64, num_D: 2, lambda_fm: 1 }),
    );
    const scale1 =
      16 * (6 * 8 * 16 * 16 + 8 * 16 * 8 * 8 + 16 * 32 * 4 * 4 + 32 * 64 * 3 * 3 + 64 * 1 * 2 * 2);
    expect(ms.macsD).toBe(3_477_504 + scale1);
    expect(ms.dForwardsPerStep).toBe(4);
  });

  it('the memory estimate is within 20 % of the measured peak of a real step (wasm)', async () => {
    const prev = tf.getBackend();
    await tf.setBackend('wasm');
    const cfg = withDefaults({ netG: 'unet_64', size: 64, ngf: 8, ndf: 8 });
    const rng = new Rng(1);
    const img = () => {
      const data = new Uint8ClampedArray(64 * 64 * 4);
      for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
      return { width: 64, height: 64, data };
    };
    const data = createInMemoryDataSource([{ photo: img(), xray: img() }], { size: 64 });
    const base = tf.memory().numBytes;
    const t = Trainer.create(cfg, data);
    try {
      t.step();
      await t.drainMetrics();
      const prof = await tf.profile(() => {
        t.step();
      });
      const measured = prof.peakBytes - base;
      const ratio = describeConfig(cfg).memory.totalBytes / measured;
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.2);
    } finally {
      t.dispose();
      data.dispose();
      if (prev) await tf.setBackend(prev);
    }
  });
});

describe('npy writer', () => {
  it('writes a valid v1.0 header and the values', () => {
    const bytes = encodeNpy(new Float32Array([1, -0.5, 0.25, 2, 3, 4]), [1, 2, 3]);
    const { shape, data } = readNpy(bytes);
    expect(shape).toEqual([1, 2, 3]);
    expect(Array.from(data)).toEqual([1, -0.5, 0.25, 2, 3, 4]);
    expect(() => encodeNpy(new Float32Array(3), [2, 2])).toThrow(/3 values/);
  });
});

describe('cli subprocess', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ceph-cli-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('info --netG unet_256 --ngf 64 prints 54,413,955 generator parameters; --json parses', async () => {
    const r = await cli(['info', '--netG', 'unet_256', '--ngf', '64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Generator unet_256 .*: 54,413,955 parameters/);
    expect(r.stdout).toMatch(/Discriminator .*: 2,768,705 parameters/);
    const j = await runMain(['info', '--json', '--netG', 'unet_128', '--size', '128']);
    expect(j.code).toBe(0);
    const info = JSON.parse(j.stdout) as { paramsG: number; config: { size: number } };
    expect(info.paramsG).toBe(41_828_995);
    expect(info.config.size).toBe(128);
  });

  it('user mistakes print one line and exit 2', async () => {
    // once as a real process (exit code), the rest in-process
    const r = await cli(['train', '--demo']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*--out <dir> is required/)]);
    const cases: [string[], RegExp][] = [
      [['info', '--netG', 'unet_256', '--size', '100'], /--size 100 does not fit --netG unet_256/],
      [['info', '--bogus'], /^error: info: Unknown option '--bogus' \(see --help\)$/],
      [['info', '--ngf', 'x'], /--ngf must be a number, got "x"/],
      [['nope'], /unknown command "nope"/],
      [['train', '--demo', '--data', 'x', '--out', 'y'], /either --demo or --data/],
      [
        ['infer', '--checkpoint', '/nonexistent', '--input', '/nonexistent.png', '--out', 'o.png'],
        /nonexistent/,
      ],
    ];
    for (const [args, re] of cases) {
      const m = await runMain(args);
      expect(m.code, args.join(' ')).toBe(2);
      const lines = m.stderr.split('\n').filter((l) => l !== '');
      expect(lines.length, args.join(' ')).toBe(1);
      expect(lines[0]).toMatch(re);
    }
  });

  it('train refuses before training when the wasm heap estimate exceeds 4 GiB (the app’s message, the largest size/ngf that fits); --force skips the check', async () => {
    const big = ['--netG', 'unet_256', '--ngf', '64', '--ndf', '64', '--size', '512', '--batch_size', '2'];
    const out = join(dir, 'too-big');
    const t0 = performance.now();
    const r = await runMain(['train', '--demo', ...big, '--out', out]);
    expect(performance.now() - t0).toBeLessThan(5000); // refused before the demo data or the networks exist
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    // the same en sentence the Train view shows before Start (engine describeConfig → checkMemory)
    const demo = PRESETS.find((p) => p.id === 'demo')?.config ?? {};
    const cfg = withDefaults({ ...demo, netG: 'unet_256', ngf: 64, ndf: 64, size: 512, batch_size: 2 });
    const totalBytesOf = (c: RunConfig): number => describeConfig(c).memory.totalBytes;
    const verdict = checkMemory(
      { totalBytes: totalBytesOf(cfg), largestTensorBytes: 0 },
      { backend: 'wasm' },
      {
        cfg,
        totalBytesOf,
      },
    );
    expect(verdict.fits).toBe(false);
    const app = trainMessageText(verdict.problems[0], 'en');
    expect(lines[0]).toBe(`error: train: ${app} (--force trains anyway)`);
    const m =
      /largest size that fits with these networks is (\d+) px; at 512 px, ngf (\d+) or less fits/.exec(
        lines[0],
      );
    expect(m).not.toBeNull();
    const [fitSize, fitNgf] = [Number(m?.[1]), Number(m?.[2])];
    const fits = (c: RunConfig): boolean => wasmHeapNeed(totalBytesOf(c)) <= WASM_HEAP_BYTES;
    expect(fits({ ...cfg, size: fitSize })).toBe(true);
    expect(fits({ ...cfg, size: fitSize + 256 })).toBe(false);
    expect(fits({ ...cfg, ngf: fitNgf })).toBe(true);
    expect(fits({ ...cfg, ngf: fitNgf + 1 })).toBe(false);
    // a run that fits is not refused; --force skips the check (here the missing data folder is the error)
    const forced = await runMain([
      'train',
      '--data',
      join(dir, 'no-such-folder'),
      ...big,
      '--force',
      '--out',
      out,
    ]);
    expect(forced.code).toBe(2);
    expect(forced.stderr).not.toMatch(/WebAssembly heap/);
    expect(forced.stderr).toMatch(/no-such-folder/);
  });

  it('train --demo on wasm writes a checkpoint and metrics.json; infer writes a PNG and a .npy', async () => {
    const out = join(dir, 'run');
    const t0 = performance.now();
    const r = await cli(
      ['train', '--demo', '--size', '64', '--steps', '6', '--cases', '6', '--log_every', '3', '--out', out],
      180_000,
    );
    const trainMs = performance.now() - t0;
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backend wasm/m);
    expect(r.stdout).toMatch(/step 3\/6 .*G_GAN [\d.]+ G_L1 [\d.]+ D_real [\d.]+ D_fake [\d.]+ .*it\/s/);
    expect(r.stdout).toMatch(/augmentation: jitter off, flip off/);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.steps).toBe(6);
    expect(metrics.backend).toBe('wasm');
    expect(metrics.history.map((h: { step: number }) => h.step)).toEqual([1, 3, 6]);
    expect(Object.keys(metrics.history[0])).toEqual(
      expect.arrayContaining(['G_GAN', 'G_L1', 'G_grad', 'D_real', 'D_fake', 'lr']),
    );
    expect(metrics.final.mean_l1).toBeGreaterThan(0);
    expect(metrics.final.mean_l1).toBeLessThan(1);
    expect(typeof metrics.final.mean_psnr).toBe('number');
    expect(typeof metrics.final.mean_ssim).toBe('number');
    expect(metrics.ms_per_step).toBeGreaterThan(0);
    const files = await readCheckpointFiles(createFsStorage(out), 'last');
    const state = loadTrainerState(files as Map<string, Uint8Array>);
    expect(state.step).toBe(6);
    expect(state.config.netG).toBe('unet_64');
    expect(state.config.size).toBe(64);

    // infer on the checkpoint with a 64x64 input (used as is)
    const photo = join(dir, 'photo.png');
    const rng = new Rng(3);
    const data = new Uint8ClampedArray(64 * 64 * 4);
    for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : rng.int(256);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(photo, encodePngNode({ width: 64, height: 64, data }));
    const png = join(dir, 'xray.png');
    const npy = join(dir, 'xray.npy');
    const inf = await cli([
      'infer',
      '--checkpoint',
      out,
      '--input',
      photo,
      '--out',
      png,
      '--npy',
      npy,
      '--eval',
    ]);
    expect(inf.code).toBe(0);
    expect(inf.stderr).not.toMatch(/letterboxed/);
    const dec = decodeImageNode(new Uint8Array(await readFile(png)), 'xray.png');
    expect(dec.ok && [dec.image.width, dec.image.height]).toEqual([64, 64]);
    const arr = readNpy(new Uint8Array(await readFile(npy)));
    expect(arr.shape).toEqual([64, 64, 3]);
    expect(arr.data.every((v) => v >= -1 && v <= 1)).toBe(true);
    // the PNG is the rounded npy
    if (dec.ok) expect(dec.image.data[0]).toBe(Math.round(((arr.data[0] + 1) / 2) * 255));
    expect(((await stat(npy)).size - 64 * 64 * 3 * 4) % 64).toBe(0);
    console.log(`cli train --demo (6 steps, subprocess): ${trainMs.toFixed(0)} ms`);
  });

  it('train --data reads the server aligned layout; --resume continues the run, --init starts a new one from its weights', async () => {
    const data = join(dir, 'aligned');
    const { mkdir, writeFile } = await import('node:fs/promises');
    const rng = new Rng(9);
    for (const [split, n] of [
      ['train', 3],
      ['val', 1],
    ] as const) {
      await mkdir(join(data, split), { recursive: true });
      for (let i = 0; i < n; i++) {
        // photo left half, X-ray right half (grey), 32 x 32 each
        const img = new Uint8ClampedArray(64 * 32 * 4);
        for (let p = 0; p < 64 * 32; p++) {
          const v = rng.int(256);
          img.set([v, p % 64 < 32 ? rng.int(256) : v, v, 255], p * 4);
        }
        await writeFile(join(data, split, `${i}.png`), encodePngNode({ width: 64, height: 32, data: img }));
      }
    }
    const out = join(dir, 'aligned-run');
    const net = ['--size', '32', '--netG', 'unet_32', '--ngf', '4', '--ndf', '4', '--log_every', '1'];
    const prev = tf.getBackend();
    try {
      const a = await runMain(['train', '--data', data, ...net, '--steps', '2', '--out', out]);
      expect(a.stderr).toBe('');
      expect(a.code).toBe(0);
      expect(a.stdout).toMatch(/data: .*aligned, 3 train \+ 1 val cases at 32 px/);
      // no landmarks: the server's augmentation defaults
      expect(a.stdout).toMatch(/augmentation: jitter on, flip on/);
      const b = await runMain([
        'train',
        '--data',
        data,
        '--steps',
        '3',
        '--out',
        out,
        '--resume',
        '--log_every',
        '1',
      ]);
      expect(b.code).toBe(0);
      expect(b.stdout).toMatch(/resuming at step 2 \(epoch 1\)/);
      expect(b.stdout).toMatch(/step 3\/3 \(epoch 1, 3\/3\)/);
      const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
      expect(metrics.history.map((h: { step: number }) => h.step)).toEqual([1, 2, 3]);
      expect(metrics.config.ngf).toBe(4);
      const state = loadTrainerState(
        (await readCheckpointFiles(createFsStorage(out), 'last')) as Map<string, Uint8Array>,
      );
      expect([state.step, state.epoch, state.iterInEpoch]).toEqual([3, 1, 3]);

      // --init: a NEW run from those weights (epoch 1 of 3 steps is complete -> epoch_count 2)
      const cont = join(dir, 'continued');
      const c = await runMain([
        'train',
        '--data',
        data,
        '--init',
        out,
        '--steps',
        '2',
        '--lambda_L1',
        '50',
        '--out',
        cont,
      ]);
      expect(c.stderr).toBe('');
      expect(c.code).toBe(0);
      expect(c.stdout).toMatch(
        /starting from studio checkpoint .* \(1 epochs trained\): epochs 2\.\.200, fresh optimizer, discriminator from the checkpoint/,
      );
      const cm = JSON.parse(await readFile(join(cont, 'metrics.json'), 'utf8'));
      expect(cm.init).toMatchObject({ completed_epochs: 1, epoch_count: 2, discriminator: 'checkpoint' });
      expect([cm.config.ngf, cm.config.lambda_L1, cm.config.epoch_count]).toEqual([4, 50, 2]);
      expect(cm.history.map((h: { step: number; epoch: number }) => [h.step, h.epoch])).toEqual([
        [1, 2],
        [2, 2],
      ]);
      const cs = loadTrainerState(
        (await readCheckpointFiles(createFsStorage(cont), 'last')) as Map<string, Uint8Array>,
      );
      expect([cs.step, cs.epoch, cs.optimizer.G.iterations]).toEqual([2, 2, 2]);
      // a structure option that differs from the weights is refused, naming both values
      const bad = await runMain(['train', '--data', data, '--init', out, '--ngf', '8', '--out', cont]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--ngf 8: the weights in --init were trained with ngf = 4/);

      // from the server's files: latest_net_G.pth with its latest_net_D.pth beside it
      const pthDir = join(dir, 'pth');
      const ex = await runMain(['export', '--checkpoint', out, '--format', 'pth', '--out', pthDir]);
      expect(ex.code).toBe(0);
      const fromPth = join(dir, 'from-pth');
      const p = await runMain([
        'train',
        '--data',
        data,
        '--init',
        join(pthDir, 'latest_net_G.pth'),
        '--epoch_count',
        '7',
        '--n_epochs',
        '10',
        '--n_epochs_decay',
        '0',
        '--steps',
        '1',
        '--out',
        fromPth,
      ]);
      expect(p.stderr).toBe('');
      expect(p.code).toBe(0);
      expect(p.stdout).toMatch(/epochs 7\.\.10, fresh optimizer, discriminator from the checkpoint/);
      const pm = JSON.parse(await readFile(join(fromPth, 'metrics.json'), 'utf8'));
      expect([pm.config.epoch_count, pm.config.ngf, pm.history[0].epoch]).toEqual([7, 4, 7]);
      // the first G_L1 equals the studio-checkpoint continuation's (same G, data order and seeds)
      // only when the epoch matches; here: finite and from the loaded weights
      expect(Number.isFinite(pm.history[0].G_L1)).toBe(true);
      // without --epoch_count a lone latest_net_G.pth does not know its epochs: a note says so
      const q = await runMain([
        'train',
        '--data',
        data,
        '--init',
        join(pthDir, 'latest_net_G.pth'),
        '--steps',
        '1',
        '--out',
        join(dir, 'from-pth-2'),
      ]);
      expect(q.code).toBe(0);
      expect(q.stdout).toMatch(
        /note: the checkpoint does not say how many epochs it was trained; starting at epoch 1/,
      );
    } finally {
      if (prev) await tf.setBackend(prev);
    }
  });

  it('env --json reports the backend, versions and skipped backends', async () => {
    const prev = tf.getBackend();
    try {
      const r = await runMain(['env', '--json']);
      expect(r.code).toBe(0);
      const env = JSON.parse(r.stdout) as {
        backend: string;
        versions: Record<string, string>;
        skipped: { backend: string; reason: string }[];
      };
      expect(['wasm', 'cpu']).toContain(env.backend);
      expect(env.versions.node).toBe(process.versions.node);
      expect(env.versions.tfjs).toBe(tf.version.tfjs);
      expect(env.skipped.map((s) => s.backend)).toContain('webgpu');
      for (const s of env.skipped) expect(s.reason.length).toBeGreaterThan(5);
    } finally {
      if (prev) await tf.setBackend(prev);
    }
  });
});
