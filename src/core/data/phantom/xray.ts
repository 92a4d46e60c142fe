/**
 * The phantom's lateral cephalogram: every structure adds radiographic density (line integral
 * of attenuation, arbitrary units) into one float plane; air spaces subtract. The film response
 * is 1 - exp(-k D) over a film-base level, then blur (focal spot / screen), quantum noise and
 * film mottle. Bright = dense, like a real cephalogram.
 */
import type { Rng } from '../../rng';
import type { Anatomy } from './anatomy';
import type { HeadMask } from './mask';
import {
  affineScale,
  applyAffine,
  ellipse,
  mapPath,
  offset,
  orient,
  strokeOutline,
  type Affine,
  type Path,
} from './geometry';
import { blur, fillAdd, noiseField, scratch, scratchPlane, valueNoise, type Plane } from './raster';

/** Film and exposure parameters of one X-ray. */
export interface XrayStyle {
  /** Film response factor k in 1 - exp(-k D). */
  exposure: number;
  /** Film base level (unexposed background), 0..1. */
  filmBase: number;
  /** Soft-tissue density scale. */
  softTissue: number;
  /** Bone density scale. */
  bone: number;
  /** Quantum noise sd at mid grey, 0..1 units. */
  noiseSd: number;
  /** Unsharp-mask amount of the cephalostat's processing. */
  sharpen: number;
  /** Unsharpness, mm (Gaussian sigma). */
  blurMm: number;
  /** Left-right exposure gradient (anode heel effect), fraction. */
  heel: number;
  /** Indices into anatomy.teeth that carry metal fillings. */
  fillings: number[];
  /** Orthodontic brackets and arch wires. */
  brackets: boolean;
}

export function sampleXrayStyle(rng: Rng, toothCount: number): XrayStyle {
  const fillings: number[] = [];
  if (rng.next() < 0.3) {
    const n = 1 + rng.int(3);
    for (let i = 0; i < n; i++) fillings.push(rng.int(toothCount));
  }
  return {
    exposure: 1.45 * (1 + 0.1 * rng.normal()),
    filmBase: 0.02 + 0.05 * rng.next(),
    softTissue: 1 + 0.12 * rng.normal(),
    bone: 1 + 0.08 * rng.normal(),
    noiseSd: 0.012 + 0.018 * rng.next(),
    blurMm: 0.25 + 0.25 * rng.next(),
    sharpen: 0.3 + 0.5 * rng.next(),
    heel: 0.12 * (rng.next() - 0.5),
    fillings,
    brackets: rng.next() < 0.12,
  };
}

/**
 * Render the cephalogram of an anatomy to a float plane in [0, 1] (w x h px).
 * `toPx` maps head-frame mm to pixels. The returned plane is a reusable buffer: copy or quantise
 * it before the next call.
 */
export function renderXray(
  anat: Anatomy,
  head: HeadMask,
  style: XrayStyle,
  toPx: Affine,
  w: number,
  h: number,
  rng: Rng,
): Plane {
  const s = affineScale(toPx); // px per mm
  const D = scratchPlane('xray.D', w, h); // sharp structures
  const Dd = scratchPlane('xray.Dd', w, h); // diffuse structures (blurred before adding)
  const Dw = scratchPlane('xray.Dw', w, h); // wide structures (blurred more)
  const px = (p: Path): Path => mapPath(toPx, p);
  const fillTo = (plane: Plane, p: Path | Path[], value: number, tex?: Float32Array): void => {
    const cs = (Array.isArray(p[0][0]) ? (p as Path[]) : [p as Path]).map((c) => orient(px(c), 1));
    fillAdd(plane, cs, value, tex);
  };
  const fill = (p: Path | Path[], value: number, tex?: Float32Array): void => fillTo(D, p, value, tex);
  const soft = (p: Path | Path[], value: number, tex?: Float32Array): void => fillTo(Dd, p, value, tex);
  const wide = (p: Path | Path[], value: number, tex?: Float32Array): void => fillTo(Dw, p, value, tex);
  const strokeTo = (plane: Plane, p: Path, wMm0: number, value: number, wMm1 = wMm0): void => {
    if (p.length < 2) return;
    const q = px(p);
    // strokes thinner than ~1 px keep their integral (density x width) but widen to 1 px
    const w0 = wMm0 * s;
    const w1 = wMm1 * s;
    const wMin = 0.9;
    const gain = Math.max(w0, w1) < wMin ? Math.max(w0, w1) / wMin : 1;
    fillAdd(plane, [strokeOutline(q, Math.max(w0, wMin), Math.max(w1, wMin))], value * gain);
  };
  const stroke = (p: Path, wMm0: number, value: number, wMm1 = wMm0): void =>
    strokeTo(D, p, wMm0, value, wMm1);
  const softStroke = (p: Path, wMm0: number, value: number, wMm1 = wMm0): void =>
    strokeTo(Dd, p, wMm0, value, wMm1);
  const closed = (p: Path): Path => p.concat([p[0]]);
  const bone = style.bone;

  // textures: fine trabecular pattern and a broad mottle
  const cell = Math.max(1, 1.3 * s);
  const trab = valueNoise(rng, w, h, cell, cell, 1, scratch('xray.trab', w * h));
  const mottle = valueNoise(
    rng,
    w,
    h,
    Math.max(2, 9 * s),
    Math.max(2, 9 * s),
    2,
    scratch('xray.mottle', w * h),
  );
  const boneTex = scratch('xray.boneTex', w * h);
  const vaultTex = scratch('xray.vaultTex', w * h);
  for (let i = 0; i < boneTex.length; i++) {
    boneTex[i] = 1 + 0.25 * trab[i] + 0.15 * mottle[i];
    vaultTex[i] = 1 + 0.12 * trab[i] + 0.1 * mottle[i];
  }

  // ---- soft tissue: coverage of the head, thicker (denser) towards the middle of the head
  const mask = head.coverage;
  const thick = head.thickness;
  const st = style.softTissue;
  for (let i = 0; i < D.data.length; i++) {
    const m = mask.data[i];
    if (m > 0) D.data[i] += m * st * (0.05 + 0.17 * thick.data[i]) * (1 + 0.06 * mottle[i]);
  }
  wide(anat.airway, -0.15 * st);

  // ---- vault and cranial base
  wide(anat.vaultInterior, 0.68 * bone, vaultTex);
  const rim = anat.vaultOuter.concat(anat.vaultInner.slice().reverse());
  fill(rim, 0.4 * bone, boneTex);
  // the tables fade out towards the foramen magnum (no hard end at the back)
  const tableEnd = (p: Path): Path => p.slice(0, Math.floor(p.length * 0.94));
  stroke(tableEnd(anat.vaultOuter), 1.0, 0.3 * bone);
  stroke(tableEnd(anat.vaultInner), 1.0, 0.3 * bone);
  if (anat.frontalSinus) {
    soft(anat.frontalSinus, -0.3 * bone);
    softStroke(closed(anat.frontalSinus), 0.8, 0.2 * bone);
  }
  soft(anat.middleFossa, 0.42 * bone, boneTex);
  soft(anat.sphenoidBody, 0.35 * bone, boneTex);
  soft(anat.sphenoidSinus, -0.2 * bone);
  soft(anat.clivus, 0.4 * bone, boneTex);
  soft(anat.petrous, 0.45 * bone, boneTex);
  soft(anat.mastoid, 0.3 * bone, boneTex);
  soft(anat.meatus, -0.3 * bone);
  stroke(closed(anat.meatus), 0.6, 0.2 * bone);
  stroke(anat.sellaFloor, 1.2, 0.65 * bone);
  stroke(anat.dorsum, 2.0, 0.55 * bone, 1.0);
  stroke(anat.anteriorClinoid, 2.4, 0.45 * bone, 0.6);
  stroke(anat.planum, 1.4, 0.4 * bone);
  softStroke(anat.orbitalRoofs[0], 1.4, 0.35 * bone);
  softStroke(anat.orbitalRoofs[1], 1.4, 0.25 * bone);
  softStroke(anat.sphenoidWing, 1.4, 0.3 * bone);
  softStroke(anat.petrousRidge, 1.6, 0.35 * bone);
  stroke(anat.clivusEdge, 0.9, 0.25 * bone);

  // ---- face skeleton
  softStroke(closed(anat.orbit), 1.0, 0.1 * bone);
  softStroke(anat.orbitRim, 2.4, 0.4 * bone);
  stroke(anat.orbitFloor, 1.1, 0.25 * bone);
  soft(anat.zygoma, 0.42 * bone, boneTex);
  softStroke(anat.zygomaticArch, 5, 0.2 * bone);
  softStroke(anat.keyRidge, 1.8, 0.35 * bone);
  stroke(anat.nasalBone, 2.6, 0.5 * bone, 0.9);
  soft(anat.maxillaBody, 0.36 * bone, boneTex);
  soft(anat.maxillarySinus, -0.14 * bone);
  softStroke(closed(anat.maxillarySinus), 1.0, 0.15 * bone);
  for (const t of anat.turbinates) soft(t, 0.07 * bone);
  soft(anat.palate, 0.5 * bone, boneTex);
  // the palate's cortices: without them the palate vanishes under the maxilla and teeth and PNS
  // (its posterior tip) has nothing to be found by (a detector trained on the phantom missed it)
  stroke(anat.nasalFloor, 1.1, 0.5 * bone, 0.8);
  stroke(anat.palatalSurface, 0.9, 0.35 * bone);
  soft(anat.ptm, -0.12 * bone);
  stroke(closed(anat.ptm), 0.8, 0.22 * bone);
  softStroke(anat.pterygoid, 3, 0.2 * bone, 1.5);

  // ---- mandible
  fill(anat.mandible, 0.34 * bone, boneTex);
  soft(anat.mandibleBody, 0.2 * bone, boneTex);
  fill(anat.symphysis, 0.14 * bone, boneTex);
  stroke(offset(anat.lowerBorder, 1.3), 2.6, 0.45 * bone);
  stroke(anat.ramusBorder, 1.5, 0.3 * bone);
  stroke(anat.symphysisLabial, 1.4, 0.35 * bone);
  stroke(anat.symphysisLingual, 1.3, 0.3 * bone);
  stroke(anat.condyle, 1.0, 0.2 * bone);
  softStroke(anat.farSideBorder, 1.6, 0.22 * bone);
  softStroke(anat.mandibularCanal, 2.4, -0.08 * bone);

  // ---- teeth
  for (const t of anat.teeth) {
    fill(t.outline, 0.22 * t.weight * bone);
    fill(t.crown, 0.42 * t.weight * bone);
    fill(t.pulp, -0.15 * t.weight * bone);
  }
  for (const i of style.fillings) {
    const t = anat.teeth[i % anat.teeth.length];
    if (t.kind === 'incisor') continue;
    const q = applyAffine(toPx, t.crownCentre);
    const r = 2.2 * s;
    fillAdd(D, [ellipse(q, r * 1.3, r, Math.atan2(t.axis[1], t.axis[0]) + Math.PI / 2, 0.5)], 3);
  }
  if (style.brackets) {
    for (const upper of [true, false]) {
      const front = anat.teeth.filter((t) => t.upper === upper && t.weight >= 0.6);
      const centres = front.map((t) => t.crownCentre).sort((a, b) => b[0] - a[0]);
      for (const c of centres) {
        const q = applyAffine(toPx, c);
        const r = Math.max(0.8, 1.5 * s);
        fillAdd(D, [ellipse(q, r, r, 0, 0.5)], 2.2);
      }
      stroke(centres, 0.6, 1.2);
    }
  }

  // ---- spine, hyoid, ear rods
  for (const vb of anat.vertebrae) {
    fill(vb.body, 0.3 * bone, boneTex);
    stroke(closed(vb.body), 1.0, 0.22 * bone);
    for (const p of vb.posterior) {
      soft(p, 0.16 * bone, boneTex);
      softStroke(closed(p), 0.9, 0.12 * bone);
    }
  }
  soft(anat.dens, 0.35 * bone, boneTex);
  soft(anat.atlasAnterior, 0.35 * bone);
  soft(anat.atlasPosterior, 0.3 * bone);
  soft(anat.hyoid[0], 0.35 * bone);
  softStroke(anat.hyoid[1], 2.4, 0.3 * bone, 1.6);
  for (const ring of anat.earRods) {
    const c = applyAffine(toPx, ring.c);
    const outer = orient(ellipse(c, ring.r * s, ring.r * s, 0, 0.7), 1);
    const inner = orient(ellipse(c, (ring.r - 1.2) * s, (ring.r - 1.2) * s, 0, 0.7), -1);
    fillAdd(D, [outer, inner], 0.9);
  }
  // fine bony detail: sinus septa, ethmoid cells, vascular grooves (thin random curves)
  for (const c of anat.detailCurves) softStroke(c.path, c.widthMm, c.density * bone);
  blur(Dd, 1.0 * s);
  blur(Dw, 2.5 * s);

  // ---- film response, unsharpness, noise
  const out = scratchPlane('xray.out', w, h);
  const k = style.exposure;
  const base = style.filmBase;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const d = Math.max(0, D.data[i] + Dd.data[i] + Dw.data[i]) * (1 + style.heel * (x / w - 0.5));
      out.data[i] = base + (1 - base) * (1 - Math.exp(-k * d));
    }
  }
  blur(out, style.blurMm * s);
  // digital processing of cephalostats: unsharp mask (crisper bone edges, halo at the skin)
  const low = Dw; // reuse a buffer
  low.data.set(out.data);
  blur(low, 2.5 * s);
  const quantum = noiseField(rng, w * h, scratch('xray.quantum', w * h));
  for (let i = 0; i < out.data.length; i++) {
    const I = out.data[i] + style.sharpen * (out.data[i] - low.data[i]);
    const n = style.noiseSd * (0.6 + 0.8 * I) * quantum[i];
    out.data[i] = Math.min(1, Math.max(0, I + n + 0.012 * mottle[i]));
  }
  return out;
}
