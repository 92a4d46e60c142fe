import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREPROCESS, type PreprocessSpec } from '../../src/core/data/preprocess';
import { StorageFullError } from '../../src/store/errors';
import type { Kv } from '../../src/store/kv';
import { openStudioStorage } from '../../src/store/storage';
import {
  canonicalJson,
  deleteTensorCache,
  getCachedTensors,
  hashKey,
  invalidateTensorCache,
  listTensorCache,
  openTensorCache,
  putCachedTensors,
  tensorCacheBytes,
  tensorCacheKey,
  type CaseTensors,
  type TensorCacheSpec,
} from '../../src/store/tensorCache';

const open = () => openStudioStorage({ prefix: `t-${globalThis.crypto.randomUUID()}` });

const prep = (p: Partial<PreprocessSpec> = {}): PreprocessSpec => ({ ...DEFAULT_PREPROCESS, size: 4, ...p });
const u8 = (p: Partial<PreprocessSpec> = {}): TensorCacheSpec => ({ dtype: 'uint8', preprocessing: prep(p) });

/** A 4x4 RGBA photo and a 4x4 grey X-ray whose values depend on k. */
function rgbaCase(caseId: string, k: number): CaseTensors {
  return {
    caseId,
    photo: {
      width: 4,
      height: 4,
      channels: 4,
      data: Uint8ClampedArray.from({ length: 64 }, (_, i) => (i * k) % 256),
    },
    xray: {
      width: 4,
      height: 4,
      channels: 1,
      data: Uint8ClampedArray.from({ length: 16 }, (_, i) => 255 - i - k),
    },
  };
}

describe('store tensor cache', () => {
  it('canonical keys ignore member order and differ on any preprocessing change', () => {
    const a = tensorCacheKey({ dtype: 'uint8', preprocessing: prep() });
    const reordered = {
      roi: null,
      padColor: [0, 0, 0],
      pad: 'constant',
      size: 4,
      mode: 'letterbox',
    } as PreprocessSpec;
    expect(tensorCacheKey({ preprocessing: reordered, dtype: 'uint8' })).toBe(a);
    expect(tensorCacheKey({ dtype: 'uint8', preprocessing: prep(), codeVersion: 1 })).toBe(a);
    const variants = [
      u8({ size: 8 }),
      u8({ pad: 'edge' }),
      u8({ padColor: [0, 0, 1] }),
      u8({ mode: 'roi', roi: { x: 10, y: 20, w: 300, h: 400, refWidth: 1520, refHeight: 1236 } }),
      u8({ mode: 'roi', roi: { x: 10, y: 20, w: 300, h: 401, refWidth: 1520, refHeight: 1236 } }),
      { dtype: 'float32' as const, preprocessing: prep() },
      { dtype: 'uint8' as const, preprocessing: prep(), codeVersion: 2 },
    ].map(tensorCacheKey);
    expect(new Set([a, ...variants]).size).toBe(8);
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }] })).toBe('{"a":[2,{"c":3}],"b":1}');
    expect(hashKey('abc')).toMatch(/^[0-9a-z]{11}$/);
    expect(hashKey('abc')).not.toBe(hashKey('abd'));
  });

  it('round-trips uint8 and float32 tensors exactly and accounts their bytes', async () => {
    const s = await open();
    const spec = u8();
    await openTensorCache(s.tensors, 'dsA', spec);
    expect(await putCachedTensors(s.tensors, 'dsA', spec, [rgbaCase('c1', 3), rgbaCase('c2', 5)])).toBe(2);
    expect(await putCachedTensors(s.tensors, 'dsA', spec, [rgbaCase('c1', 3)])).toBe(0); // already cached
    const [c1, missing, c2] = await getCachedTensors(s.tensors, 'dsA', spec, ['c1', 'c9', 'c2']);
    expect(missing).toBeUndefined();
    expect(c1!.photo!.data).toBeInstanceOf(Uint8ClampedArray);
    expect([...c1!.photo!.data]).toEqual([...rgbaCase('c1', 3).photo!.data]);
    expect([...c2!.xray!.data]).toEqual([...rgbaCase('c2', 5).xray!.data]);
    expect(c2!.xray).toMatchObject({ width: 4, height: 4, channels: 1 });
    expect(await tensorCacheBytes(s.tensors, 'dsA')).toBe(2 * (64 + 16));

    const f32: TensorCacheSpec = { dtype: 'float32', preprocessing: prep() };
    await openTensorCache(s.tensors, 'dsA', f32, { maxVariants: 3 });
    const data = Float32Array.from({ length: 48 }, (_, i) => -1 + i / 23.5);
    await putCachedTensors(s.tensors, 'dsA', f32, [
      { caseId: 'c1', photo: { width: 4, height: 4, channels: 3, data }, xray: null },
    ]);
    const [f] = await getCachedTensors(s.tensors, 'dsA', f32, ['c1']);
    expect(f!.photo!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f!.photo!.data)).toEqual(Array.from(data));
    expect(f!.xray).toBeNull();
    expect(await tensorCacheBytes(s.tensors, 'dsA')).toBe(2 * 80 + 48 * 4);
    // wrong dtype or shape is refused
    await expect(putCachedTensors(s.tensors, 'dsA', f32, [rgbaCase('c3', 1)])).rejects.toThrow(
      /byte data in a float32 cache/,
    );
    await expect(
      putCachedTensors(s.tensors, 'dsA', spec, [
        { caseId: 'c4', photo: { width: 4, height: 4, channels: 4, data: new Uint8Array(3) }, xray: null },
      ]),
    ).rejects.toThrow(/3 values for 4 x 4 x 4/);
  });

  it('a changed preprocessing key misses; old variants are evicted least-recently-used beyond maxVariants', async () => {
    const s = await open();
    const a = u8({ pad: 'constant' });
    const b = u8({ pad: 'edge' });
    const c = u8({ size: 8 });
    await openTensorCache(s.tensors, 'dsA', a, { nowMs: 1 });
    await putCachedTensors(s.tensors, 'dsA', a, [rgbaCase('c1', 1)]);
    expect(await getCachedTensors(s.tensors, 'dsA', b, ['c1'])).toEqual([undefined]);
    await openTensorCache(s.tensors, 'dsA', b, { nowMs: 2 });
    await putCachedTensors(s.tensors, 'dsA', b, [rgbaCase('c1', 2)]);
    expect((await listTensorCache(s.tensors, 'dsA')).length).toBe(2);
    await openTensorCache(s.tensors, 'dsA', a, { nowMs: 3 }); // a used again: b is now the oldest
    await openTensorCache(s.tensors, 'dsA', c, { nowMs: 4 }); // default keeps 2: evicts b
    const left = await listTensorCache(s.tensors, 'dsA');
    expect(left.map((v) => v.key).sort()).toEqual([tensorCacheKey(a), tensorCacheKey(c)].sort());
    expect(await getCachedTensors(s.tensors, 'dsA', b, ['c1'])).toEqual([undefined]);
    expect(await s.tensors.keys(`t/dsA/${hashKey(tensorCacheKey(b))}/`)).toEqual([]);
    expect([...(await getCachedTensors(s.tensors, 'dsA', a, ['c1']))[0]!.photo!.data]).toEqual([
      ...rgbaCase('c1', 1).photo!.data,
    ]);
    await invalidateTensorCache(s.tensors, 'dsA', c);
    expect((await listTensorCache(s.tensors, 'dsA')).map((v) => v.key)).toEqual([tensorCacheKey(c)]);
    await expect(putCachedTensors(s.tensors, 'dsA', a, [rgbaCase('c1', 1)])).rejects.toThrow(/open it again/);
  });

  it('a full disk lists nothing half-written; deleting one dataset leaves another', async () => {
    const s = await open();
    const spec = u8();
    for (const ds of ['dsA', 'dsB']) {
      await openTensorCache(s.tensors, ds, spec);
      await putCachedTensors(s.tensors, ds, spec, [rgbaCase('c1', 1)]);
    }
    const full: Kv = {
      ...s.tensors,
      setMany: async () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    await expect(putCachedTensors(full, 'dsA', spec, [rgbaCase('c2', 2)])).rejects.toBeInstanceOf(
      StorageFullError,
    );
    expect((await listTensorCache(s.tensors, 'dsA'))[0].caseCount).toBe(1);
    expect(await getCachedTensors(s.tensors, 'dsA', spec, ['c2'])).toEqual([undefined]);
    await deleteTensorCache(s.tensors, 'dsA');
    expect(await s.tensors.keys('t/dsA/')).toEqual([]);
    expect(await listTensorCache(s.tensors)).toHaveLength(1);
    expect(await tensorCacheBytes(s.tensors)).toBe(80);
  });
});
