/**
 * Browser image decoding with exact pixel values, in a Worker or the page: `createImageBitmap`
 * with `colorSpaceConversion: 'none'` (no ICC / gamma conversion) and `premultiplyAlpha: 'none'`,
 * drawn 1:1 onto an OffscreenCanvas and read back as RGBA. EXIF orientation is applied
 * (the browser's default `imageOrientation: 'from-image'`), so the pixels are the image as every
 * viewer shows it, and the same in the import, the dataset browser and training.
 */
import type { RgbaImage } from '../../core/image';

export function canDecodeHere(): boolean {
  return typeof createImageBitmap === 'function' && typeof OffscreenCanvas !== 'undefined';
}

/** Decode a PNG/JPEG/BMP/WebP Blob to 8-bit RGBA. Throws with the browser's reason on failure. */
export async function decodeImageBlob(blob: Blob): Promise<RgbaImage> {
  if (!canDecodeHere())
    throw new Error('this browser cannot decode images off the page (no createImageBitmap/OffscreenCanvas)');
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(e instanceof Error && e.message ? e.message : 'the browser could not decode it', {
      cause: e,
    });
  }
  try {
    const canvas = new OffscreenCanvas(bmp.width, bmp.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas for decoding');
    ctx.drawImage(bmp, 0, 0);
    const img = ctx.getImageData(0, 0, bmp.width, bmp.height, { colorSpace: 'srgb' });
    return { width: img.width, height: img.height, data: img.data };
  } finally {
    bmp.close();
  }
}
