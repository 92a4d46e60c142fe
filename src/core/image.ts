/**
 * The one raster type of the core: 8-bit RGBA, row-major, like the DOM's ImageData,
 * so the page can wrap it in ImageData without a copy and Node can encode it with fast-png.
 * X-rays are stored grey (R = G = B).
 */
export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA. */
  data: Uint8ClampedArray;
}

/** A landmark in pixel coordinates of the image it belongs to (x right, y down, pixel centres at +0.5). */
export type Point = [x: number, y: number];

export function createImage(
  width: number,
  height: number,
  fill: [number, number, number, number] = [0, 0, 0, 255],
): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = fill[0];
    data[i + 1] = fill[1];
    data[i + 2] = fill[2];
    data[i + 3] = fill[3];
  }
  return { width, height, data };
}
