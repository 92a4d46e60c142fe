/**
 * Parity with PyTorch (Debian's python3-torch, /usr/bin/python3): the server's networks re-stated in
 * pix2pix_ref.py load the studio's exported .pth with weights_only=True and strict loading, and give
 * the studio's outputs (eval mode, 256 px); .pth files written by torch.save load into the studio and
 * reproduce PyTorch's outputs; the studio's safetensors file is read by an independent Python reader.
 * A missing python3-torch fails the test with the apt-get command (it never skips).
 *
 * Importing torch takes seconds, so the studio side is prepared first (files, inputs, studio outputs)
 * and every PyTorch step runs in ONE Python process (`batch`); the tests then assert on the results.
 * PyTorch → studio files are written in that same process (`save`) and read back in the tests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaults, type RunConfig } from '../../src/core/config';
import { readCheckpointFile, writeCheckpointFiles } from '../../src/core/io/formats';
import { writePth } from '../../src/core/io/pth';
import {
  createDiscriminator,
  createGenerator,
  expectedEntries,
  loadStateDict,
  stateDictOf,
  type ForwardMode,
  type Net,
  type StateDict,
} from '../../src/core/model';
import { Rng } from '../../src/core/rng';
import { assertTorch, pythonBatch, type PyResult } from './python';

const SCRIPT = fileURLToPath(new URL('./pix2pix_ref.py', import.meta.url));
const EVAL: ForwardMode = { training: false, dropout: false };
const SIZE = 256;

let dir = '';

const path = (name: string): string => join(dir, name);

function writeRaw(name: string, data: Float32Array): string {
  writeFileSync(path(name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return path(name);
}

function readRaw(name: string): Float32Array {
  const b = readFileSync(path(name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A seeded image in [-1, 1], NHWC for the studio and NCHW (raw file) for PyTorch. */
function makeInput(name: string, seed: number, channels = 3): { nhwc: tf.Tensor4D; file: string } {
  const rng = new Rng(seed);
  const nchw = Float32Array.from({ length: channels * SIZE * SIZE }, () => rng.uniform(-1, 1));
  const nhwc = tf.tidy(() =>
    tf.tensor4d(nchw, [1, channels, SIZE, SIZE]).transpose<tf.Tensor4D>([0, 2, 3, 1]),
  );
  return { nhwc, file: writeRaw(name, nchw) };
}

/** NHWC studio output → NCHW values, disposing the tensor. */
async function toNchw(t: tf.Tensor4D): Promise<Float32Array> {
  const p = t.transpose([0, 3, 1, 2]);
  const v = (await p.data()) as Float32Array;
  p.dispose();
  t.dispose();
  return v;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Give BatchNorm non-trivial affine parameters and running statistics, so eval mode is a real test. */
async function randomizeNorms(net: Net, seed: number): Promise<StateDict> {
  const rng = new Rng(seed);
  const sd = (await stateDictOf(net)).map((e) => {
    if (e.dtype === 'int64') return { ...e, data: BigInt64Array.of(4321n) };
    const isNorm =
      e.shape.length === 1 && net.buffers.has(e.key.replace(/\.(weight|bias)$/, '.running_mean'));
    const isBias = e.key.endsWith('.bias');
    const data = e.data as Float32Array;
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      if (e.key.endsWith('.running_mean')) out[i] = rng.uniform(-0.1, 0.1);
      else if (e.key.endsWith('.running_var')) out[i] = rng.uniform(0.5, 1.5);
      else if (isNorm && !isBias) out[i] = 1 + rng.normal(0, 0.02);
      else if (isBias) out[i] = rng.uniform(-0.1, 0.1);
      else out[i] = data[i];
    }
    return { ...e, data: out };
  });
  loadStateDict(net, sd);
  return sd;
}

function gNet(cfg: RunConfig): Record<string, unknown> {
  return {
    kind: 'G',
    net: {
      input_nc: cfg.input_nc,
      output_nc: cfg.output_nc,
      num_downs: Math.log2(Number(cfg.netG.slice(5))),
      ngf: cfg.ngf,
      norm: cfg.norm,
    },
  };
}

function dNet(cfg: RunConfig): Record<string, unknown> {
  return {
    kind: 'D',
    net: { input_nc: cfg.input_nc + cfg.output_nc, ndf: cfg.ndf, n_layers: cfg.n_layers_D, norm: cfg.norm },
  };
}

/** A zero state_dict with exactly the keys/shapes/dtypes of a configuration (no tensors allocated). */
function zeroStateDict(cfg: RunConfig, kind: 'G' | 'D'): StateDict {
  return expectedEntries(cfg, kind).map((e) => ({
    key: e.key,
    dtype: e.dtype,
    shape: e.shape,
    data: e.dtype === 'int64' ? new BigInt64Array(1) : new Float32Array(e.shape.reduce((s, v) => s * v, 1)),
  }));
}

const NORMS = ['batch', 'instance'] as const;
const small = (norm: 'batch' | 'instance'): RunConfig =>
  withDefaults({ netG: 'unet_256', ngf: 8, ndf: 8, norm, size: SIZE });
const full = (norm: 'batch' | 'instance'): RunConfig =>
  withDefaults({ netG: 'unet_256', ngf: 64, ndf: 64, norm });

/** Studio outputs (NCHW) by name, and the Python results by the same name. */
const studioOut = new Map<string, Float32Array>();
const py = new Map<string, PyResult>();
const pyInputs = new Map<string, string[]>();
let safetensorsConfig: RunConfig;

function pyResult(name: string): Record<string, unknown> {
  const r = py.get(name);
  if (!r) throw new Error(`no Python result for ${name}`);
  if (!r.ok) throw new Error(`PyTorch step ${name} failed: ${r.error}`);
  return r.result as Record<string, unknown>;
}

beforeAll(async () => {
  assertTorch();
  await tf.setBackend('cpu');
  await tf.ready();
  dir = mkdtempSync(join(tmpdir(), 'ceph-parity-'));
  const specs: Record<string, unknown>[] = [];
  const names: string[] = [];
  const add = (name: string, spec: Record<string, unknown>): void => {
    names.push(name);
    specs.push(spec);
  };

  // studio → PyTorch: small networks with random BatchNorm statistics, eval mode
  for (const norm of NORMS) {
    const cfg = small(norm);
    const G = createGenerator(cfg, 11);
    const gSd = await randomizeNorms(G, 12);
    const [pth] = writeCheckpointFiles(gSd, { kind: 'G', config: cfg, format: 'pth' });
    writeFileSync(path(`G_${norm}.pth`), pth.bytes);
    const x = makeInput(`xG_${norm}.f32`, 13);
    studioOut.set(`G_${norm}`, await toNchw(G.apply(x.nhwc, EVAL)));
    x.nhwc.dispose();
    G.dispose();
    add(`G_${norm}`, {
      cmd: 'run',
      ...gNet(cfg),
      pth: path(`G_${norm}.pth`),
      inputs: [x.file],
      shape: [1, 3, SIZE, SIZE],
      output: path(`yG_${norm}.f32`),
    });

    const D = createDiscriminator(cfg, 21);
    const dSd = await randomizeNorms(D, 22);
    const [dPth] = writeCheckpointFiles(dSd, { kind: 'D', config: cfg, format: 'pth' });
    writeFileSync(path(`D_${norm}.pth`), dPth.bytes);
    const a = makeInput(`a_${norm}.f32`, 23);
    const b = makeInput(`b_${norm}.f32`, 24);
    const out = D.apply(a.nhwc, b.nhwc, EVAL);
    studioOut.set(`D_${norm}`, await toNchw(out.logits[0]));
    tf.dispose(out.features.flat());
    tf.dispose([a.nhwc, b.nhwc]);
    D.dispose();
    add(`D_${norm}`, {
      cmd: 'run',
      ...dNet(cfg),
      pth: path(`D_${norm}.pth`),
      inputs: [a.file, b.file],
      shape: [1, 3, SIZE, SIZE],
      output: path(`yD_${norm}.f32`),
    });

    // full-size key sets, loaded strictly but not run
    writeFileSync(path(`full_G_${norm}.pth`), writePth(zeroStateDict(full(norm), 'G')));
    writeFileSync(path(`full_D_${norm}.pth`), writePth(zeroStateDict(full(norm), 'D')));
    add(`full_G_${norm}`, { cmd: 'strict-load', ...gNet(full(norm)), pth: path(`full_G_${norm}.pth`) });
    add(`full_D_${norm}`, { cmd: 'strict-load', ...dNet(full(norm)), pth: path(`full_D_${norm}.pth`) });
  }

  // PyTorch → studio: torch.save files and PyTorch's own outputs on seeded inputs
  const cfg = small('batch');
  const xT = writeRawInput('xT.f32', 31);
  pyInputs.set('torch_G', [xT]);
  add('torch_G', {
    cmd: 'save',
    ...gNet(cfg),
    seed: 5,
    pth: path('torch_G.pth'),
    inputs: [xT],
    shape: [1, 3, SIZE, SIZE],
    output: path('yT.f32'),
  });
  const aT = writeRawInput('aT.f32', 41);
  const bT = writeRawInput('bT.f32', 42);
  pyInputs.set('torch_D', [aT, bT]);
  add('torch_D', {
    cmd: 'save',
    ...dNet(cfg),
    seed: 6,
    pth: path('torch_D.pth'),
    inputs: [aT, bT],
    shape: [1, 3, SIZE, SIZE],
    output: path('yTD.f32'),
  });

  // safetensors, read back by an independent reader and compared with the .pth of the same weights
  safetensorsConfig = small('batch');
  const G = createGenerator(safetensorsConfig, 3);
  const sd = await randomizeNorms(G, 4);
  G.dispose();
  const [st] = writeCheckpointFiles(sd, { kind: 'G', config: safetensorsConfig, format: 'safetensors' });
  const [ref] = writeCheckpointFiles(sd, { kind: 'G', config: safetensorsConfig, format: 'pth' });
  writeFileSync(path('G.safetensors'), st.bytes);
  writeFileSync(path('G_ref.pth'), ref.bytes);
  studioOut.set('safetensors_keys', new Float32Array([sd.length]));
  add('safetensors', { cmd: 'safetensors', safetensors: path('G.safetensors'), pth: path('G_ref.pth') });

  const results = pythonBatch(SCRIPT, specs);
  names.forEach((n, i) => py.set(n, results[i]));
}, 180_000);

/** The raw NCHW input file only (the studio tensor is made later from the same seed). */
function writeRawInput(name: string, seed: number): string {
  const rng = new Rng(seed);
  return writeRaw(
    name,
    Float32Array.from({ length: 3 * SIZE * SIZE }, () => rng.uniform(-1, 1)),
  );
}

/** The studio NHWC tensor of a raw NCHW input file. */
function nhwcOfFile(file: string): tf.Tensor4D {
  const b = readFileSync(file);
  const nchw = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return tf.tidy(() => tf.tensor4d(nchw, [1, 3, SIZE, SIZE]).transpose<tf.Tensor4D>([0, 2, 3, 1]));
}

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(NORMS)('studio → PyTorch, norm %s (ngf/ndf 8, 256 px, eval)', (norm) => {
  it('the server U-Net loads the exported latest_net_G.pth (weights_only, strict) and gives the same output', () => {
    expect(pyResult(`G_${norm}`).shape).toEqual([1, 3, SIZE, SIZE]);
    const diff = maxAbsDiff(studioOut.get(`G_${norm}`)!, readRaw(`yG_${norm}.f32`));
    console.log(`parity G ${norm}: max |studio - PyTorch| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it('the server PatchGAN loads the exported latest_net_D.pth (weights_only, strict) and gives the same logits', () => {
    expect(pyResult(`D_${norm}`).shape).toEqual([1, 1, 30, 30]);
    const diff = maxAbsDiff(studioOut.get(`D_${norm}`)!, readRaw(`yD_${norm}.f32`));
    console.log(`parity D ${norm}: max |studio - PyTorch| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });
});

describe('full-size networks: unet_256 ngf 64 and basic D ndf 64 (loaded strictly, not run)', () => {
  it.each([
    ['batch', 82, 54_413_955, 9_869, 22, 2_768_705],
    ['instance', 32, 54_409_603, 0, 10, 2_767_809],
  ] as const)(
    '%s: key sets, parameter and buffer counts equal the server',
    (norm, gKeys, gParams, gBuffers, dKeys, dParams) => {
      expect(pyResult(`full_G_${norm}`)).toEqual({ keys: gKeys, parameters: gParams, buffers: gBuffers });
      expect(pyResult(`full_D_${norm}`)).toMatchObject({ keys: dKeys, parameters: dParams });
    },
  );
});

describe('PyTorch → studio: files written by torch.save', () => {
  it('a torch.save generator imports (config inferred) and reproduces PyTorch', async () => {
    pyResult('torch_G');
    const loaded = readCheckpointFile('torch_G.pth', new Uint8Array(readFileSync(path('torch_G.pth'))));
    expect(loaded.format).toBe('pth');
    expect(loaded.kind).toBe('G');
    expect(loaded.config).toMatchObject({
      netG: 'unet_256',
      ngf: 8,
      norm: 'batch',
      input_nc: 3,
      output_nc: 3,
    });
    expect(loaded.stateDict.find((e) => e.key.endsWith('num_batches_tracked'))?.data[0]).toBe(1234n);
    const G = createGenerator(withDefaults(loaded.config ?? {}), 0);
    loadStateDict(G, loaded.stateDict);
    const x = nhwcOfFile(pyInputs.get('torch_G')![0]);
    const ours = await toNchw(G.apply(x, EVAL));
    x.dispose();
    G.dispose();
    const diff = maxAbsDiff(ours, readRaw('yT.f32'));
    console.log(`parity torch.save G: max |studio - PyTorch| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it('a torch.save discriminator imports (config inferred) and reproduces PyTorch', async () => {
    pyResult('torch_D');
    const loaded = readCheckpointFile('torch_D.pth', new Uint8Array(readFileSync(path('torch_D.pth'))));
    expect(loaded.kind).toBe('D');
    expect(loaded.config).toMatchObject({ ndf: 8, n_layers_D: 3, norm: 'batch', num_D: 1 });
    const D = createDiscriminator(withDefaults(loaded.config ?? {}), 0);
    loadStateDict(D, loaded.stateDict);
    const [aFile, bFile] = pyInputs.get('torch_D')!;
    const a = nhwcOfFile(aFile);
    const b = nhwcOfFile(bFile);
    const out = D.apply(a, b, EVAL);
    const ours = await toNchw(out.logits[0]);
    tf.dispose(out.features.flat());
    tf.dispose([a, b]);
    D.dispose();
    expect(maxAbsDiff(ours, readRaw('yTD.f32'))).toBeLessThan(1e-4);
  });
});

describe('safetensors export, read by an independent Python reader', () => {
  it('has the same keys, shapes, dtypes and values as the .pth, and the config in __metadata__', () => {
    const r = pyResult('safetensors');
    expect(r.keys).toBe(studioOut.get('safetensors_keys')![0]);
    expect(r.sameKeys).toBe(true);
    expect(r.mismatched).toEqual([]);
    expect(r.maxDiff).toBe(0);
    expect(r.dtypes).toEqual(['F32', 'I64']);
    expect(r.contiguous).toBe(true);
    expect(r.headerAligned).toBe(true);
    const meta = r.metadata as Record<string, string>;
    expect(meta.format).toBe('ceph-gan-studio');
    expect(meta.kind).toBe('G');
    expect(JSON.parse(meta.studio_config)).toEqual(safetensorsConfig);
  });
});
