/**
 * Thumbnails and case images for the dataset browser, decoded by the browser from the stored
 * originals (createImageBitmap decodes off the page's thread and scales while decoding). At most
 * four decodes run at a time; recent bitmaps are kept (least recently used are closed), so
 * scrolling back is instant and memory stays bounded. Aligned cases are cropped to their halves.
 */
import type { ImageSize } from '../../core/data/dataset';

export type ImageRole = 'photo' | 'xray';

/** Where a case's image Blob comes from (the store, or the in-memory demo). */
export type BlobSource = (caseId: string, role: 'photo' | 'xray' | 'aligned') => Promise<Blob | undefined>;

export interface ThumbCase {
  id: string;
  aligned: boolean;
  photoSize: ImageSize | null;
  xraySize: ImageSize | null;
}

const MAX_CACHED = 400;
const MAX_ACTIVE = 4;
const cache = new Map<string, Promise<ImageBitmap | null>>();
let active = 0;
const waiting: (() => void)[] = [];

async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (active >= MAX_ACTIVE) await new Promise<void>((ok) => waiting.push(ok));
  active++;
  try {
    return await fn();
  } finally {
    active--;
    waiting.shift()?.();
  }
}

function remember(key: string, p: Promise<ImageBitmap | null>): void {
  cache.set(key, p);
  while (cache.size > MAX_CACHED) {
    const [oldKey, old] = cache.entries().next().value as [string, Promise<ImageBitmap | null>];
    cache.delete(oldKey);
    void old.then((b) => b?.close());
  }
}

/** Fit w × h into a box of maxSide, keeping the aspect ratio (never upscaled). */
export function fitSize(w: number, h: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(w, h));
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

/**
 * A bitmap of a case's photo or X-ray, at most maxSide px on its longer side (null when the case
 * has no such image or it does not decode). `scope` separates datasets in the cache.
 */
export function caseBitmap(
  scope: string,
  c: ThumbCase,
  role: ImageRole,
  maxSide: number,
  source: BlobSource,
): Promise<ImageBitmap | null> {
  const key = `${scope}/${c.id}/${role}/${maxSide}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const size = role === 'photo' ? c.photoSize : c.xraySize;
  if (!size) return Promise.resolve(null);
  const p = slot(async () => {
    const fit = fitSize(size.width, size.height, maxSide);
    const opts: ImageBitmapOptions = {
      colorSpaceConversion: 'none',
      resizeWidth: fit.width,
      resizeHeight: fit.height,
      resizeQuality: 'medium',
    };
    try {
      if (c.aligned) {
        const blob = await source(c.id, 'aligned');
        if (!blob || !c.photoSize) return null;
        // photo = columns [0, w2), X-ray = [w2, w): the server's AlignedDataset split
        const x0 = role === 'photo' ? 0 : c.photoSize.width;
        return await createImageBitmap(blob, x0, 0, size.width, size.height, opts);
      }
      const blob = await source(c.id, role);
      if (!blob) return null;
      return await createImageBitmap(blob, opts);
    } catch {
      return null;
    }
  });
  remember(key, p);
  return p;
}

/** Forget every bitmap of a scope (a deleted dataset). */
export function forgetScope(scope: string): void {
  for (const [k, p] of [...cache.entries()]) {
    if (k.startsWith(`${scope}/`)) {
      cache.delete(k);
      void p.then((b) => b?.close());
    }
  }
}
