/**
 * Shared pieces of the property-based parser fuzzing (test/unit/fuzz-*.test.ts): fast-check
 * arbitraries that mutate a valid file (bit flips, truncations, insertions, deletions, boundary
 * bytes, boundary 32-bit words, duplicated slices), plus a probe that runs one parser call and
 * records whether it succeeded or failed with the parser's own typed error, and how long it took.
 * Every property runs FUZZ_RUNS inputs from a fixed seed, so a failure reproduces (fast-check
 * prints the seed and the shrunk counterexample).
 */
import fc from 'fast-check';

/** Inputs per parser (issue 17: at least 10,000, seeded). */
export const FUZZ_RUNS = 10_000;
/**
 * Most CPU time one parser call may use (process CPU time, user + system, so that being descheduled
 * on a loaded machine does not count). Every input here is at most a few kB, so a legitimate call
 * takes well under a millisecond; the bound catches hangs and quadratic blow-ups, and leaves room
 * for a garbage collection.
 */
export const MAX_CALL_MS = 250;

/** Throw unless `cond` (a cheap check for the hot loop of a property; `expect` costs ~10 µs). */
export function check(cond: boolean, what: string | (() => string)): asserts cond {
  if (!cond) throw new Error(typeof what === 'string' ? what : what());
}

const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x22, 0x28, 0x2c, 0x2e, 0x7b, 0x7d];
const BOUNDARY_U32 = [0, 1, 0x7f, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

type Op =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'trunc'; at: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'set'; at: number; v: number }
  | { k: 'u32'; at: number; v: number }
  | { k: 'del'; at: number; n: number }
  | { k: 'dup'; at: number; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ k: fc.constant('trunc' as const), at: fc.nat() }),
  fc.record({
    k: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.constantFrom(...BOUNDARY_BYTES) }),
  fc.record({ k: fc.constant('u32' as const), at: fc.nat(), v: fc.constantFrom(...BOUNDARY_U32) }),
  fc.record({ k: fc.constant('del' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }),
);

function applyOps(src: Uint8Array, ops: readonly Op[]): Uint8Array {
  let b = new Uint8Array(src);
  for (const op of ops) {
    if (b.length === 0) break;
    const at = op.at % b.length;
    switch (op.k) {
      case 'flip':
        b[at] ^= 1 << op.bit;
        break;
      case 'trunc':
        b = b.slice(0, at);
        break;
      case 'insert': {
        const nb = new Uint8Array(b.length + op.bytes.length);
        nb.set(b.subarray(0, at));
        nb.set(op.bytes, at);
        nb.set(b.subarray(at), at + op.bytes.length);
        b = nb;
        break;
      }
      case 'set':
        b[at] = op.v;
        break;
      case 'u32':
        for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = (op.v >>> (8 * i)) & 0xff;
        break;
      case 'del': {
        const nb = new Uint8Array(b.length - Math.min(op.n, b.length - at));
        nb.set(b.subarray(0, at));
        nb.set(b.subarray(at + op.n), at);
        b = nb;
        break;
      }
      case 'dup': {
        const piece = b.slice(at, at + op.n);
        const nb = new Uint8Array(b.length + piece.length);
        nb.set(b.subarray(0, at + piece.length));
        nb.set(piece, at + piece.length);
        nb.set(b.subarray(at + piece.length), at + 2 * piece.length);
        b = nb;
        break;
      }
    }
  }
  return b;
}

/** A valid file with 1..maxOps random mutations. */
export function mutatedBytes(valid: Uint8Array, maxOps = 4): fc.Arbitrary<Uint8Array> {
  return fc.array(opArb, { minLength: 1, maxLength: maxOps }).map((ops) => applyOps(valid, ops));
}

/** A valid text with 1..maxOps mutations of its UTF-8 bytes, decoded again (lossy). */
export function mutatedText(valid: string, maxOps = 4): fc.Arbitrary<string> {
  const bytes = new TextEncoder().encode(valid);
  const dec = new TextDecoder();
  return mutatedBytes(bytes, maxOps).map((b) => dec.decode(b));
}

/** Random bytes (no structure at all). */
export const randomBytes = (maxLength = 512): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: 0, maxLength });

/** What a fuzz property saw: counts of each outcome and the slowest call. */
export interface FuzzStats {
  name: string;
  runs: number;
  ok: number;
  rejected: number;
  maxMs: number;
  /** The typed error (or problem value) the parser answers bad input with. */
  typed: string;
}

export function newStats(name: string, typed: string): FuzzStats {
  return { name, runs: 0, ok: 0, rejected: 0, maxMs: 0, typed };
}

/** CPU milliseconds used by this process since `t0` (from `process.cpuUsage()`). */
function cpuMsSince(t0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

function tooSlow(stats: FuzzStats, t0: NodeJS.CpuUsage): void {
  const ms = cpuMsSince(t0);
  stats.maxMs = Math.max(stats.maxMs, ms);
  if (ms > MAX_CALL_MS)
    throw new Error(`${stats.name}: one call used ${ms.toFixed(0)} ms of CPU (> ${MAX_CALL_MS} ms)`);
}

/**
 * Run one parser call. Returns the result, or undefined when it threw an error for which
 * `isTyped` holds; any other exception (TypeError, RangeError, a plain Error...) fails the
 * property with the parser's name and the original message. The call must finish within
 * MAX_CALL_MS and a typed error must carry a message.
 */
export function probe<T>(stats: FuzzStats, isTyped: (e: unknown) => boolean, call: () => T): T | undefined {
  stats.runs++;
  const t0 = process.cpuUsage();
  try {
    const out = call();
    tooSlow(stats, t0);
    stats.ok++;
    return out;
  } catch (e) {
    tooSlow(stats, t0);
    if (!isTyped(e)) {
      const err = e as Error;
      throw new Error(`${stats.name}: untyped ${err?.name ?? typeof e}: ${err?.message ?? String(e)}`, {
        cause: e,
      });
    }
    if (!((e as Error).message.length > 10))
      throw new Error(`${stats.name}: typed error without a message`, { cause: e });
    stats.rejected++;
    return undefined;
  }
}

/** probe for async parsers. */
export async function probeAsync<T>(
  stats: FuzzStats,
  isTyped: (e: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T | undefined> {
  stats.runs++;
  const t0 = process.cpuUsage();
  try {
    const out = await call();
    tooSlow(stats, t0);
    stats.ok++;
    return out;
  } catch (e) {
    tooSlow(stats, t0);
    if (!isTyped(e)) {
      const err = e as Error;
      throw new Error(`${stats.name}: untyped ${err?.name ?? typeof e}: ${err?.message ?? String(e)}`, {
        cause: e,
      });
    }
    stats.rejected++;
    return undefined;
  }
}

/** Never-throwing parsers: any exception at all is a failure. */
export const nothingThrown = (): boolean => false;

/** One line per parser for the test log (the closing report quotes these). */
export function report(stats: FuzzStats): void {
  console.log(
    `[fuzz] ${stats.name}: ${stats.runs} inputs, ${stats.ok} accepted, ${stats.rejected} rejected ` +
      `(${stats.typed}), slowest call ${stats.maxMs.toFixed(1)} ms CPU`,
  );
}
