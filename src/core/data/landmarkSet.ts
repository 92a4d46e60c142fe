/**
 * Landmark sets. ISBI 2015: 19 points, 0-based order as in the challenge files (cephalometry.md).
 * Position statistics (fractions of the 1935 x 2400 film, 0.1 mm/px) over the 400 ISBI 2015 films,
 * copied from shared/reference/isbi2015-landmark-stats.json: the demo phantom samples around them.
 */

export interface LandmarkDef {
  id: string;
  name: string;
  zh: string;
  /** mean position, fraction of width / height */
  x: number;
  y: number;
  sdx: number;
  sdy: number;
}

export interface LandmarkSet {
  id: string;
  landmarks: LandmarkDef[];
}

export const ISBI_IMAGE = { width: 1935, height: 2400, mmPerPx: 0.1 } as const;

export const ISBI_LANDMARKS: LandmarkDef[] = [
  { id: 'S', name: 'Sella', zh: '蝶鞍点', x: 0.4201, y: 0.4336, sdx: 0.0294, sdy: 0.0202 },
  { id: 'N', name: 'Nasion', zh: '鼻根点', x: 0.7208, y: 0.4049, sdx: 0.0364, sdy: 0.0289 },
  { id: 'Or', name: 'Orbitale', zh: '眶点', x: 0.6623, y: 0.5075, sdx: 0.0325, sdy: 0.0268 },
  { id: 'Po', name: 'Porion', zh: '耳点', x: 0.3125, y: 0.5086, sdx: 0.0264, sdy: 0.0165 },
  {
    id: 'A',
    name: 'Subspinale (A point)',
    zh: '上牙槽座点 (A点)',
    x: 0.7209,
    y: 0.6362,
    sdx: 0.0376,
    sdy: 0.0297,
  },
  {
    id: 'B',
    name: 'Supramentale (B point)',
    zh: '下牙槽座点 (B点)',
    x: 0.7018,
    y: 0.7731,
    sdx: 0.0449,
    sdy: 0.0344,
  },
  { id: 'Pog', name: 'Pogonion', zh: '颏前点', x: 0.696, y: 0.8277, sdx: 0.0517, sdy: 0.0368 },
  { id: 'Me', name: 'Menton', zh: '颏下点', x: 0.6673, y: 0.8528, sdx: 0.0524, sdy: 0.0378 },
  { id: 'Gn', name: 'Gnathion', zh: '颏顶点', x: 0.6868, y: 0.8447, sdx: 0.0523, sdy: 0.0374 },
  { id: 'Go', name: 'Gonion', zh: '下颌角点', x: 0.3807, y: 0.7244, sdx: 0.0343, sdy: 0.0296 },
  {
    id: 'L1',
    name: 'Lower incisal incision',
    zh: '下中切牙切缘',
    x: 0.7356,
    y: 0.7069,
    sdx: 0.0401,
    sdy: 0.0326,
  },
  {
    id: 'U1',
    name: 'Upper incisal incision',
    zh: '上中切牙切缘',
    x: 0.7458,
    y: 0.7116,
    sdx: 0.0411,
    sdy: 0.0318,
  },
  { id: 'Ls', name: 'Upper lip', zh: '上唇突点', x: 0.8075, y: 0.6739, sdx: 0.039, sdy: 0.0349 },
  { id: 'Li', name: 'Lower lip', zh: '下唇突点', x: 0.7933, y: 0.7561, sdx: 0.044, sdy: 0.0349 },
  { id: 'Sn', name: 'Subnasale', zh: '鼻下点', x: 0.7775, y: 0.6242, sdx: 0.0374, sdy: 0.0329 },
  {
    id: 'PogS',
    name: 'Soft-tissue pogonion',
    zh: '软组织颏前点',
    x: 0.7423,
    y: 0.8457,
    sdx: 0.0536,
    sdy: 0.0423,
  },
  {
    id: 'PNS',
    name: 'Posterior nasal spine',
    zh: '后鼻棘点',
    x: 0.5044,
    y: 0.5965,
    sdx: 0.0297,
    sdy: 0.0214,
  },
  { id: 'ANS', name: 'Anterior nasal spine', zh: '前鼻棘点', x: 0.7273, y: 0.6029, sdx: 0.037, sdy: 0.0304 },
  { id: 'Ar', name: 'Articulare', zh: '关节点', x: 0.3494, y: 0.5519, sdx: 0.027, sdy: 0.0191 },
];

export const ISBI_SET: LandmarkSet = { id: 'isbi2015-19', landmarks: ISBI_LANDMARKS };

/** Index of a landmark id in the ISBI order (throws on unknown id). */
export function isbiIndex(id: string): number {
  const i = ISBI_LANDMARKS.findIndex((l) => l.id === id);
  if (i < 0) throw new Error(`unknown ISBI landmark id "${id}"`);
  return i;
}
