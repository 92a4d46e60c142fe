import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { withDefaults, type RunConfig } from '../../src/core/config';
import {
  countBuffers,
  countParameters,
  createDiscriminator,
  createGenerator,
  expectedEntries,
  inferConfigFromStateDict,
  loadStateDict,
  stateDictOf,
  StateDictError,
  unetDropoutKeys,
  type ForwardMode,
  type Net,
  type StateDict,
} from '../../src/core/model';
import { maxAbsDiff } from './numeric';

interface RefConfig {
  parameters: number;
  buffers: number;
  keys: [string, number[], 'float32' | 'int64'][];
}
const REF = JSON.parse(readFileSync('/work/shared/reference/pix2pix-state-dicts.json', 'utf8')) as Record<
  string,
  RefConfig
>;

const REF_CONFIGS: { name: string; kind: 'G' | 'D'; cfg: Partial<RunConfig> }[] = [
  { name: 'G_unet_256_batch', kind: 'G', cfg: { netG: 'unet_256', norm: 'batch' } },
  { name: 'G_unet_256_instance', kind: 'G', cfg: { netG: 'unet_256', norm: 'instance' } },
  { name: 'G_unet_128_batch', kind: 'G', cfg: { netG: 'unet_128', norm: 'batch' } },
  { name: 'D_basic_batch', kind: 'D', cfg: { norm: 'batch' } },
  { name: 'D_basic_instance', kind: 'D', cfg: { norm: 'instance' } },
];

async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

const TRAIN: ForwardMode = { training: true, dropout: false };
const EVAL: ForwardMode = { training: false, dropout: false };

/** Small nets for fast forward passes. */
const SMALL = withDefaults({ netG: 'unet_64', ngf: 4, ndf: 4, num_D: 2 });

function input(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor4D;
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

/** Entry data as a plain array (float32 or int64 entries). */
function arr(d: Float32Array | BigInt64Array): (number | bigint)[] {
  return Array.from(d as Iterable<number | bigint>);
}

function entryOf(sd: StateDict, key: string) {
  const e = sd.find((x) => x.key === key);
  if (!e) throw new Error(`no ${key}`);
  return e;
}

describe('state_dict layout equals the server (pix2pix-state-dicts.json)', () => {
  it.each(REF_CONFIGS)(
    '$name: keys in order, shapes, dtypes, parameter and buffer counts',
    ({ name, kind, cfg }) => {
      const ref = REF[name];
      const entries = expectedEntries(withDefaults(cfg), kind);
      expect(entries.map((e) => [e.key, e.shape, e.dtype])).toEqual(ref.keys);
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const isBuffer = (k: string) => /\.(running_mean|running_var|num_batches_tracked)$/.test(k);
      const params = entries.filter((e) => !isBuffer(e.key)).reduce((a, e) => a + size(e.shape), 0);
      const buffers = entries.filter((e) => isBuffer(e.key)).reduce((a, e) => a + size(e.shape), 0);
      expect(params).toBe(ref.parameters);
      expect(buffers).toBe(ref.buffers);
    },
  );

  it('a real unet_256 (ngf 64, batch) and basic D: keys, shapes, dtypes, counts, init statistics', async () => {
    await useBackend('cpu');
    const before = tf.memory().numTensors;
    const G = createGenerator(withDefaults({}), 1);
    expect(countParameters(G)).toBe(54_413_955);
    expect(countBuffers(G)).toBe(9_869);
    expect(G.keyOrder).toEqual(REF.G_unet_256_batch.keys.map((k) => k[0]));
    const sd = await stateDictOf(G);
    expect(sd.map((e) => [e.key, e.shape, e.dtype])).toEqual(REF.G_unet_256_batch.keys);
    for (const e of sd) {
      expect(e.data.length).toBe(e.shape.reduce((a, b) => a * b, 1));
      expect(e.data instanceof (e.dtype === 'int64' ? BigInt64Array : Float32Array)).toBe(true);
    }
    // server init: conv N(0, 0.02), bias 0, BatchNorm weight N(1, 0.02), running stats 0 / 1, count 0
    const w = entryOf(sd, 'model.model.1.model.3.model.3.model.1.weight').data as Float32Array; // 512x256x4x4
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const sd2 = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(2e-4);
    expect(Math.abs(sd2 - 0.02)).toBeLessThan(2e-4);
    const bn = entryOf(sd, 'model.model.1.model.3.model.3.model.2.weight').data as Float32Array;
    expect(Math.abs(bn.reduce((a, b) => a + b, 0) / bn.length - 1)).toBeLessThan(0.005);
    expect(arr(entryOf(sd, 'model.model.3.bias').data)).toEqual([0, 0, 0]);
    expect(arr(entryOf(sd, 'model.model.1.model.2.running_var').data).every((v) => v === 1)).toBe(true);
    expect(entryOf(sd, 'model.model.1.model.2.num_batches_tracked').data[0]).toBe(0n);
    G.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const D = createDiscriminator(withDefaults({}), 2);
    expect(countParameters(D)).toBe(2_768_705);
    expect(countBuffers(D)).toBe(1_795);
    const dsd = await stateDictOf(D);
    expect(dsd.map((e) => [e.key, e.shape, e.dtype])).toEqual(REF.D_basic_batch.keys);
    D.dispose();
    const Di = createDiscriminator(withDefaults({ norm: 'instance' }), 2);
    expect(countParameters(Di)).toBe(2_767_809);
    expect(countBuffers(Di)).toBe(0);
    expect(Di.keyOrder).toEqual(REF.D_basic_instance.keys.map((k) => k[0]));
    Di.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('multi-scale D: scale 0 keys are the server keys, extra scales are prefixed', () => {
    const e = expectedEntries(withDefaults({ num_D: 3 }), 'D');
    expect(e.slice(0, 22).map((x) => x.key)).toEqual(REF.D_basic_batch.keys.map((k) => k[0]));
    expect(e.length).toBe(66);
    expect(e[22].key).toBe('scale1.model.0.weight');
    expect(e[44].key).toBe('scale2.model.0.weight');
  });

  it('dropout sits in the ngf*8 middle levels only, and not with no_dropout', () => {
    expect(unetDropoutKeys(withDefaults({})).length).toBe(3);
    expect(unetDropoutKeys(withDefaults({ netG: 'unet_128' })).length).toBe(2);
    expect(unetDropoutKeys(withDefaults({ netG: 'unet_64' }))).toEqual([
      'model.model.1.model.3.model.3.model.3.model.7',
    ]);
    expect(unetDropoutKeys(withDefaults({ no_dropout: true }))).toEqual([]);
    expect(() => expectedEntries(withDefaults({ netG: 'unet_16' }), 'G')).toThrow(/at least 5/);
  });
});

describe('inferConfigFromStateDict', () => {
  it.each(REF_CONFIGS)('$name', ({ name, kind, cfg }) => {
    const sd = REF[name].keys.map(([key, shape]) => ({ key, shape }));
    const r = inferConfigFromStateDict(sd);
    expect(r.kind).toBe(kind);
    const full = withDefaults(cfg);
    if (kind === 'G') {
      expect(r.config).toEqual({ netG: full.netG, ngf: 64, norm: full.norm, input_nc: 3, output_nc: 3 });
    } else {
      expect(r.config).toEqual({ ndf: 64, n_layers_D: 3, norm: full.norm, num_D: 1 });
    }
  });

  it('studio shapes: unet_64 ngf 8 1-channel, D 3 scales n_layers 2; bad files are refused', () => {
    const g = expectedEntries(withDefaults({ netG: 'unet_64', ngf: 8, input_nc: 1, output_nc: 1 }), 'G');
    expect(inferConfigFromStateDict(g).config).toEqual({
      netG: 'unet_64',
      ngf: 8,
      norm: 'batch',
      input_nc: 1,
      output_nc: 1,
    });
    const d = expectedEntries(withDefaults({ ndf: 16, n_layers_D: 2, num_D: 3, norm: 'instance' }), 'D');
    expect(inferConfigFromStateDict(d)).toEqual({
      kind: 'D',
      config: { ndf: 16, n_layers_D: 2, norm: 'instance', num_D: 3 },
    });
    expect(() => inferConfigFromStateDict([{ key: 'fc.weight', shape: [3, 4] }])).toThrow(StateDictError);
    const broken = g.filter((e) => e.key !== 'model.model.1.model.2.running_var');
    expect(() => inferConfigFromStateDict(broken)).toThrow(/running_var/);
    const prefixed = g.map((e) => ({ ...e, key: `module.${e.key}` }));
    expect(() => inferConfigFromStateDict(prefixed)).toThrow(/module\./);
  });
});

describe.each(['wasm', 'cpu'] as const)('forward passes on %s', (backend) => {
  it('output shapes at 256 and 512 px; D logits 30x30 / 62x62', async () => {
    await useBackend(backend);
    const cfg = withDefaults({ netG: 'unet_256', ngf: 2, ndf: 2, num_D: 1 });
    const G = createGenerator(cfg, 3);
    const D = createDiscriminator(cfg, 4);
    for (const [size, patches] of [
      [256, 30],
      [512, 62],
    ]) {
      const x = input([1, size, size, 3], 5);
      const y = G.apply(x, TRAIN);
      expect(y.shape).toEqual([1, size, size, 3]);
      const out = D.apply(x, y, TRAIN);
      expect(out.logits.map((l) => l.shape)).toEqual([[1, patches, patches, 1]]);
      expect(out.features[0].map((f) => f.shape[3])).toEqual([2, 4, 8, 16]);
      tf.dispose([x, y, ...out.logits, ...out.features.flat()]);
    }
    G.dispose();
    D.dispose();
  });

  it('tanh output range, multi-scale logits 30/14/6 at 256 px, errors name the problem', async () => {
    await useBackend(backend);
    const cfg = withDefaults({ netG: 'unet_32', ngf: 2, ndf: 2, num_D: 3 });
    const G = createGenerator(cfg, 3);
    const D = createDiscriminator(cfg, 4);
    const x = input([1, 256, 256, 3], 6);
    const out = D.apply(x, x, TRAIN);
    expect(out.logits.map((l) => l.shape[1])).toEqual([30, 14, 6]);
    expect(out.features.map((f) => f.length)).toEqual([4, 4, 4]);
    const y = G.apply(input([2, 32, 32, 3], 7), TRAIN);
    const v = await values(y);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(() => G.apply(x.slice([0, 0, 0, 0], [1, 48, 48, 3]) as tf.Tensor4D, TRAIN)).toThrow(
      /multiples of 32 px/,
    );
    expect(() => G.apply(tf.zeros([1, 32, 32, 1]) as tf.Tensor4D, TRAIN)).toThrow(/3-channel/);
    tf.dispose([x, ...out.logits, ...out.features.flat()]);
    G.dispose();
    D.dispose();
    tf.disposeVariables();
  });

  it('stateDictOf -> loadStateDict into a net with another seed reproduces outputs exactly', async () => {
    await useBackend(backend);
    for (const norm of ['batch', 'instance'] as const) {
      const cfg = { ...SMALL, norm };
      const G1 = createGenerator(cfg, 10);
      const D1 = createDiscriminator(cfg, 11);
      // make the running stats non-trivial first
      tf.dispose(G1.apply(input([2, 64, 64, 3], 1), { ...TRAIN, updateStats: true }));
      const G2 = createGenerator(cfg, 20);
      const D2 = createDiscriminator(cfg, 21);
      const x = input([2, 64, 64, 3], 2);
      const before = await values(G2.apply(x, EVAL));
      const ref = await values(G1.apply(x, EVAL));
      expect(maxAbsDiff(before, ref)).toBeGreaterThan(1e-3);
      const gsd = await stateDictOf(G1);
      loadStateDict(G2, gsd);
      loadStateDict(D2, await stateDictOf(D1));
      for (const mode of [EVAL, TRAIN]) {
        expect(maxAbsDiff(await values(G2.apply(x, mode)), await values(G1.apply(x, mode)))).toBe(0);
      }
      const o1 = D1.apply(x, x, TRAIN);
      const o2 = D2.apply(x, x, TRAIN);
      for (let s = 0; s < 2; s++)
        expect(maxAbsDiff(await o2.logits[s].data(), await o1.logits[s].data())).toBe(0);
      tf.dispose([x, ...o1.logits, ...o1.features.flat(), ...o2.logits, ...o2.features.flat()]);
      const again = await stateDictOf(G2);
      expect(again.map((e) => e.key)).toEqual(gsd.map((e) => e.key));
      for (let i = 0; i < gsd.length; i++) expect(arr(again[i].data)).toEqual(arr(gsd[i].data));
      if (norm === 'batch')
        expect(G2.batchesTracked.get('model.model.1.model.2.num_batches_tracked')).toBe(1);
      for (const n of [G1, G2, D1, D2]) n.dispose();
    }
  });
});

describe('loadStateDict errors (wasm)', () => {
  it('wrong shape, missing and unexpected keys are named; a failed load changes nothing', async () => {
    await useBackend('wasm');
    const G = createGenerator(SMALL, 1);
    const good = await stateDictOf(G);
    const other = await stateDictOf(createGenerator(SMALL, 2));
    const key = 'model.model.1.model.1.weight';
    const badShape = other.map((e) =>
      e.key === key ? { ...e, shape: [9, 4, 4, 4], data: new Float32Array(9 * 64) } : e,
    );
    let err: unknown;
    try {
      loadStateDict(G, badShape);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect((err as StateDictError).key).toBe(key);
    expect((err as Error).message).toContain(`"${key}"`);
    expect((err as Error).message).toContain('9x4x4x4');
    expect((err as Error).message).toContain('8x4x4x4');
    // nothing was loaded
    const after = await stateDictOf(G);
    for (let i = 0; i < good.length; i++) expect(arr(after[i].data)).toEqual(arr(good[i].data));

    const missing = other.filter((e) => e.key !== 'model.model.3.bias');
    expect(() => loadStateDict(G, missing)).toThrow(/"model\.model\.3\.bias"/);
    const extra: StateDict = [
      ...other,
      { key: 'extra.weight', dtype: 'float32', shape: [1], data: new Float32Array(1) },
    ];
    expect(() => loadStateDict(G, extra)).toThrow(/"extra\.weight"/);
    const unexpected = (() => {
      try {
        loadStateDict(G, extra);
        return [];
      } catch (e) {
        return (e as StateDictError).unexpected;
      }
    })();
    expect(unexpected).toEqual(['extra.weight']);
    // not strict: loads what matches, still ignores _metadata
    loadStateDict(
      G,
      [...missing, { key: '_metadata', dtype: 'float32', shape: [0], data: new Float32Array(0) }],
      { strict: false },
    );
    const partial = await stateDictOf(G);
    expect(arr(entryOf(partial, key).data)).toEqual(arr(entryOf(other, key).data));
    expect(arr(entryOf(partial, 'model.model.3.bias').data)).toEqual(
      arr(entryOf(good, 'model.model.3.bias').data),
    );
    // a discriminator file into a generator
    const D = createDiscriminator(SMALL, 3);
    expect(() => loadStateDict(G, [])).toThrow(/missing/);
    expect(() => loadStateDict(D, good)).toThrow(/does not fit this discriminator/);
    G.dispose();
    D.dispose();
    tf.disposeVariables();
  });

  it('files without num_batches_tracked (PyTorch < 0.4.1) load with the count 0, like the server', async () => {
    await useBackend('wasm');
    const G = createGenerator(SMALL, 1);
    tf.dispose(G.apply(input([2, 64, 64, 3], 1), { ...TRAIN, updateStats: true }));
    const old = (await stateDictOf(createGenerator(SMALL, 2))).filter(
      (e) => !e.key.endsWith('num_batches_tracked'),
    );
    expect(old.length).toBe(G.keyOrder.length - G.batchesTracked.size);
    loadStateDict(G, old);
    expect([...G.batchesTracked.values()].every((n) => n === 0)).toBe(true);
    expect(inferConfigFromStateDict(old).config.netG).toBe('unet_64');
    G.dispose();
    tf.disposeVariables();
  });

  it('InstanceNorm nets silently drop running stats like the server', async () => {
    await useBackend('wasm');
    const cfg = { ...SMALL, norm: 'instance' as const };
    const D = createDiscriminator(cfg, 1);
    const sd = await stateDictOf(createDiscriminator(cfg, 2));
    const withStats: StateDict = [
      ...sd,
      { key: 'model.3.running_mean', dtype: 'float32', shape: [8], data: new Float32Array(8) },
      { key: 'model.3.running_var', dtype: 'float32', shape: [8], data: new Float32Array(8) },
      { key: 'model.3.num_batches_tracked', dtype: 'int64', shape: [], data: BigInt64Array.of(5n) },
    ];
    expect(() => loadStateDict(D, withStats)).not.toThrow();
    const got = await stateDictOf(D);
    expect(arr(got[0].data)).toEqual(arr(sd[0].data));
    D.dispose();
    tf.disposeVariables();
  });
});

describe('modes, determinism and memory (wasm)', () => {
  it('BatchNorm: updateStats updates running stats and num_batches_tracked; eval uses running stats', async () => {
    await useBackend('wasm');
    const G = createGenerator(SMALL, 1);
    const key = 'model.model.1.model.2';
    const x = input([2, 64, 64, 3], 3);
    const rm0 = await values(tf.clone(G.buffers.get(`${key}.running_mean`) as tf.Variable));
    tf.dispose(G.apply(x, TRAIN));
    expect(maxAbsDiff(await values(tf.clone(G.buffers.get(`${key}.running_mean`) as tf.Variable)), rm0)).toBe(
      0,
    );
    expect(G.batchesTracked.get(`${key}.num_batches_tracked`)).toBe(0);
    // hand computation for the first down norm: input = conv(lrelu(conv0(x)))
    const pre = tf.tidy(() => {
      const c0 = tf.conv2d(x, G.params.get('model.model.0.weight') as tf.Tensor4D, 2, 'same');
      return tf.conv2d(
        tf.leakyRelu(c0, 0.2),
        G.params.get(`${key.slice(0, -1)}1.weight`) as tf.Tensor4D,
        2,
        'same',
      );
    });
    const n = pre.shape[0] * pre.shape[1] * pre.shape[2];
    const { mean, variance } = tf.moments(pre, [0, 1, 2]);
    const expMean = Array.from(await mean.data()).map((m) => 0.1 * m);
    const expVar = Array.from(await variance.data()).map((v) => 0.9 + 0.1 * v * (n / (n - 1)));
    tf.dispose(G.apply(x, { ...TRAIN, updateStats: true }));
    const rm = await values(tf.clone(G.buffers.get(`${key}.running_mean`) as tf.Variable));
    const rv = await values(tf.clone(G.buffers.get(`${key}.running_var`) as tf.Variable));
    expect(maxAbsDiff(rm, expMean)).toBeLessThan(1e-5);
    expect(maxAbsDiff(rv, expVar)).toBeLessThan(1e-4);
    for (const k of G.batchesTracked.keys()) expect(G.batchesTracked.get(k)).toBe(1);
    // eval: each sample's output is independent of the rest of the batch; training: it is not
    const pair = x;
    const single = x.slice([0, 0, 0, 0], [1, 64, 64, 3]) as tf.Tensor4D;
    const evalPair = await values(G.apply(pair, EVAL));
    const evalSingle = await values(G.apply(single, EVAL));
    expect(maxAbsDiff(evalPair.slice(0, evalSingle.length), evalSingle)).toBeLessThan(1e-5);
    const trainPair = await values(G.apply(pair, TRAIN));
    const trainSingle = await values(G.apply(single, TRAIN));
    expect(maxAbsDiff(trainPair.slice(0, trainSingle.length), trainSingle)).toBeGreaterThan(1e-3);
    tf.dispose([x, single, pre, mean, variance]);
    G.dispose();
  });

  it('dropout: same seed same masks, other seed differs, off equals a no_dropout net', async () => {
    await useBackend('wasm');
    const G = createGenerator(SMALL, 1);
    const G0 = createGenerator({ ...SMALL, no_dropout: true }, 1);
    expect(G0.keyOrder).toEqual(G.keyOrder);
    const x = input([1, 64, 64, 3], 4);
    const a = await values(G.apply(x, { ...TRAIN, dropout: true, dropoutSeed: 7 }));
    const b = await values(G.apply(x, { ...TRAIN, dropout: true, dropoutSeed: 7 }));
    const c = await values(G.apply(x, { ...TRAIN, dropout: true, dropoutSeed: 8 }));
    const off = await values(G.apply(x, TRAIN));
    const noDrop = await values(G0.apply(x, { ...TRAIN, dropout: true, dropoutSeed: 7 }));
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(a, off)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(off, noDrop)).toBe(0);
    x.dispose();
    G.dispose();
    G0.dispose();
  });

  it('same seed gives the same weights on wasm and cpu; other seeds differ', async () => {
    await useBackend('wasm');
    const a = createGenerator(SMALL, 5);
    const sa = await stateDictOf(a);
    const sb = await stateDictOf(createGenerator(SMALL, 6));
    await useBackend('cpu');
    const c = createGenerator(SMALL, 5);
    const sc = await stateDictOf(c);
    for (let i = 0; i < sa.length; i++) expect(arr(sc[i].data)).toEqual(arr(sa[i].data));
    expect(maxAbsDiff(sa[0].data as Float32Array, sb[0].data as Float32Array)).toBeGreaterThan(1e-3);
    c.dispose();
    tf.disposeVariables();
  });

  it('a small G + D on wasm: finite non-zero gradients for every trainable variable; no tensor leaks', async () => {
    await useBackend('wasm');
    const G = createGenerator(SMALL, 1);
    const D = createDiscriminator(SMALL, 2);
    const photo = input([2, 64, 64, 3], 8);
    const xray = input([2, 64, 64, 3], 9);
    const vars = [...G.params.values(), ...D.params.values()];
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        const fake = G.apply(photo, { training: true, dropout: true, updateStats: true, dropoutSeed: 1 });
        const out = D.apply(photo, fake, { training: true, dropout: false, updateStats: true });
        const adv = tf.addN(out.logits.map((l) => tf.mean(l)));
        return tf.add(tf.mul(tf.mean(tf.abs(tf.sub(fake, xray))), 100), adv) as tf.Scalar;
      }, vars);
      return { value, grads };
    };
    const { value, grads } = step();
    expect(Number.isFinite((await value.data())[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(vars.length);
    for (const v of vars) {
      const g = await grads[v.name].data();
      let finite = true;
      let nonZero = false;
      for (const e of g) {
        if (!Number.isFinite(e)) finite = false;
        if (e !== 0) nonZero = true;
      }
      expect({ name: v.name, finite, nonZero }).toEqual({ name: v.name, finite: true, nonZero: true });
    }
    tf.dispose([value, grads]);
    // memory flat across forward passes and gradient steps
    const base = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.dispose(G.apply(photo, { training: true, dropout: true, updateStats: true }));
      const o = D.apply(photo, xray, { training: true, dropout: false, updateStats: true });
      tf.dispose([o.logits, o.features.flat()]);
      const s = step();
      tf.dispose([s.value, s.grads]);
      expect(tf.memory().numTensors).toBe(base);
    }
    tf.dispose([photo, xray]);
    const all = tf.memory().numTensors;
    const nVars = countVariables(G) + countVariables(D);
    G.dispose();
    D.dispose();
    expect(tf.memory().numTensors).toBe(all - nVars);
  });
});

function countVariables(net: Net): number {
  return net.params.size + net.buffers.size;
}
