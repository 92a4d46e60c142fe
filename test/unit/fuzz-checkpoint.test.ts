/**
 * Property-based fuzzing (fast-check, fixed seeds) of the checkpoint readers: the pickle machine,
 * `.pth` (ZIP + pickle + storages), safetensors, TF.js model.json + shards and the checkpoint ZIP
 * reader. Each parser sees FUZZ_RUNS generated inputs: valid files mutated at random, structure-aware
 * inputs (pickle programs built from opcodes, re-zipped with valid CRCs; safetensors headers; ZIPs with
 * forged directory fields) and random bytes. Properties: only the parser's typed error
 * (CheckpointFormatError, or its subclass SafetensorsError), every call < MAX_CALL_MS, and no output
 * larger than its input allows. Targeted tests then show the caps refuse hostile sizes BEFORE
 * anything is allocated or inflated.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { readCheckpointFile } from '../../src/core/io/formats';
import { pickleStateDict, unpickleStateDict } from '../../src/core/io/pickle';
import { readPth, writePth } from '../../src/core/io/pth';
import { SafetensorsError, readSafetensors, writeSafetensors } from '../../src/core/io/safetensors';
import { readTfjs, writeTfjs, type NamedFile } from '../../src/core/io/tfjs';
import { crc32, listZip, readZipEntry, writeZip } from '../../src/core/io/zip';
import type { StateDict } from '../../src/core/model/types';
import { FUZZ_RUNS, mutatedBytes, newStats, probe, randomBytes, report, type FuzzStats } from './fuzz-kit';

const isCheckpointError = (e: unknown): boolean => e instanceof CheckpointFormatError;
const isSafetensorsError = (e: unknown): boolean => e instanceof SafetensorsError;
const all: FuzzStats[] = [];
afterAll(() => all.forEach(report));

function sample(): StateDict {
  const sd: StateDict = [];
  for (let i = 0; i < 6; i++) {
    const shape = i % 3 === 0 ? [2, 2, 2] : i % 3 === 1 ? [3] : [];
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 0)
      sd.push({
        key: `l.${i}.num_batches_tracked`,
        dtype: 'int64',
        shape,
        data: BigInt64Array.of(BigInt(i)),
      });
    else
      sd.push({
        key: `l.${i}.weight`,
        dtype: 'float32',
        shape,
        data: Float32Array.from({ length: n }, (_, j) => j - i),
      });
  }
  return sd;
}

/** A state_dict must be consistent and no larger than its input allows (widening at most doubles). */
function checkStateDict(sd: StateDict, inputBytes: number): void {
  let bytes = 0;
  for (const t of sd) {
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    expect(t.data instanceof Float32Array ? 'float32' : 'int64').toBe(t.dtype);
    bytes += t.data.byteLength;
  }
  expect(bytes).toBeLessThanOrEqual(2 * inputBytes + 64);
}

// ------------------------------------------------------------------------------------------------
// pickle programs: sequences of the opcodes torch.save emits (and some it never does), with
// boundary arguments, so the generated inputs reach deep into the stack machine

const enc = new TextEncoder();
const u32le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const binunicode = (s: string): number[] => {
  const b = [...enc.encode(s)];
  return [0x58, ...u32le(b.length), ...b];
};
const global = (m: string, n: string): number[] => [0x63, ...enc.encode(`${m}\n${n}\n`)];
const boundaryInt = fc.constantFrom(0, 1, 2, 255, 256, 65535, 0x7fffffff, 0xffffffff, 0x100000);

const tokenArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.constantFrom(
    [0x80, 2], // PROTO 2
    [0x28], // MARK
    [0x29], // EMPTY_TUPLE
    [0x74], // TUPLE
    [0x85],
    [0x86],
    [0x87],
    [0x7d], // EMPTY_DICT
    [0x73], // SETITEM
    [0x75], // SETITEMS
    [0x52], // REDUCE
    [0x62], // BUILD
    [0x51], // BINPERSID
    [0x4e], // NONE
    [0x88],
    [0x89],
    [0x2e], // STOP
    [0x30], // POP (refused)
    [0x93], // STACK_GLOBAL (refused)
    global('collections', 'OrderedDict'),
    global('torch._utils', '_rebuild_tensor_v2'),
    global('torch', 'FloatStorage'),
    global('torch', 'LongStorage'),
    global('torch', 'HalfStorage'),
    global('os', 'system'),
    global('builtins', 'eval'),
    global('__builtin__', 'getattr'),
    global('collections', '__proto__'),
    global('collections', 'constructor'),
    binunicode('storage'),
    binunicode('cpu'),
    binunicode('0'),
    binunicode('l.0.weight'),
    binunicode('_metadata'),
    [0x58, 0xff, 0xff, 0xff, 0xff], // BINUNICODE claiming 4 GiB
    [0x8a, 0xff], // LONG1 claiming 255 bytes
  ),
  fc.nat(255).map((v) => [0x4b, v]), // BININT1
  fc.nat(65535).map((v) => [0x4d, v & 0xff, v >> 8]), // BININT2
  boundaryInt.map((v) => [0x4a, ...u32le(v)]), // BININT
  fc.uint8Array({ minLength: 0, maxLength: 9 }).map((b) => [0x8a, b.length, ...b]), // LONG1
  fc.nat(255).map((v) => [0x71, v]), // BINPUT
  boundaryInt.map((v) => [0x72, ...u32le(v)]), // LONG_BINPUT
  fc.nat(255).map((v) => [0x68, v]), // BINGET
  boundaryInt.map((v) => [0x6a, ...u32le(v)]), // LONG_BINGET
  fc.string({ maxLength: 12 }).map(binunicode),
  fc.nat(255).map((v) => [v]), // any byte
);

/** A pickle: a valid prefix (or none), random tokens, then STOP (usually). */
const pickleProgram = (validPkl: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(fc.nat(validPkl.length), fc.array(tokenArb, { maxLength: 40 }), fc.boolean(), fc.boolean())
    .map(([cut, tokens, withPrefix, stop]) => {
      const head = withPrefix ? [...validPkl.subarray(0, cut)] : [0x80, 2];
      return Uint8Array.from([...head, ...tokens.flat(), ...(stop ? [0x2e] : [])]);
    });

describe('fuzz: pickle and .pth (CheckpointFormatError only)', () => {
  const sd = sample();
  const pth = writePth(sd);
  const entries = listZip(pth, 'v.pth').map((e) => ({ name: e.name, data: readZipEntry(pth, e, 'v.pth') }));
  const pkl = entries.find((e) => e.name.endsWith('data.pkl'))!.data;

  it(`unpickleStateDict: ${FUZZ_RUNS} pickle programs, mutated pickles and random bytes`, () => {
    const stats = newStats('pickle (unpickleStateDict)', 'CheckpointFormatError');
    all.push(stats);
    fc.assert(
      fc.property(fc.oneof(pickleProgram(pkl), mutatedBytes(pkl, 6), randomBytes(256)), (bytes) => {
        const out = probe(stats, isCheckpointError, () => unpickleStateDict(bytes, 'f.pth (data.pkl)'));
        // every tensor the pickle describes costs it at least a few bytes
        if (out) expect(out.entries.length).toBeLessThanOrEqual(bytes.length);
      }),
      { seed: 0x5eed01, numRuns: FUZZ_RUNS },
    );
    expect(stats.rejected).toBeGreaterThan(FUZZ_RUNS / 2);
  });

  it(`readPth: ${FUZZ_RUNS} mutated archives and pickles re-zipped with valid CRCs`, () => {
    const stats = newStats('.pth (readPth)', 'CheckpointFormatError');
    all.push(stats);
    const rezipped = fc
      .oneof(pickleProgram(pkl), mutatedBytes(pkl, 4))
      .map((p) =>
        writeZip(entries.map((e) => (e.name.endsWith('data.pkl') ? { name: e.name, data: p } : e))),
      );
    fc.assert(
      fc.property(fc.oneof(mutatedBytes(pth, 4), rezipped, randomBytes(256)), (bytes) => {
        const out = probe(stats, isCheckpointError, () => readPth(bytes, 'f.pth'));
        if (out) checkStateDict(out, bytes.length);
      }),
      { seed: 0x5eed02, numRuns: FUZZ_RUNS },
    );
    expect(stats.rejected).toBeGreaterThan(FUZZ_RUNS / 2);
  });
});

// ------------------------------------------------------------------------------------------------
// checkpoint ZIP reader: valid archives with forged directory fields

/** Offsets of the central directory records and the end record of a writeZip archive. */
function zipFieldOffsets(zip: Uint8Array): number[] {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const cd = dv.getUint32(eocd + 16, true);
  const out = [eocd + 8, eocd + 10, eocd + 12, eocd + 16, eocd + 20];
  for (let o = cd; o < eocd;) {
    out.push(o + 8, o + 10, o + 16, o + 20, o + 24, o + 28, o + 30, o + 42);
    o += 46 + dv.getUint16(o + 28, true) + dv.getUint16(o + 30, true) + dv.getUint16(o + 32, true);
  }
  for (let o = 0; o < cd && dv.getUint32(o, true) === 0x04034b50;) {
    out.push(o + 18, o + 22, o + 26, o + 28);
    o += 30 + dv.getUint16(o + 26, true) + dv.getUint16(o + 28, true) + dv.getUint32(o + 18, true);
  }
  return out;
}

const zipEntriesArb = fc.array(
  fc.record({
    name: fc.oneof(
      fc.constantFrom('a/data.pkl', 'a/data/0', 'x', '目录/文件.png', 'a/'),
      fc.string({ maxLength: 8 }),
    ),
    data: fc.uint8Array({ maxLength: 64 }),
  }),
  { minLength: 0, maxLength: 4 },
);

/** A valid ZIP whose directory fields are overwritten with boundary values. */
const forgedZip = fc
  .tuple(
    zipEntriesArb,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(0, 1, 0xffff, 0xfffe, 0xffffffff, 0x7fffffff, 46, 100)), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.boolean(),
  )
  .map(([es, forge, wide]) => {
    const seen = new Set<string>();
    const zip = writeZip(
      es.filter((e) => !seen.has(e.name) && (seen.add(e.name), true)),
      1,
    );
    const fields = zipFieldOffsets(zip);
    const dv = new DataView(zip.buffer);
    for (const [i, v] of forge) {
      const at = fields[i % fields.length];
      if (wide && at + 4 <= zip.length) dv.setUint32(at, v >>> 0, true);
      else if (at + 2 <= zip.length) dv.setUint16(at, v & 0xffff, true);
    }
    return zip;
  });

describe('fuzz: checkpoint ZIP reader (CheckpointFormatError only)', () => {
  it(`listZip + readZipEntry: ${FUZZ_RUNS} forged, mutated and random archives`, () => {
    const stats = newStats('checkpoint ZIP (listZip/readZipEntry)', 'CheckpointFormatError');
    all.push(stats);
    const valid = writePth(sample());
    fc.assert(
      fc.property(fc.oneof(forgedZip, mutatedBytes(valid, 4), randomBytes(300)), (bytes) => {
        const listed = probe(stats, isCheckpointError, () => listZip(bytes, 'f.zip'));
        if (!listed) return;
        for (const e of listed) {
          const data = probe(stats, isCheckpointError, () => readZipEntry(bytes, e, 'f.zip'));
          // STORED: a view of the input; DEFLATE: at most the ratio cap
          if (data) expect(data.length).toBeLessThanOrEqual(Math.max(1024, bytes.length * 1032));
        }
      }),
      { seed: 0x5eed03, numRuns: FUZZ_RUNS },
    );
    expect(stats.rejected).toBeGreaterThan(FUZZ_RUNS / 4);
  });
});

// ------------------------------------------------------------------------------------------------
// safetensors

const headerArb = fc.dictionary(
  fc.oneof(
    fc.constantFrom('__metadata__', 'a', 'b', '__proto__', 'constructor'),
    fc.string({ maxLength: 6 }),
  ),
  fc.oneof(
    fc.record({
      dtype: fc.constantFrom('F32', 'I64', 'F16', 'BF16', 'F64', 'I32', 'U8', 'toString', 7),
      shape: fc.oneof(
        fc.array(fc.constantFrom(0, 1, 2, 3, 4, -1, 2 ** 31, 2 ** 53, 1.5), { maxLength: 4 }),
        fc.constant('x'),
      ),
      data_offsets: fc.oneof(
        fc.tuple(fc.nat(64), fc.nat(64)),
        fc.tuple(fc.constantFrom(0, -1, 2 ** 53), fc.constantFrom(8, 2 ** 60)),
        fc.constant(null),
      ),
    }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
    fc.constant(null),
  ),
  { maxKeys: 4 },
);

const structuredSafetensors = fc
  .tuple(headerArb, fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0, 1, 2))
  .map(([h, data, lie]) => {
    const json = enc.encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + data.length);
    const dv = new DataView(out.buffer);
    const n = lie === 0 ? json.length : lie === 1 ? json.length + 3 : 2 ** 40;
    dv.setBigUint64(0, BigInt(n), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  });

describe('fuzz: safetensors (SafetensorsError only)', () => {
  it(`readSafetensors: ${FUZZ_RUNS} structured headers, mutated files and random bytes`, () => {
    const stats = newStats('safetensors (readSafetensors)', 'SafetensorsError');
    all.push(stats);
    const valid = writeSafetensors(sample(), { kind: 'G' });
    fc.assert(
      fc.property(fc.oneof(structuredSafetensors, mutatedBytes(valid, 4), randomBytes(200)), (bytes) => {
        const out = probe(stats, isSafetensorsError, () => readSafetensors(bytes, 'f.safetensors'));
        if (out) checkStateDict(out.tensors, bytes.length);
      }),
      { seed: 0x5eed04, numRuns: FUZZ_RUNS },
    );
    expect(stats.rejected).toBeGreaterThan(FUZZ_RUNS / 2);
  });
});

// ------------------------------------------------------------------------------------------------
// TF.js model.json + shards

const manifestArb = fc.record({
  format: fc.constantFrom('ceph-gan-studio', 'layers-model'),
  weightsManifest: fc.oneof(
    fc.array(
      fc.record({
        paths: fc.oneof(
          fc.array(
            fc.constantFrom('group1-shard1of2.bin', 'group1-shard2of2.bin', '../x.bin', '/etc/x', 'nope.bin'),
            {
              maxLength: 3,
            },
          ),
          fc.constant('x'),
        ),
        weights: fc.array(
          fc.record({
            name: fc.oneof(fc.constantFrom('a', 'b', 'a'), fc.nat()),
            shape: fc.array(fc.constantFrom(0, 1, 2, 4, 8, -1, 2 ** 52, 0.5), { maxLength: 3 }),
            dtype: fc.constantFrom('float32', 'int32', 'string', 'float16'),
          }),
          { maxLength: 4 },
        ),
      }),
      { maxLength: 2 },
    ),
    fc.constant({}),
  ),
  userDefinedMetadata: fc.oneof(
    fc.constant({ layout: 'pytorch' }),
    fc.constant({ layout: 'tfjs' }),
    fc.constant(3),
  ),
});

describe('fuzz: TF.js checkpoint (CheckpointFormatError only)', () => {
  it(`readTfjs: ${FUZZ_RUNS} structured manifests, mutated model.json/shards and random bytes`, () => {
    const stats = newStats('TF.js (readTfjs)', 'CheckpointFormatError');
    all.push(stats);
    const files = writeTfjs(sample(), { kind: 'G' }, 64);
    expect(files.length).toBeGreaterThan(2);
    const shards = files.slice(1);
    const input: fc.Arbitrary<NamedFile[]> = fc.oneof(
      // mutate model.json or one shard
      fc
        .tuple(fc.nat(files.length - 1), fc.nat())
        .chain(([which]) =>
          mutatedBytes(files[which].bytes, 4).map((b) =>
            files.map((f, j) => (j === which ? { ...f, bytes: b } : f)),
          ),
        ),
      // a structured manifest with the real shards, renamed to what it lists
      fc.tuple(manifestArb, fc.uint8Array({ maxLength: 48 })).map(([m, extra]) => [
        { name: 'model.json', bytes: enc.encode(JSON.stringify(m)) },
        { name: 'group1-shard1of2.bin', bytes: shards[0].bytes },
        { name: 'group1-shard2of2.bin', bytes: extra },
      ]),
      randomBytes(200).map((b) => [{ name: 'model.json', bytes: b }, ...shards]),
    );
    fc.assert(
      fc.property(input, (fs) => {
        const total = fs.reduce((a, f) => a + f.bytes.length, 0);
        const out = probe(stats, isCheckpointError, () => readTfjs(fs[0], fs.slice(1)));
        if (out) checkStateDict(out.tensors, total);
      }),
      { seed: 0x5eed05, numRuns: FUZZ_RUNS },
    );
    expect(stats.rejected).toBeGreaterThan(FUZZ_RUNS / 4);
  });
});

// ------------------------------------------------------------------------------------------------
// the entry point the studio calls: format detection, reading, config metadata, shape checks

describe('fuzz: readCheckpointFile (CheckpointFormatError only)', () => {
  it(`readCheckpointFile: ${FUZZ_RUNS} files of every format, mutated, with forged studio_config metadata`, () => {
    const stats = newStats('checkpoint entry point (readCheckpointFile)', 'CheckpointFormatError');
    all.push(stats);
    const sd = sample();
    const cfgText = JSON.stringify({ netG: 'unet_32', ngf: 4, ndf: 4, size: 32, input_nc: 3, output_nc: 1 });
    const metaArb = fc.oneof(
      fc.constant(cfgText),
      mutatedBytes(enc.encode(cfgText), 3).map((b) => new TextDecoder().decode(b)),
      fc.constantFrom(
        '{"ngf":-1}',
        '{"netG":"unet_99999"}',
        '{"size":1e400}',
        '[]',
        'null',
        '{"__proto__":{"ngf":8}}',
      ),
    );
    const fileArb: fc.Arbitrary<[string, Uint8Array]> = fc.oneof(
      mutatedBytes(writePth(sd), 3).map((b) => ['latest_net_G.pth', b] as [string, Uint8Array]),
      fc
        .tuple(metaArb, fc.constantFrom('G', 'D', 'x'))
        .chain(([meta, kind]) =>
          mutatedBytes(writeSafetensors(sd, { studio_config: meta, kind, format: 'ceph-gan-studio' }), 2),
        )
        .map((b) => ['g.safetensors', b] as [string, Uint8Array]),
      fc.tuple(metaArb, fc.boolean()).map(([meta, ok]) => {
        const st = writeSafetensors(sd, { studio_config: meta, kind: 'G', format: 'ceph-gan-studio' });
        return ['g.safetensors', ok ? st : st.subarray(0, st.length - 1)] as [string, Uint8Array];
      }),
      randomBytes(200).map((b) => ['x.pth', b] as [string, Uint8Array]),
    );
    fc.assert(
      fc.property(fileArb, ([name, bytes]) => {
        const out = probe(stats, isCheckpointError, () => readCheckpointFile(name, bytes));
        if (out) checkStateDict(out.stateDict, bytes.length);
      }),
      { seed: 0x5eed06, numRuns: FUZZ_RUNS },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// caps are enforced before anything is decoded or allocated

/** A one-entry ZIP whose directory claims `size` unpacked bytes of a DEFLATE entry. */
function deflateClaiming(name: string, packed: Uint8Array, size: number): Uint8Array {
  const zip = writeZip([{ name, data: packed }], 1);
  const dv = new DataView(zip.buffer);
  const cd = dv.getUint32(zip.length - 22 + 16, true);
  dv.setUint16(8, 8, true); // local: deflate
  dv.setUint16(cd + 10, 8, true); // central: deflate
  dv.setUint32(cd + 24, size, true); // unpacked size
  return zip;
}

describe('checkpoint caps hold before decoding', () => {
  it('a DEFLATE entry claiming more than 1032:1 is refused without inflating', () => {
    const zip = deflateClaiming('a/data.pkl', new Uint8Array([0x03, 0x00]), 4_000_000_000);
    const [e] = listZip(zip, 'bomb.pth');
    expect(e.size).toBe(4_000_000_000);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readZipEntry(zip, e, 'bomb.pth')).toThrow(
      /claims 4000000000 bytes unpacked from 2; refusing/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a checkpoint ZIP claiming too many entries, or more than 4 GiB in total, is refused while listing', () => {
    // a ZIP64 end record claiming 200,000 entries (ZIP64: the 16-bit count cannot say so)
    const one = writeZip([{ name: 'a', data: new Uint8Array([1]) }], 1);
    const eocd = one.length - 22;
    const dv1 = new DataView(one.buffer);
    const z64 = new Uint8Array(56 + 20);
    const d64 = new DataView(z64.buffer);
    d64.setUint32(0, 0x06064b50, true);
    d64.setBigUint64(24, 200_000n, true);
    d64.setBigUint64(32, 200_000n, true);
    d64.setBigUint64(40, BigInt(dv1.getUint32(eocd + 12, true)), true);
    d64.setBigUint64(48, BigInt(dv1.getUint32(eocd + 16, true)), true);
    d64.setUint32(56, 0x07064b50, true);
    d64.setBigUint64(64, BigInt(eocd), true);
    const many = new Uint8Array(eocd + z64.length + 22);
    many.set(one.subarray(0, eocd));
    many.set(z64, eocd);
    many.set(one.subarray(eocd), eocd + z64.length);
    expect(() => listZip(many, 'many.pth')).toThrow(CheckpointFormatError);
    expect(() => listZip(many, 'many.pth')).toThrow(
      /many\.pth: .*claims 200000 entries, above the limit of 100000/,
    );
    // two entries each under the per-entry ratio cap of what a listing can know, 4e9 bytes each
    const a = deflateClaiming('a/data.pkl', new Uint8Array([0x03, 0x00]), 4_000_000_000);
    expect(listZip(a, 'one.pth')).toHaveLength(1);
    const two = writeZip(
      [
        { name: 'x', data: new Uint8Array([0x03, 0x00]) },
        { name: 'y', data: new Uint8Array([0x03, 0x00]) },
      ],
      1,
    );
    const dv = new DataView(two.buffer);
    let cd = dv.getUint32(two.length - 22 + 16, true);
    for (let i = 0; i < 2; i++) {
      dv.setUint16(cd + 10, 8, true); // deflate
      dv.setUint32(cd + 24, 4_000_000_000, true);
      cd += 46 + dv.getUint16(cd + 28, true) + dv.getUint16(cd + 30, true) + dv.getUint16(cd + 32, true);
    }
    expect(() => listZip(two, 'two.pth')).toThrow(/two\.pth: .*more than 4294967296 bytes unpacked in total/);
  });

  it('a .pth whose data.pkl claims more than the pickle cap is refused before inflating', () => {
    // 66 kB of deflate input could honestly claim 68 MB (ratio 1030:1): above the 64 MiB pickle cap
    const zip = deflateClaiming('a/data.pkl', new Uint8Array(66_000), 68_000_000);
    expect(() => readPth(zip, 'big.pth')).toThrow(/big\.pth: a\/data\.pkl unpacks to 68000000 bytes, above/);
  });

  it('pickle: a memo slot beyond the memo cap, and a string claiming 4 GiB, are refused at once', () => {
    const bigPut = Uint8Array.from([0x80, 2, 0x4e, 0x72, ...u32le(0xfffffff0), 0x2e]);
    expect(() => unpickleStateDict(bigPut, 'memo.pth')).toThrow(/memo slot 4294967280 is beyond/);
    const bigStr = Uint8Array.from([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0xff, 0x61]);
    expect(() => unpickleStateDict(bigStr, 'str.pth')).toThrow(/ends inside BINUNICODE \(truncated\)/);
  });

  it('pickle: a storage declaring 2^50 elements is refused before its bytes are read', () => {
    const huge = 2 ** 50;
    const pkl = pickleStateDict([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: huge, size: [huge], stride: [1] },
    ]);
    const zip = writeZip([
      { name: 'a/data.pkl', data: pkl },
      { name: 'a/data/0', data: new Uint8Array(8) },
    ]);
    expect(() => readPth(zip, 'numel.pth')).toThrow(
      /numel\.pth: storage a\/data\/0 holds 8 bytes but 1125899906842624 × torch\.FloatStorage needs/,
    );
  });

  it('.pth: storages that each pass the ratio check but total above the checkpoint cap are refused before inflating', () => {
    // three storages of 250M float32 each, DEFLATE entries of 1 MB claiming 1 GB (ratio 1000:1)
    const n = 250_000_000;
    const pkl = pickleStateDict(
      [0, 1, 2].map((i) => ({
        key: `w${i}`,
        storageType: 'FloatStorage' as const,
        storageKey: String(i),
        numel: n,
        size: [n],
        stride: [1],
      })),
    );
    const mb = new Uint8Array(1_000_000);
    const zip = writeZip(
      [{ name: 'a/data.pkl', data: pkl }, ...[0, 1, 2].map((i) => ({ name: `a/data/${i}`, data: mb }))],
      1,
    );
    const dv = new DataView(zip.buffer);
    let o = dv.getUint32(zip.length - 22 + 16, true);
    while (dv.getUint32(o, true) === 0x02014b50) {
      const nameLen = dv.getUint16(o + 28, true);
      if (new TextDecoder().decode(zip.subarray(o + 46, o + 46 + nameLen)).includes('/data/')) {
        dv.setUint16(o + 10, 8, true); // deflate
        dv.setUint32(o + 24, 4 * n, true); // 1 GB unpacked
      }
      o += 46 + nameLen;
    }
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readPth(zip, 'huge.pth')).toThrow(
      /huge\.pth: its entries declare 3000\d+ bytes unpacked in total/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('safetensors: a header length of 2^40 is refused before the header is decoded', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
    b[8] = 0x7b;
    expect(() => readSafetensors(b, 'h.safetensors')).toThrow(/larger than the 100000000-byte limit/);
  });

  it('TF.js: a manifest claiming 2^50 float32 values is refused before allocating', () => {
    const m = {
      weightsManifest: [
        { paths: ['s.bin'], weights: [{ name: 'w', shape: [2 ** 25, 2 ** 25], dtype: 'float32' }] },
      ],
    };
    const files: NamedFile[] = [{ name: 's.bin', bytes: new Uint8Array(8) }];
    expect(() => readTfjs({ name: 'model.json', bytes: enc.encode(JSON.stringify(m)) }, files)).toThrow(
      /needs 4503599627370496 bytes but the shards of group 1 hold 8/,
    );
  });

  it('the CRC of the pickle entry is checked', () => {
    // sanity for the re-zipping above: writeZip computes a real CRC-32
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
  });
});
