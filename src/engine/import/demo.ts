/**
 * The built-in demo phantom as a read-only dataset view for the Data section: the phantom's cases
 * encoded as PNG Blobs (lossless, so the browser shows exactly the pixels the engine trains on),
 * audited like an import (per case, then the whole set), with the records and a summary shaped
 * like a stored dataset's. Nothing is written to storage. Framework-free: the encoder is injected
 * (OffscreenCanvas in the import worker, fast-png in Node).
 */
import { auditCase, auditDataset } from '../../core/data/audit';
import type { CaseRecord, CaseSplit } from '../../core/data/dataset';
import { createDatasetMeta, landmarkSetInfo } from '../../core/data/dataset';
import { ISBI_SET } from '../../core/data/landmarkSet';
import { chooseEvalList } from '../../core/data/splits';
import type { Point, RgbaImage } from '../../core/image';
import type { DatasetSummary, StoredCase } from '../../store/datasets';

/** The id the Data section uses for the demo's view (never a stored dataset's: those start with `ds`). */
export const DEMO_VIEW_ID = 'demo-phantom';

export interface PhantomCaseLike {
  id: string;
  split: CaseSplit;
  photo: RgbaImage;
  xray: RgbaImage;
  landmarks?: Point[] | null;
}

export interface DemoView {
  summary: DatasetSummary;
  cases: StoredCase[];
  blobs: Record<string, { photo: Blob; xray: Blob }>;
}

export async function buildDemoView(
  phantom: readonly PhantomCaseLike[],
  opts: {
    name: string;
    seed: number;
    /** Pixel spacing of the phantom images, mm/px. */
    mmPerPx: number;
    encode: (img: RgbaImage) => Promise<Blob>;
    onProgress?: (done: number, total: number) => void;
    now?: Date;
  },
): Promise<DemoView> {
  const features = [];
  const blobs: DemoView['blobs'] = {};
  const cases: StoredCase[] = [];
  let bytes = 0;
  for (const c of phantom) {
    const f = auditCase({
      id: c.id,
      photo: c.photo,
      xray: c.xray,
      photoFile: `photo/${c.id}.png`,
      xrayFile: `xray/${c.id}.png`,
      landmarks: c.landmarks ?? null,
    });
    features.push(f);
    const photo = await opts.encode(c.photo);
    const xray = await opts.encode(c.xray);
    blobs[c.id] = { photo, xray };
    bytes += photo.size + xray.size;
    const record: CaseRecord = {
      id: c.id,
      split: c.split,
      source: { photoPath: `photo/${c.id}.png`, xrayPath: `xray/${c.id}.png` },
      photoSize: { width: c.photo.width, height: c.photo.height },
      xraySize: { width: c.xray.width, height: c.xray.height },
      landmarks: c.landmarks ?? null,
      phash: { ...(f.photo ? { photo: f.photo.phash } : {}), ...(f.xray ? { xray: f.xray.phash } : {}) },
      flags: f.flags,
      state: { excluded: false },
    };
    cases.push({
      datasetId: DEMO_VIEW_ID,
      record,
      images: {
        photo: { fileName: record.source.photoPath!, mime: 'image/png', bytes: photo.size },
        xray: { fileName: record.source.xrayPath!, mime: 'image/png', bytes: xray.size },
      },
    });
    opts.onProgress?.(cases.length, phantom.length);
  }
  const audit = auditDataset(features);
  for (const c of cases) c.record.flags = audit.byCase[c.record.id] ?? c.record.flags;
  const now = opts.now ?? new Date();
  const valIds = cases.filter((c) => c.record.split === 'val').map((c) => c.record.id);
  const meta = createDatasetMeta({
    id: DEMO_VIEW_ID,
    name: opts.name,
    layout: 'folders',
    evalList: chooseEvalList(valIds, opts.seed, Math.max(20, valIds.length), now),
    caseCount: cases.length,
    landmarkSet: landmarkSetInfo(ISBI_SET),
    landmarkFormat: null,
    splitSeed: opts.seed,
    mmPerPx: opts.mmPerPx,
    splitsFromFolders: true,
    createdAt: now.toISOString(),
  });
  return { summary: { ...meta, updatedAt: meta.createdAt, bytesOnDisk: bytes }, cases, blobs };
}
