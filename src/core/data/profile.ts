/**
 * The soft-tissue profile of a lateral cephalogram (TF.js-free): the face outline a profile photo
 * would show, segmented from the film, rendered as a filled silhouette with a mild shading and no
 * bone. Used by `cli profile-pairs` to turn any folder of films into photo/X-ray pairs for the
 * real-anatomy benchmark (issue 15 item 5): input = silhouette, target = film.
 *
 * Why not one global threshold (Otsu): on real films (ISBI 2015) the air in front of the face is
 * darkest right at the skin (the edge-enhancement halo, ~5-15 of 255) and brightens towards the
 * film's edge (~75-110), while the soft tissue near the profile is ~20-60 and on some films (the
 * nasal dorsum) no brighter than the air beside it — air and skin overlap in grey level, so Otsu on
 * the film separates bone from the rest, not skin from air. The outline is traced instead:
 * 1. the film is reduced to ~600 px (area mean) and smoothed (two 1 mm box blurs);
 * 2. edge evidence per pixel = how much darker the 3 px just outside are than the 3 px just inside,
 *    along the row or a diagonal, clipped at a per-film level (half the median step along a first
 *    trace, at least 4 grey levels) so bone edges are no stronger evidence than skin edges;
 * 3. evidence is ignored on foreign objects: bright components above max(Otsu, brightest air) other
 *    than the skull (the nasion relator, its ruler, the film's markers and label; the relator
 *    touches only soft tissue, below Otsu, so it never joins the skull) and narrow bright runs with
 *    air on both sides; the skin is never in front of a rod that hangs from the film's top;
 * 4. one path through all rows (dynamic programming) collects the evidence, weighs it slightly more
 *    the further out it lies (skin before the bone behind it) and bends at most 3 mm per row with a
 *    quadratic cost, so rows without a visible edge are bridged from their neighbours;
 * 5. above 35 % and below 90 % of the height the path may not run outwards faster than 0.6 px per
 *    row (forehead, skull and neck slope back; a rod or a marker does not), then a 1 mm Gaussian.
 * The silhouette fills everything behind the outline in each row (the airway and other holes are
 * filled by construction) and is shaded by the depth behind the outline only.
 * Measured on the 150 ISBI training films: see test/bench/results/real-anatomy.md (the soft-tissue
 * landmarks' distance from the outline).
 */
import type { Point, RgbaImage } from '../image';

export type FaceSide = 'right' | 'left';

export interface ProfileOptions {
  /** Pixel spacing of the film, mm per pixel (ISBI 2015: 0.1). */
  mmPerPx: number;
  /** Which side the face looks to; default: detected from the image (see detectFaceSide). */
  face?: FaceSide;
  /** Longest side of the working image the boundary is found on (default 600 px). */
  workLongSide?: number;
}

export interface ProfileSegmentation {
  face: FaceSide;
  /** Film size (original pixels). */
  width: number;
  height: number;
  /** Working image: film pixels per working pixel, and its size. */
  factor: number;
  workWidth: number;
  workHeight: number;
  /**
   * The boundary per working row, as the distance in working pixels from the BACK border (x for a
   * face on the right; width - x for a face on the left) of the last soft-tissue pixel's outer
   * edge; NaN where the row holds no tissue.
   */
  depth: Float64Array;
  /** The clip level of the edge evidence (grey levels 0-255), chosen per film (step 2 above). */
  contrast: number;
  /** Rows (share of working rows) where a boundary was found. */
  coverage: number;
}

/** Grey (BT.601 luma) of an RGBA image, area-averaged by an integer factor. */
function greyDownsample(img: RgbaImage, factor: number): { w: number; h: number; g: Float32Array } {
  const w = Math.floor(img.width / factor);
  const h = Math.floor(img.height / factor);
  const g = new Float32Array(w * h);
  const d = img.data;
  const n = factor * factor;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = 0; dy < factor; dy++) {
        let o = ((y * factor + dy) * img.width + x * factor) * 4;
        for (let dx = 0; dx < factor; dx++, o += 4) s += 0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];
      }
      g[y * w + x] = s / n;
    }
  return { w, h, g };
}

/** Box blur of radius r along rows then columns (edges clamped). */
function boxBlur(g: Float32Array, w: number, h: number, r: number): Float32Array {
  if (r <= 0) return g;
  const tmp = new Float32Array(g.length);
  const out = new Float32Array(g.length);
  const n = 2 * r + 1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += g[y * w + Math.min(w - 1, Math.max(0, x + k))];
      tmp[y * w + x] = s / n;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
      out[y * w + x] = s / n;
    }
  return out;
}

/**
 * Bright objects other than the head: the connected components above the film's Otsu level
 * (bone, metal, markers) except the largest one (the skull with the face's bones), widened by
 * `grow` px. The nasion relator, its ruler, the film's markers and its label are such objects (the
 * relator touches only soft tissue, which is below the Otsu level, so it is never joined to the
 * skull); the skin's edge is never within a few mm of them.
 */
function foreignObjects(g: Float32Array, w: number, h: number, level: number, grow: number): Uint8Array {
  const label = new Int32Array(g.length).fill(-1);
  const sizes: number[] = [];
  const stack: number[] = [];
  // the film's outer frame (markers, exposure edge) is left out so it joins nothing to the skull
  const fx = Math.round(w * 0.03);
  const fy = Math.round(h * 0.03);
  const bright = (j: number): boolean => {
    const x = j % w;
    const y = (j - x) / w;
    return x >= fx && x < w - fx && y >= fy && y < h - fy && g[j] > level;
  };
  for (let i = 0; i < g.length; i++) {
    if (label[i] !== -1 || !bright(i)) continue;
    const id = sizes.length;
    let n = 0;
    label[i] = id;
    stack.push(i);
    while (stack.length) {
      const j = stack.pop() as number;
      n++;
      const x = j % w;
      const y = (j - x) / w;
      const nb = [x > 0 ? j - 1 : -1, x < w - 1 ? j + 1 : -1, y > 0 ? j - w : -1, y < h - 1 ? j + w : -1];
      for (const k of nb)
        if (k >= 0 && label[k] === -1 && bright(k)) {
          label[k] = id;
          stack.push(k);
        }
    }
    sizes.push(n);
  }
  let head = 0;
  for (let k = 1; k < sizes.length; k++) if (sizes[k] > sizes[head]) head = k;
  const out = new Uint8Array(g.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const l = label[y * w + x];
      if (l < 0 || l === head) continue;
      for (let dy = -grow; dy <= grow; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -grow; dx <= grow; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < w && dx * dx + dy * dy <= grow * grow) out[yy * w + xx] = 1;
        }
      }
    }
  return out;
}

/** Otsu's threshold of grey levels 0-255 (the level that best splits bone from the rest). */
export function otsuLevel(g: ArrayLike<number>): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < g.length; i++) hist[Math.min(255, Math.max(0, Math.round(g[i])))]++;
  const total = g.length;
  let sumAll = 0;
  for (let v = 0; v < 256; v++) sumAll += v * hist[v];
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let level = 128;
  for (let v = 0; v < 256; v++) {
    wB += hist[v];
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += v * hist[v];
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) {
      best = between;
      level = v + 0.5;
    }
  }
  return level;
}

/** Mirror rows left-right (so the face is always on the right while scanning). */
function mirror(g: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(g.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = g[y * w + (w - 1 - x)];
  return out;
}

/**
 * The side the face looks to, from the image alone (prefer landmarks or the user's word: see
 * faceSideFromLandmarks): in the middle rows, the band 5-25 % in from the face-side border is
 * mostly air in front of the face, darker than the skull and neck behind the head.
 */
export function detectFaceSide(img: RgbaImage): FaceSide {
  const { w, h, g } = greyDownsample(img, Math.max(1, Math.floor(Math.max(img.width, img.height) / 300)));
  const from = Math.round(w * 0.05);
  const to = Math.max(from + 1, Math.round(w * 0.25));
  let left = 0;
  let right = 0;
  for (let y = Math.round(h * 0.3); y < Math.round(h * 0.7); y++)
    for (let k = from; k < to; k++) {
      left += g[y * w + k];
      right += g[y * w + (w - 1 - k)];
    }
  return right <= left ? 'right' : 'left';
}

/**
 * The side the face looks to from landmarks: soft-tissue points in front of a point behind them
 * (ISBI 2015: upper lip, lower lip, subnasale, soft-tissue pogonion vs sella). Null when missing.
 */
export function faceSideFromLandmarks(
  points: readonly (Point | null)[],
  front: readonly number[] = ISBI_SOFT_TISSUE,
  back = 0,
): FaceSide | null {
  const b = points[back];
  const f = front.map((i) => points[i]).filter((p): p is Point => p !== null && p !== undefined);
  if (!b || f.length === 0) return null;
  const mx = f.reduce((s, p) => s + p[0], 0) / f.length;
  return mx >= b[0] ? 'right' : 'left';
}

/** ISBI 2015 soft-tissue landmarks (0-based): upper lip, lower lip, subnasale, soft-tissue pogonion. */
export const ISBI_SOFT_TISSUE: readonly number[] = [12, 13, 14, 15];

/**
 * Thin bright objects in the air (the nasion relator's rod and ruler, the film's edge markers):
 * pixels brighter by `level` than both neighbours `a` px away along the row (a top-hat much
 * stronger than any skin rim) whose neighbours are both darker than `dark` (the film's Otsu level:
 * air on both sides, unlike the frontal bone or teeth, which have bone behind them) and that form a
 * vertical run of at least `minRun` px or lie in the outer `edgeRows` rows (markers), widened by
 * `grow` px along the row. Edges there are not evidence of skin. Such a run in the face-side half that
 * hangs from the film's top is the nasion relator: the skin is never in front of it (rodX, down to
 * rodBottom).
 */
function rodMask(
  g: Float32Array,
  w: number,
  h: number,
  a: number,
  level: number,
  dark: number,
  minRun: number,
  edgeRows: number,
  grow: number,
): { mask: Uint8Array; rodX: number; rodBottom: number } {
  const hit = new Uint8Array(g.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const l = g[y * w + Math.max(0, x - a)];
      const r = g[y * w + Math.min(w - 1, x + a)];
      if (l < dark && r < dark && g[y * w + x] - Math.max(l, r) > level) hit[y * w + x] = 1;
    }
  const keep = new Uint8Array(g.length);
  let rodX = w;
  let rodBottom = -1;
  for (let x = 0; x < w; x++) {
    let y = 0;
    while (y < h) {
      if (!hit[y * w + x]) {
        y++;
        continue;
      }
      let end = y;
      let gap = 0;
      for (let k = y; k < h && gap <= 2; k++) {
        if (hit[k * w + x]) {
          end = k;
          gap = 0;
        } else gap++;
      }
      const rod = end - y + 1 >= minRun;
      if (rod && x > w / 2 && y < h * 0.1) {
        rodX = Math.min(rodX, x);
        rodBottom = Math.max(rodBottom, end);
      }
      for (let k = y; k <= end; k++)
        if (hit[k * w + x] && (rod || k < edgeRows || k >= h - edgeRows)) keep[k * w + x] = 1;
      y = end + 1;
    }
  }
  const out = new Uint8Array(g.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (keep[y * w + x])
        for (let k = Math.max(0, x - grow); k <= Math.min(w - 1, x + grow); k++) out[y * w + k] = 1;
  return { mask: out, rodX, rodBottom };
}

/**
 * Edge evidence per pixel (face on the right): how much darker the air just outside is than the
 * tissue just inside, mean of 3 px each side, clipped at `clip` so a bone edge is no stronger
 * evidence than a skin edge; 0 inside skipped objects and at the film's outer columns.
 */
function edgeEvidence(g: Float32Array, w: number, h: number, skip: Uint8Array, clip: number): Float32Array {
  const e = new Float32Array(g.length);
  const margin = Math.max(4, Math.round(w * 0.015));
  // outward directions: along the row and the two diagonals (a sloping dorsum or chin shows its
  // step across the slope, hardly along the row)
  const dirs: [number, number][] = [
    [1, 0],
    [1, 1],
    [1, -1],
  ];
  for (let y = 3; y < h - 3; y++)
    for (let x = 4; x < w - margin; x++) {
      const i = y * w + x;
      if (skip[i]) continue;
      let best = 0;
      for (const [dx, dy] of dirs) {
        let inside = 0;
        let outside = 0;
        for (let k = 1; k <= 3; k++) {
          inside += g[i - k * (dy * w + dx)];
          outside += g[i + k * (dy * w + dx)];
        }
        best = Math.max(best, (inside - outside) / 3);
      }
      e[i] = Math.min(clip, best);
    }
  return e;
}

/**
 * The boundary as one path through the rows (dynamic programming): it collects edge evidence,
 * prefers the outermost of equal edges (evidence weighs 1 + out·x, so the skin wins over the bone
 * edges behind it; rows without evidence earn nothing, so the path does not drift into the air) and moves at most `maxStep` px per row with a quadratic cost, so rows
 * without a visible edge (the nasal dorsum on some films) are bridged from their neighbours.
 * Returns the outer edge (x + 1) of the boundary pixel per row.
 */
function tracePath(
  e: Float32Array,
  w: number,
  h: number,
  maxStep: number,
  bend: number,
  out: number,
  limit: (y: number) => number,
): Float64Array {
  let prev = new Float64Array(w);
  const from = new Int32Array(w * h);
  const gain = (i: number, x: number): number =>
    x >= limit(Math.floor(i / w)) ? -1e9 : e[i] * (1 + out * x);
  for (let x = 0; x < w; x++) prev[x] = gain(x, x);
  for (let y = 1; y < h; y++) {
    const cur = new Float64Array(w);
    for (let x = 0; x < w; x++) {
      let best = -Infinity;
      let arg = x;
      for (let k = Math.max(0, x - maxStep); k <= Math.min(w - 1, x + maxStep); k++) {
        const v = prev[k] - bend * (x - k) * (x - k);
        if (v > best) {
          best = v;
          arg = k;
        }
      }
      cur[x] = best + gain(y * w + x, x);
      from[y * w + x] = arg;
    }
    prev = cur;
  }
  let x = 0;
  for (let k = 1; k < w; k++) if (prev[k] > prev[x]) x = k;
  const path = new Float64Array(h);
  for (let y = h - 1; y >= 0; y--) {
    path[y] = x + 1;
    x = from[y * w + x];
  }
  return path;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Gaussian smoothing over rows (NaN rows ignored and kept NaN). */
function gaussRows(v: Float64Array, sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const out = new Float64Array(v.length).fill(NaN);
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i])) continue;
    let s = 0;
    let n = 0;
    for (let k = Math.max(0, i - r); k <= Math.min(v.length - 1, i + r); k++) {
      if (Number.isNaN(v[k])) continue;
      const wgt = Math.exp(-((k - i) ** 2) / (2 * sigma * sigma));
      s += wgt * v[k];
      n += wgt;
    }
    out[i] = s / n;
  }
  return out;
}

/** Find the soft-tissue profile of a film. */
export function segmentProfile(film: RgbaImage, opts: ProfileOptions): ProfileSegmentation {
  if (!(opts.mmPerPx > 0)) throw new Error(`segmentProfile: mmPerPx must be positive (got ${opts.mmPerPx})`);
  const face = opts.face ?? detectFaceSide(film);
  const longSide = opts.workLongSide ?? 600;
  const factor = Math.max(1, Math.round(Math.max(film.width, film.height) / longSide));
  const down = greyDownsample(film, factor);
  const { w, h } = down;
  const mm = opts.mmPerPx * factor; // mm per working pixel
  const px = (millimetres: number): number => Math.max(1, Math.round(millimetres / mm));
  let g = boxBlur(boxBlur(down.g, w, h, px(0.5)), w, h, px(0.5));
  if (face === 'left') g = mirror(g, w, h);
  const dark = otsuLevel(g);
  const rods = rodMask(g, w, h, px(15), 40, dark, px(10), Math.round(h * 0.04), px(8));
  // above the brightest air: the air brightens towards the film's edge, on some films past Otsu
  const strip: number[] = [];
  for (let y = Math.round(h * 0.2); y < Math.round(h * 0.8); y++)
    for (let x = w - Math.max(2, Math.round(w * 0.03)); x < w; x++) strip.push(g[y * w + x]);
  strip.sort((a, b) => a - b);
  const airMax = strip.length > 0 ? strip[Math.floor(strip.length * 0.99)] : 0;
  const foreign = foreignObjects(g, w, h, Math.max(dark, airMax + 10), px(6));
  const skip = rods.mask.map((v, i) => v | foreign[i]);
  const limit = (y: number): number => (y <= rods.rodBottom ? rods.rodX - px(2) : w);
  // the film's own edge scale: evidence is clipped at half the median strong step (first pass at 8)
  const first = tracePath(edgeEvidence(g, w, h, skip, 8), w, h, px(3), 0.05, 0.004, limit);
  const steps: number[] = [];
  for (let y = 0; y < h; y++) {
    const x = Math.round(first[y]) - 1;
    if (x >= 3 && x < w - 3)
      steps.push((g[y * w + x - 2] + g[y * w + x - 1]) / 2 - (g[y * w + x + 1] + g[y * w + x + 2]) / 2);
  }
  const contrast = steps.length > 0 ? Math.min(20, Math.max(4, 0.5 * median(steps))) : 8;
  const edge = tracePath(
    edgeEvidence(g, w, h, skip, contrast),
    w,
    h,
    px(3),
    0.05 * (contrast / 8),
    0.004,
    limit,
  );
  // above the face the forehead and the skull slope back; below it the neck does not come forward
  // fast: a path that runs out to a rod or a marker there is pulled back (slope at most 0.6)
  const top = Math.floor(h * 0.35);
  for (let y = top - 1; y >= 0; y--) edge[y] = Math.min(edge[y], edge[y + 1] + 0.6);
  for (let y = Math.ceil(h * 0.9); y < h; y++) edge[y] = Math.min(edge[y], edge[y - 1] + 0.6);
  const cleaned = gaussRows(edge, 1 / mm);
  let found = 0;
  for (const v of cleaned) if (!Number.isNaN(v)) found++;
  return {
    face,
    width: film.width,
    height: film.height,
    factor,
    workWidth: w,
    workHeight: h,
    depth: cleaned,
    contrast,
    coverage: h > 0 ? found / h : 0,
  };
}

/** The boundary's depth (from the back border) in an image of outWidth × outHeight px at row centre y. */
function depthAt(seg: ProfileSegmentation, outWidth: number, outHeight: number, yOut: number): number {
  // continuous coordinates: working row centre i + 0.5 <-> film (i + 0.5) * factor
  const yFilm = ((yOut + 0.5) * seg.height) / outHeight;
  const yWork = yFilm / seg.factor - 0.5;
  const i0 = Math.floor(yWork);
  const t = yWork - i0;
  const at = (i: number): number => seg.depth[Math.min(seg.workHeight - 1, Math.max(0, i))];
  const a = at(i0);
  const b = at(i0 + 1);
  let d: number;
  if (Number.isNaN(a) && Number.isNaN(b)) return NaN;
  else if (Number.isNaN(a)) d = t >= 0.5 ? b : NaN;
  else if (Number.isNaN(b)) d = t < 0.5 ? a : NaN;
  else d = a + t * (b - a);
  return (d * seg.factor * outWidth) / seg.width;
}

export interface SilhouetteStyle {
  /** Grey level at the boundary and deep inside (the shading rises from edge to inner). */
  edge: number;
  inner: number;
  /** Depth in mm over which the shading rises (1 - e^-1 of the way). */
  shadeMm: number;
  /** Background grey level. */
  background: number;
}

export const DEFAULT_SILHOUETTE_STYLE: SilhouetteStyle = { edge: 150, inner: 225, shadeMm: 8, background: 0 };

/**
 * The silhouette at outWidth × outHeight (the film's frame scaled; keep its aspect ratio for an
 * undistorted face): filled behind the boundary, anti-aliased across it, shaded by the distance
 * from the boundary along the row only — nothing inside depends on the film's bone.
 */
export function renderSilhouette(
  seg: ProfileSegmentation,
  outWidth: number,
  outHeight: number,
  mmPerPx: number,
  style: SilhouetteStyle = DEFAULT_SILHOUETTE_STYLE,
): RgbaImage {
  const data = new Uint8ClampedArray(outWidth * outHeight * 4);
  const mmPerOut = (mmPerPx * seg.width) / outWidth;
  for (let y = 0; y < outHeight; y++) {
    const b = depthAt(seg, outWidth, outHeight, y);
    for (let x = 0; x < outWidth; x++) {
      const o = (y * outWidth + x) * 4;
      let v = style.background;
      if (!Number.isNaN(b)) {
        const xb = seg.face === 'right' ? x : outWidth - 1 - x; // pixel index from the back border
        const cover = Math.min(1, Math.max(0, b - xb)); // share of the pixel behind the boundary
        if (cover > 0) {
          const dMm = Math.max(0, b - (xb + 0.5)) * mmPerOut;
          const shade = style.inner - (style.inner - style.edge) * Math.exp(-dMm / style.shadeMm);
          v = style.background + cover * (shade - style.background);
        }
      }
      const g = Math.round(v);
      data[o] = g;
      data[o + 1] = g;
      data[o + 2] = g;
      data[o + 3] = 255;
    }
  }
  return { width: outWidth, height: outHeight, data };
}

/**
 * Signed distance in mm of a film point from the profile along its row: negative inside the
 * silhouette (behind the boundary), positive in the air, NaN on a row without tissue.
 */
export function profileDistanceMm(seg: ProfileSegmentation, p: Point, mmPerPx: number): number {
  const b = depthAt(seg, seg.width, seg.height, Math.floor(p[1]));
  if (Number.isNaN(b)) return NaN;
  const fromBack = seg.face === 'right' ? p[0] : seg.width - p[0];
  return (fromBack - b) * mmPerPx;
}
