/**
 * The demo dataset for the engine: the core's phantom generator (core/data/phantom), square at
 * the training size, 80 % train / 20 % val. Loaded on demand (dynamic import from the engine) so
 * a run on a stored dataset never pays for it.
 */
import { generatePhantomDataset } from '../core/data/phantom';
import { demoValCount, type SourceCase } from './datasetIds';

export async function loadDemoCases(
  n: number,
  seed: number,
  size: number,
): Promise<{ cases: SourceCase[]; evalCaseIds?: string[] }> {
  const ds = generatePhantomDataset({ n, seed, width: size, height: size, valCount: demoValCount(n) });
  const cases: SourceCase[] = ds.cases.map((c) => ({
    id: c.id,
    split: c.split,
    photo: c.photo,
    xray: c.xray,
    landmarks: c.landmarks,
    // the phantom's film at one scale (0.1 mm/px film letterboxed to the size): mm per generated px
    pixelSpacingMm: { x: ds.mmPerPx, y: ds.mmPerPx },
  }));
  return { cases };
}
