/** loadDatasetForTraining: preprocessing with the core, landmarks mapped, exclusions, the tensor cache. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  computeTransform,
  preprocessCase,
  toOriginal,
  type PreprocessSpec,
} from '../../src/core/data/preprocess';
import type { Point, RgbaImage } from '../../src/core/image';
import { decodeImageNode, encodePngNode } from '../../src/core/io/decodeNode';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { loadDatasetForTraining, packImage, unpackImage } from '../../src/engine/datasetSource';
import { buildFileIndex, type ImportInput } from '../../src/engine/import/fileIndex';
import { planImport, runImport } from '../../src/engine/import/importDataset';
import { planResplit } from '../../src/core/data/splits';
import { getDataset, listCaseIds, resplitDataset, setCaseExclusion } from '../../src/store/datasets';
import { openStudioStorage } from '../../src/store/storage';
import { listTensorCache } from '../../src/store/tensorCache';

let decodes = 0;
const decode = async (blob: Blob): Promise<RgbaImage> => {
  decodes++;
  const r = decodeImageNode(new Uint8Array(await blob.arrayBuffer()));
  if (!r.ok) throw new Error(r.problem.message);
  return r.image;
};

function image(k: number, w: number, h: number, grey: boolean): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const v = (i * 7 + k * 31) % 256;
    data.set([v, grey ? v : 255 - v, grey ? v : (v * 3) % 256, 255], i * 4);
  }
  return { width: w, height: h, data };
}
const pts = (k: number): Point[] => Array.from({ length: 19 }, (_, i) => [3.5 + i * 2 + k, 2.25 + i]);

const png = (img: RgbaImage) => encodePngNode(img) as Uint8Array<ArrayBuffer>;

const SPEC: PreprocessSpec = { mode: 'letterbox', size: 32, pad: 'constant', padColor: [0, 0, 0], roi: null };

async function importSet(n: number) {
  const storage = await openStudioStorage({ prefix: `src-${globalThis.crypto.randomUUID()}` });
  const inputs: ImportInput[] = [];
  for (let k = 1; k <= n; k++) {
    inputs.push({ path: `d/photo/${k}.png`, blob: new Blob([png(image(k, 50, 40, false))]) });
    inputs.push({ path: `d/xray/${k}.png`, blob: new Blob([png(image(k + 9, 50, 40, true))]) });
    inputs.push({ path: `d/xray/${k}.txt`, blob: new Blob([writeIsbiText(pts(k))]) });
  }
  inputs.push({ path: `d/photo/lonely.png`, blob: new Blob([png(image(99, 50, 40, false))]) });
  const index = await buildFileIndex(inputs);
  const out = await runImport(
    index,
    planImport(index),
    { name: 'd', splitSeed: 3 },
    { storage, decode, datasetId: 'ds-src' },
  );
  expect(out.usable).toBe(n);
  return storage;
}

describe('loadDatasetForTraining', () => {
  it('returns preprocessed usable cases with mapped landmarks, skips excluded and unpaired cases, fills and uses the cache', async () => {
    const storage = await importSet(10);
    const before = await getDataset(storage.datasets, 'ds-src');
    expect(before!.evalList.ids.length).toBeGreaterThan(0);
    // exclude a case that is neither case 1 nor in the evaluation list
    const victim = ['2', '3', '4', '5', '6'].find((id) => !before!.evalList.ids.includes(id))!;
    await setCaseExclusion(storage.datasets, 'ds-src', victim, true, 'motion blur');
    decodes = 0;
    const first = await loadDatasetForTraining(storage, 'ds-src', SPEC, { decode });
    const all = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
    expect(first.cases.map((c) => c.id).sort()).toEqual(all.filter((id) => id !== victim).sort());
    expect(first.skipped).toEqual([{ id: 'lonely', reason: 'case lonely is skipped: it has no X-ray' }]);
    expect(decodes).toBe(18);
    const c1 = first.cases.find((c) => c.id === '1')!;
    expect([c1.photo.width, c1.photo.height, c1.xray.width, c1.xray.height]).toEqual([32, 32, 32, 32]);
    // identical to the core's preprocessing of the originals
    const ref = preprocessCase(image(1, 50, 40, false), image(10, 50, 40, true), pts(1), SPEC);
    expect(Buffer.compare(Buffer.from(c1.xray.data), Buffer.from(ref.xray.data))).toBe(0);
    expect(Buffer.compare(Buffer.from(c1.photo.data), Buffer.from(ref.photo.data))).toBe(0);
    // landmarks: 50x40 letterboxed into 32: scale 0.64, offsetY round((32 - 25.6) / 2) = 3
    expect(c1.landmarks![0][0]).toBeCloseTo(3.5 * 0.64 + 0 + 0.64, 10);
    expect(c1.landmarks![0][1]).toBeCloseTo(2.25 * 0.64 + 3, 10);
    const t = computeTransform(50, 40, SPEC);
    c1.landmarks!.forEach((p, i) => {
      const back = toOriginal(t, p);
      expect(Math.abs(back[0] - pts(1)[i][0])).toBeLessThan(1e-9);
      expect(Math.abs(back[1] - pts(1)[i][1])).toBeLessThan(1e-9);
    });
    // the evaluation list: the stored one, restricted to loaded val cases
    const meta = await getDataset(storage.datasets, 'ds-src');
    const valLoaded = first.cases.filter((c) => c.split === 'val').map((c) => c.id);
    expect(first.evalList).toEqual(meta!.evalList.ids.filter((id) => valLoaded.includes(id)));
    expect(first.evalList.length).toBeGreaterThan(0);

    // second load: everything from the cache, nothing decoded, same pixels
    decodes = 0;
    const progress: number[] = [];
    const second = await loadDatasetForTraining(storage, 'ds-src', SPEC, {
      decode,
      onProgress: (p) => progress.push(p.fromCache),
    });
    expect(decodes).toBe(0);
    expect(progress.at(-1)).toBe(9);
    const s1 = second.cases.find((c) => c.id === '1')!;
    expect(Buffer.compare(Buffer.from(s1.xray.data), Buffer.from(c1.xray.data))).toBe(0);
    expect(Buffer.compare(Buffer.from(s1.photo.data), Buffer.from(c1.photo.data))).toBe(0);
    expect(s1.landmarks).toEqual(c1.landmarks);
    // grey X-rays are cached with one channel, photos with three: 9 * 32 * 32 * (1 + 3) bytes
    const [variant] = await listTensorCache(storage.tensors, 'ds-src');
    expect(variant.bytes).toBe(9 * 32 * 32 * 4);

    // another spec is another cache entry (decodes again), and only the chosen splits load
    decodes = 0;
    const stretched = await loadDatasetForTraining(
      storage,
      'ds-src',
      { ...SPEC, mode: 'stretch' },
      { decode, splits: ['train'] },
    );
    expect(stretched.cases.every((c) => c.split === 'train')).toBe(true);
    expect(decodes).toBe(2 * stretched.cases.length);
    expect(stretched.evalList).toEqual([]);
  });

  it('keeps evaluation-list cases that a re-split moved to test in the grid (loaded with train + val)', async () => {
    const storage = await importSet(10);
    // find a re-split seed that deals a listed case into test (deterministic: the first such seed)
    const before = await getDataset(storage.datasets, 'ds-src');
    const all = await loadDatasetForTraining(storage, 'ds-src', SPEC, { decode, keepImages: false });
    const cases = (await listCaseIds(storage.datasets, 'ds-src')).map((id) => ({
      id,
      split: 'train' as const,
      paired: id !== 'lonely',
    }));
    expect(all.skipped).toHaveLength(1);
    const ratios = { train: 0.6, val: 0.2, test: 0.2 };
    const seed = Array.from({ length: 200 }, (_, i) => i + 1).find(
      (sd) => planResplit(cases, before!.evalList, { seed: sd, ratios }).evalInTest.length > 0,
    );
    expect(seed).toBeDefined();
    const r = await resplitDataset(storage.datasets, 'ds-src', { seed: seed!, ratios });
    const inTest = r.evalInTest;
    expect(inTest.length).toBeGreaterThan(0);
    const meta = await getDataset(storage.datasets, 'ds-src');
    const loaded = await loadDatasetForTraining(storage, 'ds-src', SPEC, {
      decode,
      splits: ['train', 'val'],
    });
    // the listed test case is delivered (as test: not trained on, not in the val metrics) and stays listed
    const got = loaded.cases.find((c) => c.id === inTest[0]);
    expect(got?.split).toBe('test');
    expect(loaded.evalList).toContain(inTest[0]);
    expect(loaded.evalList).toEqual(meta!.evalList.ids);
    // unlisted test cases are not read
    const testIds = loaded.cases.filter((c) => c.split === 'test').map((c) => c.id);
    expect(testIds.every((id) => meta!.evalList.ids.includes(id))).toBe(true);
  });

  it('rejects an invalid spec and a missing dataset with a clear message', async () => {
    const storage = await openStudioStorage({ prefix: `src-${globalThis.crypto.randomUUID()}` });
    await expect(loadDatasetForTraining(storage, 'nope', SPEC, { decode })).rejects.toThrow(
      /dataset nope does not exist/,
    );
    await expect(
      loadDatasetForTraining(storage, 'nope', { ...SPEC, mode: 'roi' }, { decode }),
    ).rejects.toThrow(/needs a crop box/);
  });

  it('packs grey images to one channel and colour to three, losslessly', () => {
    const g = image(1, 5, 3, true);
    const c = image(2, 5, 3, false);
    expect(packImage(g).channels).toBe(1);
    expect(packImage(c).channels).toBe(3);
    expect(unpackImage(packImage(g)).data).toEqual(g.data);
    expect(unpackImage(packImage(c)).data).toEqual(c.data);
  });
});
