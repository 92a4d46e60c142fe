/**
 * The Evaluate view's grid: checkpoint evaluations A and/or B (their grid images and per-case L1)
 * -> one RgbaImage via core/eval/grid.ts; and the audit flags of a dataset's cases as a map.
 */
import { ISBI_LANDMARKS } from '../../core/data/landmarkSet';
import { renderGrid, type GridLandmarkOptions } from '../../core/eval/grid';
import type { RgbaImage } from '../../core/image';
import type { CheckpointEvaluation } from '../../engine/evaluation';

/** Landmark symbols for `n` points: the dataset's, else the ISBI ones for 19, else 1..n. */
export function symbolsFor(n: number, datasetSymbols?: readonly string[] | null): string[] {
  if (datasetSymbols && datasetSymbols.length === n) return [...datasetSymbols];
  if (n === ISBI_LANDMARKS.length) return ISBI_LANDMARKS.map((l) => l.id);
  return Array.from({ length: n }, (_, i) => String(i + 1));
}

/**
 * The grid of the fixed cases of A (or B when A is absent); B's predictions side by side. Cases
 * with landmarks get them on the X-ray and prediction tiles (`landmarks.show`, default true).
 */
export function gridOf(
  a: CheckpointEvaluation | null,
  b: CheckpointEvaluation | null,
  labelOf: (ev: CheckpointEvaluation) => string,
  runName: string,
  landmarks: GridLandmarkOptions = {},
): RgbaImage | null {
  const base = a ?? b;
  if (!base || base.grid.length === 0) return null;
  const models = [a, b]
    .filter((x): x is CheckpointEvaluation => x !== null)
    .map((ev, i) => {
      const preds = new Map(ev.grid.map((g) => [g.id, g.prediction]));
      const l1 = new Map(ev.cases.map((c) => [c.id, c.l1_01]));
      return {
        label: `${String.fromCharCode(65 + i)}: ${labelOf(ev)}`,
        predictions: base.grid.map((g) => preds.get(g.id) ?? null),
        l1_01: base.grid.map((g) => l1.get(g.id) ?? null),
      };
    });
  const n = Math.max(0, ...base.grid.map((g) => g.landmarks?.length ?? 0));
  return renderGrid({
    cases: base.grid.map((g) => ({ id: g.id, photo: g.photo, xray: g.xray, landmarks: g.landmarks })),
    landmarks: { ...landmarks, symbols: symbolsFor(n, landmarks.symbols) },
    models,
    title: `viz_grid_${base.grid.length} - ${runName} - ${base.grid.length} fixed cases`,
  });
}

/** Case id -> audit flag codes. */
export function flagsByCase(
  cases: readonly { id: string; flags: readonly { code: string }[] }[],
): ReadonlyMap<string, string[]> {
  return new Map(cases.map((c) => [c.id, c.flags.map((f) => f.code)]));
}
