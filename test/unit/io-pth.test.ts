/**
 * .pth (torch.save zip) reader and writer, the ZIP layer and the non-executing pickle reader.
 * The fixture is a real torch.save file (PyTorch 1.13, archive folder "tiny_torch113", data
 * descriptors, ZIP64 end record, _metadata) of Sequential(Conv2d(1,2,2), BatchNorm2d(2)) with
 * hand-set values, so this test needs no Python.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../src/core/io/checkpointError';
import { pickleStateDict, unpickleStateDict } from '../../src/core/io/pickle';
import { readPth, writePth } from '../../src/core/io/pth';
import { crc32, listZip, readZip, writeZip } from '../../src/core/io/zip';
import type { StateDict } from '../../src/core/model/types';

const TORCH113_TINY_PTH_B64 = [
  'UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAWAAwAdGlueV90b3JjaDExMy9kYXRhLnBrbEZCCABaWlpaWlpaWoACY2NvbGxlY3Rp',
  'b25zCk9yZGVyZWREaWN0CnEAKVJxAShYCAAAADAud2VpZ2h0cQJjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3RlbnNvcl92MgpxAygo',
  'WAcAAABzdG9yYWdlcQRjdG9yY2gKRmxvYXRTdG9yYWdlCnEFWAEAAAAwcQZYAwAAAGNwdXEHSwh0cQhRSwAoSwJLAUsCSwJ0cQko',
  'SwRLBEsCSwF0cQqJaAApUnELdHEMUnENWAYAAAAwLmJpYXNxDmgDKChoBGgFWAEAAAAxcQ9oB0sCdHEQUUsASwKFcRFLAYVxEolo',
  'AClScRN0cRRScRVYCAAAADEud2VpZ2h0cRZoAygoaARoBVgBAAAAMnEXaAdLAnRxGFFLAEsChXEZSwGFcRqJaAApUnEbdHEcUnEd',
  'WAYAAAAxLmJpYXNxHmgDKChoBGgFWAEAAAAzcR9oB0sCdHEgUUsASwKFcSFLAYVxIoloAClScSN0cSRScSVYDgAAADEucnVubmlu',
  'Z19tZWFucSZoAygoaARoBVgBAAAANHEnaAdLAnRxKFFLAEsChXEpSwGFcSqJaAApUnErdHEsUnEtWA0AAAAxLnJ1bm5pbmdfdmFy',
  'cS5oAygoaARoBVgBAAAANXEvaAdLAnRxMFFLAEsChXExSwGFcTKJaAApUnEzdHE0UnE1WBUAAAAxLm51bV9iYXRjaGVzX3RyYWNr',
  'ZWRxNmgDKChoBGN0b3JjaApMb25nU3RvcmFnZQpxN1gBAAAANnE4aAdLAXRxOVFLACkpiWgAKVJxOnRxO1JxPHV9cT1YCQAAAF9t',
  'ZXRhZGF0YXE+aAApUnE/KFgAAAAAcUB9cUFYBwAAAHZlcnNpb25xQksBc1gBAAAAMHFDfXFEaEJLAXNYAQAAADFxRX1xRmhCSwJz',
  'dXNiLlBLBwiCasN/sgIAALICAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAABQADAB0aW55X3RvcmNoMTEzL2RhdGEvMEZCCABa',
  'WlpaWlpaWgAAgL8AAEC/AAAAvwAAgL4AAAAAAACAPgAAAD8AAEA/UEsHCBLNyAEgAAAAIAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAA',
  'AAAAAAAAFAAeAHRpbnlfdG9yY2gxMTMvZGF0YS8xRkIaAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaAAAAPwAAAL9QSwcII16N',
  'HQgAAAAIAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAUADYAdGlueV90b3JjaDExMy9kYXRhLzJGQjIAWlpaWlpaWlpaWlpa',
  'WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloAAMA/AAAAQFBLBwgar2chCAAAAAgAAABQSwMEAAAICAAAAAAA',
  'AAAAAAAAAAAAAAAAABQANgB0aW55X3RvcmNoMTEzL2RhdGEvM0ZCMgBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa',
  'WlpaWlpaWlpaWlpaWlpaWs3MzD3NzEw+UEsHCNWemDEIAAAACAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAFAA2AHRpbnlf',
  'dG9yY2gxMTMvZGF0YS80RkIyAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaAABAQAAA',
  'gEBQSwcIl1TWfwgAAAAIAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAUADYAdGlueV90b3JjaDExMy9kYXRhLzVGQjIAWlpa',
  'WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloAAKBAAADAQFBLBwgQAOuZCAAAAAgAAABQSwME',
  'AAAICAAAAAAAAAAAAAAAAAAAAAAAABQANgB0aW55X3RvcmNoMTEzL2RhdGEvNkZCMgBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa',
  'WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWgUAAAAAAAAAUEsHCA3Rwi0IAAAACAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAA',
  'FQA1AHRpbnlfdG9yY2gxMTMvdmVyc2lvbkZCMQBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa',
  'WlpaMwpQSwcI0Z5nVQIAAAACAAAAUEsBAgAAAAAICAAAAAAAAIJqw3+yAgAAsgIAABYAAAAAAAAAAAAAAAAAAAAAAHRpbnlfdG9y',
  'Y2gxMTMvZGF0YS5wa2xQSwECAAAAAAgIAAAAAAAAEs3IASAAAAAgAAAAFAAAAAAAAAAAAAAAAAACAwAAdGlueV90b3JjaDExMy9k',
  'YXRhLzBQSwECAAAAAAgIAAAAAAAAI16NHQgAAAAIAAAAFAAAAAAAAAAAAAAAAABwAwAAdGlueV90b3JjaDExMy9kYXRhLzFQSwEC',
  'AAAAAAgIAAAAAAAAGq9nIQgAAAAIAAAAFAAAAAAAAAAAAAAAAADYAwAAdGlueV90b3JjaDExMy9kYXRhLzJQSwECAAAAAAgIAAAA',
  'AAAA1Z6YMQgAAAAIAAAAFAAAAAAAAAAAAAAAAABYBAAAdGlueV90b3JjaDExMy9kYXRhLzNQSwECAAAAAAgIAAAAAAAAl1TWfwgA',
  'AAAIAAAAFAAAAAAAAAAAAAAAAADYBAAAdGlueV90b3JjaDExMy9kYXRhLzRQSwECAAAAAAgIAAAAAAAAEADrmQgAAAAIAAAAFAAA',
  'AAAAAAAAAAAAAABYBQAAdGlueV90b3JjaDExMy9kYXRhLzVQSwECAAAAAAgIAAAAAAAADdHCLQgAAAAIAAAAFAAAAAAAAAAAAAAA',
  'AADYBQAAdGlueV90b3JjaDExMy9kYXRhLzZQSwECAAAAAAgIAAAAAAAA0Z5nVQIAAAACAAAAFQAAAAAAAAAAAAAAAABYBgAAdGlu',
  'eV90b3JjaDExMy92ZXJzaW9uUEsGBiwAAAAAAAAAHgMtAAAAAAAAAAAACQAAAAAAAAAJAAAAAAAAAFUCAAAAAAAA0gYAAAAAAABQ',
  'SwYHAAAAACcJAAAAAAAAAQAAAFBLBQYAAAAACQAJAFUCAADSBgAAAAA=',
].join('');

const fixture = (): Uint8Array => new Uint8Array(Buffer.from(TORCH113_TINY_PTH_B64, 'base64'));
const enc = new TextEncoder();

function sample(): StateDict {
  return [
    {
      key: 'model.0.weight',
      dtype: 'float32',
      shape: [2, 3, 1, 2],
      data: Float32Array.from({ length: 12 }, (_, i) => i - 5.5),
    },
    { key: 'model.0.bias', dtype: 'float32', shape: [2], data: new Float32Array([0.25, -1e-20]) },
    { key: 'model.1.num_batches_tracked', dtype: 'int64', shape: [], data: BigInt64Array.of(123456789012n) },
    { key: 'empty', dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
  ];
}

/** A .pth zip around arbitrary pickle bytes (and optional storages). */
function pthWith(pkl: Uint8Array, storages: Record<string, Uint8Array> = {}, folder = 'x'): Uint8Array {
  return writeZip([
    { name: `${folder}/data.pkl`, data: pkl },
    ...Object.entries(storages).map(([k, v]) => ({ name: `${folder}/data/${k}`, data: v })),
    { name: `${folder}/version`, data: enc.encode('3\n') },
  ]);
}

/** Pickle bytes from a string of opcodes written as latin-1 characters. */
const pk = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function expectFormatError(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CheckpointFormatError);
  expect((err as Error).message).toMatch(pattern);
}

describe('readPth on a real torch.save file (PyTorch 1.13)', () => {
  it('reads keys, order, shapes, dtypes and values', () => {
    const sd = readPth(fixture(), 'tiny.pth');
    expect(sd.map((t) => t.key)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    expect(sd[0].shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(sd[0].data as Float32Array)).toEqual([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]);
    expect(Array.from(sd[1].data as Float32Array)).toEqual([0.5, -0.5]);
    expect(Array.from(sd[3].data as Float32Array)).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    expect(Array.from(sd[5].data as Float32Array)).toEqual([5, 6]);
    expect(sd[6]).toMatchObject({ dtype: 'int64', shape: [] });
    expect(sd[6].data[0]).toBe(5n);
  });

  it('uses the central directory: torch writes data descriptors and a ZIP64 end record', () => {
    const entries = listZip(fixture(), 'tiny.pth');
    expect(entries.map((e) => e.name)).toContain('tiny_torch113/data/6');
    // PyTorch aligns every entry's data to 64 bytes
    for (const e of entries) expect(e.dataOffset % 64).toBe(0);
  });

  it('fails with the file and entry named when a storage byte is flipped (CRC)', () => {
    const bytes = fixture();
    const e = listZip(bytes, 'tiny.pth').find((x) => x.name === 'tiny_torch113/data/0')!;
    bytes[e.dataOffset + 3] ^= 0x10;
    expectFormatError(
      () => readPth(bytes, 'tiny.pth'),
      /tiny\.pth: ZIP entry "tiny_torch113\/data\/0" fails its CRC-32/,
    );
  });

  it('fails clearly on a truncated file', () => {
    const bytes = fixture();
    for (const n of [0, 10, 100, bytes.length / 2, bytes.length - 1]) {
      expectFormatError(() => readPth(bytes.subarray(0, Math.floor(n)), 'cut.pth'), /cut\.pth/);
    }
  });
});

describe('writePth', () => {
  it('round-trips float32 and int64 tensors, order and empty tensors', () => {
    const sd = sample();
    const back = readPth(writePth(sd), 'rt.pth');
    expect(back.map((t) => [t.key, t.dtype, t.shape])).toEqual(sd.map((t) => [t.key, t.dtype, t.shape]));
    back.forEach((t, i) =>
      expect(Array.from(t.data as Float32Array)).toEqual(Array.from(sd[i].data as Float32Array)),
    );
  });

  it('writes the torch layout: folder/data.pkl, byteorder, data/<i> aligned to 64 bytes, version 3', () => {
    const bytes = writePth(sample(), { archiveName: 'latest_net_G' });
    const entries = listZip(bytes, 'w.pth');
    expect(entries.map((e) => e.name)).toEqual([
      'latest_net_G/data.pkl',
      'latest_net_G/byteorder',
      'latest_net_G/data/0',
      'latest_net_G/data/1',
      'latest_net_G/data/2',
      'latest_net_G/data/3',
      'latest_net_G/version',
    ]);
    for (const e of entries) {
      expect(e.method).toBe(0);
      expect(e.dataOffset % 64).toBe(0);
    }
    const files = readZip(bytes, 'w.pth');
    expect(new TextDecoder().decode(files.get('latest_net_G/version'))).toBe('3\n');
    expect(new TextDecoder().decode(files.get('latest_net_G/byteorder'))).toBe('little');
    // int64 scalar: 8 little-endian bytes
    expect(Array.from(files.get('latest_net_G/data/2')!)).toEqual([0x14, 0x1a, 0x99, 0xbe, 0x1c, 0, 0, 0]);
  });

  it('reads its own output without alignment padding too', () => {
    const sd = sample();
    const bytes = writePth(sd, { align: 1 });
    expect(listZip(bytes, 'p.pth').some((e) => e.dataOffset % 64 !== 0)).toBe(true);
    expect(readPth(bytes, 'p.pth').map((t) => t.key)).toEqual(sd.map((t) => t.key));
  });

  it('pickles like torch.save: protocol 2, OrderedDict via REDUCE, SETITEMS, persistent storages', () => {
    const pkl = pickleStateDict([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: 70000, size: [70000], stride: [1] },
      { key: 'n', storageType: 'LongStorage', storageKey: '1', numel: 1, size: [], stride: [] },
    ]);
    const text = new TextDecoder('latin1').decode(pkl);
    expect(Array.from(pkl.subarray(0, 2))).toEqual([0x80, 2]);
    expect(text.startsWith('\x80\x02ccollections\nOrderedDict\nq\x00)R(')).toBe(true);
    expect(text).toContain('ctorch._utils\n_rebuild_tensor_v2\n');
    expect(text).toContain('ctorch\nFloatStorage\n');
    expect(text).toContain('ctorch\nLongStorage\n');
    expect(text.endsWith('u.')).toBe(true);
    // 70000 does not fit BININT2: BININT, little-endian
    expect(text).toContain('J\x70\x11\x01\x00');
    const back = unpickleStateDict(pkl, 'p');
    expect(back.entries[0].tensor).toEqual({
      storage: { storageType: 'FloatStorage', key: '0', location: 'cpu', numel: 70000 },
      storageOffset: 0,
      size: [70000],
      stride: [1],
    });
    expect(back.entries[1].tensor.size).toEqual([]);
  });

  it('refuses inconsistent state_dicts', () => {
    const bad: StateDict = [{ key: 'a', dtype: 'float32', shape: [3], data: new Float32Array(2) }];
    expectFormatError(() => writePth(bad), /"a": 2 values for shape \[3\]/);
    const dup: StateDict = [sample()[1], sample()[1]];
    expectFormatError(() => writePth(dup), /"model\.0\.bias" appears twice/);
  });
});

describe('readPth refuses hostile and broken pickles', () => {
  it('a pickle calling os.system (GLOBAL + REDUCE)', () => {
    const pkl = pk('\x80\x02cos\nsystem\nq\x00X\x05\x00\x00\x00touchq\x01\x85R.');
    expectFormatError(
      () => readPth(pthWith(pkl), 'evil.pth'),
      /evil\.pth \(x\/data\.pkl\): refusing the global "os\.system"/,
    );
  });

  it('builtins.eval, posix.system, torch.load, and storages of other types', () => {
    for (const g of [
      'builtins\neval',
      'posix\nsystem',
      'torch\nload',
      'torch\nByteStorage',
      '__builtin__\ngetattr',
    ]) {
      const pkl = pk(`\x80\x02c${g}\n)R.`);
      expectFormatError(
        () => readPth(pthWith(pkl), 'g.pth'),
        new RegExp(`refusing the global "${g.replace('\n', '\\.')}"`),
      );
    }
  });

  it('opcodes outside the list: INST, OBJ, STACK_GLOBAL, NEWOBJ, BINFLOAT, unknown bytes', () => {
    const cases: [string, RegExp][] = [
      ['\x80\x02(ios\nsystem\n.', /opcode INST \(0x69\)/],
      ['\x80\x02(o.', /opcode OBJ/],
      ['\x80\x04\x8c\x02os\x8c\x06system\x93.', /opcode SHORT_BINUNICODE/],
      ['\x80\x02\x93.', /opcode STACK_GLOBAL/],
      ['\x80\x02)\x81.', /opcode NEWOBJ/],
      ['\x80\x02G\x3f\xf0\x00\x00\x00\x00\x00\x00.', /opcode BINFLOAT/],
      ['\x80\x02\xff.', /unknown opcode 0xff/],
    ];
    for (const [p, re] of cases) expectFormatError(() => readPth(pthWith(pk(p)), 'op.pth'), re);
  });

  it('__reduce__ tricks with allowed globals', () => {
    // OrderedDict called with arguments, a storage class called, a tensor built from a non-storage
    expectFormatError(
      () => readPth(pthWith(pk('\x80\x02ccollections\nOrderedDict\nX\x01\x00\x00\x00a\x85R.')), 'r.pth'),
      /OrderedDict\(\.\.\.\) called with 1 arguments/,
    );
    expectFormatError(
      () => readPth(pthWith(pk('\x80\x02ctorch\nFloatStorage\n)R.')), 'r.pth'),
      /not a function/,
    );
    expectFormatError(
      () =>
        readPth(
          pthWith(
            pk(
              '\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(K\x00K\x00)))\x89ccollections\nOrderedDict\n)Rt R.'.replace(
                ' ',
                '',
              ),
            ),
          ),
          'r.pth',
        ),
      /first argument is 0, not a storage/,
    );
    // BUILD on something other than the OrderedDict
    expectFormatError(() => readPth(pthWith(pk('\x80\x02}}b.')), 'b.pth'), /BUILD on a dict/);
    // a persistent id that is not a storage
    expectFormatError(
      () => readPth(pthWith(pk('\x80\x02X\x01\x00\x00\x00aQ.')), 'p.pth'),
      /persistent id is "a"/,
    );
  });

  it('structural damage: no STOP, empty stack, trailing bytes, not a dict', () => {
    expectFormatError(() => readPth(pthWith(pk('\x80\x02}')), 's.pth'), /ends without STOP/);
    expectFormatError(() => readPth(pthWith(pk('\x80\x02R')), 's.pth'), /REDUCE on an empty stack/);
    expectFormatError(() => readPth(pthWith(pk('\x80\x02}.junk')), 's.pth'), /4 unexpected bytes after STOP/);
    expectFormatError(() => readPth(pthWith(pk('\x80\x02K\x05.')), 's.pth'), /holds 5, not a state_dict/);
    expectFormatError(
      () => readPth(pthWith(pk('\x80\x02}X\x01\x00\x00\x00aK\x01s.')), 's.pth'),
      /entry "a" is 1, not a tensor/,
    );
    expectFormatError(
      () => readPth(pthWith(pk('\x80\x02X\xff\xff\xff\x7fa.')), 's.pth'),
      /ends inside BINUNICODE/,
    );
    expectFormatError(() => readPth(pthWith(pk('\x80\x02h\x07.')), 's.pth'), /memo slot 7 read before/);
  });

  it('tensor/storage inconsistencies are named', () => {
    const spec = (over: object): Uint8Array =>
      pickleStateDict([
        {
          key: 'k',
          storageType: 'FloatStorage',
          storageKey: '0',
          numel: 4,
          size: [2, 2],
          stride: [2, 1],
          ...over,
        },
      ]);
    const four = new Uint8Array(16);
    expectFormatError(
      () => readPth(pthWith(spec({ stride: [1, 2] }), { 0: four }), 't.pth'),
      /"k" is not contiguous/,
    );
    expectFormatError(
      () => readPth(pthWith(spec({}), { 0: new Uint8Array(12) }), 't.pth'),
      /holds 12 bytes but 4 × torch\.FloatStorage needs 16/,
    );
    expectFormatError(() => readPth(pthWith(spec({}), {}), 't.pth'), /storage entry x\/data\/0 is missing/);
    expectFormatError(
      () => readPth(pthWith(spec({ size: [3, 2], stride: [2, 1] }), { 0: four }), 't.pth'),
      /"k" .* does not fit in its storage "0" of 4 elements/,
    );
  });

  it('legacy and big-endian files, and non-zips', () => {
    expectFormatError(
      () => readPth(pk('\x80\x02\x8a\x0alegacy'), 'old.pth'),
      /legacy \(pre-1\.6\) PyTorch format/,
    );
    expectFormatError(() => readPth(enc.encode('hello'), 'h.pth'), /not a PyTorch \.pth file/);
    const be = writeZip([
      { name: 'a/data.pkl', data: pk('\x80\x02}.') },
      { name: 'a/byteorder', data: enc.encode('big') },
    ]);
    expectFormatError(() => readPth(be, 'be.pth'), /byte order "big" is not supported/);
    expectFormatError(
      () => readPth(writeZip([{ name: 'a/other', data: pk('x') }]), 'z.pth'),
      /no <folder>\/data\.pkl/,
    );
  });
});

describe('zip', () => {
  it('crc32 matches the reference value', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926);
  });

  it('aligns data to 64 bytes and round-trips entries', () => {
    const zip = writeZip([
      { name: 'a', data: enc.encode('x') },
      { name: 'dir/b.bin', data: new Uint8Array(1000).fill(7) },
    ]);
    const entries = listZip(zip, 't.zip');
    expect(entries.map((e) => e.dataOffset % 64)).toEqual([0, 0]);
    const files = readZip(zip, 't.zip');
    expect(files.get('dir/b.bin')!.every((v) => v === 7)).toBe(true);
  });

  it('refuses a forged DEFLATE size instead of allocating it', () => {
    const zip = writeZip([{ name: 'a', data: new Uint8Array(100) }], 1);
    const dv = new DataView(zip.buffer);
    const cd = dv.getUint32(zip.length - 22 + 16, true);
    dv.setUint16(cd + 10, 8, true); // method: deflate
    dv.setUint32(cd + 24, 0x7fffffff, true); // claims 2 GiB unpacked
    expectFormatError(() => readZip(zip, 'bomb.zip'), /claims 2147483647 bytes unpacked from 100; refusing/);
  });
});
