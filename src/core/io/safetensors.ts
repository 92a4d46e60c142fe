/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors format):
 * u64 LE header length N, N bytes UTF-8 JSON header, then the data buffer.
 * Offsets are relative to the buffer, contiguous from 0, no gaps, no overlap (checked on read).
 * The reader returns tensors in data order (JSON key order is not reliable: JS objects list
 * integer-like keys first). F16/BF16/F64 are widened to float32 and I32 to int64; other dtypes refused.
 * Used for the export format and as the studio's own checkpoint shard format.
 */
import type { StateDict, TensorEntry } from '../model/types';
import { CheckpointFormatError } from './checkpointError';

/** A safetensors problem; a CheckpointFormatError, so callers can catch one type for every format. */
export class SafetensorsError extends CheckpointFormatError {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const DTYPE_BYTES: Record<TensorEntry['dtype'], number> = { float32: 4, int64: 8 };
const DTYPE_NAME: Record<TensorEntry['dtype'], string> = { float32: 'F32', int64: 'I64' };
/** Dtypes the reader accepts: byte size and the StateDict dtype they become. */
const READ_DTYPES: Record<string, { bytes: number; as: TensorEntry['dtype'] }> = {
  F32: { bytes: 4, as: 'float32' },
  I64: { bytes: 8, as: 'int64' },
  F16: { bytes: 2, as: 'float32' },
  BF16: { bytes: 2, as: 'float32' },
  F64: { bytes: 8, as: 'float32' },
  I32: { bytes: 4, as: 'int64' },
};
/** Header larger than this is refused (the format's own reference limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
const MAX_DIMS = 32;

function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function writeSafetensors(sd: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new SafetensorsError(`metadata "${k}" must be a string`);
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of sd) {
    if (t.key === '__metadata__' || Object.prototype.hasOwnProperty.call(header, t.key)) {
      throw new SafetensorsError(`tensor key "${t.key}" is reserved or appears twice`);
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor "${t.key}" has an invalid shape [${t.shape}]`);
    }
    const numel = numelOf(t.shape);
    if (t.data.length !== numel) {
      throw new SafetensorsError(`tensor "${t.key}": ${t.data.length} values for shape [${t.shape}]`);
    }
    if ((t.dtype === 'float32') !== t.data instanceof Float32Array) {
      throw new SafetensorsError(
        `tensor "${t.key}": dtype ${t.dtype} but its data is a ${t.data.constructor.name}`,
      );
    }
    const bytes = numel * DTYPE_BYTES[t.dtype];
    header[t.key] = { dtype: DTYPE_NAME[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces to an 8-byte boundary (allowed by the format; keeps the data aligned)
  const enc = new TextEncoder();
  let headerBytes = enc.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    headerBytes = enc.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of sd) {
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(src, pos);
    pos += src.length;
  }
  return out;
}

export interface SafetensorsFile {
  /** Tensors in data order (= the writer's order). F16/BF16/F64 become float32, I32 becomes int64. */
  tensors: StateDict;
  metadata: Record<string, string>;
}

function decode(raw: Uint8Array, dtype: string, numel: number): Float32Array | BigInt64Array {
  const copy = new Uint8Array(raw); // a copy: aligned, independent of the input (Buffer.slice would be a view)
  const dv = new DataView(copy.buffer);
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy.buffer);
    case 'I64':
      return new BigInt64Array(copy.buffer);
    case 'I32':
      return BigInt64Array.from(new Int32Array(copy.buffer), (v) => BigInt(v));
    case 'F64':
      return Float32Array.from(new Float64Array(copy.buffer));
    case 'BF16': {
      const out = new Float32Array(numel);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) u32[i] = dv.getUint16(i * 2, true) << 16;
      return out;
    }
    default: {
      // F16
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) {
        const h = dv.getUint16(i * 2, true);
        const sign = h & 0x8000 ? -1 : 1;
        const exp = (h >> 10) & 0x1f;
        const frac = h & 0x3ff;
        out[i] =
          exp === 0
            ? sign * frac * 2 ** -24
            : exp === 31
              ? frac
                ? NaN
                : sign * Infinity
              : sign * (1 + frac / 1024) * 2 ** (exp - 15);
      }
      return out;
    }
  }
}

/** Parse a safetensors file. Every structural problem raises a SafetensorsError naming what is wrong. */
export function readSafetensors(bytes: Uint8Array, fileName = 'file'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${fileName}: not a valid safetensors file — ${msg}`);
  };
  if (bytes.length < 8) fail('shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    fail(`header length ${n64} is larger than the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(n64);
  if (8 + n > bytes.length)
    fail(`header length ${n} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  if (n < 2 || bytes[8] !== 0x7b) fail('header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('header is not a JSON object');
  const buffer = bytes.subarray(8 + n);
  const entries: { key: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [key, raw] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        fail('__metadata__ is not an object');
      for (const [mk, mv] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof mv !== 'string') fail(`__metadata__.${mk} is not a string`);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      fail(`entry "${key}" is not an object`);
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype =
      typeof info.dtype === 'string' && Object.hasOwn(READ_DTYPES, info.dtype) ? info.dtype : null;
    if (dtype === null)
      return fail(
        `tensor "${key}" has dtype ${JSON.stringify(info.dtype)}; only F32 and I64 (and F16, BF16, F64, I32, converted) are supported`,
      );
    const shape = info.shape;
    if (
      !Array.isArray(shape) ||
      shape.length > MAX_DIMS ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      return fail(`tensor "${key}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      (offs[1] as number) < (offs[0] as number)
    ) {
      return fail(`tensor "${key}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const numel = numelOf(shape as number[]);
    const [begin, end] = offs as [number, number];
    const need = numel * READ_DTYPES[dtype].bytes;
    if (end - begin !== need) {
      fail(
        `tensor "${key}": data_offsets span ${end - begin} bytes but shape [${shape}] of ${dtype} needs ${need}`,
      );
    }
    entries.push({ key, dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const e of sorted) {
    if (e.begin < expect)
      fail(`tensor "${e.key}" overlaps the previous tensor (offset ${e.begin} < ${expect})`);
    if (e.begin > expect) fail(`gap before tensor "${e.key}" (offset ${e.begin}, expected ${expect})`);
    expect = e.end;
  }
  if (expect !== buffer.length)
    fail(`data buffer is ${buffer.length} bytes but tensors cover ${expect} (truncated or trailing bytes)`);
  const tensors: StateDict = sorted.map((e) => ({
    key: e.key,
    dtype: READ_DTYPES[e.dtype].as,
    shape: e.shape,
    data: decode(buffer.subarray(e.begin, e.end), e.dtype, numelOf(e.shape)),
  }));
  return { tensors, metadata };
}
