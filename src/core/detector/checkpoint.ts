/**
 * Detector checkpoints as plain bytes (no file system): `detector.json` (what the detector is:
 * landmark set, input size, sigma, mm/px, decoder, architecture, held-out metrics) plus
 * `weights.safetensors` (float16 by default: the shipped detector is small; float32 for resumable
 * training). The safetensors reader of src/core/io/safetensors.ts widens F16 on load.
 */
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { Decoder } from './heatmap';
import { expectedShapes, netFromValues, type DetectorArch, type DetectorNet } from './model';

export const DETECTOR_FORMAT = 'ceph-studio-landmark-detector';
export const DETECTOR_VERSION = 1;
export const DETECTOR_META_FILE = 'detector.json';
export const DETECTOR_WEIGHTS_FILE = 'weights.safetensors';

export interface DetectorMeta {
  format: typeof DETECTOR_FORMAT;
  version: number;
  /** Landmark symbols, one heatmap each, in order. */
  symbols: string[];
  /** Full names (optional, for display). */
  names?: string[];
  arch: DetectorArch;
  /** Preprocessing: letterbox to arch.size with black padding. */
  preprocess: 'letterbox';
  sigmaMm: number;
  /** Original mm per px of the films it was trained on. */
  mmPerPx: number;
  /** Sub-pixel decoder chosen on held-out films. */
  decoder: Decoder;
  weightsFile: string;
  dtype: 'float16' | 'float32';
  /** Free-form training facts (epoch, step, held-out metrics, command). */
  training?: Record<string, unknown>;
}

export class DetectorCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectorCheckpointError';
  }
}

/** IEEE half from a float32 (round to nearest even, overflow to ±inf). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  if (h >= 0x7c00) return sign | 0x7c00;
  return sign | h;
}

/** safetensors with F16 tensors (the shared writer knows F32/I64 only). */
export function writeSafetensorsF16(
  tensors: { key: string; shape: number[]; data: Float32Array }[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * 2;
    header[t.key] = { dtype: 'F16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, p += 2) dv.setUint16(p, toHalf(t.data[i]), true);
  }
  return out;
}

/** Current values of a network's weights (creation order). */
export async function netValues(
  net: DetectorNet,
): Promise<{ key: string; shape: number[]; data: Float32Array }[]> {
  const out: { key: string; shape: number[]; data: Float32Array }[] = [];
  for (const k of net.keys) {
    const v = net.params.get(k)!;
    out.push({ key: k, shape: v.shape.slice(), data: (await v.data()) as Float32Array });
  }
  return out;
}

/** Encode a detector: the two files' bytes. */
export async function encodeDetector(
  net: DetectorNet,
  meta: Omit<DetectorMeta, 'format' | 'version' | 'arch' | 'weightsFile' | 'dtype'>,
  dtype: 'float16' | 'float32' = 'float16',
): Promise<{ meta: DetectorMeta; files: Record<string, Uint8Array> }> {
  const full: DetectorMeta = {
    format: DETECTOR_FORMAT,
    version: DETECTOR_VERSION,
    ...meta,
    arch: net.arch,
    weightsFile: DETECTOR_WEIGHTS_FILE,
    dtype,
  };
  const values = await netValues(net);
  const weights =
    dtype === 'float16'
      ? writeSafetensorsF16(values, { format: DETECTOR_FORMAT })
      : writeSafetensors(
          values.map((v) => ({ key: v.key, dtype: 'float32' as const, shape: v.shape, data: v.data })),
          { format: DETECTOR_FORMAT },
        );
  return {
    meta: full,
    files: {
      [DETECTOR_META_FILE]: new TextEncoder().encode(JSON.stringify(full, null, 2) + '\n'),
      [DETECTOR_WEIGHTS_FILE]: weights,
    },
  };
}

/** Parse and check detector.json (`where` names the file in messages). */
export function parseDetectorMeta(text: string, where = DETECTOR_META_FILE): DetectorMeta {
  let m: DetectorMeta;
  try {
    m = JSON.parse(text) as DetectorMeta;
  } catch (e) {
    throw new DetectorCheckpointError(`${where}: not valid JSON (${(e as Error).message}).`);
  }
  if (!m || m.format !== DETECTOR_FORMAT)
    throw new DetectorCheckpointError(`${where}: not a landmark detector (format "${String(m?.format)}").`);
  if (m.version > DETECTOR_VERSION)
    throw new DetectorCheckpointError(
      `${where}: detector version ${m.version} is newer than this studio (${DETECTOR_VERSION}); update the studio.`,
    );
  if (!Array.isArray(m.symbols) || m.symbols.length !== m.arch?.landmarks)
    throw new DetectorCheckpointError(
      `${where}: the landmark list does not match the network's ${m.arch?.landmarks} heatmaps.`,
    );
  if (!(m.sigmaMm > 0) || !(m.mmPerPx > 0))
    throw new DetectorCheckpointError(`${where}: sigmaMm and mmPerPx must be positive.`);
  return m;
}

/** Build the network from detector.json's meta and the weights file bytes. */
export function decodeDetector(
  meta: DetectorMeta,
  weights: Uint8Array,
  where = DETECTOR_WEIGHTS_FILE,
): DetectorNet {
  const st = readSafetensors(weights, where);
  const values = new Map<string, Float32Array>();
  const shapes = expectedShapes(meta.arch);
  for (const t of st.tensors) {
    const want = shapes.get(t.key);
    if (!want) throw new DetectorCheckpointError(`${where}: unexpected weight "${t.key}".`);
    if (want.join(',') !== t.shape.join(','))
      throw new DetectorCheckpointError(
        `${where}: weight "${t.key}" is [${t.shape}], the architecture needs [${want}].`,
      );
    values.set(t.key, t.data as Float32Array);
  }
  try {
    return netFromValues(meta.arch, values);
  } catch (e) {
    throw new DetectorCheckpointError(`${where}: ${(e as Error).message}.`);
  }
}

export class LandmarkSetMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LandmarkSetMismatchError';
  }
}

/**
 * Refuse a detector whose landmark set differs from a dataset's; the message names both sets.
 * Returns null when they match (same symbols, same order).
 */
export function landmarkSetMismatch(detector: readonly string[], dataset: readonly string[]): string | null {
  const same = detector.length === dataset.length && detector.every((s, i) => s === dataset[i]);
  if (same) return null;
  const list = (s: readonly string[]): string => `${s.length} landmarks [${s.join(', ')}]`;
  return (
    `This detector finds ${list(detector)}, but the dataset has ${list(dataset)}. ` +
    'The landmark sets differ: train (or fine-tune) a detector on this dataset instead.'
  );
}

export function assertLandmarkSet(detector: readonly string[], dataset: readonly string[]): void {
  const m = landmarkSetMismatch(detector, dataset);
  if (m) throw new LandmarkSetMismatchError(m);
}
