/** Shared fixtures of the import.* tests (fast-png decoder, generated cases and folders). */
import 'fake-indexeddb/auto';
import { zipSync } from 'fflate';
import { expect } from 'vitest';
import type { RgbaImage } from '../../src/core/image';
import { decodeImageNode, encodePngNode } from '../../src/core/io/decodeNode';
import { writeIsbiText } from '../../src/core/io/landmarks';
import { buildFileIndex, type ImportInput } from '../../src/engine/import/fileIndex';
import { planImport, runImport } from '../../src/engine/import/importDataset';
import type { ImageDecoder } from '../../src/engine/import/readCases';
import { type DatasetManifest, listCases } from '../../src/store/datasets';
import { openStudioStorage, type StudioStorage } from '../../src/store/storage';

export const open = () => openStudioStorage({ prefix: `imp-${globalThis.crypto.randomUUID()}` });

export const decode: ImageDecoder = async (blob, file) => {
  const r = decodeImageNode(new Uint8Array(await blob.arrayBuffer()), file);
  if (!r.ok) throw new Error(r.problem.message);
  return r.image;
};

/** A small test image: a gradient with a bright block whose position depends on k. */
export function image(k: number, w = 64, h = 48, grey = false): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const inBlock =
        x >= 8 + (k % 5) * 6 && x < 20 + (k % 5) * 6 && y >= 10 + (k % 3) * 8 && y < 22 + (k % 3) * 8;
      const v = inBlock ? 230 : 40 + ((x * 3 + y * 2 + k * 17) % 120);
      data[i] = v;
      data[i + 1] = grey ? v : (v * 0.8) | 0;
      data[i + 2] = grey ? v : (v * 0.6) | 0;
      data[i + 3] = 255;
    }
  return { width: w, height: h, data };
}

export const pts = (k: number) =>
  Array.from({ length: 19 }, (_, i) => [5 + i * 3 + k, 4 + i * 2] as [number, number]);

export function png(img: RgbaImage): Uint8Array<ArrayBuffer> {
  return encodePngNode(img) as Uint8Array<ArrayBuffer>;
}

/** PNG bytes claiming 9000 px width in the header (the import must refuse it before decoding). */
export function hugePngHeader(): Uint8Array<ArrayBuffer> {
  const b = png(image(0, 8, 8)).slice();
  new DataView(b.buffer).setUint32(16, 9000);
  return b;
}

export function folderInputs(n: number): ImportInput[] {
  const inputs: ImportInput[] = [];
  for (let k = 1; k <= n; k++) {
    const id = String(k).padStart(3, '0');
    inputs.push({ path: `ceph/photo/${id}.png`, blob: new Blob([png(image(k))]) });
    inputs.push({ path: `ceph/xray/${id}.png`, blob: new Blob([png(image(k + 100, 64, 48, true))]) });
    inputs.push({ path: `ceph/landmarks/${id}.txt`, blob: new Blob([writeIsbiText(pts(k))]) });
  }
  return inputs;
}

export function manifestOk(m: DatasetManifest | undefined): void {
  expect(m).toBeDefined();
  expect(m!.meta.caseCount).toBe(m!.caseIds.length);
}

export async function manifest(storage: StudioStorage, id: string): Promise<DatasetManifest | undefined> {
  return storage.datasets.get<DatasetManifest>(`manifest/${id}`);
}

/** Cases `from`..`to` as a ZIP named `name` (photo/, xray/, ISBI landmarks), like a clinic's second batch. */
export function zipInputs(name: string, from: number, to: number): ImportInput[] {
  const files: Record<string, Uint8Array> = {};
  for (let k = from; k <= to; k++) {
    const id = String(k).padStart(3, '0');
    files[`batch/photo/${id}.png`] = png(image(k));
    files[`batch/xray/${id}.png`] = png(image(k + 100, 64, 48, true));
    files[`batch/landmarks/${id}.txt`] = new TextEncoder().encode(writeIsbiText(pts(k)));
  }
  return [{ path: name, blob: new Blob([zipSync(files)]) }];
}

/** A dataset of cases 001-012 imported with seed 7, and its manifest and records before any add. */
export async function baseDataset(storage: StudioStorage, id: string) {
  const index = await buildFileIndex(folderInputs(12));
  await runImport(
    index,
    planImport(index),
    { name: 'clinic', splitSeed: 7 },
    { storage, decode, datasetId: id },
  );
  const before = (await manifest(storage, id))!;
  const records = (await listCases(storage.datasets, id, { limit: 100 })).cases;
  return { before, records };
}
