/// <reference types="vite/client" />
/**
 * The demo dataset for the engine: the core's phantom generator (core/data/phantom), square at
 * the training size, 80 % train / 20 % val. Loaded on demand so a stored dataset never pays for it.
 *
 * The generator is found with `import.meta.glob` (Vite and vitest): a build without
 * core/data/phantom still works and says so (`engine.dataset.demoMissing`) when the demo is asked for.
 */
import type { Point, RgbaImage } from '../core/image';
import { demoValCount, type SourceCase } from './engineCore';
import { trainMessage, TrainError } from './trainMessages';

/** What the engine uses of core/data/phantom. */
interface PhantomModule {
  generatePhantomDataset(opts: {
    n: number;
    seed: number;
    width: number;
    height: number;
    valCount: number;
  }): {
    cases: {
      id: string;
      split: 'train' | 'val' | 'test';
      photo: RgbaImage;
      xray: RgbaImage;
      landmarks?: Point[] | null;
    }[];
  };
}

const PHANTOM = import.meta.glob<PhantomModule>('../core/data/phantom/index.ts');

export async function loadDemoCases(
  n: number,
  seed: number,
  size: number,
): Promise<{ cases: SourceCase[]; evalCaseIds?: string[] }> {
  const load = Object.values(PHANTOM)[0];
  if (!load) throw new TrainError(trainMessage('engine.dataset.demoMissing'));
  const { generatePhantomDataset } = await load();
  const ds = generatePhantomDataset({ n, seed, width: size, height: size, valCount: demoValCount(n) });
  const cases: SourceCase[] = ds.cases.map((c) => ({
    id: c.id,
    split: c.split,
    photo: c.photo,
    xray: c.xray,
    landmarks: c.landmarks ?? null,
  }));
  return { cases };
}
