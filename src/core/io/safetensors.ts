/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors format):
 * u64 LE header length N, N bytes UTF-8 JSON header, then the data buffer.
 * Offsets are relative to the buffer, contiguous from 0 in header order, no gaps, no overlap.
 * Used for the export format and as the studio's own checkpoint shard format.
 */
import type { StateDict, TensorEntry } from '../model/types';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const DTYPE_BYTES: Record<TensorEntry['dtype'], number> = { float32: 4, int64: 8 };
const DTYPE_NAME: Record<TensorEntry['dtype'], string> = { float32: 'F32', int64: 'I64' };
/** Header larger than this is refused (the format's own reference limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export function writeSafetensors(sd: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of sd) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== numel) {
      throw new SafetensorsError(`tensor "${t.key}": ${t.data.length} values for shape [${t.shape}]`);
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
  tensors: StateDict;
  metadata: Record<string, string>;
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
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('header is not a JSON object');
  const buffer = bytes.subarray(8 + n);
  const entries: { key: string; dtype: TensorEntry['dtype']; shape: number[]; begin: number; end: number }[] =
    [];
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
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) fail(`entry "${key}" is not an object`);
    const dtype = info.dtype === 'F32' ? 'float32' : info.dtype === 'I64' ? 'int64' : null;
    if (dtype === null)
      fail(`tensor "${key}" has dtype ${JSON.stringify(info.dtype)}; only F32 and I64 are supported`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor "${key}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      (offs[1] as number) < (offs[0] as number)
    ) {
      fail(`tensor "${key}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = offs as [number, number];
    if (end - begin !== numel * DTYPE_BYTES[dtype as TensorEntry['dtype']]) {
      fail(
        `tensor "${key}": data_offsets span ${end - begin} bytes but shape [${shape}] needs ${numel * DTYPE_BYTES[dtype as TensorEntry['dtype']]}`,
      );
    }
    entries.push({ key, dtype: dtype as TensorEntry['dtype'], shape: shape as number[], begin, end });
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
  const tensors: StateDict = entries.map((e) => {
    const slice = buffer.slice(e.begin, e.end); // copy: aligned, independent of the input
    const data = e.dtype === 'float32' ? new Float32Array(slice.buffer) : new BigInt64Array(slice.buffer);
    return { key: e.key, dtype: e.dtype, shape: e.shape, data };
  });
  return { tensors, metadata };
}
