/**
 * `cli detect`: find landmarks on X-rays with a trained detector and write one CSV row per image
 * in the ISBI layout `image_path,1_x,1_y,…` in ORIGINAL pixels. Without `--checkpoint` it uses
 * the detector shipped with the studio (`public/detector/`).
 */
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DETECTOR_META_FILE,
  decodeDetector,
  parseDetectorMeta,
  type DetectorMeta,
} from '../core/detector/checkpoint';
import type { DetectorNet } from '../core/detector/model';
import { predictSample, makeSample } from '../core/detector/train';
import { decodeFileNode } from '../core/io/decodeNode';
import { writeLandmarkCsv } from '../core/io/landmarks';
import {
  BACKEND_OPTION,
  backendOption,
  HELP_OPTION,
  helpText,
  numberOption,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
} from './args';
import { startBackend } from './env';

const OPTIONS: OptionSpecs = {
  checkpoint: {
    type: 'string',
    arg: '<dir>',
    help: 'detector folder (detector.json + weights); default: the shipped public/detector/',
  },
  input: { type: 'string', arg: '<file|dir>', help: 'an X-ray (PNG/JPEG) or a folder of them' },
  out: { type: 'string', arg: '<csv>', help: 'CSV to write (image_path,1_x,1_y,… in original pixels)' },
  'mm-per-px': { type: 'string', arg: '<mm>', help: 'pixel spacing of the films (default: the detector’s)' },
};

export const DETECT_HELP = helpText(
  'detect [--checkpoint <dir>] --input <image|dir> --out <csv>',
  'Find the landmarks on X-rays with a detector; writes the ISBI CSV layout in original pixels.',
  [
    ['options', OPTIONS],
    ['backend', BACKEND_OPTION],
    ['other', HELP_OPTION],
  ],
);

/** The shipped detector's folder (public/detector/ of this checkout). */
export function shippedDetectorDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../public/detector');
}

/** Load a detector folder (throws a UsageError naming the folder when it is not one). */
export async function loadDetectorDir(dir: string): Promise<{ meta: DetectorMeta; net: DetectorNet }> {
  const metaPath = join(dir, DETECTOR_META_FILE);
  let text: string;
  try {
    text = await readFile(metaPath, 'utf8');
  } catch {
    throw new UsageError(
      `${dir}: not a detector folder (no ${DETECTOR_META_FILE}); train one with train-landmarks`,
    );
  }
  const meta = parseDetectorMeta(text, metaPath);
  const wPath = join(dir, meta.weightsFile);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(wPath));
  } catch {
    throw new UsageError(`${wPath}: the detector's weights are missing`);
  }
  return { meta, net: decodeDetector(meta, bytes, wPath) };
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, { ...OPTIONS, ...BACKEND_OPTION, ...HELP_OPTION }, 'detect');
  if (values.help) {
    console.log(DETECT_HELP);
    return 0;
  }
  const input = stringOption(values, 'input');
  const out = stringOption(values, 'out');
  if (!input) throw new UsageError('detect: --input <image file or folder> is required');
  if (!out) throw new UsageError('detect: --out <csv> is required');
  const ckpt = stringOption(values, 'checkpoint') ?? shippedDetectorDir();
  let images: string[];
  let base: string;
  try {
    const st = await stat(input);
    if (st.isDirectory()) {
      base = input;
      images = (await readdir(input))
        .filter((f) => IMAGE_EXT.test(f) && !f.startsWith('.'))
        .sort()
        .map((f) => join(input, f));
      if (!images.length) throw new UsageError(`${input}: no PNG or JPEG images in this folder`);
    } else {
      base = dirname(input);
      images = [input];
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${input}: cannot read (${(e as Error).message})`);
  }
  await startBackend(backendOption(values));
  const { meta, net } = await loadDetectorDir(ckpt);
  const mmPerPx = numberOption(values, 'mm-per-px', { min: 1e-6 }) ?? meta.mmPerPx;
  const rows: { imagePath: string; points: [number, number][] }[] = [];
  const t0 = performance.now();
  for (const img of images) {
    const r = await decodeFileNode(img);
    if (!r.ok) throw new UsageError(r.problem.message);
    const s = makeSample(img, r.image, null, net.arch.size, mmPerPx);
    const pred = await predictSample(net, s, meta.sigmaMm);
    rows.push({ imagePath: relative(base, img) || img, points: pred.byDecoder[meta.decoder] });
  }
  net.dispose();
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFile(out, writeLandmarkCsv(rows, { decimals: 1 }));
  console.log(
    `${rows.length} image(s), ${meta.symbols.length} landmarks (${meta.symbols.join(' ')}) -> ${out} ` +
      `(${((performance.now() - t0) / rows.length).toFixed(0)} ms per image incl. decoding; detector ${ckpt})`,
  );
  return 0;
}
