/**
 * Fuzzing the checkpoint readers: seeded random mutations (bit flips, truncations, insertions,
 * overwrites with boundary bytes) of valid .pth / safetensors / TF.js files, plus structure-aware
 * mutations (pickle bytes re-zipped with a valid CRC; safetensors headers; model.json text), and
 * hostile hand-made inputs. Every outcome must be a valid state_dict or a CheckpointFormatError;
 * no other exception, no case slower than 1 s, no output larger than its input allows.
 */
import { describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/config';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { readCheckpointFile, writeCheckpointFiles } from '../../src/core/io/formats';
import { unpickleStateDict } from '../../src/core/io/pickle';
import { readPth, writePth } from '../../src/core/io/pth';
import { readSafetensors, writeSafetensors } from '../../src/core/io/safetensors';
import { readTfjs, writeTfjs, type NamedFile } from '../../src/core/io/tfjs';
import { listZip, readZipEntry, writeZip } from '../../src/core/io/zip';
import { Rng } from '../../src/core/rng';
import type { StateDict } from '../../src/core/model/types';

const ITERATIONS = 1500;

function sample(): StateDict {
  const sd: StateDict = [];
  for (let i = 0; i < 12; i++) {
    const shape = i % 3 === 0 ? [4, 2, 2, 2] : i % 3 === 1 ? [4] : [];
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 0)
      sd.push({
        key: `layer.${i}.num_batches_tracked`,
        dtype: 'int64',
        shape,
        data: BigInt64Array.of(BigInt(i)),
      });
    else
      sd.push({
        key: `layer.${i}.weight`,
        dtype: 'float32',
        shape,
        data: Float32Array.from({ length: n }, (_, j) => j - i),
      });
  }
  return sd;
}

const BOUNDARY = [0x00, 0xff, 0x7f, 0x80, 0x28, 0x2e, 0x7b, 0x7d, 0x22];

function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  let b: Uint8Array = new Uint8Array(src);
  const ops = 1 + rng.int(4);
  for (let k = 0; k < ops; k++) {
    const kind = rng.int(5);
    if (b.length === 0) break;
    const at = rng.int(b.length);
    if (kind === 0) {
      b[at] ^= 1 << rng.int(8); // bit flip
    } else if (kind === 1) {
      b = b.slice(0, at); // truncation
    } else if (kind === 2) {
      const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)); // insertion
      const nb = new Uint8Array(b.length + ins.length);
      nb.set(b.subarray(0, at));
      nb.set(ins, at);
      nb.set(b.subarray(at), at + ins.length);
      b = nb;
    } else if (kind === 3) {
      b[at] = BOUNDARY[rng.int(BOUNDARY.length)]; // boundary byte
    } else {
      const len = Math.min(b.length - at, 1 + rng.int(8)); // deletion
      b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + len)]);
    }
  }
  return b;
}

interface Outcome {
  ok: number;
  rejected: number;
}

/** Run `read` on one input: a CheckpointFormatError or a consistent state_dict, fast, bounded. */
function probe(read: (b: Uint8Array) => StateDict, input: Uint8Array, out: Outcome, label: string): void {
  const t0 = performance.now();
  let sd: StateDict;
  try {
    sd = read(input);
  } catch (e) {
    if (!(e instanceof CheckpointFormatError)) {
      throw new Error(`${label}: ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
    }
    expect((e as Error).message.length).toBeGreaterThan(10);
    out.rejected++;
    return;
  } finally {
    expect(performance.now() - t0).toBeLessThan(1000);
  }
  let bytes = 0;
  for (const t of sd) {
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    expect(t.data instanceof Float32Array ? 'float32' : 'int64').toBe(t.dtype);
    bytes += t.data.byteLength;
  }
  // widening (f16 -> f32, int32 -> int64) at most doubles; nothing larger than the input allows
  expect(bytes).toBeLessThanOrEqual(2 * input.length + 64);
  out.ok++;
}

describe('fuzzed checkpoint readers never crash, hang or over-allocate', () => {
  it('.pth: raw byte mutations', () => {
    const valid = writePth(sample());
    const rng = new Rng(1);
    const out: Outcome = { ok: 0, rejected: 0 };
    for (let i = 0; i < ITERATIONS; i++)
      probe((b) => readPth(b, 'f.pth'), mutate(valid, rng), out, `pth #${i}`);
    expect(out.rejected).toBeGreaterThan(ITERATIONS / 2);
  });

  it('.pth: pickle mutations re-zipped with valid CRCs (reaches the pickle machine)', () => {
    const valid = writePth(sample());
    const entries = listZip(valid, 'v.pth').map((e) => ({
      name: e.name,
      data: readZipEntry(valid, e, 'v.pth'),
    }));
    const pkl = entries[0].data;
    const rng = new Rng(2);
    const out: Outcome = { ok: 0, rejected: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const zip = writeZip([{ name: entries[0].name, data: mutate(pkl, rng) }, ...entries.slice(1)]);
      probe((b) => readPth(b, 'p.pth'), zip, out, `pickle #${i}`);
    }
    expect(out.rejected).toBeGreaterThan(ITERATIONS / 4);
    // and the pickle machine alone on random garbage after a PROTO header
    for (let i = 0; i < 300; i++) {
      const junk = Uint8Array.from({ length: 1 + rng.int(200) }, () => rng.int(256));
      junk[0] = 0x80;
      expect(() => unpickleStateDict(junk, 'junk')).toThrow(CheckpointFormatError);
    }
  });

  it('safetensors: raw and header mutations', () => {
    const valid = writeSafetensors(sample(), { kind: 'G' });
    const n = Number(new DataView(valid.buffer).getBigUint64(0, true));
    const rng = new Rng(3);
    const out: Outcome = { ok: 0, rejected: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        input = mutate(valid, rng);
      } else {
        // mutate only inside the JSON header, keep the length prefix consistent
        const header = mutate(valid.subarray(8, 8 + n), rng);
        input = new Uint8Array(8 + header.length + valid.length - 8 - n);
        new DataView(input.buffer).setBigUint64(0, BigInt(header.length), true);
        input.set(header, 8);
        input.set(valid.subarray(8 + n), 8 + header.length);
      }
      probe((b) => readSafetensors(b, 'f.safetensors').tensors, input, out, `safetensors #${i}`);
    }
    expect(out.rejected).toBeGreaterThan(ITERATIONS / 2);
  });

  it('TF.js: model.json and shard mutations', () => {
    const files = writeTfjs(sample(), { kind: 'G' }, 64);
    const rng = new Rng(4);
    const out: Outcome = { ok: 0, rejected: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const which = i % 2 === 0 ? 0 : 1 + rng.int(files.length - 1);
      const mutated: NamedFile[] = files.map((f, j) =>
        j === which ? { ...f, bytes: mutate(f.bytes, rng) } : f,
      );
      const total = mutated.reduce((a, f) => a + f.bytes.length, 0);
      probe(() => readTfjs(mutated[0], mutated.slice(1)).tensors, new Uint8Array(total), out, `tfjs #${i}`);
    }
    expect(out.rejected).toBeGreaterThan(ITERATIONS / 4);
  });
});

describe('hostile and inconsistent inputs through readCheckpointFile', () => {
  const cfg = withDefaults({ netG: 'unet_32', ngf: 4, ndf: 4, size: 32 });

  it('a .pth calling os.system is refused, naming the global', () => {
    const evil = writeZip([
      {
        name: 'archive/data.pkl',
        data: Uint8Array.from('\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R.', (c) => c.charCodeAt(0)),
      },
    ]);
    expect(() => readCheckpointFile('evil.pth', evil)).toThrow(
      /evil\.pth \(archive\/data\.pkl\): refusing the global "os\.system"/,
    );
  });

  it('a truncated ZIP is refused, naming the file', () => {
    const sd = sample();
    const bytes = writePth(sd);
    for (const cut of [30, 200, bytes.length - 30]) {
      expect(() => readCheckpointFile('cut.pth', bytes.subarray(0, cut))).toThrow(CheckpointFormatError);
      expect(() => readCheckpointFile('cut.pth', bytes.subarray(0, cut))).toThrow(/cut\.pth/);
    }
  });

  it('a safetensors file with overlapping offsets is refused', () => {
    const header = JSON.stringify({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    });
    const h = new TextEncoder().encode(header);
    const file = new Uint8Array(8 + h.length + 12);
    new DataView(file.buffer).setBigUint64(0, BigInt(h.length), true);
    file.set(h, 8);
    expect(() => readCheckpointFile('ov.safetensors', file)).toThrow(/tensor "b" overlaps/);
  });

  it('shapes that contradict the stored config name the key', async () => {
    const { createGenerator, stateDictOf } = await import('../../src/core/model');
    const g = createGenerator(cfg, 1);
    const sd = await stateDictOf(g);
    g.dispose();
    const [file] = writeCheckpointFiles(sd, { kind: 'G', config: cfg, format: 'safetensors' });
    // the stored config says ngf 8: every shape is wrong, the first key is named
    const st = readSafetensors(file.bytes, 'x');
    const lying = writeSafetensors(st.tensors, {
      ...st.metadata,
      studio_config: JSON.stringify({ ...cfg, ngf: 8 }),
    });
    expect(() => readCheckpointFile('lying.safetensors', lying)).toThrow(
      /lying\.safetensors: key "model\.model\.0\.weight" has shape \[4, 3, 4, 4\], but netG unet_32, ngf 8, .* needs \[8, 3, 4, 4\]/,
    );
    // one tensor with a wrong shape, no metadata: inference refuses and names the key
    const broken = sd.map((t) =>
      t.key === 'model.model.1.model.1.weight' ? { ...t, shape: [8, 4, 2, 8] } : t,
    );
    const loaded = readCheckpointFile('broken.pth', writePth(broken));
    expect(loaded.kind).toBe('unknown');
    expect(loaded.warnings.join(' ')).toMatch(/model\.model\.1\.model\.1\.weight/);
  });
});
