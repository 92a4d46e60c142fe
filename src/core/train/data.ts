/**
 * Training data as tensors: the `DataSource` the trainer draws batches from, an in-memory
 * implementation over RGBA photo/xray pairs already at the training size, and the server's
 * augmentation (random jitter crop + horizontal flip) applied identically to photo, xray and
 * landmarks.
 *
 * Pixel scale: the server's `ToTensor` + `Normalize(0.5, 0.5)`: value / 127.5 - 1, in [-1, 1].
 * Layout: NHWC float32.
 *
 * Landmark convention: continuous pixel coordinates of the core (`image.ts`): x right, y down,
 * pixel i covers [i, i+1) and its centre is i + 0.5. Under that convention a horizontal flip of a
 * W-wide image maps x -> W - x (the centre of pixel i, i + 0.5, goes to W - 1 - i + 0.5), and the
 * jitter resize by s = L / size maps x -> x * s (half-pixel-centre resampling), then the crop
 * subtracts the crop offset.
 */
import * as tf from '@tensorflow/tfjs';
import type { Point, RgbaImage } from '../image';
import type { Rng } from '../rng';

export interface TrainingBatch {
  /** [B, size, size, input_nc] in [-1, 1]. */
  photo: tf.Tensor4D;
  /** [B, size, size, output_nc] in [-1, 1]. */
  xray: tf.Tensor4D;
  /** Landmarks per batch element, transformed like the images (continuous pixel coordinates). */
  landmarks?: Point[][];
}

export interface AugmentOptions {
  /** Resize to round(size * 286 / 256), then random crop back to size (server resize_and_crop). */
  jitter: boolean;
  /** Random horizontal flip with probability 0.5 (server default unless `--no_flip`). */
  flip: boolean;
}

/**
 * Where the trainer gets its batches from. `batch` returns NEW tensors that the caller disposes;
 * the source keeps (and disposes in `dispose()`) whatever it caches.
 */
export interface DataSource {
  /** Square training size in px. */
  readonly size: number;
  /** Number of training cases; batch indices run over 0..trainCount-1. */
  readonly trainCount: number;
  /** True when every case carries landmarks. */
  readonly hasLandmarks: boolean;
  /**
   * A batch of the given training cases. Random decisions (crop offset, flip) are drawn from `rng`
   * per element in index order: jitter x offset, jitter y offset, then flip.
   */
  batch(indices: readonly number[], rng: Rng, augment: AugmentOptions): TrainingBatch;
  dispose(): void;
}

/** One photo/xray pair at the training size (square, size x size). */
export interface ImagePair {
  id?: string;
  photo: RgbaImage;
  xray: RgbaImage;
  /** Landmarks in xray pixel coordinates (continuous, pixel centres at +0.5). */
  landmarks?: Point[];
}

export interface AugmentationDefaults extends AugmentOptions {
  /** Why these defaults, in words a clinician understands. */
  reason: string;
}

/** Size the jitter resizes to before cropping back: the server's 286/256 ratio. */
export function jitterLoadSize(size: number): number {
  return Math.round((size * 286) / 256);
}

/** Augmentation defaults for a dataset: off for landmark data (with the reason), the server's otherwise. */
export function augmentationDefaults(hasLandmarks: boolean): AugmentationDefaults {
  if (hasLandmarks) {
    return {
      jitter: false,
      flip: false,
      reason:
        'Augmentation is off for landmark data: flipping a lateral cephalogram mirrors the anatomy and ' +
        'would teach the model faces looking both ways, and the jitter crop moves landmarks off their ' +
        'measured positions, so landmark errors would no longer be comparable between images.',
    };
  }
  return {
    jitter: true,
    flip: true,
    reason:
      "The server's pix2pix default (resize_and_crop 286 -> 256 and random horizontal flip), which adds " +
      'variety to small datasets. Turn the flip off if every photo faces the same way.',
  };
}

/**
 * RGBA image -> [1, H, W, channels] float32 in [-1, 1] (value / 127.5 - 1). channels 1 takes the
 * red channel (X-rays are stored grey, R = G = B); 3 takes RGB. Caller disposes.
 */
export function imageToTensor(img: RgbaImage, channels: number): tf.Tensor4D {
  if (channels !== 1 && channels !== 3)
    throw new Error(`imageToTensor: channels must be 1 or 3, got ${channels}`);
  const n = img.width * img.height;
  if (img.data.length !== n * 4) {
    throw new Error(
      `imageToTensor: RGBA data has ${img.data.length} bytes, expected ${n * 4} for ${img.width}x${img.height}`,
    );
  }
  const out = new Float32Array(n * channels);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) out[i * channels + c] = d[i * 4 + c] / 127.5 - 1;
  }
  return tf.tensor4d(out, [1, img.height, img.width, channels]);
}

/**
 * [N, H, W, C] in [-1, 1] -> RGBA images: (x + 1) / 2 * 255 rounded to the nearest uint8 (values
 * outside [-1, 1] are clamped first), so an image converted by imageToTensor comes back exactly.
 * (The server's `tensor2im` truncates instead, which can give one grey level less; use the raw
 * float output, e.g. the CLI's `--npy`, for exact comparisons.) C = 1 is written grey (R = G = B).
 * Reads the tensor back asynchronously; does not dispose it.
 */
export async function tensorToImages(t: tf.Tensor4D): Promise<RgbaImage[]> {
  const [n, h, w, c] = t.shape;
  if (c !== 1 && c !== 3) throw new Error(`tensorToImages: expected 1 or 3 channels, got ${c}`);
  const values = await t.data();
  const images: RgbaImage[] = [];
  for (let b = 0; b < n; b++) {
    const data = new Uint8ClampedArray(h * w * 4);
    const base = b * h * w * c;
    for (let i = 0; i < h * w; i++) {
      for (let k = 0; k < 3; k++) {
        const v = values[base + i * c + (c === 1 ? 0 : k)];
        const x = Math.min(1, Math.max(-1, v));
        data[i * 4 + k] = Math.round(((x + 1) / 2) * 255);
      }
      data[i * 4 + 3] = 255;
    }
    images.push({ width: w, height: h, data });
  }
  return images;
}

/** Landmarks after the jitter (scale then crop offset) and flip, see the module comment. */
export function transformLandmarks(
  points: readonly Point[],
  size: number,
  t: { scale: number; offsetX: number; offsetY: number; flip: boolean },
): Point[] {
  return points.map(([x, y]) => {
    let nx = x * t.scale - t.offsetX;
    const ny = y * t.scale - t.offsetY;
    if (t.flip) nx = size - nx;
    return [nx, ny];
  });
}

interface CachedCase {
  photo: tf.Tensor4D;
  xray: tf.Tensor4D;
  photoJitter?: tf.Tensor4D;
  xrayJitter?: tf.Tensor4D;
  landmarks?: Point[];
}

export interface InMemoryDataSourceOptions {
  size: number;
  /** Photo channels (cfg.input_nc), default 3. */
  photoChannels?: number;
  /** X-ray channels (cfg.output_nc), default 3. */
  xrayChannels?: number;
}

/**
 * A DataSource over pairs already at size x size. Each case is converted to tensors once and kept;
 * the jitter-resized copies are made on first use and kept too (the resize is deterministic).
 */
export function createInMemoryDataSource(
  pairs: readonly ImagePair[],
  opts: InMemoryDataSourceOptions,
): DataSource {
  const { size } = opts;
  const photoChannels = opts.photoChannels ?? 3;
  const xrayChannels = opts.xrayChannels ?? 3;
  if (pairs.length === 0) throw new Error('the training set is empty: add at least one photo/xray pair');
  pairs.forEach((p, i) => {
    for (const [role, img] of [
      ['photo', p.photo],
      ['xray', p.xray],
    ] as const) {
      if (img.width !== size || img.height !== size) {
        throw new Error(
          `case ${p.id ?? i}: ${role} is ${img.width}x${img.height} px but training needs ${size}x${size}; ` +
            'letterbox or resize the images to the training size first',
        );
      }
    }
  });
  const cases: CachedCase[] = pairs.map((p) => ({
    photo: imageToTensor(p.photo, photoChannels),
    xray: imageToTensor(p.xray, xrayChannels),
    landmarks: p.landmarks ? p.landmarks.map(([x, y]) => [x, y] as Point) : undefined,
  }));
  const hasLandmarks = cases.every((c) => c.landmarks !== undefined);
  const load = jitterLoadSize(size);
  let disposed = false;

  const jittered = (c: CachedCase): { photo: tf.Tensor4D; xray: tf.Tensor4D } => {
    if (!c.photoJitter || !c.xrayJitter) {
      // halfPixelCenters: pixel centres map to pixel centres, matching the landmark transform
      c.photoJitter = tf.keep(tf.image.resizeBilinear(c.photo, [load, load], false, true));
      c.xrayJitter = tf.keep(tf.image.resizeBilinear(c.xray, [load, load], false, true));
    }
    return { photo: c.photoJitter, xray: c.xrayJitter };
  };

  return {
    size,
    trainCount: cases.length,
    hasLandmarks,
    batch(indices, rng, augment) {
      if (disposed) throw new Error('DataSource used after dispose()');
      if (indices.length === 0) throw new Error('batch: no indices');
      const landmarks: Point[][] = [];
      const photos: tf.Tensor4D[] = [];
      const xrays: tf.Tensor4D[] = [];
      const out = tf.tidy(() => {
        for (const idx of indices) {
          const c = cases[idx];
          if (!c) throw new Error(`batch: case index ${idx} is outside 0..${cases.length - 1}`);
          let photo = c.photo;
          let xray = c.xray;
          let offsetX = 0;
          let offsetY = 0;
          let scale = 1;
          if (augment.jitter) {
            const j = jittered(c);
            offsetX = rng.int(load - size + 1);
            offsetY = rng.int(load - size + 1);
            scale = load / size;
            photo = tf.slice(j.photo, [0, offsetY, offsetX, 0], [1, size, size, photoChannels]);
            xray = tf.slice(j.xray, [0, offsetY, offsetX, 0], [1, size, size, xrayChannels]);
          }
          const flip = augment.flip ? rng.next() < 0.5 : false;
          if (flip) {
            photo = tf.image.flipLeftRight(photo) as tf.Tensor4D;
            xray = tf.image.flipLeftRight(xray) as tf.Tensor4D;
          }
          photos.push(photo);
          xrays.push(xray);
          if (c.landmarks)
            landmarks.push(transformLandmarks(c.landmarks, size, { scale, offsetX, offsetY, flip }));
        }
        // concat of one tensor still returns a new tensor owned by the caller
        return {
          photo: tf.concat(photos, 0) as tf.Tensor4D,
          xray: tf.concat(xrays, 0) as tf.Tensor4D,
        };
      });
      return hasLandmarks ? { ...out, landmarks } : out;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const c of cases)
        tf.dispose([c.photo, c.xray, c.photoJitter, c.xrayJitter].filter((t) => t !== undefined));
    },
  };
}
