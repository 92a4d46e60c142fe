/** safetensors: round trip, byte layout, and every header defect the reader must refuse. */
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { readSafetensors, SafetensorsError, writeSafetensors } from '../../src/core/io/safetensors';
import type { StateDict } from '../../src/core/model/types';

const enc = new TextEncoder();

function sample(): StateDict {
  return [
    { key: 'b.weight', dtype: 'float32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 1e-30]) },
    { key: '7', dtype: 'float32', shape: [3], data: new Float32Array([0.5, 0.25, 0.125]) },
    { key: 'a.num_batches_tracked', dtype: 'int64', shape: [], data: BigInt64Array.of(-3n) },
  ];
}

/** A safetensors file from a header object and a data buffer. */
function file(header: unknown, data: Uint8Array, rawHeader?: string): Uint8Array {
  const h = enc.encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function expectError(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect(err).toBeInstanceOf(CheckpointFormatError);
  expect((err as Error).message).toMatch(pattern);
}

describe('safetensors', () => {
  it('round-trips in data order (an integer-like key does not jump first), with metadata', () => {
    const sd = sample();
    const bytes = writeSafetensors(sd, { studio_config: '{"ngf":8}', kind: 'G' });
    const { tensors, metadata } = readSafetensors(bytes, 'rt.safetensors');
    expect(tensors.map((t) => t.key)).toEqual(['b.weight', '7', 'a.num_batches_tracked']);
    expect(Array.from(tensors[0].data as Float32Array)).toEqual([1, -2, 3.5, Math.fround(1e-30)]);
    expect(tensors[2].data[0]).toBe(-3n);
    expect(metadata).toEqual({ studio_config: '{"ngf":8}', kind: 'G' });
  });

  it('lays out header length, 8-byte aligned header, and contiguous data', () => {
    const bytes = writeSafetensors(sample());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header['b.weight']).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header['7'].data_offsets).toEqual([16, 28]);
    expect(header['a.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data_offsets: [28, 36] });
    expect(bytes.length).toBe(8 + n + 36);
    // little-endian float 1.0 at the start of the buffer
    expect(Array.from(bytes.subarray(8 + n, 8 + n + 4))).toEqual([0, 0, 0x80, 0x3f]);
  });

  it('widens F16, BF16, F64 to float32 and I32 to int64', () => {
    const data = new Uint8Array(2 + 2 + 8 + 4);
    const dv = new DataView(data.buffer);
    dv.setUint16(0, 0x3c00, true); // f16 1.0
    dv.setUint16(2, 0xc040, true); // bf16 -3.0
    dv.setFloat64(4, 0.1, true);
    dv.setInt32(12, -7, true);
    const t = readSafetensors(
      file(
        {
          h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
          b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] },
          d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
          i: { dtype: 'I32', shape: [1], data_offsets: [12, 16] },
        },
        data,
      ),
    ).tensors;
    expect(t.map((x) => [x.key, x.dtype, x.data[0]])).toEqual([
      ['h', 'float32', 1],
      ['b', 'float32', -3],
      ['d', 'float32', Math.fround(0.1)],
      ['i', 'int64', -7n],
    ]);
  });

  it('reads from a Node Buffer slice without picking up neighbouring bytes', () => {
    const bytes = writeSafetensors(sample());
    const pooled = Buffer.concat([Buffer.from('garbage!'), Buffer.from(bytes)]).subarray(8);
    const t = readSafetensors(pooled, 'buf').tensors;
    expect(t[1].data.length).toBe(3);
    expect(Array.from(t[1].data as Float32Array)).toEqual([0.5, 0.25, 0.125]);
  });

  it('refuses overlapping offsets, gaps, truncation and trailing bytes', () => {
    const d = new Uint8Array(16);
    expectError(
      () =>
        readSafetensors(
          file(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            d.subarray(0, 12),
          ),
          'ov.safetensors',
        ),
      /ov\.safetensors: .*tensor "b" overlaps the previous tensor \(offset 4 < 8\)/,
    );
    expectError(
      () =>
        readSafetensors(
          file(
            {
              a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
              b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
            },
            d.subarray(0, 12),
          ),
        ),
      /gap before tensor "b"/,
    );
    const ok = writeSafetensors(sample());
    expectError(
      () => readSafetensors(ok.subarray(0, ok.length - 1)),
      /data buffer is 35 bytes but tensors cover 36/,
    );
    expectError(() => readSafetensors(ok.subarray(0, 20)), /runs past the end of the file/);
    expectError(() => readSafetensors(ok.subarray(0, 5)), /shorter than its 8-byte header length/);
    const trailing = new Uint8Array(ok.length + 3);
    trailing.set(ok);
    expectError(() => readSafetensors(trailing), /trailing bytes/);
  });

  it('refuses huge header lengths, non-object headers, bad dtypes, shapes and offsets', () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffn, true);
    expectError(() => readSafetensors(huge), /larger than the 100000000-byte limit/);
    expectError(() => readSafetensors(file(null, new Uint8Array(0), '[1,2]')), /does not start with "\{"/);
    expectError(() => readSafetensors(file(null, new Uint8Array(0), '{"a":')), /not UTF-8 JSON/);
    expectError(() => readSafetensors(file({ a: [1] }, new Uint8Array(0))), /entry "a" is not an object/);
    expectError(
      () =>
        readSafetensors(file({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))),
      /tensor "a" has dtype "U8"/,
    );
    expectError(
      () =>
        readSafetensors(file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4))),
      /invalid shape \[-1\]/,
    );
    expectError(
      () =>
        readSafetensors(file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4))),
      /span 4 bytes but shape \[2\] of F32 needs 8/,
    );
    expectError(
      () =>
        readSafetensors(file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4))),
      /invalid data_offsets \[4,0\]/,
    );
    expectError(
      () =>
        readSafetensors(
          file({ a: { dtype: 'F32', shape: [1e10, 1e10], data_offsets: [0, 4] } }, new Uint8Array(4)),
        ),
      /needs 400000000000000000000/,
    );
    expectError(
      () => readSafetensors(file({ __metadata__: { a: 1 } }, new Uint8Array(0))),
      /__metadata__\.a is not a string/,
    );
  });

  it('the writer refuses inconsistent input', () => {
    expectError(
      () => writeSafetensors([{ key: 'x', dtype: 'float32', shape: [2], data: new Float32Array(3) }]),
      /"x": 3 values for shape \[2\]/,
    );
    expectError(
      () =>
        writeSafetensors([{ key: '__metadata__', dtype: 'float32', shape: [0], data: new Float32Array(0) }]),
      /reserved/,
    );
    expectError(
      () => writeSafetensors([{ key: 'x', dtype: 'int64', shape: [1], data: new Float32Array(1) }]),
      /dtype int64 but its data is a Float32Array/,
    );
  });
});
