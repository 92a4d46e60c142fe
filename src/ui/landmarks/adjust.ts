/**
 * Image adjustments of the landmark viewer as one 256-entry lookup table (grey levels in, grey
 * levels out), applied to the pixels of the shown image: invert, then gamma, contrast and
 * brightness. Pure functions (unit-testable, no DOM).
 */

export interface Adjustments {
  /** −100 … 100 (% of the grey range added). */
  brightness: number;
  /** −100 … 100 (% change of the slope around mid-grey). */
  contrast: number;
  /** 0.2 … 5; > 1 brightens the dark tones (v^(1/γ)). */
  gamma: number;
  invert: boolean;
}

export const NEUTRAL: Adjustments = { brightness: 0, contrast: 0, gamma: 1, invert: false };

export function isNeutral(a: Adjustments): boolean {
  return a.brightness === 0 && a.contrast === 0 && a.gamma === 1 && !a.invert;
}

export function adjustmentLut(a: Adjustments): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256);
  const slope = 1 + a.contrast / 100;
  const g = a.gamma > 0 ? 1 / a.gamma : 1;
  for (let i = 0; i < 256; i++) {
    let v = i / 255;
    if (a.invert) v = 1 - v;
    v = Math.pow(v, g);
    v = (v - 0.5) * slope + 0.5 + a.brightness / 100;
    lut[i] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  return lut;
}

/** `src` through the table into `dst` (same size; alpha kept). */
export function applyLut(
  src: ImageData | { data: Uint8ClampedArray },
  dst: { data: Uint8ClampedArray },
  lut: Uint8ClampedArray,
): void {
  const s = src.data;
  const d = dst.data;
  for (let i = 0; i < s.length; i += 4) {
    d[i] = lut[s[i]];
    d[i + 1] = lut[s[i + 1]];
    d[i + 2] = lut[s[i + 2]];
    d[i + 3] = s[i + 3];
  }
}
