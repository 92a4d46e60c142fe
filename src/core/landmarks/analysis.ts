/**
 * Cephalometric knowledge declared as data (TF.js-free, no DOM): points are landmark symbols,
 * lines are directed pairs of points, measurements are formulas over lines, analyses are lists
 * of measurements. The landmarks an analysis needs are derived from its measurements
 * (`requiredLandmarks`), never listed by hand. Numbers are computed in measure.ts.
 *
 * Conventions (tested in test/unit/landmarks-analysis.test.ts):
 * - Image pixels, x right, y DOWN (core Point). A cross product cross(u, v) = ux*vy - uy*vx > 0
 *   means v is turned CLOCKWISE from u as seen on the screen.
 * - The profile faces right (anterior = +x), as on every ISBI 2015 film. A film whose nasion lies
 *   left of sella faces left: measure.ts mirrors it (x -> -x) first, so signs keep their meaning.
 * - An `angle` is the unsigned angle in degrees (0..180) between two DIRECTED lines (vectors);
 *   `negativeWhen` makes it signed: 'ccw' = negative when line b is turned counter-clockwise on
 *   the screen from line a (after mirroring), 'cw' = negative when clockwise. SNA is the angle
 *   between N->S and N->A; ANB = SNA - SNB is positive when A lies ahead of B (class I/II).
 * - Distances are in mm (pixels x mm per pixel); `pointLine` distances are positive when the point
 *   lies anterior (+x side) of the line.
 *
 * Sources of norms and classes:
 * - ISBI 2015: the eight measurements, their definitions (as the challenge's evaluation code
 *   computes them: FMA there is the angle S->N to Go->Gn, i.e. SN to mandibular plane, NOT Tweed's
 *   FMA) and the class thresholds of the challenge's classification task (Wang et al. 2016,
 *   "A benchmark for comparison of dental radiography analysis algorithms", Med. Image Anal. 31:63-76).
 *   The thresholds below were checked against ../shared/reference/cephalometry.md (normal ranges)
 *   and against a public re-implementation of the challenge's classifier; the paper's own table
 *   could not be opened from this machine, so they are NOT verified against the paper itself.
 *   MW: the classes cover MW = 0 (edge to edge), MW < 0 (cross bite), 2..4.5 (normal), > 4.5
 *   (large overjet); 0 < MW < 2 mm falls in no class and is reported without one.
 * - Steiner: means of Steiner's analysis (SNA 82, SNB 80, ANB 2, SND 76, U1-NA 22 deg / 4 mm,
 *   L1-NB 25 deg / 4 mm, interincisal 131, occlusal plane-SN 14.5, GoGn-SN 32, S-L 51 mm). The
 *   +/- of SNA/SNB/ANB (2), GoGn-SN (5) and occlusal-SN (4) are those of alexcorvi/cephalometric;
 *   the others are bands set here (each norm's `source` says which). In the Steiner analysis
 *   SNA/SNB/ANB carry Steiner's norms (AnalysisDef.norms); elsewhere the ISBI 2015 ranges.
 * - Tweed: FMA 25, FMIA 65, IMPA 90 (Tweed's values; the +/-5 band is set here).
 */

/** Localised text. */
export interface Text {
  en: string;
  zh: string;
}

/** A point an analysis refers to: a landmark symbol, or a point derived from landmarks. */
export type PointRef = string | DerivedPoint;

/** The midpoint of two landmarks (e.g. the incisal overlap midway between U1 and L1). */
export interface DerivedPoint {
  id: string;
  midpointOf: [string, string];
}

/** A directed line (a vector from `from` to `to`). */
export interface LineDef {
  from: PointRef;
  to: PointRef;
}

/** Angle between two directed lines, unsigned 0..180 unless `negativeWhen` is set. */
export interface AngleFormula {
  kind: 'angle';
  a: LineDef;
  b: LineDef;
  /** Negative when b is turned this way from a on the screen (profile facing right). */
  negativeWhen?: 'cw' | 'ccw';
}

export type Formula =
  | AngleFormula
  /** a - b */
  | { kind: 'angleDiff'; a: AngleFormula; b: AngleFormula }
  /** Sum of (possibly signed) angles. */
  | { kind: 'composite'; terms: AngleFormula[] }
  /** |from - to| in mm. */
  | { kind: 'distance'; from: PointRef; to: PointRef }
  /** |num| / |den| (dimensionless). */
  | { kind: 'ratio'; num: LineDef; den: LineDef }
  /** |to - from| in mm, negative when `to` lies posterior (smaller x) of `from`. */
  | { kind: 'signedDistance'; from: PointRef; to: PointRef }
  /** Perpendicular distance (mm) of a point from a line, positive when the point is anterior. */
  | { kind: 'pointLine'; point: PointRef; line: LineDef }
  /** Length (mm) of the projection of from->point onto the direction of `line` (S-L). */
  | { kind: 'projection'; point: PointRef; line: LineDef };

export type MeasurementKind = Formula['kind'];
export type Unit = 'deg' | 'mm' | 'ratio';

/** A normal range; `mean`/`sd` when the source gives them. */
export interface Norm {
  min: number;
  max: number;
  mean?: number;
  sd?: number;
  source: string;
}

/** A class of a classification scheme (ISBI 2015: C1 = normal, C2, C3, C4 for MW). */
export interface Classification extends Text {
  code: string;
  scheme: 'isbi2015';
}

export interface MeasurementDef {
  id: string;
  kind: MeasurementKind;
  unit: Unit;
  name: Text;
  /** How it is computed, in words (landmark symbols). */
  definition: string;
  formula: Formula;
  norm?: Norm;
  classify?: (value: number) => Classification | undefined;
  /** Landmark symbols it needs (derived from the formula). */
  uses: string[];
}

export interface AnalysisDef {
  id: string;
  name: Text;
  measurements: string[];
  /** The analysis' own normal ranges where they differ from the measurement's (Steiner's SNA 82 +/- 2). */
  norms?: Record<string, Norm>;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const L = (from: PointRef, to: PointRef): LineDef => ({ from, to });
const angle = (a: LineDef, b: LineDef, negativeWhen?: 'cw' | 'ccw'): AngleFormula =>
  negativeWhen ? { kind: 'angle', a, b, negativeWhen } : { kind: 'angle', a, b };
/** The angle at `vertex` between the rays to p and q (e.g. S-N-A at N). */
const at = (p: string, vertex: string, q: string): AngleFormula => angle(L(vertex, p), L(vertex, q));

export const INCISAL_OVERLAP: DerivedPoint = { id: 'mid(U1,L1)', midpointOf: ['U1', 'L1'] };
export const MOLAR_OVERLAP: DerivedPoint = { id: 'mid(U6,L6)', midpointOf: ['U6', 'L6'] };

/** Frankfort horizontal Po -> Or, palatal plane PNS -> ANS, SN S -> N (all pointing anteriorly). */
const FH = L('Po', 'Or');
const PP = L('PNS', 'ANS');
const SN = L('S', 'N');

function pointSymbols(p: PointRef): string[] {
  return typeof p === 'string' ? [p] : [...p.midpointOf];
}

function lineSymbols(l: LineDef): string[] {
  return [...pointSymbols(l.from), ...pointSymbols(l.to)];
}

/** The landmark symbols a formula reads, in first-use order, without repeats. */
export function formulaSymbols(f: Formula): string[] {
  let all: string[];
  switch (f.kind) {
    case 'angle':
      all = [...lineSymbols(f.a), ...lineSymbols(f.b)];
      break;
    case 'angleDiff':
      all = [...formulaSymbols(f.a), ...formulaSymbols(f.b)];
      break;
    case 'composite':
      all = f.terms.flatMap(formulaSymbols);
      break;
    case 'distance':
    case 'signedDistance':
      all = [...pointSymbols(f.from), ...pointSymbols(f.to)];
      break;
    case 'ratio':
      all = [...lineSymbols(f.num), ...lineSymbols(f.den)];
      break;
    case 'pointLine':
    case 'projection':
      all = [...pointSymbols(f.point), ...lineSymbols(f.line)];
      break;
  }
  return [...new Set(all)];
}

type Spec = Omit<MeasurementDef, 'kind' | 'uses'>;

function def(spec: Spec): MeasurementDef {
  return { ...spec, kind: spec.formula.kind, uses: formulaSymbols(spec.formula) };
}

const range = (mean: number, sd: number, source: string): Norm => ({
  min: mean - sd,
  max: mean + sd,
  mean,
  sd,
  source,
});

const ISBI_SRC = 'ISBI 2015 challenge (Wang et al. 2016), class C1 range';
/** Steiner's mean with the +/- of alexcorvi/cephalometric (a published tracing program). */
const STEINER_SRC = 'Steiner mean; +/- as in alexcorvi/cephalometric';
/** Steiner's mean; no published SD was at hand, the band is a convention set here. */
const STEINER_BAND = 'Steiner mean; +/- band set here (no published SD)';
const TWEED_SRC = 'Tweed mean; +/-5 band set here (no published SD)';

/**
 * ISBI 2015 three-way split: `low` below min, `high` above max; which of them is C2 / C3 is the
 * challenge's (e.g. SNB below 74.6 is C2 retrognathic, SNA below 79.4 is C3 retrognathic).
 */
function isbiClasses(
  min: number,
  max: number,
  normal: Text,
  low: Text & { code: 'C2' | 'C3' },
  high: Text & { code: 'C2' | 'C3' },
): (v: number) => Classification {
  return (v) => {
    if (v < min) return { scheme: 'isbi2015', ...low };
    if (v > max) return { scheme: 'isbi2015', ...high };
    return { scheme: 'isbi2015', code: 'C1', ...normal };
  };
}

/** MW (mm): C1 2..4.5 normal, C2 = 0 edge to edge, C3 < 0 anterior cross bite, C4 > 4.5 large overjet. */
export function classifyMw(v: number): Classification | undefined {
  if (v === 0) return { scheme: 'isbi2015', code: 'C2', en: 'Edge to edge', zh: '切对切' };
  if (v < 0) return { scheme: 'isbi2015', code: 'C3', en: 'Anterior cross bite', zh: '前牙反合' };
  if (v > 4.5) return { scheme: 'isbi2015', code: 'C4', en: 'Large overjet', zh: '深覆盖' };
  if (v >= 2) return { scheme: 'isbi2015', code: 'C1', en: 'Normal', zh: '正常' };
  return undefined; // 0 < MW < 2 mm: in no ISBI 2015 class
}

// ---------------------------------------------------------------------------------------------
// Measurements

const SNA_F = at('S', 'N', 'A');
const SNB_F = at('S', 'N', 'B');

const DEFS: MeasurementDef[] = [
  // ---- ISBI 2015 (definitions as in the challenge's evaluation) ----
  def({
    id: 'SNA',
    unit: 'deg',
    name: { en: 'SNA', zh: 'SNA 角' },
    definition: 'angle S-N-A (between N->S and N->A)',
    formula: SNA_F,
    norm: { min: 79.4, max: 83.2, source: ISBI_SRC },
    classify: isbiClasses(
      79.4,
      83.2,
      { en: 'Normal maxilla', zh: '上颌位置正常' },
      { code: 'C3', en: 'Retrognathic maxilla', zh: '上颌后缩' },
      { code: 'C2', en: 'Prognathic maxilla', zh: '上颌前突' },
    ),
  }),
  def({
    id: 'SNB',
    unit: 'deg',
    name: { en: 'SNB', zh: 'SNB 角' },
    definition: 'angle S-N-B (between N->S and N->B)',
    formula: SNB_F,
    norm: { min: 74.6, max: 78.7, source: ISBI_SRC },
    classify: isbiClasses(
      74.6,
      78.7,
      { en: 'Normal mandible', zh: '下颌位置正常' },
      { code: 'C2', en: 'Retrognathic mandible', zh: '下颌后缩' },
      { code: 'C3', en: 'Prognathic mandible', zh: '下颌前突' },
    ),
  }),
  def({
    id: 'ANB',
    unit: 'deg',
    name: { en: 'ANB', zh: 'ANB 角' },
    definition: 'SNA - SNB (positive when A lies ahead of B)',
    formula: { kind: 'angleDiff', a: SNA_F, b: SNB_F },
    norm: { min: 3.2, max: 5.7, source: ISBI_SRC },
    classify: isbiClasses(
      3.2,
      5.7,
      { en: 'Skeletal class I', zh: '骨性 I 类' },
      { code: 'C3', en: 'Skeletal class III', zh: '骨性 III 类' },
      { code: 'C2', en: 'Skeletal class II', zh: '骨性 II 类' },
    ),
  }),
  def({
    id: 'ODI',
    unit: 'deg',
    name: { en: 'ODI (overbite depth indicator)', zh: 'ODI 覆合深度指数' },
    definition:
      'angle(Me->Go, B->A) + angle(Po->Or, PNS->ANS); the second term is negative when the palatal plane tilts up anteriorly',
    formula: {
      kind: 'composite',
      terms: [angle(L('Me', 'Go'), L('B', 'A')), angle(FH, PP, 'ccw')],
    },
    norm: { min: 68.4, max: 80.5, mean: 74.5, sd: 6.07, source: ISBI_SRC },
    classify: isbiClasses(
      68.4,
      80.5,
      { en: 'Normal overbite', zh: '覆合正常' },
      { code: 'C3', en: 'Open bite tendency', zh: '开合倾向' },
      { code: 'C2', en: 'Deep bite tendency', zh: '深覆合倾向' },
    ),
  }),
  def({
    id: 'APDI',
    unit: 'deg',
    name: { en: 'APDI (anteroposterior dysplasia indicator)', zh: 'APDI 前后向不调指数' },
    definition:
      'angle(Or->Po, N->Pog) + angle(N->Pog, A->B) + angle(Po->Or, PNS->ANS); the 2nd term is negative when A lies ahead of B, the 3rd when the palatal plane tilts up anteriorly',
    formula: {
      kind: 'composite',
      terms: [
        angle(L('Or', 'Po'), L('N', 'Pog')),
        angle(L('N', 'Pog'), L('A', 'B'), 'cw'),
        angle(FH, PP, 'ccw'),
      ],
    },
    norm: { min: 77.6, max: 85.2, mean: 81.4, sd: 3.8, source: ISBI_SRC },
    classify: isbiClasses(
      77.6,
      85.2,
      { en: 'Normal', zh: '正常' },
      { code: 'C2', en: 'Class II tendency', zh: 'II 类倾向' },
      { code: 'C3', en: 'Class III tendency', zh: 'III 类倾向' },
    ),
  }),
  def({
    id: 'FHI',
    unit: 'ratio',
    name: { en: 'FHI (facial height index, S-Go / N-Me)', zh: 'FHI 面高指数 (S-Go / N-Me)' },
    definition: 'posterior face height |S-Go| / anterior face height |N-Me|',
    formula: { kind: 'ratio', num: L('S', 'Go'), den: L('N', 'Me') },
    norm: { min: 0.65, max: 0.75, source: ISBI_SRC },
    classify: isbiClasses(
      0.65,
      0.75,
      { en: 'Normal face height', zh: '面高正常' },
      { code: 'C3', en: 'Long face tendency', zh: '长面型倾向' },
      { code: 'C2', en: 'Short face tendency', zh: '短面型倾向' },
    ),
  }),
  def({
    id: 'FMA_ISBI',
    unit: 'deg',
    name: {
      en: 'FMA as ISBI 2015 defines it (SN to Go-Gn)',
      zh: 'FMA（ISBI 2015 定义：SN 与 Go-Gn 夹角）',
    },
    definition: 'angle(S->N, Go->Gn): the ISBI challenge calls this FMA; it is the SN-mandibular plane angle',
    formula: angle(SN, L('Go', 'Gn')),
    norm: { min: 26.8, max: 31.4, source: ISBI_SRC },
    classify: isbiClasses(
      26.8,
      31.4,
      { en: 'Normal mandibular angle', zh: '下颌平面角正常' },
      { code: 'C3', en: 'Low angle tendency', zh: '低角倾向' },
      { code: 'C2', en: 'High angle tendency', zh: '高角倾向' },
    ),
  }),
  def({
    id: 'MW',
    unit: 'mm',
    name: {
      en: 'MW (modified Wits as ISBI defines it: L1 tip to U1 tip)',
      zh: 'MW（ISBI 定义的改良 Wits：下切牙切缘至上切牙切缘）',
    },
    definition: '|U1 - L1| in mm, negative when the upper incisor tip lies behind the lower',
    formula: { kind: 'signedDistance', from: 'L1', to: 'U1' },
    norm: { min: 2, max: 4.5, source: ISBI_SRC },
    classify: classifyMw,
  }),
  // ---- Tweed ----
  def({
    id: 'FMA_TWEED',
    unit: 'deg',
    name: {
      en: 'FMA, Tweed (Frankfort Po-Or to mandibular plane Go-Me)',
      zh: 'FMA（Tweed：眶耳平面 Po-Or 与下颌平面 Go-Me 夹角）',
    },
    definition: 'angle(Po->Or, Go->Me)',
    formula: angle(FH, L('Go', 'Me')),
    norm: range(25, 5, TWEED_SRC),
  }),
  def({
    id: 'IMPA',
    unit: 'deg',
    name: { en: 'IMPA (L1 axis to mandibular plane Go-Me)', zh: 'IMPA 下切牙-下颌平面角' },
    definition:
      'angle(Me->Go, L1A->L1): lower incisor long axis to the mandibular plane (inside the Tweed triangle)',
    formula: angle(L('Me', 'Go'), L('L1A', 'L1')),
    norm: range(90, 5, TWEED_SRC),
  }),
  def({
    id: 'FMIA',
    unit: 'deg',
    name: { en: 'FMIA (L1 axis to Frankfort plane)', zh: 'FMIA 下切牙-眶耳平面角' },
    definition: 'angle(Or->Po, L1->L1A): lower incisor long axis to Frankfort (inside the Tweed triangle)',
    formula: angle(L('Or', 'Po'), L('L1', 'L1A')),
    norm: range(65, 5, TWEED_SRC),
  }),
  // ---- Steiner (only what the landmarks define; SNA/SNB/ANB above are shared) ----
  def({
    id: 'SND',
    unit: 'deg',
    name: { en: 'SND', zh: 'SND 角' },
    definition: 'angle S-N-D (D: centre of the symphysis)',
    formula: at('S', 'N', 'D'),
    norm: range(76, 2, STEINER_BAND),
  }),
  def({
    id: 'U1_NA_DEG',
    unit: 'deg',
    name: { en: 'U1 to NA (angle)', zh: '上中切牙长轴-NA 线角' },
    definition: 'angle(N->A, U1A->U1): upper incisor long axis (apex to tip) to the NA line',
    formula: angle(L('N', 'A'), L('U1A', 'U1')),
    norm: range(22, 2, STEINER_BAND),
  }),
  def({
    id: 'U1_NA_MM',
    unit: 'mm',
    name: { en: 'U1 tip to NA (mm)', zh: '上中切牙切缘至 NA 线距离' },
    definition:
      'perpendicular distance of the upper incisor tip from line N-A, positive when ahead (Steiner uses the most labial point of the crown; the ISBI set only has the tip)',
    formula: { kind: 'pointLine', point: 'U1', line: L('N', 'A') },
    norm: range(4, 1, STEINER_BAND),
  }),
  def({
    id: 'L1_NB_DEG',
    unit: 'deg',
    name: { en: 'L1 to NB (angle)', zh: '下中切牙长轴-NB 线角' },
    definition: 'angle(N->B, L1->L1A): lower incisor long axis (tip to apex) to the NB line',
    formula: angle(L('N', 'B'), L('L1', 'L1A')),
    norm: range(25, 2, STEINER_BAND),
  }),
  def({
    id: 'L1_NB_MM',
    unit: 'mm',
    name: { en: 'L1 tip to NB (mm)', zh: '下中切牙切缘至 NB 线距离' },
    definition:
      'perpendicular distance of the lower incisor tip from line N-B, positive when ahead (Steiner uses the most labial point of the crown; the ISBI set only has the tip)',
    formula: { kind: 'pointLine', point: 'L1', line: L('N', 'B') },
    norm: range(4, 1, STEINER_BAND),
  }),
  def({
    id: 'POG_NB_MM',
    unit: 'mm',
    name: { en: 'Pog to NB (mm)', zh: '颏前点至 NB 线距离' },
    definition:
      'perpendicular distance of pogonion from line N-B, positive when ahead (Holdaway: ideally equal to L1-NB)',
    formula: { kind: 'pointLine', point: 'Pog', line: L('N', 'B') },
  }),
  def({
    id: 'INTERINCISAL',
    unit: 'deg',
    name: { en: 'Interincisal angle (U1-L1)', zh: '上下中切牙角' },
    definition: 'angle(U1->U1A, L1->L1A): between the incisor long axes, opening posteriorly',
    formula: angle(L('U1', 'U1A'), L('L1', 'L1A')),
    norm: range(131, 6, STEINER_BAND),
  }),
  def({
    id: 'OCC_SN',
    unit: 'deg',
    name: { en: 'Occlusal plane to SN', zh: '咬合平面-SN 角' },
    definition:
      'angle(S->N, molar overlap mid(U6,L6) -> incisal overlap mid(U1,L1)); the ISBI set has no molars',
    formula: angle(SN, L(MOLAR_OVERLAP, INCISAL_OVERLAP)),
    norm: range(14.5, 4, STEINER_SRC),
  }),
  def({
    id: 'GOGN_SN',
    unit: 'deg',
    name: { en: 'GoGn to SN', zh: 'GoGn-SN 角（下颌平面角）' },
    definition: 'angle(S->N, Go->Gn) (the same angle ISBI 2015 calls FMA)',
    formula: angle(SN, L('Go', 'Gn')),
    norm: range(32, 5, STEINER_SRC),
  }),
  def({
    id: 'S_L',
    unit: 'mm',
    name: { en: 'S-L (Pog projected on SN)', zh: 'S-L（颏前点在 SN 上的投影距离）' },
    definition: 'distance from S along S->N to the foot of the perpendicular from Pog',
    formula: { kind: 'projection', point: 'Pog', line: SN },
    norm: range(51, 3, STEINER_BAND),
  }),
];

export const MEASUREMENTS: Record<string, MeasurementDef> = Object.fromEntries(DEFS.map((d) => [d.id, d]));

export const ANALYSES: Record<string, AnalysisDef> = {
  isbi2015: {
    id: 'isbi2015',
    name: { en: 'ISBI 2015 (challenge measurements)', zh: 'ISBI 2015（挑战赛测量项）' },
    measurements: ['ANB', 'SNB', 'SNA', 'ODI', 'APDI', 'FHI', 'FMA_ISBI', 'MW'],
  },
  steiner: {
    id: 'steiner',
    name: { en: 'Steiner', zh: 'Steiner 分析' },
    norms: {
      SNA: range(82, 2, STEINER_SRC),
      SNB: range(80, 2, STEINER_SRC),
      ANB: range(2, 2, STEINER_SRC),
    },
    measurements: [
      'SNA',
      'SNB',
      'ANB',
      'SND',
      'U1_NA_DEG',
      'U1_NA_MM',
      'L1_NB_DEG',
      'L1_NB_MM',
      'POG_NB_MM',
      'INTERINCISAL',
      'OCC_SN',
      'GOGN_SN',
      'S_L',
    ],
  },
  tweed: {
    id: 'tweed',
    name: { en: 'Tweed triangle', zh: 'Tweed 三角分析' },
    measurements: ['FMA_TWEED', 'FMIA', 'IMPA'],
  },
};

/** Every measurement once, in analysis order (isbi2015, steiner, tweed). */
export const ALL_ANALYSIS: AnalysisDef = {
  id: 'all',
  name: { en: 'All measurements', zh: '全部测量项' },
  measurements: [...new Set(Object.values(ANALYSES).flatMap((a) => a.measurements))],
};

/** The analysis by id ('all' = every measurement); throws with the known ids on a typo. */
export function getAnalysis(analysisId: string): AnalysisDef {
  if (analysisId === 'all') return ALL_ANALYSIS;
  const a = ANALYSES[analysisId];
  if (!a)
    throw new Error(
      `unknown analysis "${analysisId}"; use one of ${[...Object.keys(ANALYSES), 'all'].join(', ')}`,
    );
  return a;
}

/** Landmark symbols an analysis needs, in first-use order (derived from its measurements). */
export function requiredLandmarks(analysisId: string): string[] {
  const syms = getAnalysis(analysisId).measurements.flatMap((id) => MEASUREMENTS[id].uses);
  return [...new Set(syms)];
}

/**
 * Other spellings of a landmark symbol in circulation (Aariz JSON files and common tracing
 * programs). A measurement names the canonical symbol (ISBI's where ISBI has it); a dataset is
 * searched for the symbol itself first, then for these, exactly (case matters: 'Li' is the lower
 * lip, 'LI' a lower incisor in some sets).
 */
export const SYMBOL_ALIASES: Record<string, string[]> = {
  N: ['Na'],
  U1: ['UIT', 'UI', 'Is', 'UIE', 'UIe'],
  L1: ['LIT', 'LI', 'Ii', 'LIE', 'LIe'],
  U1A: ['UIA', 'UIa', 'U1a', 'U1_apex'],
  L1A: ['LIA', 'LIa', 'L1a', 'L1_apex'],
  U6: ['UMT', 'U6MT'],
  L6: ['LMT', 'L6MT'],
  PogS: ["Pog'", 'Pos', 'PogST', 'Pog_s', 'STPog', "Pg'"],
  Pog: ['Pg'],
  Or: ['O', 'Orb'],
  Po: ['Por'],
  Ls: ['UL', 'Lab sup', 'LS'],
  Li: ['LL', 'Lab inf'],
};

/** Index of a canonical symbol in a dataset's symbol list (its aliases too), or -1. */
export function findLandmark(symbols: readonly string[], symbol: string): number {
  const i = symbols.indexOf(symbol);
  if (i >= 0) return i;
  for (const alias of SYMBOL_ALIASES[symbol] ?? []) {
    const j = symbols.indexOf(alias);
    if (j >= 0) return j;
  }
  return -1;
}

export interface AnalysisCoverage {
  /** Landmarks the analysis needs (derived from its measurements). */
  required: string[];
  /** Of those, the ones the landmark set does not define (under any alias). */
  missing: string[];
  /** Measurements the set can compute (when every landmark is placed). */
  measurable: string[];
  /** Measurements it can never compute, with the symbols it lacks. */
  unavailable: { id: string; missing: string[] }[];
}

/** What a landmark set (its symbols) can measure of an analysis, before any landmark is placed. */
export function analysisCoverage(analysisId: string, symbols: readonly string[]): AnalysisCoverage {
  const has = (s: string): boolean => findLandmark(symbols, s) >= 0;
  const required = requiredLandmarks(analysisId);
  const measurable: string[] = [];
  const unavailable: { id: string; missing: string[] }[] = [];
  for (const id of getAnalysis(analysisId).measurements) {
    const lack = MEASUREMENTS[id].uses.filter((s) => !has(s));
    if (lack.length) unavailable.push({ id, missing: lack });
    else measurable.push(id);
  }
  return { required, missing: required.filter((s) => !has(s)), measurable, unavailable };
}
