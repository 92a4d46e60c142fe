/**
 * The head's soft-tissue silhouette in pixels, shared by the X-ray (soft-tissue density) and the
 * photo (skin): its coverage and a blurred copy that stands for the head's thickness across the
 * beam / its roundness under the light. Computed once per case.
 */
import type { Anatomy } from './anatomy';
import { affineScale, mapPath, type Affine } from './geometry';
import { blur, rasterize, scratchPlane, type Plane } from './raster';

export interface HeadMask {
  /** Anti-aliased coverage of the head outline, 0..1. */
  coverage: Plane;
  /** Coverage blurred by 8 mm: ~1 deep inside the head, falling off towards the skin. */
  thickness: Plane;
}

/** The head mask of an anatomy (reusable buffers: valid until the next call). */
export function headMask(anat: Anatomy, toPx: Affine, w: number, h: number): HeadMask {
  const coverage = scratchPlane('mask.coverage', w, h);
  rasterize([mapPath(toPx, anat.head)], w, h, (i, c) => (coverage.data[i] = c));
  const thickness = scratchPlane('mask.thickness', w, h);
  thickness.data.set(coverage.data);
  blur(thickness, 8 * affineScale(toPx));
  return { coverage, thickness };
}
