/**
 * The phantom's head model: a small latent-factor model of a lateral cephalometric population
 * around the ISBI 2015 landmark statistics, sampled into the 19 landmarks in a canonical frame
 * (millimetres on a 193.5 x 240 mm film, the ISBI field of view at 0.1 mm/px), plus the few
 * construction values the anatomy needs (chin shape, incisor apices, occlusal plane).
 *
 * Latent factors (z-scores unless a unit is named): global head size, tilt and position on the
 * film; facial protrusion shared by both jaws (gives SNA/SNB their correlation), maxilla- and
 * mandible-specific protrusion, mandibular rotation about the condyle (facial height / high or
 * low angle), gonial angle, lip protrusion, soft-tissue thickness, nose size, overjet/overbite.
 *
 * Landmark definitions as the anatomy draws them (all exact by construction):
 * S centre of the sella's circular fossa; N front of the frontonasal suture where the frontal
 * contour meets the nasal bone; Or lowest point of the orbit contour; Po top of the external
 * auditory meatus; A / B deepest points of the anterior maxillary / mandibular concavity
 * relative to the chord ANS-prosthion / infradentale-Pog; Pog most anterior and Me lowest point
 * of the chin in the symphysis frame (the mandible's rotation + 15°), Gn the contour point between
 * them whose tangent is at 45° in that frame; Go the midpoint of the gonial fillet (on the bisector
 * of the ramus and mandibular-plane tangents); Ar where the ramus' posterior border crosses the
 * inferior contour of the basi-occiput; U1 / L1 incisal tips; Ls, Li, PogS most anterior points
 * of the lips and soft chin; Sn the corner where the columella meets the upper lip; ANS / PNS the
 * tips of the palate.
 */
import { ISBI_IMAGE, ISBI_LANDMARKS } from '../landmarkSet';
import type { Rng } from '../../rng';
import {
  add,
  addMul,
  deg,
  dot,
  mul,
  perp,
  rot,
  similarity,
  sub,
  unit,
  vec2,
  type Affine,
  type V2,
} from './geometry';

/** Film size of the canonical frame, mm (ISBI 1935 x 2400 px at 0.1 mm/px). */
export const FILM_MM: V2 = [ISBI_IMAGE.width * ISBI_IMAGE.mmPerPx, ISBI_IMAGE.height * ISBI_IMAGE.mmPerPx];

/** ISBI landmark indices. */
export const LM = {
  S: 0,
  N: 1,
  Or: 2,
  Po: 3,
  A: 4,
  B: 5,
  Pog: 6,
  Me: 7,
  Gn: 8,
  Go: 9,
  L1: 10,
  U1: 11,
  Ls: 12,
  Li: 13,
  Sn: 14,
  PogS: 15,
  PNS: 16,
  ANS: 17,
  Ar: 18,
} as const;

/** ISBI mean landmark positions in canonical mm. */
export const MEAN_MM: V2[] = ISBI_LANDMARKS.map((l) => vec2(l.x * FILM_MM[0], l.y * FILM_MM[1]));

/** The sampled anatomy parameters of one head (documented, serialisable). */
export interface HeadParams {
  /** Size factor of the whole head about porion (1 = ISBI mean). */
  headScale: number;
  /** Rotation of the whole head about porion on the film, degrees; + = clockwise (chin moves back). */
  headTiltDeg: number;
  /** Position of the head on the film relative to the ISBI mean, mm (x right, y down). */
  headShiftMm: [number, number];
  /** Protrusion shared by maxilla and mandible, z-score. */
  facialProtrusionZ: number;
  /** Maxilla-specific protrusion, z-score (+ = forward, larger SNA). */
  maxillaZ: number;
  /** Mandible-specific protrusion, z-score (+ = prognathic, larger SNB). */
  mandibleZ: number;
  /** Mandibular rotation about the condyle, degrees; + = clockwise (long face, chin down and back). */
  mandibleRotationDeg: number;
  /** Gonial angle factor, z-score (+ = more obtuse angle). */
  gonialZ: number;
  /** Extra lip protrusion, mm. */
  lipProtrusionMm: number;
  /** Soft-tissue thickness factor (1 = ISBI mean). */
  softTissueScale: number;
  /** Nose size factor (1 = average). */
  noseScale: number;
  /** Horizontal incisor overjet, mm (U1 ahead of L1). */
  overjetMm: number;
  /** Vertical incisor overbite, mm (U1 below L1's tip). */
  overbiteMm: number;
  /** Radius of the sella turcica, mm. */
  sellaRadiusMm: number;
  /** Chin ellipse semi-axes in the symphysis frame, mm (forward, downward). */
  chinMm: [number, number];
  /** Vault length / height factors. */
  vaultScale: [number, number];
  /** Frontal sinus size factor (0 = absent). */
  frontalSinusScale: number;
  /** Occlusal plane inclination, degrees (rising backwards). */
  occlusalTiltDeg: number;
  /** Column inclination, degrees (+ = leaning back at the bottom). */
  neckTiltDeg: number;
  /** Third molars present. */
  thirdMolars: boolean;
}

/** A sampled head: landmarks and construction values in the canonical frame (before the global pose). */
export interface Head {
  params: HeadParams;
  /** 19 ISBI landmarks, canonical mm, before the global pose (head frame). */
  lm: V2[];
  /** Symphysis frame: anterior and downward unit vectors. */
  chinA: V2;
  chinD: V2;
  /** Centre of the chin ellipse. */
  chinC: V2;
  /** Upper / lower incisor root apices and the alveolar crest points (prosthion, infradentale). */
  u1Apex: V2;
  l1Apex: V2;
  pr: V2;
  id: V2;
  /** Basion. */
  ba: V2;
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** Depth of p behind the chord a->b (positive = posterior, i.e. away from the face's front). */
export function depthBehindChord(p: V2, a: V2, b: V2): number {
  const d = unit(sub(b, a));
  // anterior normal: the chord rotated so that it points to +x for a downward chord
  const n: V2 = [d[1], -d[0]];
  const nn = n[0] >= 0 ? n : mul(n, -1);
  return -dot(sub(p, a), nn);
}

/** Push p backwards (away from the chord's front) until it is at least minDepth behind a->b. */
function ensureDepth(p: V2, a: V2, b: V2, minDepth: number): V2 {
  const dd = depthBehindChord(p, a, b);
  if (dd >= minDepth) return p;
  const d = unit(sub(b, a));
  const n: V2 = [d[1], -d[0]];
  const nn = n[0] >= 0 ? n : mul(n, -1);
  return addMul(p, nn, -(minDepth - dd));
}

/** Upper incisor geometry from its tip and A point: axis (tip -> apex), apex, prosthion. */
export function upperIncisorAxis(u1: V2, a: V2): { axis: V2; apex: V2; pr: V2; fwd: V2 } {
  const axis = unit(sub(add(a, vec2(-5.5, -1)), u1));
  const apex = addMul(u1, axis, 23.5);
  // labial side: perpendicular to the axis pointing forward (+x)
  let fwd = perp(axis);
  if (fwd[0] < 0) fwd = mul(fwd, -1);
  const pr = add(addMul(u1, axis, 10), mul(fwd, 3));
  return { axis, apex, pr, fwd };
}

/** Lower incisor geometry from its tip and B point. */
export function lowerIncisorAxis(l1: V2, b: V2, mandRotRad: number): { axis: V2; apex: V2; id: V2; fwd: V2 } {
  const target = add(b, rot(vec2(-6.5, 6), mandRotRad));
  const axis = unit(sub(target, l1));
  const apex = addMul(l1, axis, 21.5);
  let fwd = perp(axis);
  if (fwd[0] < 0) fwd = mul(fwd, -1);
  const id = add(addMul(l1, axis, 9.5), mul(fwd, 2.8));
  return { axis, apex, id, fwd };
}

/** Sample one head. */
export function sampleHead(rng: Rng): Head {
  const z = (): number => rng.normal();
  const P: HeadParams = {
    headScale: 1 + 0.05 * z(),
    headTiltDeg: 3.0 * z(),
    headShiftMm: [4.6 * z(), 3.6 * z()],
    facialProtrusionZ: z(),
    maxillaZ: z(),
    mandibleZ: z(),
    mandibleRotationDeg: 0,
    gonialZ: z(),
    lipProtrusionMm: 1.6 * z(),
    softTissueScale: clamp(1 + 0.12 * z(), 0.7, 1.35),
    noseScale: clamp(1 + 0.12 * z(), 0.75, 1.35),
    overjetMm: clamp(2.2 + 1.2 * z(), -1, 7),
    overbiteMm: clamp(1.3 + 1.2 * z(), -2.5, 5),
    sellaRadiusMm: clamp(5 + 0.7 * z(), 3.5, 7),
    chinMm: [clamp(3.8 + 0.8 * z(), 2.2, 6.5), clamp(7.3 + 1.0 * z(), 4.5, 10)],
    vaultScale: [clamp(1 + 0.04 * z(), 0.9, 1.1), clamp(1 + 0.035 * z(), 0.9, 1.1)],
    frontalSinusScale: clamp(0.9 + 0.3 * z(), 0, 1.5),
    occlusalTiltDeg: 0,
    neckTiltDeg: 6 + 4 * z(),
    thirdMolars: rng.next() < 0.6,
  };
  const vertZ = z();
  P.mandibleRotationDeg = 2.6 * vertZ + 1.0 * z();
  P.occlusalTiltDeg = 9 + 0.6 * P.mandibleRotationDeg + 1.5 * z();
  const mandRot = deg(P.mandibleRotationDeg);

  // facial height: the face below nasion stretched vertically about N
  const faceHeight = 1 + 0.035 * z();
  const M0 = MEAN_MM;
  const M = M0.map((p, i) =>
    i === LM.S || i === LM.Po || i === LM.Ar || i === LM.N
      ? p
      : vec2(p[0], M0[LM.N][1] + (p[1] - M0[LM.N][1]) * faceHeight),
  );
  const lm: V2[] = M.map((p) => vec2(p[0], p[1]));
  // cranial base
  lm[LM.S] = add(M[LM.S], vec2(2.2 * z(), 2.0 * z()));
  lm[LM.N] = add(M[LM.N], vec2(1.6 * z(), 2.0 * z()));
  const dN = sub(lm[LM.N], M[LM.N]);
  lm[LM.Or] = add(M[LM.Or], add(mul(dN, 0.5), vec2(1.5 * z(), 1.5 * z())));
  lm[LM.Po] = add(M[LM.Po], vec2(1.2 * z(), 0.9 * z()));
  lm[LM.Ar] = add(M[LM.Ar], add(mul(sub(lm[LM.Po], M[LM.Po]), 0.6), vec2(1.0 * z(), 0.8 * z())));
  const dAr = sub(lm[LM.Ar], M[LM.Ar]);

  // maxilla
  const maxShift = 2.0 * (0.85 * P.facialProtrusionZ + 0.53 * P.maxillaZ);
  const maxVert = 1.6 * vertZ;
  lm[LM.PNS] = add(M[LM.PNS], vec2(0.3 * maxShift + 1.6 * z(), 1.4 * z()));
  lm[LM.ANS] = add(M[LM.ANS], vec2(0.9 * maxShift + 1.2 * z(), 0.3 * maxVert + 1.2 * z()));
  lm[LM.A] = add(M[LM.A], vec2(maxShift + 0.7 * z(), 0.5 * maxVert + 1.2 * z()));
  lm[LM.U1] = add(M[LM.U1], vec2(1.1 * maxShift + 1.3 * z(), maxVert + 1.0 * z()));

  // mandible: stretch forward (prognathism), scale, rotate about the condyle (Ar)
  const mandShift = 2.5 * (0.85 * P.facialProtrusionZ + 0.53 * P.mandibleZ);
  const mandSize = 1 + 0.03 * z();
  const reach = M[LM.Pog][0] - M[LM.Ar][0];
  const mand = (p: V2): V2 => {
    const rel = sub(p, M[LM.Ar]);
    rel[0] += mandShift * clamp(rel[0] / reach, 0, 1.2);
    return add(add(M[LM.Ar], dAr), rot(mul(rel, mandSize), mandRot));
  };
  lm[LM.Go] = add(mand(M[LM.Go]), add(mul(vec2(-0.7, 0.7), 2.0 * P.gonialZ), vec2(1.5 * z(), 1.5 * z())));
  lm[LM.Pog] = add(mand(M[LM.Pog]), vec2(0.9 * z(), 1.0 * z()));
  lm[LM.B] = add(mand(M[LM.B]), vec2(1.0 * z(), 1.2 * z()));
  const l1Mand = mand(M[LM.L1]);
  const l1Occ = add(lm[LM.U1], vec2(-P.overjetMm, -P.overbiteMm));
  lm[LM.L1] = add(mul(l1Occ, 0.7), mul(l1Mand, 0.3));

  // chin: quarter ellipse in the symphysis frame
  const beta = deg(15) + mandRot;
  const chinA: V2 = [Math.cos(beta), Math.sin(beta)];
  const chinD: V2 = [-Math.sin(beta), Math.cos(beta)];
  const [ae, be] = P.chinMm;
  const chinC = addMul(lm[LM.Pog], chinA, -ae);
  lm[LM.Me] = addMul(chinC, chinD, be);
  const h = Math.hypot(ae, be);
  lm[LM.Gn] = add(addMul(chinC, chinA, (ae * ae) / h), mul(chinD, (be * be) / h));

  // incisors, alveolar crests, and the concavities A and B behind their chords
  // B strictly between infradentale and Pog vertically and behind their chord; A between ANS
  // and prosthion and behind their chord (twice: the incisor axes depend on A and B)
  for (let it = 0; it < 2; it++) {
    const low = lowerIncisorAxis(lm[LM.L1], lm[LM.B], mandRot);
    const bMinY = low.id[1] + 2.5;
    lm[LM.B][1] = clamp(lm[LM.B][1], bMinY, Math.max(bMinY, lm[LM.Pog][1] - 4));
    lm[LM.B] = ensureDepth(lm[LM.B], low.id, lm[LM.Pog], 1.0);
    // B behind Pog along the chin's forward axis, so Pog is the chin's most anterior point
    const gap = (lm[LM.Pog][0] - lm[LM.B][0]) * chinA[0] + (lm[LM.Pog][1] - lm[LM.B][1]) * chinA[1];
    if (gap < 1) lm[LM.B][0] -= (1 - gap) / chinA[0];
    const up = upperIncisorAxis(lm[LM.U1], lm[LM.A]);
    lm[LM.ANS][1] = Math.min(lm[LM.ANS][1], lm[LM.A][1] - 4);
    lm[LM.A][1] = clamp(lm[LM.A][1], lm[LM.ANS][1] + 4, Math.max(lm[LM.ANS][1] + 4, up.pr[1] - 3));
    lm[LM.A] = ensureDepth(lm[LM.A], lm[LM.ANS], up.pr, 1.0);
    // the spine projects in front of A
    lm[LM.ANS][0] = Math.max(lm[LM.ANS][0], lm[LM.A][0] + 1);
  }
  const up2 = upperIncisorAxis(lm[LM.U1], lm[LM.A]);
  const low2 = lowerIncisorAxis(lm[LM.L1], lm[LM.B], mandRot);

  // soft tissue
  const st = P.softTissueScale;
  const dSn = sub(M[LM.Sn], M[LM.A]);
  const dLs = sub(M[LM.Ls], M[LM.U1]);
  const dLi = sub(M[LM.Li], M[LM.L1]);
  const dPs = sub(M[LM.PogS], M[LM.Pog]);
  lm[LM.Sn] = add(lm[LM.A], vec2(st * dSn[0] + 0.8 * z(), dSn[1] + 1.0 * z()));
  lm[LM.Ls] = add(lm[LM.U1], vec2(st * dLs[0] + P.lipProtrusionMm + 0.8 * z(), dLs[1] + 1.0 * z()));
  lm[LM.Li] = add(lm[LM.L1], vec2(st * dLi[0] + 1.1 * P.lipProtrusionMm + 0.8 * z(), dLi[1] + 1.0 * z()));
  lm[LM.PogS] = add(lm[LM.Pog], vec2(st * dPs[0] + 0.8 * z(), dPs[1] + 1.0 * z()));
  // keep the soft profile ordered and in front of the bone
  lm[LM.Sn][0] = Math.max(lm[LM.Sn][0], lm[LM.ANS][0] + 5);
  lm[LM.Sn][1] = clamp(lm[LM.Sn][1], lm[LM.ANS][1] - 2, lm[LM.A][1]);
  lm[LM.Ls][0] = Math.max(lm[LM.Ls][0], up2.pr[0] + 8, lm[LM.U1][0] + 5);
  lm[LM.Ls][1] = clamp(lm[LM.Ls][1], lm[LM.Sn][1] + 7, lm[LM.U1][1] - 3);
  lm[LM.Li][0] = Math.max(lm[LM.Li][0], lm[LM.L1][0] + 6, lm[LM.U1][0] + 5);
  lm[LM.Li][1] = Math.max(lm[LM.Li][1], lm[LM.Ls][1] + 10, lm[LM.L1][1] + 4);
  lm[LM.PogS][0] = Math.max(lm[LM.PogS][0], lm[LM.Pog][0] + 5);
  lm[LM.PogS][1] = Math.max(lm[LM.PogS][1], lm[LM.Li][1] + 12);

  const ba = add(lm[LM.Ar], vec2(-4.5 + 0.8 * z(), 8 + 1.0 * z()));
  return {
    params: P,
    lm,
    chinA,
    chinD,
    chinC,
    u1Apex: up2.apex,
    l1Apex: low2.apex,
    pr: up2.pr,
    id: low2.id,
    ba,
  };
}

/** The head's pose on the film: scale and tilt about porion (the ear rods hold it), then the shift. */
export function headPose(head: Head): Affine {
  const P = head.params;
  return similarity(head.lm[LM.Po], P.headScale, deg(P.headTiltDeg), P.headShiftMm);
}
