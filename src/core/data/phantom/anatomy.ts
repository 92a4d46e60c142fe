/**
 * Contours of the phantom head, built FROM the sampled landmarks (head.ts) so that every landmark
 * sits exactly where its definition puts it on the drawn anatomy. All paths are in the head frame
 * (canonical film mm before the global pose); the renderers map them to pixels.
 */
import {
  add,
  addMul,
  arc,
  bezier,
  deg,
  dist,
  dot,
  ellipse,
  join,
  lerp,
  mul,
  offset,
  perp,
  rot,
  spline,
  sub,
  unit,
  vec2,
  type Knot,
  type Path,
  type V2,
} from './geometry';
import type { Rng } from '../../rng';
import { LM, type Head } from './head';

/** One tooth: whole outline, enamel crown, pulp, and where it sits. */
export interface Tooth {
  outline: Path;
  crown: Path;
  pulp: Path;
  /** Centre of the crown and the unit axis pointing into the jaw (root direction). */
  crownCentre: V2;
  axis: V2;
  /** 1 for the near-side tooth, lower for the far-side copy of a bilateral tooth. */
  weight: number;
  upper: boolean;
  kind: 'incisor' | 'canine' | 'premolar' | 'molar';
}

export interface Vertebra {
  body: Path;
  posterior: Path[];
}

export interface Anatomy {
  // soft tissue
  /** Closed outline of the head and neck (soft tissue; the photo's silhouette). */
  head: Path;
  /** The facial profile from soft-tissue glabella down to the throat (part of `head`). */
  profile: Path;
  softNasion: V2;
  subnasale: V2;
  pronasale: V2;
  stomion: V2;
  softMenton: V2;
  cervicalPoint: V2;
  /** The head outline knots from the nape over the vertex to the forehead (for hair). */
  scalpKnots: V2[];
  foreheadHairline: V2;
  // skull
  vaultOuter: Path;
  vaultInner: Path;
  vaultInterior: Path;
  frontalSinus: Path | null;
  nasalBone: Path;
  planum: Path;
  orbitalRoofs: Path[];
  sphenoidWing: Path;
  middleFossa: Path;
  sellaFloor: Path;
  dorsum: Path;
  anteriorClinoid: Path;
  sphenoidBody: Path;
  sphenoidSinus: Path;
  clivus: Path;
  clivusEdge: Path;
  petrous: Path;
  petrousRidge: Path;
  mastoid: Path;
  meatus: Path;
  earRods: { c: V2; r: number }[];
  orbit: Path;
  orbitRim: Path;
  orbitFloor: Path;
  orbitCentre: V2;
  zygoma: Path;
  zygomaticArch: Path;
  keyRidge: Path;
  palate: Path;
  /**
   * The hard palate's cortical outlines: the nasal floor (PNS -> ANS) and the oral palatal surface
   * (lingual alveolar crest -> PNS). Drawn as bright lines so the palate reads as the tapering
   * radiopaque band of a real film, with PNS at its posterior tip.
   */
  nasalFloor: Path;
  palatalSurface: Path;
  maxillaBody: Path;
  maxillarySinus: Path;
  ptm: Path;
  pterygoid: Path;
  turbinates: Path[];
  // mandible
  mandible: Path;
  /** The tooth-bearing body (denser than the ramus). */
  mandibleBody: Path;
  lowerBorder: Path;
  ramusBorder: Path;
  condyle: Path;
  symphysisLabial: Path;
  symphysisLingual: Path;
  symphysis: Path;
  farSideBorder: Path;
  mandibularCanal: Path;
  gonialFillet: { centre: V2; radius: number; tangentRamus: V2; tangentBody: V2 };
  coronoid: V2;
  // teeth, spine, hyoid, airway
  teeth: Tooth[];
  occlusalPoint: V2;
  occlusalBack: V2;
  vertebrae: Vertebra[];
  dens: Path;
  atlasAnterior: Path;
  atlasPosterior: Path;
  hyoid: Path[];
  airway: Path;
  // photo features
  eye: { front: V2; upperLid: Path; lowerLid: Path; opening: Path; iris: Path; brow: Path };
  ear: { outline: Path; helixInner: Path; concha: Path; tragus: Path };
  ala: Path;
  nasolabialFold: Path;
  mouthLine: Path;
  upperVermilion: Path;
  lowerVermilion: Path;
  jawline: Path;
  cheek: V2;
  /** Fine bony detail (sinus septa, ethmoid cells, vascular grooves): random thin curves. */
  detailCurves: { path: Path; widthMm: number; density: number }[];
}

/** Circle-ish closed spline through points (for bony blobs). */
const blob = (pts: V2[], step: number): Path =>
  spline(
    pts.map((p) => ({ p })),
    step,
    true,
  );

/** Build the anatomy of a sampled head. `step` = sampling distance of curves, mm. */
export function buildAnatomy(head: Head, step: number, rng: Rng): Anatomy {
  const L = head.lm;
  const P = head.params;
  const S = L[LM.S];
  const N = L[LM.N];
  const Or = L[LM.Or];
  const Po = L[LM.Po];
  const A = L[LM.A];
  const B = L[LM.B];
  const Pog = L[LM.Pog];
  const Me = L[LM.Me];
  const Go = L[LM.Go];
  const L1 = L[LM.L1];
  const U1 = L[LM.U1];
  const Ls = L[LM.Ls];
  const Li = L[LM.Li];
  const Sn = L[LM.Sn];
  const PogS = L[LM.PogS];
  const PNS = L[LM.PNS];
  const ANS = L[LM.ANS];
  const Ar = L[LM.Ar];
  const st = P.softTissueScale;
  const ns = P.noseScale;
  const [vx, vy] = P.vaultScale;
  const r = P.sellaRadiusMm;
  const sc = (dx: number, dy: number): V2 => vec2(S[0] + dx * vx, S[1] + dy * vy);

  // ---------------------------------------------------------------- vault
  const vaultKnots: Knot[] = [
    { p: N, d: unit(vec2(0.25, -1)) },
    { p: add(N, vec2(1.2, -9)) },
    { p: add(N, vec2(-2.0, -30)) },
    { p: sc(45, -70) },
    { p: sc(8, -91) },
    { p: sc(-32, -92) },
    { p: sc(-72, -72) },
    { p: sc(-96, -33) },
    { p: sc(-99, 5) },
    { p: sc(-88, 31) },
    { p: vec2(head.ba[0] - 28, head.ba[1] + 5) },
  ];
  const vaultOuter = spline(vaultKnots, step);
  const vaultInner = offset(vaultOuter, (t) => -(5.5 + 7.5 * Math.exp(-t / 0.06)));
  const TS = add(S, mul(vec2(Math.cos(deg(-35)), Math.sin(deg(-35))), r));
  const DS = add(S, vec2(-r * 0.95, -r * 1.55));
  const clivusTop = add(S, vec2(-r * 1.25, r * 0.2));
  const PL1 = add(S, vec2(r + 6, -r * 0.9 - 2));
  const PL2 = vec2(N[0] - 17, N[1] - 4);
  const ba = head.ba;
  const vaultInterior = join(vaultInner, [ba, clivusTop, DS, add(S, vec2(0, -r * 1.2)), TS, PL1, PL2]);

  // frontal sinus, nasal bone
  const fss = P.frontalSinusScale;
  const frontalSinus =
    fss > 0.25 ? ellipse(add(N, vec2(-4.5, -13)), 4.2 * fss, 8.5 * fss, deg(-12), step) : null;

  // ---------------------------------------------------------------- soft-tissue profile
  const softNasion = vec2(N[0] + 6 * st, N[1] - 1);
  const glabella = vec2(N[0] + 3.5 + 6 * st, N[1] - 13);
  const pronasale = add(Sn, mul(vec2(13.5, -14), ns));
  const infratip = add(Sn, mul(vec2(11, -4.5), ns));
  const dorsumDir = unit(sub(pronasale, softNasion));
  const dorsumOut: V2 = [dorsumDir[1], -dorsumDir[0]];
  const rhinionSoft = addMul(lerp(softNasion, pronasale, 0.45), dorsumOut, 0.25);
  const supratip = addMul(lerp(softNasion, pronasale, 0.8), dorsumOut, -0.1);
  const softA = vec2(Math.min(Sn[0], Ls[0]) - 1.2, Sn[1] + 0.45 * (Ls[1] - Sn[1]));
  const stY = Math.min(Math.max(U1[1] - 1.5, Ls[1] + 3), Li[1] - 3);
  const stomion = vec2(Math.max(Math.min(Ls[0], Li[0]) - 4.5 * st, U1[0] + 2.5), stY);
  const foldX = Math.min(
    Math.max(Math.min(Li[0], PogS[0]) - (3 + 2 * st), B[0] + 7),
    Math.min(Li[0], PogS[0]) - 1.5,
  );
  const labiomental = vec2(foldX, Li[1] + 0.45 * (PogS[1] - Li[1]));
  const softMenton = vec2(Me[0] - 2, Me[1] + 7 * st);
  const cervicalPoint = vec2(Go[0] + 0.45 * (Me[0] - Go[0]), softMenton[1] + 6);
  const neckFront = vec2(cervicalPoint[0] - 8, 262);
  const neckBack = vec2(Po[0] - 62, 262);
  const nape = vec2(Po[0] - 58, Po[1] + 40);
  // scalp: vault knots pushed out radially from the vault centre
  const vc = sc(-8, -25);
  const scalpT = 5.5 * st;
  const outward = (p: V2): V2 => addMul(p, unit(sub(p, vc)), scalpT);
  const scalpKnots = [9, 8, 7, 6, 5, 4, 3].map((i) => outward(vaultKnots[i].p));
  const forehead = vec2(N[0] - 2.0 + 6 * st, N[1] - 30);
  const outlineKnots: Knot[] = [
    { p: nape },
    ...scalpKnots.map((p) => ({ p })),
    { p: forehead },
    { p: glabella },
    { p: softNasion, d: vec2(0, 1) },
    { p: rhinionSoft, d: dorsumDir },
    { p: supratip, d: dorsumDir, k: 0.6 },
    { p: pronasale, d: vec2(0, 1), k: 0.45 },
    { p: infratip, d: unit(sub(Sn, infratip)), k: 0.6 },
    { p: Sn, din: unit(sub(Sn, infratip)), dout: unit(vec2(-0.15, 1)), k: 0.7 },
    { p: softA, d: vec2(0, 1) },
    { p: Ls, d: vec2(0, 1) },
    { p: stomion, din: unit(vec2(-0.6, 1)), dout: unit(vec2(0.6, 1)), k: 0.5 },
    { p: Li, d: vec2(0, 1) },
    { p: labiomental, d: vec2(0, 1) },
    { p: PogS, d: vec2(0, 1) },
    { p: softMenton, d: vec2(-1, 0) },
    { p: cervicalPoint },
    { p: neckFront, din: unit(vec2(-0.1, 1)), dout: vec2(-1, 0), k: 0.3 },
    { p: neckBack, din: vec2(-1, 0), dout: vec2(0, -1), k: 0.3 },
  ];
  const headOutline = spline(outlineKnots, step, true);
  // the profile part: from glabella to the cervical point
  const gi = headOutline.findIndex((p) => dist(p, glabella) < 1e-6);
  const ci = headOutline.findIndex((p) => dist(p, cervicalPoint) < 1e-6);
  const profile = headOutline.slice(Math.max(0, gi), ci > gi ? ci + 1 : headOutline.length);
  const foreheadHairline = lerp(forehead, scalpKnots[scalpKnots.length - 1], 0.55);

  const rhinion = addMul(lerp(N, pronasale, 0.42), dorsumOut, -3);
  const nasalBone = bezier(
    N,
    addMul(lerp(N, rhinion, 1 / 3), dorsumOut, 0.8),
    addMul(lerp(N, rhinion, 2 / 3), dorsumOut, 0.6),
    rhinion,
    step,
  );

  // ---------------------------------------------------------------- cranial base
  const planum = spline([{ p: TS }, { p: PL1 }, { p: PL2 }], step);
  const roofA = bezier(
    add(S, vec2(r + 2, -r - 1)),
    vec2(S[0] + 25, S[1] - 22),
    vec2(N[0] - 25, N[1] - 22),
    vec2(N[0] - 11, N[1] - 12),
    step,
  );
  const orbitalRoofs = [roofA, roofA.map((p) => add(p, vec2(-1.5, 2.5)))];
  const sphenoidWing = bezier(
    add(S, vec2(r + 4, -r)),
    add(S, vec2(22, -2)),
    add(S, vec2(24, 14)),
    add(S, vec2(19, 24)),
    step,
  );
  const sellaArc = arc(S, r * 1.05, r, 0, deg(-35), deg(215), step);
  const arcEnd = sellaArc[sellaArc.length - 1];
  const dorsum = spline([{ p: arcEnd }, { p: DS }, { p: add(S, vec2(-r * 0.35, -r * 1.75)) }], step);
  const anteriorClinoid = spline(
    [{ p: add(S, vec2(r * 2.2, -r * 1.0)) }, { p: add(S, vec2(r * 0.2, -r * 1.3)) }],
    step,
  );
  const SU = add(Ar, mul(sub(Ar, ba), 2.1));
  // middle cranial fossa seen through the temporal squama: behind the greater wing, down to the arch
  const middleFossa = join([add(S, vec2(-4, -r * 1.2))], sphenoidWing, [
    vec2(Po[0] + 16, Po[1] - 3),
    vec2(Po[0] + 2, Po[1] - 9),
    vec2(Po[0] - 14, Po[1] - 12),
    add(S, vec2(-20, 4)),
  ]);
  const sphenoidFrontTop = add(S, vec2(r + 11, -r * 0.4));
  const sphenoidFrontBottom = add(S, vec2(r + 12, r + 9));
  const sphenoidBody = join(
    [TS, sphenoidFrontTop, sphenoidFrontBottom, SU, clivusTop, arcEnd],
    sellaArc.slice().reverse(),
  );
  const sphenoidSinus = ellipse(add(S, vec2(r + 5, r + 4)), 6, 5, 0, step);
  const clivus = [clivusTop, add(ba, vec2(-2.5, -3)), ba, Ar, SU];
  const clivusEdge = [addMul(ba, unit(sub(ba, Ar)), 2), Ar, SU];
  const petrous = blob(
    [
      vec2(S[0] - 3, S[1] + 8),
      vec2(S[0] - 18, S[1] + 5),
      vec2(Po[0] - 18, Po[1] - 10),
      vec2(Po[0] - 16, Po[1] + 4),
      vec2(Po[0] + 2, Po[1] + 7),
      vec2(Po[0] + 12, Po[1] - 2),
      vec2(S[0] - 10, S[1] + 16),
    ],
    step,
  );
  const petrousRidge = bezier(
    vec2(S[0] - 2, S[1] + 6),
    vec2(S[0] - 14, S[1] + 2),
    vec2(Po[0] - 12, Po[1] - 16),
    vec2(Po[0] - 22, Po[1] - 12),
    step,
  );
  const mastoid = ellipse(vec2(Po[0] - 8, Po[1] + 13), 7, 11, deg(-20), step);
  const meatusC = add(Po, vec2(0, 3.6));
  const meatus = ellipse(meatusC, 3.6, 3.6, 0, step);
  const earRods = [
    { c: add(meatusC, vec2(0.6, 0.2)), r: 5.8 },
    { c: add(meatusC, vec2(2.2, 1.1)), r: 6.4 },
  ];

  // ---------------------------------------------------------------- orbit, zygoma, maxilla
  const orx = 12.5;
  const ory = 15;
  const orbitCentre = vec2(Or[0], Or[1] - ory);
  const orbit = ellipse(orbitCentre, orx, ory, 0, step);
  const orbitRim = arc(orbitCentre, orx * 0.8, ory, 0, deg(-80), deg(60), step);
  const orbitFloor = arc(orbitCentre, orx, ory, 0, deg(40), deg(140), step);
  const zygoma = ellipse(vec2(Or[0] - 6, Or[1] + 11), 12, 8, deg(-10), step);
  const zygomaticArch = [vec2(Or[0] - 14, Or[1] + 3), vec2(Po[0] + 14, Po[1] - 1)];

  // occlusal plane through the incisor contact, rising backwards
  const Ic = lerp(U1, L1, 0.5);
  const psi = deg(P.occlusalTiltDeg);
  const ob: V2 = [-Math.cos(psi), -Math.sin(psi)]; // backwards along the plane
  const nu = perp(ob); // up, into the maxilla
  const onPlane = (s: number, h: number): V2 => add(addMul(Ic, ob, s), mul(nu, h));
  const lastUpper = P.thirdMolars ? 49 : 39.5;

  const uPal = unit(sub(ANS, PNS));
  const dn = perp(uPal); // down from the palatal plane
  const palLen = dist(PNS, ANS);
  const nasalFloor = spline(
    [
      { p: PNS, d: rot(uPal, -0.12) },
      { p: addMul(lerp(PNS, ANS, 0.5), dn, -1.8) },
      { p: ANS, d: rot(uPal, 0.1) },
    ],
    step,
  );
  const pr = head.pr;
  const antMax = spline(
    [
      { p: ANS, d: unit(sub(A, ANS)) },
      { p: A, d: unit(sub(pr, ANS)) },
      { p: pr, d: unit(sub(pr, A)) },
    ],
    step,
  );
  const upAx = unit(sub(head.u1Apex, U1));
  let upFwd = perp(upAx);
  if (upFwd[0] < 0) upFwd = mul(upFwd, -1);
  const lingualCrest = add(addMul(U1, upAx, 10.5), mul(upFwd, -4.5));
  const palatalSurface = spline(
    [
      { p: lingualCrest },
      { p: addMul(lerp(PNS, ANS, 0.6), dn, 5.5) },
      { p: addMul(lerp(PNS, ANS, 0.25), dn, 3.5) },
      { p: addMul(PNS, dn, 1.2), d: mul(uPal, -1) },
    ],
    step,
  );
  const palate = join(nasalFloor, antMax, palatalSurface);
  const maxillaBody = join(
    [
      PNS,
      add(PNS, vec2(2.5, -16)),
      vec2(Or[0] - 18, Or[1] + 4),
      vec2(Or[0] + 3, Or[1] + 5),
      vec2(ANS[0] - 3, ANS[1] - 12),
    ],
    nasalFloor.slice().reverse(),
  );
  const maxillarySinus = ellipse(
    vec2(lerp(PNS, ANS, 0.45)[0], (Or[1] + PNS[1]) / 2 + 3),
    0.27 * palLen,
    0.42 * Math.max(8, PNS[1] - Or[1]),
    0,
    step,
  );
  const t0 = add(PNS, vec2(1.5, -3));
  const t1 = add(PNS, vec2(3, -22));
  const ptm = blob(
    [t0, add(t0, vec2(-2.8, -9)), add(t1, vec2(-1.2, 2)), t1, add(t1, vec2(2.4, 3)), add(t0, vec2(2.6, -9))],
    step,
  );
  const pterygoid = [add(PNS, vec2(-2, -14)), add(PNS, vec2(-5, 14))];
  const turbinates = [0, 1, 2].map((k) =>
    ellipse(
      addMul(lerp(PNS, ANS, 0.55 - 0.05 * k), dn, -(4 + 6 * k)),
      0.34 * palLen,
      2.4,
      Math.atan2(uPal[1], uPal[0]),
      step,
    ),
  );
  const m1 = onPlane(29.5, 0);
  const keyRidge = spline(
    [
      { p: add(addMul(m1, ob, 4), mul(nu, 13)) },
      { p: addMul(m1, nu, 26), d: mul(ob, -1) },
      { p: add(addMul(m1, ob, -4), mul(nu, 12)) },
    ],
    step,
  );

  // ---------------------------------------------------------------- mandible
  const rf = 9;
  // the corner K of the ramus tangent (through Ar) and the mandibular-plane tangent (towards Me),
  // found so that the fillet of radius rf touches both and passes through Go on the bisector
  const cornerFrame = (K: V2): { ur: V2; um: V2; half: number; bis: V2 } => {
    const ur = unit(sub(Ar, K));
    const um = unit(sub(Me, K));
    return { ur, um, half: Math.acos(Math.max(-1, Math.min(1, dot(ur, um)))) / 2, bis: unit(add(ur, um)) };
  };
  let K: V2 = Go;
  for (let it = 0; it < 6; it++) {
    const f = cornerFrame(K);
    K = addMul(Go, f.bis, -(rf / Math.sin(f.half) - rf));
  }
  const { ur, um, half, bis } = cornerFrame(K);
  const tr = addMul(K, ur, rf / Math.tan(half));
  const tm = addMul(K, um, rf / Math.tan(half));
  const cg = addMul(K, bis, rf / Math.sin(half));
  const angOf = (p: V2): number => Math.atan2(p[1] - cg[1], p[0] - cg[0]);
  // fillet from the body tangent point round through Go to the ramus tangent point
  const aTm = angOf(tm);
  let aTr = angOf(tr);
  const aGo = angOf(Go);
  // choose the sweep that passes through Go
  const norm = (a: number): number => ((a % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  const goRel = norm(aGo - aTm);
  let sweep = norm(aTr - aTm);
  if (goRel > sweep) sweep -= 2 * Math.PI;
  aTr = aTm + sweep;
  const fillet = arc(cg, rf, rf, 0, aTm, aTr, step / 2);
  const { chinA, chinD, chinC } = head;
  const [ae, be] = P.chinMm;
  const chinRot = Math.atan2(chinA[1], chinA[0]);
  const thGn = Math.atan2(be, ae);
  const chinArc = join(
    arc(chinC, ae, be, chinRot, 0, thGn, step / 2),
    arc(chinC, ae, be, chinRot, thGn, Math.PI / 2, step / 2),
  );
  chinArc[chinArc.length - 1] = [Me[0], Me[1]];
  const lb = dist(Me, tm);
  const lowerBorderBody = bezier(
    Me,
    addMul(Me, chinA, -lb / 3),
    addMul(addMul(tm, um, lb / 3), chinD, 1.5),
    tm,
    step,
  );
  const fwdR = perp(ur)[0] >= 0 ? perp(ur) : mul(perp(ur), -1);
  const ramusLow = bezier(
    tr,
    addMul(lerp(tr, Ar, 1 / 3), fwdR, 0.6),
    addMul(lerp(tr, Ar, 2 / 3), fwdR, 0.6),
    Ar,
    step,
  );
  const condC = add(addMul(Ar, ur, 11), mul(fwdR, 3.0));
  const neckPost = add(addMul(Ar, ur, 6), mul(fwdR, 0.8));
  const fwdAng = Math.atan2(fwdR[1], fwdR[0]);
  const condHead = arc(condC, 5.0, 4.2, fwdAng, Math.PI, 2 * Math.PI, step / 2);
  const neckAnt = add(addMul(Ar, ur, 6), mul(fwdR, 7));
  const notch = add(addMul(Ar, fwdR, 15), mul(ur, 1.5));
  const coronoid = add(addMul(Ar, fwdR, 27), mul(ur, 5.5));
  const lowerShift = ((U1[0] - L1[0] - 2.2) * 0.5) as number;
  const lastLower = (P.thirdMolars ? 49 : 39) + lowerShift;
  const retromolar = onPlane(lastLower + 9, -2);
  const crest = (s: number): V2 => onPlane(s, -8.5);
  const condylePath = join([Ar], spline([{ p: neckPost }, { p: condHead[0] }], step), condHead, [neckAnt]);
  const anteriorRamus = spline(
    [
      { p: neckAnt },
      { p: notch, d: fwdR },
      { p: coronoid, d: mul(ur, -1) },
      { p: addMul(lerp(coronoid, retromolar, 0.5), fwdR, -2.5) },
      { p: retromolar },
      { p: crest(lastLower - 2) },
      { p: crest(14 + lowerShift) },
      { p: head.id },
    ],
    step,
  );
  const id = head.id;
  // Id -> B: tangent at B parallel to the chord Id-Pog (B = deepest point behind it); B -> Pog:
  // the tangent length at B is limited so the curve cannot pass Pog along the chin's forward axis
  const chordDir = unit(sub(Pog, id));
  const aGap = dot(sub(Pog, B), chinA);
  const fwdB = dot(chordDir, chinA) * dist(B, Pog);
  const kB = fwdB > 0 ? Math.min(1, (2 * Math.max(0, aGap)) / fwdB) : 1;
  const symphysisLabial = join(
    spline(
      [
        { p: id, d: unit(sub(B, id)) },
        { p: B, d: chordDir },
      ],
      step / 2,
    ),
    spline(
      [
        { p: B, d: chordDir, k: kB },
        { p: Pog, d: chinD },
      ],
      step / 2,
    ),
  );
  const lowerBorder = join(lowerBorderBody, fillet); // Me -> Go -> ramus tangent
  const ramusBorder = join(ramusLow, condylePath.slice(1)); // ramus tangent -> Ar -> condyle
  const mandible = join(symphysisLabial, chinArc, lowerBorder, ramusLow, condylePath.slice(1), anteriorRamus);
  const mandibleBody = join(symphysisLabial, chinArc, lowerBorderBody, [
    onPlane(lastLower + 6, -14),
    crest(lastLower - 2),
    crest(14 + lowerShift),
  ]);
  const cp = (a: number, d: number): V2 => add(addMul(chinC, chinA, a), mul(chinD, d));
  const dB = dot(sub(B, chinC), chinD);
  const dId = dot(sub(id, chinC), chinD);
  const symphysisLingual = spline(
    [
      { p: cp(-12.5, be - 0.6) },
      { p: cp(-15.5, be * 0.2) },
      { p: cp(-12.5, dB + 1) },
      { p: cp(-9.5, dId + 2) },
    ],
    step,
  );
  const symphysis = join(symphysisLabial, chinArc, symphysisLingual.slice().reverse());
  const gonW = (p: V2): number => Math.min(1, Math.max(0, 1 - dist(p, Go) / Math.max(1, dist(Me, Go))));
  const farSideBorder = join(lowerBorder, ramusLow).map((p) => add(p, mul(vec2(-2.4, 1.7), gonW(p) ** 0.7)));
  const mf = addMul(lerp(Ar, coronoid, 0.45), ur, -16);
  const mtf = onPlane(17 + lowerShift, -19);
  const mandibularCanal = spline([{ p: mf }, { p: addMul(lerp(mf, mtf, 0.5), nu, -5) }, { p: mtf }], step);

  // ---------------------------------------------------------------- teeth
  const teeth: Tooth[] = [];
  const incisor = (tip: V2, apex: V2, upper: boolean, weight: number, shift: V2): void => {
    const ax = unit(sub(apex, tip));
    let fw = perp(ax);
    if (fw[0] < 0) fw = mul(fw, -1);
    const lenT = dist(tip, apex);
    const o = add(tip, shift);
    const q = (a: number, b: number): V2 =>
      add(addMul(o, fw, a), mul(ax, (b * lenT) / (upper ? 23.5 : 21.5)));
    const cej = upper ? 10 : 9.5;
    const wL = upper ? 3.0 : 2.6;
    const knots: Knot[] = [
      { p: q(0, 0), d: mul(fw, -1) },
      { p: q(-0.9, 1.2) },
      { p: q(-2.1, 4.6) },
      { p: q(-wL - 0.5, cej - 1.5) },
      { p: q(-wL, cej) },
      { p: q(-wL * 0.7, cej + 5) },
      { p: q(-0.9, (upper ? 23.5 : 21.5) - 2.5) },
      { p: q(0, upper ? 23.5 : 21.5) },
      { p: q(0.9, (upper ? 23.5 : 21.5) - 2.5) },
      { p: q(wL * 0.8, cej + 5) },
      { p: q(wL, cej) },
      { p: q(wL * 0.95, 6) },
      { p: q(wL * 0.65, 2.5) },
    ];
    const outline = spline(knots, step / 2, true);
    const crown = spline([knots[0], knots[1], knots[2], knots[3], knots[4]], step / 2).concat(
      spline([knots[10], knots[11], knots[12], { p: q(0, 0), d: mul(fw, -1) }], step / 2),
    );
    const pulp = [q(-0.5, 3.5), q(-0.9, cej), q(-0.3, lenT - 3), q(0.3, lenT - 3), q(0.9, cej), q(0.5, 3.5)];
    teeth.push({
      outline,
      crown,
      pulp,
      crownCentre: q(0, cej / 2),
      axis: ax,
      weight,
      upper,
      kind: 'incisor',
    });
  };
  incisor(U1, head.u1Apex, true, 1, vec2(0, 0));
  incisor(L1, head.l1Apex, false, 1, vec2(0, 0));
  incisor(U1, head.u1Apex, true, 0.5, add(mul(ob, 2.5), mul(nu, 1.0)));
  incisor(L1, head.l1Apex, false, 0.5, add(mul(ob, 2.0), mul(nu, -0.6)));

  const posterior = (
    s0: number,
    upper: boolean,
    w0: number,
    crownH: number,
    rootL: number,
    kind: Tooth['kind'],
    weight: number,
    shift: V2,
    tilt0: number,
  ): void => {
    const s = s0 + 0.6 * (rng.next() - 0.5);
    const w = w0 * (1 + 0.08 * (rng.next() - 0.5));
    const tilt = tilt0 + deg(5) * (rng.next() - 0.5);
    const into = rot(upper ? nu : mul(nu, -1), tilt);
    const along = perp(into)[0] * ob[0] + perp(into)[1] * ob[1] >= 0 ? perp(into) : mul(perp(into), -1);
    const c = add(onPlane(s, upper ? -0.5 : 0.5), shift);
    const q = (a: number, b: number): V2 => add(addMul(c, along, a), mul(into, b));
    const hw = w / 2;
    const occ: V2[] =
      kind === 'molar'
        ? [q(-hw * 0.55, 0), q(-hw * 0.25, 0.9), q(0, 0.2), q(hw * 0.25, 0.9), q(hw * 0.55, 0)]
        : kind === 'canine'
          ? [q(-hw * 0.35, 1.5), q(0, -1.2), q(hw * 0.35, 1.5)]
          : [q(-hw * 0.45, 0.6), q(0, 0), q(hw * 0.45, 0.6)];
    const crownPts: V2[] = [
      q(-hw * 0.78, crownH),
      q(-hw - 0.3, crownH * 0.5),
      q(-hw * 0.92, 0.9),
      ...occ,
      q(hw * 0.92, 0.9),
      q(hw + 0.3, crownH * 0.5),
      q(hw * 0.78, crownH),
    ];
    const roots: V2[] =
      kind === 'molar'
        ? [
            q(hw * 0.7, crownH + 1),
            q(hw * 0.55, crownH + rootL),
            q(hw * 0.25, crownH + rootL - 0.8),
            q(0.3, crownH + 3),
            q(-0.3, crownH + 3),
            q(-hw * 0.25, crownH + rootL - 0.8),
            q(-hw * 0.55, crownH + rootL),
            q(-hw * 0.7, crownH + 1),
          ]
        : [
            q(hw * 0.65, crownH + 1),
            q(hw * 0.2, crownH + rootL),
            q(-hw * 0.2, crownH + rootL),
            q(-hw * 0.65, crownH + 1),
          ];
    const outline = blob(crownPts.concat(roots), step / 2);
    const crown = blob(crownPts, step / 2);
    const pulp = ellipse(
      q(0, crownH * 0.85),
      hw * 0.3,
      crownH * 0.3 + 1,
      Math.atan2(into[1], into[0]) + Math.PI / 2,
      step / 2,
    );
    teeth.push({ outline, crown, pulp, crownCentre: q(0, crownH / 2), axis: into, weight, upper, kind });
  };
  const sides: { w: number; shift: V2 }[] = [
    { w: 0.6, shift: vec2(0, 0) },
    { w: 0.45, shift: add(mul(ob, 2.4), mul(nu, 0.7)) },
  ];
  for (const side of sides) {
    posterior(6.5, true, 8, 10, 16, 'canine', side.w, side.shift, deg(-8));
    posterior(13.5, true, 7, 7.5, 13, 'premolar', side.w, side.shift, deg(-4));
    posterior(20.5, true, 7, 7.5, 13, 'premolar', side.w, side.shift, 0);
    posterior(29.5, true, 10, 7, 12, 'molar', side.w, side.shift, deg(3));
    posterior(39.5, true, 9, 6.5, 11, 'molar', side.w, side.shift, deg(7));
    if (P.thirdMolars) posterior(49, true, 8.5, 6, 9, 'molar', side.w, side.shift, deg(14));
    posterior(4 + lowerShift, false, 7, 9.5, 15, 'canine', side.w, side.shift, deg(6));
    posterior(12 + lowerShift, false, 7, 8, 14, 'premolar', side.w, side.shift, deg(3));
    posterior(19 + lowerShift, false, 7, 8, 14, 'premolar', side.w, side.shift, 0);
    posterior(28 + lowerShift, false, 11, 7.5, 13, 'molar', side.w, side.shift, deg(-3));
    posterior(39 + lowerShift, false, 10.5, 7, 12, 'molar', side.w, side.shift, deg(-7));
    if (P.thirdMolars) posterior(49 + lowerShift, false, 10, 6.5, 10, 'molar', side.w, side.shift, deg(-14));
  }

  // ---------------------------------------------------------------- spine, hyoid, airway
  const nt = deg(P.neckTiltDeg);
  const cdir = rot(vec2(0, 1), nt);
  const ca = mul(perp(cdir), -1); // anterior
  const T0 = vec2(Ar[0] - 3, Ar[1] + 5);
  const cq = (s: number, q: number): V2 => add(addMul(T0, cdir, s), mul(ca, q));
  const rect = (s0: number, s1: number, q0: number, q1: number, lip = 0): Path =>
    blob(
      [
        cq(s0, q1 - 1),
        cq(s0 + 0.6, (q0 + q1) / 2),
        cq(s0, q0 + 1),
        cq((s0 + s1) / 2, q0 - 0.4),
        cq(s1, q0 + 1),
        cq(s1 - 0.4, (q0 + q1) / 2),
        cq(s1 + lip, q1 + lip * 0.3),
        cq((s0 + s1) / 2, q1 - 0.5),
      ],
      step,
    );
  const vertebrae: Vertebra[] = [];
  const levels: [number, number][] = [
    [13, 33],
    [37, 48],
    [52, 63],
    [67, 78],
    [82, 93],
    [97, 108],
  ];
  levels.forEach(([s0, s1], k) => {
    const body = rect(s0, s1, -13.5, 0, k === 0 ? 1.5 : 0.8);
    const spineLen = k === 0 ? 42 : 36 - k;
    const pillar = blob(
      [cq(s0 + 1.5, -15), cq(s0 + 2.5, -23), cq(s1 + 2.5, -23.5), cq(s1 + 1.5, -15.5)],
      step,
    );
    const lamina = blob(
      [
        cq(s0 + 3.5, -22),
        cq(s0 + 6, -spineLen + 4),
        cq(s0 + 8, -spineLen),
        cq(s1 + 4, -spineLen + 1),
        cq(s1 + 3.5, -spineLen + 5),
        cq(s1 + 1.5, -22),
      ],
      step,
    );
    vertebrae.push({ body, posterior: [pillar, lamina] });
  });
  const dens = blob([cq(13, -10.5), cq(2, -10), cq(-1, -7.2), cq(2, -4.2), cq(13, -4)], step);
  const atlasAnterior = ellipse(cq(4, 1.0), 2.8, 5, Math.atan2(ca[1], ca[0]), step);
  const atlasPosterior = ellipse(cq(4, -38), 8, 4, Math.atan2(ca[1], ca[0]), step);
  const H = vec2(Go[0] + 24, (Go[1] + Me[1]) / 2 + 14);
  const hyoid = [
    blob(
      [
        add(H, vec2(4, -3)),
        add(H, vec2(5, 2)),
        add(H, vec2(0, 4)),
        add(H, vec2(-5, 2.5)),
        add(H, vec2(-4, -1.5)),
        add(H, vec2(0, -3.5)),
      ],
      step,
    ),
    spline([{ p: add(H, vec2(-3, 0)) }, { p: add(H, vec2(-14, -3)) }, { p: add(H, vec2(-26, -8)) }], step),
  ];
  const sGo = dot(sub(Go, T0), cdir);
  const sBot = dot(sub(vec2(T0[0], 262), T0), cdir) + 10;
  const airway = [
    add(PNS, vec2(-2, -4)),
    add(PNS, vec2(-9, 12)),
    cq(sGo - 2, 17),
    cq(sBot, 14),
    cq(sBot, 4.5),
    cq(sGo, 4.5),
    cq(5, 4.5),
    add(lerp(Ar, SU, 0.6), vec2(3, 3)),
  ];

  // ---------------------------------------------------------------- photo features
  const eyeFront = vec2(orbitCentre[0] + 10, orbitCentre[1] + 1);
  const upperLid = spline(
    [
      { p: add(eyeFront, vec2(-13, -0.5)) },
      { p: add(eyeFront, vec2(-5, -3.8)) },
      { p: add(eyeFront, vec2(0.8, -1.8)) },
    ],
    step / 2,
  );
  const lowerLid = spline(
    [
      { p: add(eyeFront, vec2(0.5, 2.0)) },
      { p: add(eyeFront, vec2(-5, 3.0)) },
      { p: add(eyeFront, vec2(-12, 0.3)) },
    ],
    step / 2,
  );
  const opening = join(upperLid, lowerLid);
  const iris = ellipse(add(eyeFront, vec2(-2, -0.2)), 1.8, 4.6, 0, step / 2);
  const brow = spline(
    [
      { p: add(eyeFront, vec2(-19, -6)) },
      { p: add(eyeFront, vec2(-9, -10.5)) },
      { p: vec2(softNasion[0] - 4, N[1] - 7.5) },
    ],
    step / 2,
  );
  const earC = add(Po, vec2(-6, -5));
  const earRot = deg(-15);
  const earOutline = blob(
    [
      add(earC, rot(vec2(3.6, -23.4), earRot)),
      add(earC, rot(vec2(-9.0, -19.8), earRot)),
      add(earC, rot(vec2(-13.5, -5.4), earRot)),
      add(earC, rot(vec2(-10.8, 10.8), earRot)),
      add(earC, rot(vec2(-4.5, 23.4), earRot)),
      add(earC, rot(vec2(2.7, 24.3), earRot)),
      add(earC, rot(vec2(8.1, 12.6), earRot)),
      add(earC, rot(vec2(9.0, 1.8), earRot)),
      add(earC, rot(vec2(10.8, -12.6), earRot)),
    ],
    step / 2,
  );
  const helixInner = spline(
    [
      { p: add(earC, rot(vec2(5.4, -18.0), earRot)) },
      { p: add(earC, rot(vec2(-7.2, -15.3), earRot)) },
      { p: add(earC, rot(vec2(-9.9, -2.7), earRot)) },
      { p: add(earC, rot(vec2(-6.3, 10.8), earRot)) },
      { p: add(earC, rot(vec2(-0.9, 18.0), earRot)) },
    ],
    step / 2,
  );
  const concha = ellipse(add(earC, rot(vec2(1.8, 1.8), earRot)), 5, 7.2, earRot, step / 2);
  const tragus = ellipse(add(Po, vec2(4.5, 1.5)), 2.6, 3.6, deg(10), step / 2);
  const alaC = add(Sn, mul(vec2(-6, -5.5), ns));
  const ala = arc(alaC, 6.5 * ns, 4.6 * ns, 0, deg(95), deg(300), step / 2);
  const nasolabialFold = spline(
    [
      { p: add(alaC, vec2(-6.5 * ns, 2)) },
      { p: add(alaC, vec2(-11, 12)) },
      { p: add(stomion, vec2(-19, 5)) },
    ],
    step,
  );
  const commissure = add(stomion, vec2(-13 - 2 * st, 1.2));
  const mouthLine = spline([{ p: stomion }, { p: add(stomion, vec2(-8, 0.8)) }, { p: commissure }], step / 2);
  const profSeg = (y0: number, y1: number): Path => profile.filter((p) => p[1] >= y0 && p[1] <= y1);
  const upperVermilion = join(profSeg(Ls[1] - 3, stomion[1]), [commissure, vec2(Ls[0] - 8, Ls[1] - 2)]);
  const lowerVermilion = join(profSeg(stomion[1], Li[1] + 3.5), [vec2(Li[0] - 8, Li[1] + 3), commissure]);
  const jawline = offset(join(lowerBorderBody, fillet), -5 * st);
  const cheek = vec2(Or[0] - 2, Or[1] + 12);

  // ---------------------------------------------------------------- fine detail
  const detailCurves: Anatomy['detailCurves'] = [];
  const scatter = (
    n: number,
    x0: number,
    x1: number,
    y0: number,
    y1: number,
    lenMm: [number, number],
    widthMm: [number, number],
    density: [number, number],
  ): void => {
    for (let i = 0; i < n; i++) {
      const p0 = vec2(x0 + (x1 - x0) * rng.next(), y0 + (y1 - y0) * rng.next());
      const a = rng.next() * 2 * Math.PI;
      const l = lenMm[0] + (lenMm[1] - lenMm[0]) * rng.next();
      const bend = (rng.next() - 0.5) * 0.7;
      const p1 = add(p0, mul(vec2(Math.cos(a), Math.sin(a)), l / 2));
      const p2 = add(p1, mul(vec2(Math.cos(a + bend), Math.sin(a + bend)), l / 2));
      detailCurves.push({
        path: spline([{ p: p0 }, { p: p1 }, { p: p2 }], step),
        widthMm: widthMm[0] + (widthMm[1] - widthMm[0]) * rng.next(),
        density: density[0] + (density[1] - density[0]) * rng.next(),
      });
    }
  };
  // ethmoid / orbit / sinus walls
  scatter(36, PNS[0] + 4, N[0] - 6, N[1] + 2, PNS[1] - 3, [4, 12], [0.4, 0.8], [0.1, 0.24]);
  // ethmoid air cells: small rings between the orbit and the anterior cranial base
  for (let i = 0; i < 12; i++) {
    const c = vec2(
      S[0] + 25 + (N[0] - 12 - S[0] - 25) * rng.next(),
      N[1] + 2 + (Or[1] - N[1] - 8) * rng.next(),
    );
    const rr = 1.8 + 2.2 * rng.next();
    const ring = ellipse(c, rr, rr * (0.7 + 0.5 * rng.next()), rng.next() * Math.PI, step);
    detailCurves.push({ path: ring.concat([ring[0]]), widthMm: 0.5, density: 0.1 + 0.08 * rng.next() });
  }
  // sphenoid and middle cranial fossa
  scatter(12, S[0] - 12, S[0] + 25, S[1] - 8, S[1] + 22, [5, 14], [0.5, 1.0], [0.08, 0.2]);
  // petrous / mastoid
  scatter(10, Po[0] - 18, S[0] - 2, Po[1] - 14, Po[1] + 16, [3, 9], [0.6, 1.0], [0.1, 0.25]);
  // vascular grooves of the vault (darker)
  scatter(6, S[0] - 60, S[0] + 30, S[1] - 70, S[1] - 15, [20, 45], [0.8, 1.4], [-0.06, -0.03]);

  return {
    head: headOutline,
    profile,
    softNasion,
    subnasale: Sn,
    pronasale,
    stomion,
    softMenton,
    cervicalPoint,
    scalpKnots: [nape, ...scalpKnots, forehead],
    foreheadHairline,
    vaultOuter,
    vaultInner,
    vaultInterior,
    frontalSinus,
    nasalBone,
    planum,
    orbitalRoofs,
    sphenoidWing,
    middleFossa,
    sellaFloor: sellaArc,
    dorsum,
    anteriorClinoid,
    sphenoidBody,
    sphenoidSinus,
    clivus,
    clivusEdge,
    petrous,
    petrousRidge,
    mastoid,
    meatus,
    earRods,
    orbit,
    orbitRim,
    orbitFloor,
    orbitCentre,
    zygoma,
    zygomaticArch,
    keyRidge,
    palate,
    nasalFloor,
    palatalSurface,
    maxillaBody,
    maxillarySinus,
    ptm,
    pterygoid,
    turbinates,
    mandible,
    mandibleBody,
    lowerBorder,
    ramusBorder,
    condyle: condHead,
    symphysisLabial,
    symphysisLingual,
    symphysis,
    farSideBorder,
    mandibularCanal,
    gonialFillet: { centre: cg, radius: rf, tangentRamus: tr, tangentBody: tm },
    coronoid,
    teeth,
    occlusalPoint: Ic,
    occlusalBack: onPlane(lastUpper, 0),
    vertebrae,
    dens,
    atlasAnterior,
    atlasPosterior,
    hyoid,
    airway,
    eye: { front: eyeFront, upperLid, lowerLid, opening, iris, brow },
    ear: { outline: earOutline, helixInner, concha, tragus },
    ala,
    nasolabialFold,
    mouthLine,
    upperVermilion,
    lowerVermilion,
    jawline,
    cheek,
    detailCurves,
  };
}
