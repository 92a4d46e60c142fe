/** TF.js weights format: sharding like TF.js, PyTorch layout, int64 via int32, manifest validation. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { readTfjs, writeTfjs, type NamedFile } from '../../src/core/io/tfjs';
import type { StateDict } from '../../src/core/model/types';

function sample(): StateDict {
  return [
    {
      key: 'model.model.0.weight',
      dtype: 'float32',
      shape: [4, 3, 2, 2],
      data: Float32Array.from({ length: 48 }, (_, i) => i / 8),
    },
    { key: 'model.model.1.num_batches_tracked', dtype: 'int64', shape: [], data: BigInt64Array.of(1200n) },
    { key: 'model.model.2.bias', dtype: 'float32', shape: [5], data: new Float32Array([1, 2, 3, 4, 5]) },
  ];
}

const modelJson = (
  files: NamedFile[],
): {
  weightsManifest: { paths: string[]; weights: { name: string }[] }[];
  userDefinedMetadata: Record<string, unknown>;
} => JSON.parse(new TextDecoder().decode(files[0].bytes));

function expectError(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CheckpointFormatError);
  expect((err as Error).message).toMatch(pattern);
}

describe('TF.js format', () => {
  it('cuts the concatenated weights into shards (a weight may span two), like TF.js', () => {
    // 192 + 4 + 20 = 216 bytes in 100-byte shards: 100, 100, 16
    const files = writeTfjs(sample(), { kind: 'G' }, 100);
    expect(files.map((f) => [f.name, f.bytes.length])).toEqual([
      ['model.json', files[0].bytes.length],
      ['group1-shard1of3.bin', 100],
      ['group1-shard2of3.bin', 100],
      ['group1-shard3of3.bin', 16],
    ]);
    const m = modelJson(files);
    expect(m.weightsManifest[0].paths).toEqual([
      'group1-shard1of3.bin',
      'group1-shard2of3.bin',
      'group1-shard3of3.bin',
    ]);
    expect(m.weightsManifest[0].weights).toEqual([
      { name: 'model.model.0.weight', shape: [4, 3, 2, 2], dtype: 'float32' },
      { name: 'model.model.1.num_batches_tracked', shape: [], dtype: 'int32' },
      { name: 'model.model.2.bias', shape: [5], dtype: 'float32' },
    ]);
    expect(m.userDefinedMetadata).toEqual({ kind: 'G', layout: 'pytorch' });
    const back = readTfjs(files[0], files.slice(1));
    expect(back.tensors.map((t) => [t.key, t.dtype, t.shape])).toEqual(
      sample().map((t) => [t.key, t.dtype, t.shape]),
    );
    expect(Array.from(back.tensors[0].data as Float32Array)).toEqual(
      Array.from(sample()[0].data as Float32Array),
    );
    expect(back.tensors[1].data[0]).toBe(1200n);
    expect(back.metadata.kind).toBe('G');
  });

  it('is readable by TF.js itself (tf.io.decodeWeights), weights in PyTorch layout', () => {
    const files = writeTfjs(sample(), {}, 100);
    const m = modelJson(files);
    const all = new Uint8Array(files.slice(1).reduce((a, f) => a + f.bytes.length, 0));
    let at = 0;
    for (const f of files.slice(1)) {
      all.set(f.bytes, at);
      at += f.bytes.length;
    }
    const map = tf.io.decodeWeights(all.buffer, m.weightsManifest[0].weights as tf.io.WeightsManifestEntry[]);
    expect(map['model.model.0.weight'].shape).toEqual([4, 3, 2, 2]);
    expect(map['model.model.0.weight'].dataSync()[9]).toBe(9 / 8);
    expect(map['model.model.1.num_batches_tracked'].dataSync()[0]).toBe(1200);
    Object.values(map).forEach((t) => t.dispose());
  });

  it('finds shards by base name (files picked from a folder) and checks them against the manifest', () => {
    const files = writeTfjs(sample(), {}, 100).map((f) => ({ ...f, name: `net_G/${f.name}` }));
    expect(readTfjs(files[0], files).tensors).toHaveLength(3);
    expectError(
      () => readTfjs(files[0], files.slice(0, 3)),
      /weight shard "group1-shard3of3\.bin" is missing/,
    );
    const short = files.map((f, i) => (i === 3 ? { ...f, bytes: f.bytes.subarray(0, 12) } : f));
    expectError(() => readTfjs(files[0], short), /needs 216 bytes but the shards of group 1 hold 212/);
  });

  it('refuses bad manifests: not JSON, quantized, other dtypes, TF layout, escaping paths, int64 overflow', () => {
    const files = writeTfjs(sample(), {});
    const withJson = (j: unknown): NamedFile => ({
      name: 'model.json',
      bytes: new TextEncoder().encode(JSON.stringify(j)),
    });
    const m = modelJson(files);
    expectError(
      () => readTfjs({ name: 'model.json', bytes: new TextEncoder().encode('{') }, files),
      /not UTF-8 JSON/,
    );
    expectError(() => readTfjs(withJson({}), files), /weightsManifest is missing/);
    const q = structuredClone(m);
    (q.weightsManifest[0].weights[0] as Record<string, unknown>).quantization = { dtype: 'uint8' };
    expectError(() => readTfjs(withJson(q), files), /"model\.model\.0\.weight" is quantized/);
    const d = structuredClone(m);
    (d.weightsManifest[0].weights[2] as Record<string, unknown>).dtype = 'float16';
    expectError(() => readTfjs(withJson(d), files), /dtype "float16"/);
    expectError(
      () => readTfjs(withJson({ ...m, userDefinedMetadata: { layout: 'tf' } }), files),
      /"tf" layout/,
    );
    const p = structuredClone(m);
    p.weightsManifest[0].paths = ['../../etc/passwd'];
    expectError(() => readTfjs(withJson(p), files), /leaves the folder/);
    expectError(
      () => writeTfjs([{ key: 'n', dtype: 'int64', shape: [], data: BigInt64Array.of(1n << 40n) }]),
      /value 1099511627776 does not fit TF\.js's int32/,
    );
  });
});
