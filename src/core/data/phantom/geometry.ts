/**
 * 2-D geometry for the phantom: vectors, Hermite splines with prescribed tangents (so a landmark
 * can be made the exact extreme point of a contour), ellipse arcs, Bézier curves, offsets,
 * stroke outlines and affine maps. Paths are arrays of points; closed paths repeat nothing
 * (the rasteriser closes them).
 */

export type V2 = [number, number];
export type Path = V2[];

/** A point or vector from its coordinates. */
export const vec2 = (x: number, y: number): V2 => [x, y];
export const add = (a: V2, b: V2): V2 => [a[0] + b[0], a[1] + b[1]];
export const sub = (a: V2, b: V2): V2 => [a[0] - b[0], a[1] - b[1]];
export const mul = (a: V2, s: number): V2 => [a[0] * s, a[1] * s];
export const dot = (a: V2, b: V2): number => a[0] * b[0] + a[1] * b[1];
export const len = (a: V2): number => Math.hypot(a[0], a[1]);
export const dist = (a: V2, b: V2): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
export const lerp = (a: V2, b: V2, t: number): V2 => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
/** a + s * d */
export const addMul = (a: V2, d: V2, s: number): V2 => [a[0] + d[0] * s, a[1] + d[1] * s];
export function unit(a: V2): V2 {
  const l = Math.hypot(a[0], a[1]);
  return l > 1e-12 ? [a[0] / l, a[1] / l] : [1, 0];
}
/** Rotate by +90° in image coordinates (y down): (x, y) -> (-y, x). */
export const perp = (a: V2): V2 => [-a[1], a[0]];
/** Rotate by `rad` (positive = clockwise on screen, since y points down). */
export function rot(a: V2, rad: number): V2 {
  const c = Math.cos(rad);
  const s = Math.sin(rad);
  return [a[0] * c - a[1] * s, a[0] * s + a[1] * c];
}
export const rotAbout = (p: V2, c: V2, rad: number): V2 => add(c, rot(sub(p, c), rad));
/** Unit vector at angle `rad` from +x (positive = clockwise on screen). */
export const dir = (rad: number): V2 => [Math.cos(rad), Math.sin(rad)];
export const deg = (d: number): number => (d * Math.PI) / 180;
/** Point in a local frame: origin + a * ex + b * ey. */
export const frame = (o: V2, ex: V2, a: number, b: number): V2 => [
  o[0] + a * ex[0] - b * ex[1],
  o[1] + a * ex[1] + b * ex[0],
];

/** A spline knot. Tangent directions are unit-less; their length is set from the segment chord. */
export interface Knot {
  p: V2;
  /** tangent direction on both sides */
  d?: V2;
  /** tangent direction arriving (overrides d) */
  din?: V2;
  /** tangent direction leaving (overrides d) */
  dout?: V2;
  /** tangent length as a fraction of the chord (default 1) */
  k?: number;
}

/** Sample a cubic Hermite segment into out (without its first point). */
function hermiteInto(p0: V2, m0: V2, p1: V2, m1: V2, n: number, out: Path): void {
  for (let i = 1; i <= n; i++) {
    const t = i / n;
    const t2 = t * t;
    const t3 = t2 * t;
    const h00 = 2 * t3 - 3 * t2 + 1;
    const h10 = t3 - 2 * t2 + t;
    const h01 = -2 * t3 + 3 * t2;
    const h11 = t3 - t2;
    out.push([
      h00 * p0[0] + h10 * m0[0] + h01 * p1[0] + h11 * m1[0],
      h00 * p0[1] + h10 * m0[1] + h01 * p1[1] + h11 * m1[1],
    ]);
  }
}

/**
 * A C1 Hermite spline through the knots. Knots with a prescribed tangent keep it exactly, so a
 * knot with a vertical tangent between neighbours on the same side is an exact x-extreme: the x of
 * a segment whose two end tangents are vertical moves monotonically between its end points.
 * Missing tangents are Catmull-Rom (neighbour chord). `step` = sampling distance (same units).
 */
export function spline(knots: Knot[], step: number, closed = false): Path {
  const n = knots.length;
  const out: Path = [[knots[0].p[0], knots[0].p[1]]];
  const segs = closed ? n : n - 1;
  const auto = (i: number): V2 => {
    const prev = closed ? knots[(i - 1 + n) % n].p : knots[Math.max(0, i - 1)].p;
    const next = closed ? knots[(i + 1) % n].p : knots[Math.min(n - 1, i + 1)].p;
    return unit(sub(next, prev));
  };
  for (let i = 0; i < segs; i++) {
    const a = knots[i];
    const b = knots[(i + 1) % n];
    const chord = dist(a.p, b.p);
    const ta = unit(a.dout ?? a.d ?? auto(i));
    const tb = unit(b.din ?? b.d ?? auto((i + 1) % n));
    const m0 = mul(ta, chord * (a.k ?? 1));
    const m1 = mul(tb, chord * (b.k ?? 1));
    const samples = Math.max(2, Math.ceil((chord * 1.2) / step));
    hermiteInto(a.p, m0, b.p, m1, samples, out);
  }
  if (closed) out.pop(); // the last sample repeats the first knot
  return out;
}

/** Cubic Bézier p0..p3 sampled every ~step. */
export function bezier(p0: V2, p1: V2, p2: V2, p3: V2, step: number): Path {
  const l = dist(p0, p1) + dist(p1, p2) + dist(p2, p3);
  const n = Math.max(2, Math.ceil(l / step));
  const out: Path = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    const u = 1 - t;
    const a = u * u * u;
    const b = 3 * u * u * t;
    const c = 3 * u * t * t;
    const d = t * t * t;
    out.push([a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]]);
  }
  return out;
}

/** Ellipse arc: centre, radii, rotation, angles a0 -> a1 (radians, in the ellipse's frame). */
export function arc(
  c: V2,
  rx: number,
  ry: number,
  rotRad: number,
  a0: number,
  a1: number,
  step: number,
): Path {
  const approxLen = Math.abs(a1 - a0) * Math.max(rx, ry);
  const n = Math.max(3, Math.ceil(approxLen / step));
  const cr = Math.cos(rotRad);
  const sr = Math.sin(rotRad);
  const out: Path = [];
  for (let i = 0; i <= n; i++) {
    const a = a0 + ((a1 - a0) * i) / n;
    const x = rx * Math.cos(a);
    const y = ry * Math.sin(a);
    out.push([c[0] + x * cr - y * sr, c[1] + x * sr + y * cr]);
  }
  return out;
}

/** A closed ellipse. */
export function ellipse(c: V2, rx: number, ry: number, rotRad: number, step: number): Path {
  const p = arc(c, rx, ry, rotRad, 0, 2 * Math.PI, step);
  p.pop();
  return p;
}

/** Per-vertex unit normals (left of travel in image coordinates = perp of the tangent). */
function normals(path: Path, closed: boolean): V2[] {
  const n = path.length;
  const out: V2[] = [];
  for (let i = 0; i < n; i++) {
    const a = closed ? path[(i - 1 + n) % n] : path[Math.max(0, i - 1)];
    const b = closed ? path[(i + 1) % n] : path[Math.min(n - 1, i + 1)];
    out.push(perp(unit(sub(b, a))));
  }
  return out;
}

/** Offset a path along its normals by d (or d(t), t in [0, 1] along the vertex index). */
export function offset(path: Path, d: number | ((t: number) => number), closed = false): Path {
  const nr = normals(path, closed);
  const last = Math.max(1, path.length - 1);
  return path.map((p, i) => addMul(p, nr[i], typeof d === 'number' ? d : d(i / last)));
}

/** Polygon outline of a stroke along an open path, width w0 at the start to w1 at the end. */
export function strokeOutline(path: Path, w0: number, w1 = w0): Path {
  if (path.length < 2) return [];
  const left = offset(path, (t) => 0.5 * (w0 + (w1 - w0) * t));
  const right = offset(path, (t) => -0.5 * (w0 + (w1 - w0) * t));
  return left.concat(right.reverse());
}

/** Polygon between two open paths (a forward, b backward). */
export function band(a: Path, b: Path): Path {
  return a.concat(b.slice().reverse());
}

/** Signed area (positive = clockwise on screen, y down). */
export function signedArea(poly: Path): number {
  let s = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    s += poly[j][0] * poly[i][1] - poly[i][0] * poly[j][1];
  }
  return s / 2;
}

/** The polygon with the requested winding (+1 or -1), reversed if needed. */
export function orient(poly: Path, sign: 1 | -1): Path {
  return Math.sign(signedArea(poly)) === sign ? poly : poly.slice().reverse();
}

/** Concatenate open paths into one (dropping a repeated joint point). */
export function join(...parts: Path[]): Path {
  const out: Path = [];
  for (const part of parts) {
    for (const p of part) {
      const last = out[out.length - 1];
      if (last && Math.abs(last[0] - p[0]) < 1e-9 && Math.abs(last[1] - p[1]) < 1e-9) continue;
      out.push(p);
    }
  }
  return out;
}

/** Affine map x' = a x + c y + e, y' = b x + d y + f. */
export type Affine = [a: number, b: number, c: number, d: number, e: number, f: number];

export const applyAffine = (m: Affine, p: V2): V2 => [
  m[0] * p[0] + m[2] * p[1] + m[4],
  m[1] * p[0] + m[3] * p[1] + m[5],
];
export const mapPath = (m: Affine, path: Path): Path => path.map((p) => applyAffine(m, p));
/** m2 after m1. */
export function compose(m2: Affine, m1: Affine): Affine {
  return [
    m2[0] * m1[0] + m2[2] * m1[1],
    m2[1] * m1[0] + m2[3] * m1[1],
    m2[0] * m1[2] + m2[2] * m1[3],
    m2[1] * m1[2] + m2[3] * m1[3],
    m2[0] * m1[4] + m2[2] * m1[5] + m2[4],
    m2[1] * m1[4] + m2[3] * m1[5] + m2[5],
  ];
}
/** Similarity: scale s and rotation rad about centre c, then translation t. */
export function similarity(c: V2, s: number, rad: number, t: V2): Affine {
  const co = Math.cos(rad) * s;
  const si = Math.sin(rad) * s;
  return [co, si, -si, co, c[0] - co * c[0] + si * c[1] + t[0], c[1] - si * c[0] - co * c[1] + t[1]];
}
/** Uniform linear scale of an affine (sqrt of |det|). */
export const affineScale = (m: Affine): number => Math.sqrt(Math.abs(m[0] * m[3] - m[1] * m[2]));

/** Closest point on a polyline to p and its distance. */
export function closestOnPath(path: Path, p: V2): { point: V2; distance: number; index: number } {
  let best = Infinity;
  let bestP: V2 = path[0];
  let bestI = 0;
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i];
    const ab = sub(path[i + 1], a);
    const l2 = dot(ab, ab);
    const t = l2 > 0 ? Math.max(0, Math.min(1, dot(sub(p, a), ab) / l2)) : 0;
    const q = addMul(a, ab, t);
    const d = dist(q, p);
    if (d < best) {
      best = d;
      bestP = q;
      bestI = i;
    }
  }
  return { point: bestP, distance: best, index: bestI };
}
