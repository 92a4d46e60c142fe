/**
 * The pickle of a PyTorch state_dict (`data.pkl` inside a .pth): a reader that executes nothing and
 * a writer of exactly the shape torch.save produces.
 *
 * Reader: a small stack machine over the opcodes torch.save emits at protocol 2 (checked against
 * torch 1.13's own output and its `weights_only` unpickler). It never calls anything: GLOBAL only
 * names an allow-listed symbol, REDUCE only recognises `OrderedDict()` and
 * `torch._utils._rebuild_tensor_v2(...)` and records their arguments, BINPERSID only accepts a
 * `('storage', torch.<T>Storage, key, location, numel)` tuple. Every other opcode or global raises a
 * CheckpointFormatError naming it and its byte offset.
 *
 * Accepted opcodes: PROTO, STOP, GLOBAL, REDUCE, BUILD (state of an OrderedDict only, i.e. the
 * `_metadata` attribute, ignored), BINPERSID, MARK, EMPTY_TUPLE, TUPLE, TUPLE1-3, EMPTY_DICT,
 * SETITEM, SETITEMS, NONE, NEWTRUE, NEWFALSE, BININT, BININT1, BININT2, LONG1, BINUNICODE, BINPUT,
 * LONG_BINPUT, BINGET, LONG_BINGET. (LONG_BINPUT/LONG_BINGET appear as soon as the memo passes 256
 * entries, i.e. in every real generator; torch's weights_only loader accepts them too.)
 * Accepted globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2, and the storages
 * torch.FloatStorage, DoubleStorage, HalfStorage, BFloat16Storage (converted to float32 by pth.ts)
 * and torch.LongStorage (int64).
 */
import { CheckpointFormatError } from './checkpointError';

export type StorageType =
  'FloatStorage' | 'DoubleStorage' | 'HalfStorage' | 'BFloat16Storage' | 'LongStorage';

/**
 * Highest memo slot accepted. Python's pickler numbers memo slots 0, 1, 2, … as it stores them
 * (a unet_256 state_dict uses a few thousand); a slot beyond this is crafted, and refusing it keeps
 * the memo's size bounded whatever the file claims.
 */
export const MAX_MEMO_SLOT = 1 << 20;

export const STORAGE_ITEM_BYTES: Record<StorageType, number> = {
  FloatStorage: 4,
  DoubleStorage: 8,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
};

/** A persistent storage reference: `('storage', torch.<T>Storage, key, location, numel)`. */
export interface StorageRef {
  storageType: StorageType;
  /** Name of the storage's data entry: `<archive>/data/<key>`. */
  key: string;
  /** Device at save time (`cpu`, `cuda:0`); the bytes are the same. */
  location: string;
  /** Number of elements of the storage. */
  numel: number;
}

/** What `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)` describes. */
export interface TensorRef {
  storage: StorageRef;
  /** Offset into the storage, in elements. */
  storageOffset: number;
  size: number[];
  stride: number[];
}

export interface PickledStateDict {
  /** Entries in pickle order (= PyTorch's state_dict order). */
  entries: { key: string; tensor: TensorRef }[];
  /** True when the OrderedDict carried a `_metadata` attribute (set by BUILD; ignored). */
  hadMetadata: boolean;
}

// ---------------------------------------------------------------------------------------------
// reader

interface PTuple {
  kind: 'tuple';
  items: PValue[];
}
interface PDict {
  kind: 'dict';
  ordered: boolean;
  map: Map<DictKey, PValue>;
  /** BUILD was applied (the OrderedDict's `__dict__`, i.e. `_metadata`). */
  built: boolean;
}
interface PGlobal {
  kind: 'global';
  name: 'OrderedDict' | 'rebuild_tensor_v2' | StorageType;
}
interface PStorage {
  kind: 'storage';
  ref: StorageRef;
}
interface PTensor {
  kind: 'tensor';
  ref: TensorRef;
}
type DictKey = string | number | bigint | boolean | null;
type PValue = DictKey | PTuple | PDict | PGlobal | PStorage | PTensor;

const ALLOWED_GLOBALS: Record<string, PGlobal['name']> = {
  'collections.OrderedDict': 'OrderedDict',
  'torch._utils._rebuild_tensor_v2': 'rebuild_tensor_v2',
  'torch.FloatStorage': 'FloatStorage',
  'torch.DoubleStorage': 'DoubleStorage',
  'torch.HalfStorage': 'HalfStorage',
  'torch.BFloat16Storage': 'BFloat16Storage',
  'torch.LongStorage': 'LongStorage',
};

/** Names of the pickle opcodes, for error messages (all protocols, accepted or not). */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
};

function describe(v: PValue): string {
  if (v === null) return 'None';
  switch (typeof v) {
    case 'string':
      return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
    case 'number':
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'True' : 'False';
  }
  switch (v.kind) {
    case 'tuple':
      return `a tuple of ${v.items.length}`;
    case 'dict':
      return v.ordered ? 'an OrderedDict' : 'a dict';
    case 'global':
      return `the global ${v.name}`;
    case 'storage':
      return 'a storage';
    case 'tensor':
      return 'a tensor';
  }
}

function isDictKey(v: PValue): v is DictKey {
  return v === null || typeof v !== 'object';
}

/**
 * Parse a state_dict pickle (protocol 2) without executing it.
 * @param fileName used in error messages (e.g. `latest_net_G.pth (archive/data.pkl)`).
 */
export function unpickleStateDict(bytes: Uint8Array, fileName: string): PickledStateDict {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let opAt = 0;
  let op = 0;
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(
      `${fileName}: ${msg} (pickle byte ${opAt}) — not a plain PyTorch state_dict`,
    );
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail(`the pickle ends inside ${OPCODE_NAMES[op] ?? 'an opcode'} (truncated)`);
  };
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) fail('GLOBAL without a terminated module/name line');
    let s = '';
    for (let i = pos; i < end; i++) {
      const c = bytes[i];
      if (c < 0x20 || c > 0x7e) fail('GLOBAL name is not printable ASCII');
      s += String.fromCharCode(c);
    }
    pos = end + 1;
    return s;
  };

  let stack: PValue[] = [];
  const metastack: PValue[][] = [];
  const memo = new Map<number, PValue>();
  let hadMetadata = false;

  const pop = (): PValue => {
    if (stack.length === 0) fail(`${OPCODE_NAMES[op]} on an empty stack`);
    return stack.pop() as PValue;
  };
  const top = (): PValue => {
    if (stack.length === 0) fail(`${OPCODE_NAMES[op]} on an empty stack`);
    return stack[stack.length - 1];
  };
  const popMark = (): PValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) fail(`${OPCODE_NAMES[op]} without a MARK`);
    stack = prev as PValue[];
    return items;
  };
  const asInt = (v: PValue, what: string): number => {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
    if (
      typeof v === 'bigint' &&
      v >= BigInt(Number.MIN_SAFE_INTEGER) &&
      v <= BigInt(Number.MAX_SAFE_INTEGER)
    ) {
      return Number(v);
    }
    return fail(`${what} should be an integer, found ${describe(v)}`);
  };
  const intTuple = (v: PValue, what: string): number[] => {
    if (v === null || typeof v !== 'object' || v.kind !== 'tuple')
      return fail(`${what} should be a tuple, found ${describe(v)}`);
    if (v.items.length > 32) fail(`${what} has ${v.items.length} dimensions`);
    return v.items.map((x) => asInt(x, what));
  };
  const setItem = (target: PValue, k: PValue, v: PValue): void => {
    if (target === null || typeof target !== 'object' || target.kind !== 'dict') {
      fail(`SETITEM(S) into ${describe(target)} (only dicts)`);
      return;
    }
    if (!isDictKey(k)) {
      fail(`dict key is ${describe(k)} (only strings and numbers)`);
      return;
    }
    target.map.set(k, v);
  };

  const reduce = (fn: PValue, args: PValue): PValue => {
    if (fn === null || typeof fn !== 'object' || fn.kind !== 'global') {
      return fail(
        `REDUCE calls ${describe(fn)}; only OrderedDict() and _rebuild_tensor_v2(...) are accepted`,
      );
    }
    if (args === null || typeof args !== 'object' || args.kind !== 'tuple') {
      return fail(`REDUCE arguments are ${describe(args)}, not a tuple`);
    }
    const a = args.items;
    if (fn.name === 'OrderedDict') {
      if (a.length !== 0) fail(`OrderedDict(...) called with ${a.length} arguments (expected none)`);
      return { kind: 'dict', ordered: true, map: new Map(), built: false };
    }
    if (fn.name === 'rebuild_tensor_v2') {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.length !== 6 && a.length !== 7)
        fail(`_rebuild_tensor_v2 called with ${a.length} arguments (expected 6 or 7)`);
      const storage = a[0];
      if (storage === null || typeof storage !== 'object' || storage.kind !== 'storage') {
        return fail(`_rebuild_tensor_v2's first argument is ${describe(storage)}, not a storage`);
      }
      const storageOffset = asInt(a[1], 'storage offset');
      const size = intTuple(a[2], 'tensor size');
      const stride = intTuple(a[3], 'tensor stride');
      if (typeof a[4] !== 'boolean') fail(`requires_grad is ${describe(a[4])}, not a bool`);
      const hooks = a[5];
      if (hooks === null || typeof hooks !== 'object' || hooks.kind !== 'dict' || hooks.map.size !== 0) {
        fail(`backward_hooks is ${describe(hooks)}; a saved state_dict has an empty OrderedDict there`);
      }
      if (a.length === 7) {
        const meta = a[6];
        if (meta !== null && (typeof meta !== 'object' || meta.kind !== 'dict')) {
          fail(`tensor metadata is ${describe(meta)}, not a dict`);
        }
      }
      return { kind: 'tensor', ref: { storage: storage.ref, storageOffset, size, stride } };
    }
    return fail(`REDUCE calls torch.${fn.name}, which is not a function`);
  };

  for (;;) {
    if (pos >= bytes.length) {
      opAt = pos;
      fail('the pickle ends without STOP (truncated)');
    }
    opAt = pos;
    op = bytes[pos++];
    switch (op) {
      case 0x80: // PROTO
        need(1);
        if (bytes[pos] > 5) fail(`unknown pickle protocol ${bytes[pos]}`);
        pos += 1;
        break;
      case 0x2e: {
        // STOP
        const result = pop();
        if (metastack.length > 0) fail('STOP inside an unclosed MARK');
        if (result === null || typeof result !== 'object' || result.kind !== 'dict') {
          return fail(`the pickle holds ${describe(result)}, not a state_dict (an OrderedDict of tensors)`);
        }
        const entries: PickledStateDict['entries'] = [];
        for (const [k, v] of result.map) {
          if (typeof k !== 'string') fail(`state_dict key ${String(k)} is not a string`);
          if (v === null || typeof v !== 'object' || v.kind !== 'tensor') {
            fail(`state_dict entry "${String(k)}" is ${describe(v)}, not a tensor`);
          }
          entries.push({ key: k as string, tensor: (v as PTensor).ref });
        }
        if (pos !== bytes.length) {
          // torch never writes anything after STOP; trailing bytes mean a damaged or crafted file
          opAt = pos;
          fail(`${bytes.length - pos} unexpected bytes after STOP`);
        }
        return { entries, hadMetadata: hadMetadata || result.built };
      }
      case 0x63: {
        // GLOBAL
        const module = readLine();
        const name = readLine();
        const full = `${module}.${name}`;
        const g = ALLOWED_GLOBALS[full];
        if (g === undefined || !Object.prototype.hasOwnProperty.call(ALLOWED_GLOBALS, full)) {
          fail(
            `refusing the global "${full}": a state_dict may only reference collections.OrderedDict, ` +
              `torch._utils._rebuild_tensor_v2 and torch.Float/Double/Half/BFloat16/LongStorage ` +
              `(this file would run other code when loaded by PyTorch without weights_only)`,
          );
        }
        stack.push({ kind: 'global', name: g });
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const inst = top();
        if (inst === null || typeof inst !== 'object' || inst.kind !== 'dict' || !inst.ordered) {
          fail(`BUILD on ${describe(inst)} (only the OrderedDict's _metadata attribute is accepted)`);
        }
        if (state === null || typeof state !== 'object' || state.kind !== 'dict') {
          fail(`BUILD with ${describe(state)} (expected a dict holding _metadata)`);
        }
        for (const k of (state as PDict).map.keys()) {
          if (k !== '_metadata') fail(`BUILD sets the attribute ${String(k)} (only _metadata is accepted)`);
        }
        (inst as PDict).built = true;
        hadMetadata = true;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (pid === null || typeof pid !== 'object' || pid.kind !== 'tuple') {
          fail(`persistent id is ${describe(pid)}, not a storage tuple`);
        }
        const t = (pid as PTuple).items;
        if (t.length !== 5 || t[0] !== 'storage') {
          fail(`persistent id ${describe(pid)} is not ('storage', type, key, location, numel)`);
        }
        const type = t[1];
        if (
          type === null ||
          typeof type !== 'object' ||
          type.kind !== 'global' ||
          !(type.name in STORAGE_ITEM_BYTES)
        ) {
          fail(`storage type is ${describe(type)}, not a torch.*Storage`);
        }
        if (typeof t[2] !== 'string' || t[2].length === 0 || t[2].length > 64 || t[2].includes('/')) {
          fail(`storage key ${describe(t[2])} is not a plain name`);
        }
        if (typeof t[3] !== 'string') fail(`storage location ${describe(t[3])} is not a string`);
        const numel = asInt(t[4], 'storage size');
        if (numel < 0) fail(`storage size ${numel} is negative`);
        stack.push({
          kind: 'storage',
          ref: {
            storageType: (type as PGlobal).name as StorageType,
            key: t[2] as string,
            location: t[3] as string,
            numel,
          },
        });
        break;
      }
      case 0x28: // MARK
        if (metastack.length > 64) fail('MARKs nested too deeply');
        metastack.push(stack);
        stack = [];
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push({ kind: 'tuple', items: [] });
        break;
      case 0x74: {
        // TUPLE (popMark replaces `stack`, so take the items before pushing)
        const items = popMark();
        stack.push({ kind: 'tuple', items });
        break;
      }
      case 0x85: // TUPLE1
        stack.push({ kind: 'tuple', items: [pop()] });
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push({ kind: 'tuple', items: [a, b] });
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push({ kind: 'tuple', items: [a, b, c] });
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push({ kind: 'dict', ordered: false, map: new Map(), built: false });
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
        const target = top();
        for (let i = 0; i < items.length; i += 2) setItem(target, items[i], items[i + 1]);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        need(1);
        stack.push(bytes[pos]);
        pos += 1;
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(dv.getUint16(pos, true));
        pos += 2;
        break;
      case 0x8a: {
        // LONG1: n bytes of little-endian two's complement
        need(1);
        const n = bytes[pos];
        pos += 1;
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i]);
        if (n > 0 && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v,
        );
        break;
      }
      case 0x58: {
        // BINUNICODE
        need(4);
        const n = dv.getUint32(pos, true);
        pos += 4;
        need(n);
        let s: string;
        try {
          s = utf8.decode(bytes.subarray(pos, pos + n));
        } catch {
          return fail('a string is not valid UTF-8');
        }
        pos += n;
        stack.push(s);
        break;
      }
      case 0x71: // BINPUT
        need(1);
        memo.set(bytes[pos], top());
        pos += 1;
        break;
      case 0x72: {
        // LONG_BINPUT
        need(4);
        const slot = dv.getUint32(pos, true);
        if (slot >= MAX_MEMO_SLOT)
          fail(`memo slot ${slot} is beyond the ${MAX_MEMO_SLOT} slots a state_dict pickle can use`);
        memo.set(slot, top());
        pos += 4;
        break;
      }
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const n = op === 0x68 ? 1 : 4;
        need(n);
        const idx = n === 1 ? bytes[pos] : dv.getUint32(pos, true);
        pos += n;
        if (!memo.has(idx)) fail(`memo slot ${idx} read before it was written`);
        stack.push(memo.get(idx) as PValue);
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        fail(
          name
            ? `opcode ${name} (0x${op.toString(16)}) is not accepted in a state_dict`
            : `unknown opcode 0x${op.toString(16).padStart(2, '0')}`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// writer

export interface PickleTensorSpec {
  key: string;
  storageType: 'FloatStorage' | 'LongStorage';
  /** Storage key = name of its data entry (`data/<storageKey>`). */
  storageKey: string;
  /** Elements in the storage (= elements of the tensor: one storage per tensor). */
  numel: number;
  size: number[];
  stride: number[];
}

class ByteSink {
  private buf = new Uint8Array(4096);
  private len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u16(v: number): void {
    this.byte(v & 0xff);
    this.byte((v >>> 8) & 0xff);
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16((v >>> 16) & 0xffff);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Pickle a state_dict the way torch.save does (protocol 2): `OrderedDict()` via REDUCE, filled with
 * SETITEMS in batches of 1000, each value `_rebuild_tensor_v2(persid(('storage', torch.<T>Storage,
 * key, 'cpu', numel)), 0, size, stride, False, OrderedDict())`. Globals are memoised (BINPUT/BINGET)
 * like Python's pickler; no `_metadata` attribute is written (the server drops it anyway, and
 * BatchNorm's loader only needs it when num_batches_tracked is missing, which it never is here).
 */
export function pickleStateDict(tensors: readonly PickleTensorSpec[]): Uint8Array {
  const out = new ByteSink();
  const enc = new TextEncoder();
  const memo = new Map<string, number>();
  const global = (module: string, name: string): void => {
    const id = `${module}.${name}`;
    const slot = memo.get(id);
    if (slot !== undefined) {
      out.byte(0x68); // BINGET
      out.byte(slot);
      return;
    }
    out.byte(0x63); // GLOBAL
    out.bytes(enc.encode(`${module}\n${name}\n`));
    const next = memo.size;
    memo.set(id, next);
    out.byte(0x71); // BINPUT
    out.byte(next);
  };
  const str = (s: string): void => {
    const b = enc.encode(s);
    out.byte(0x58); // BINUNICODE
    out.u32(b.length);
    out.bytes(b);
  };
  const int = (n: number): void => {
    if (!Number.isSafeInteger(n)) throw new CheckpointFormatError(`cannot pickle ${n} as an integer`);
    if (n >= 0 && n < 0x100) {
      out.byte(0x4b);
      out.byte(n);
    } else if (n >= 0 && n < 0x10000) {
      out.byte(0x4d);
      out.u16(n);
    } else if (n >= -0x80000000 && n < 0x80000000) {
      out.byte(0x4a);
      out.u32(n >>> 0);
    } else {
      // LONG1: minimal little-endian two's complement
      let v = BigInt(n);
      const bytes: number[] = [];
      for (;;) {
        const b = Number(v & 0xffn);
        bytes.push(b);
        v >>= 8n;
        if ((v === 0n && !(b & 0x80)) || (v === -1n && b & 0x80)) break;
      }
      out.byte(0x8a);
      out.byte(bytes.length);
      for (const b of bytes) out.byte(b);
    }
  };
  const intTuple = (xs: readonly number[]): void => {
    if (xs.length === 0) {
      out.byte(0x29);
      return;
    }
    if (xs.length > 3) out.byte(0x28);
    for (const x of xs) int(x);
    out.byte(xs.length === 1 ? 0x85 : xs.length === 2 ? 0x86 : xs.length === 3 ? 0x87 : 0x74);
  };

  out.byte(0x80); // PROTO 2
  out.byte(2);
  global('collections', 'OrderedDict');
  out.byte(0x29); // EMPTY_TUPLE
  out.byte(0x52); // REDUCE
  for (let start = 0; start < tensors.length; start += 1000) {
    out.byte(0x28); // MARK
    for (const t of tensors.slice(start, start + 1000)) {
      str(t.key);
      global('torch._utils', '_rebuild_tensor_v2');
      out.byte(0x28); // MARK (args)
      out.byte(0x28); // MARK (persistent id)
      str('storage');
      global('torch', t.storageType);
      str(t.storageKey);
      str('cpu');
      int(t.numel);
      out.byte(0x74); // TUPLE
      out.byte(0x51); // BINPERSID
      int(0); // storage offset
      intTuple(t.size);
      intTuple(t.stride);
      out.byte(0x89); // NEWFALSE (requires_grad)
      global('collections', 'OrderedDict');
      out.byte(0x29);
      out.byte(0x52); // OrderedDict() (backward hooks)
      out.byte(0x74); // TUPLE
      out.byte(0x52); // REDUCE
    }
    out.byte(0x75); // SETITEMS
  }
  out.byte(0x2e); // STOP
  return out.result();
}
