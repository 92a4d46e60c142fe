/**
 * Numbers of the measurements declared in analysis.ts, from one image's landmarks
 * (TF.js-free, no DOM). Landmarks are found by symbol (with the aliases of analysis.ts), never by
 * index, so any landmark set works wherever it defines the symbols a measurement uses. A
 * measurement whose landmarks are absent (symbol not in the set, point null or not finite) has
 * value null and names them; so has one whose lines have zero length (`degenerate`). Never a
 * wrong number.
 *
 * Sign conventions: see analysis.ts (image y down; profile facing right; a film facing left —
 * nasion left of sella — is mirrored first).
 */
import type { Point } from '../image';
import {
  findLandmark,
  getAnalysis,
  MEASUREMENTS,
  type AngleFormula,
  type Classification,
  type Formula,
  type LineDef,
  type MeasurementDef,
  type Norm,
  type PointRef,
  type Text,
  type Unit,
} from './analysis';

export interface MeasurementValue {
  id: string;
  name: Text;
  /** deg, mm or a ratio; null when it cannot be computed (see `missing`, `degenerate`). */
  value: number | null;
  unit: Unit;
  /** Landmark symbols the measurement needs that this image lacks (empty when computed). */
  missing: string[];
  /** True when the landmarks are there but a line has zero length (coincident points). */
  degenerate?: boolean;
  norm?: Norm;
  /** Below, inside or above the normal range. */
  status?: 'low' | 'normal' | 'high';
  /** ISBI 2015 class, for the measurements the challenge classifies. */
  classification?: Classification;
}

type Vec = [number, number];

class Missing {
  readonly symbols = new Set<string>();
  degenerate = false;
}

interface Ctx {
  points: readonly (Point | null | undefined)[];
  symbols: readonly string[];
  mmPerPx: number;
  /** +1: profile faces right (ISBI); -1: faces left, x is mirrored. */
  facing: 1 | -1;
  miss: Missing;
}

function landmark(ctx: Ctx, symbol: string): Vec | null {
  const i = findLandmark(ctx.symbols, symbol);
  const p = i >= 0 ? ctx.points[i] : null;
  if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
    ctx.miss.symbols.add(symbol);
    return null;
  }
  return [ctx.facing * p[0], p[1]];
}

function resolve(ctx: Ctx, ref: PointRef): Vec | null {
  if (typeof ref === 'string') return landmark(ctx, ref);
  const a = landmark(ctx, ref.midpointOf[0]);
  const b = landmark(ctx, ref.midpointOf[1]);
  return a && b ? [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] : null;
}

function vector(ctx: Ctx, l: LineDef): Vec | null {
  const a = resolve(ctx, l.from);
  const b = resolve(ctx, l.to);
  if (!a || !b) return null;
  const v: Vec = [b[0] - a[0], b[1] - a[1]];
  if (v[0] === 0 && v[1] === 0) ctx.miss.degenerate = true;
  return v;
}

const DEG = 180 / Math.PI;
const cross = (u: Vec, v: Vec): number => u[0] * v[1] - u[1] * v[0];
const dot = (u: Vec, v: Vec): number => u[0] * v[0] + u[1] * v[1];

function angleValue(ctx: Ctx, f: AngleFormula): number | null {
  const u = vector(ctx, f.a);
  const v = vector(ctx, f.b);
  if (!u || !v || ctx.miss.degenerate) return null;
  const c = cross(u, v);
  const deg = Math.atan2(Math.abs(c), dot(u, v)) * DEG;
  // cross > 0: v is clockwise from u on the screen (y down)
  if (f.negativeWhen === 'cw' && c > 0) return -deg;
  if (f.negativeWhen === 'ccw' && c < 0) return -deg;
  return deg;
}

function length(ctx: Ctx, l: LineDef): number | null {
  const v = vector(ctx, l);
  return v ? Math.hypot(v[0], v[1]) : null;
}

function evaluate(ctx: Ctx, f: Formula): number | null {
  switch (f.kind) {
    case 'angle':
      return angleValue(ctx, f);
    case 'angleDiff': {
      const a = angleValue(ctx, f.a);
      const b = angleValue(ctx, f.b);
      return a === null || b === null ? null : a - b;
    }
    case 'composite': {
      const terms = f.terms.map((t) => angleValue(ctx, t));
      return terms.some((t) => t === null) ? null : (terms as number[]).reduce((s, t) => s + t, 0);
    }
    case 'distance': {
      const d = length(ctx, { from: f.from, to: f.to });
      return d === null ? null : d * ctx.mmPerPx;
    }
    case 'ratio': {
      const n = length(ctx, f.num);
      const d = length(ctx, f.den);
      if (n === null || d === null) return null;
      if (d === 0) {
        ctx.miss.degenerate = true;
        return null;
      }
      return n / d;
    }
    case 'signedDistance': {
      const a = resolve(ctx, f.from);
      const b = resolve(ctx, f.to);
      if (!a || !b) return null;
      const d = Math.hypot(b[0] - a[0], b[1] - a[1]) * ctx.mmPerPx;
      return b[0] < a[0] ? -d : d;
    }
    case 'pointLine':
    case 'projection': {
      const p = resolve(ctx, f.point);
      const o = resolve(ctx, f.line.from);
      const v = vector(ctx, f.line);
      if (!p || !o || !v || ctx.miss.degenerate) return null;
      const len = Math.hypot(v[0], v[1]);
      const w: Vec = [p[0] - o[0], p[1] - o[1]];
      if (f.kind === 'projection') return (dot(w, v) / len) * ctx.mmPerPx;
      // unit normal pointing anteriorly (+x); for an exactly horizontal line, downwards
      let n: Vec = [-v[1], v[0]];
      if (n[0] < 0 || (n[0] === 0 && n[1] < 0)) n = [v[1], -v[0]];
      return (dot(w, n) / len) * ctx.mmPerPx;
    }
  }
}

/**
 * +1 when the profile faces right (nasion right of sella, as on ISBI films), -1 when it faces
 * left; +1 when S or N is missing.
 */
export function profileFacing(
  points: readonly (Point | null | undefined)[],
  symbols: readonly string[],
): 1 | -1 {
  const s = points[findLandmark(symbols, 'S')];
  const n = points[findLandmark(symbols, 'N')];
  if (!s || !n || !Number.isFinite(s[0]) || !Number.isFinite(n[0])) return 1;
  return n[0] < s[0] ? -1 : 1;
}

function checkScale(mmPerPx: number): void {
  if (!(Number.isFinite(mmPerPx) && mmPerPx > 0))
    throw new RangeError(`mm per pixel must be a positive number, got ${mmPerPx}`);
}

/**
 * One measurement (by id or definition) on one image's landmarks. `norm` replaces the
 * measurement's own normal range (an analysis' norms, e.g. Steiner's SNA 82 +/- 2).
 */
export function measureOne(
  m: string | MeasurementDef,
  points: readonly (Point | null | undefined)[],
  symbols: readonly string[],
  mmPerPx: number,
  opts: { norm?: Norm } = {},
): MeasurementValue {
  checkScale(mmPerPx);
  const def = typeof m === 'string' ? MEASUREMENTS[m] : m;
  if (!def) throw new Error(`unknown measurement "${String(m)}"`);
  const ctx: Ctx = { points, symbols, mmPerPx, facing: profileFacing(points, symbols), miss: new Missing() };
  // resolve every symbol first so `missing` names all of them, not just the first one hit
  for (const s of def.uses) resolve(ctx, s);
  const raw = ctx.miss.symbols.size ? null : evaluate(ctx, def.formula);
  const value = raw !== null && Number.isFinite(raw) && !ctx.miss.degenerate ? raw : null;
  const out: MeasurementValue = {
    id: def.id,
    name: def.name,
    value,
    unit: def.unit,
    missing: def.uses.filter((s) => ctx.miss.symbols.has(s)),
  };
  if (value === null && ctx.miss.degenerate && out.missing.length === 0) out.degenerate = true;
  const norm = opts.norm ?? def.norm;
  if (norm) {
    out.norm = norm;
    if (value !== null) out.status = value < norm.min ? 'low' : value > norm.max ? 'high' : 'normal';
  }
  if (value !== null && def.classify) {
    const c = def.classify(value);
    if (c) out.classification = c;
  }
  return out;
}

/**
 * Every measurement of an analysis ('isbi2015', 'steiner', 'tweed' or 'all') on one image, with
 * the analysis' norms. `points[i]` is the landmark named `symbols[i]`, in pixels of the image;
 * `mmPerPx` its spacing.
 */
export function measureAnalysis(
  analysisId: string,
  points: readonly (Point | null | undefined)[],
  symbols: readonly string[],
  mmPerPx: number,
): MeasurementValue[] {
  checkScale(mmPerPx);
  const analysis = getAnalysis(analysisId);
  return analysis.measurements.map((id) =>
    measureOne(id, points, symbols, mmPerPx, { norm: analysis.norms?.[id] }),
  );
}

export interface MeasurementComparison {
  id: string;
  name: Text;
  unit: Unit;
  a: number | null;
  b: number | null;
  /** a - b, null when either is missing. */
  diff: number | null;
  /** Symbols missing on either side. */
  missing: string[];
}

/** Side by side: the same measurements on two landmark sets (e.g. a tracing a vs ground truth b). */
export function compareMeasurements(
  a: readonly MeasurementValue[],
  b: readonly MeasurementValue[],
): MeasurementComparison[] {
  const byId = new Map(b.map((m) => [m.id, m]));
  return a.map((ma) => {
    const mb = byId.get(ma.id);
    const bv = mb ? mb.value : null;
    return {
      id: ma.id,
      name: ma.name,
      unit: ma.unit,
      a: ma.value,
      b: bv,
      diff: ma.value !== null && bv !== null ? ma.value - bv : null,
      missing: [...new Set([...ma.missing, ...(mb?.missing ?? [])])],
    };
  });
}
