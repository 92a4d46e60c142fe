/**
 * `cli infer`: one photo -> X-ray with a trained generator. Reads the studio's checkpoint folder
 * and, through io/formats.ts, a server `.pth`, a `.safetensors` or a TF.js `model.json`.
 * `--npy` writes the raw float32 output in [-1, 1], H x W x C, as a NumPy v1.0 file.
 */
import { writeFile } from 'node:fs/promises';
import { withDefaults, type RunConfig } from '../core/config';
import { preprocessImage } from '../core/data/preprocess';
import type { RgbaImage } from '../core/image';
import { decodeFileNode, encodePngNode } from '../core/io/decodeNode';
import { createGenerator, loadStateDict, type StateDict } from '../core/model';
import { predictImages } from '../core/train/predict';
import {
  BACKEND_OPTION,
  backendOption,
  checkNetworkFits,
  HELP_OPTION,
  helpText,
  numberOption,
  parse,
  stringOption,
  UsageError,
  type OptionSpecs,
} from './args';
import { startBackend } from './env';
import { loadNetworks } from './export';

const OPTIONS: OptionSpecs = {
  checkpoint: {
    type: 'string',
    arg: '<path>',
    help: 'studio checkpoint folder (a train --out folder, its last/, or a version folder), .pth, .safetensors or model.json',
  },
  input: { type: 'string', arg: '<image>', help: 'profile photo (PNG or JPEG)' },
  out: { type: 'string', arg: '<png>', help: 'where to write the predicted X-ray (PNG)' },
  npy: {
    type: 'string',
    arg: '<file>',
    help: 'also write the raw float32 output in [-1,1], H x W x C (.npy)',
  },
  eval: { type: 'boolean', help: 'server --eval: BatchNorm running statistics and no dropout' },
  size: {
    type: 'string',
    arg: '<px>',
    help: 'inference size (default: the checkpoint’s training size, else 256)',
  },
  seed: { type: 'string', arg: '<n>', help: 'dropout seed without --eval (default: the run seed)' },
  ...BACKEND_OPTION,
  ...HELP_OPTION,
};

export const INFER_HELP = helpText(
  'infer --checkpoint <path> --input <image> --out <png> [--npy <file>] [--eval]',
  'Turn a profile photo into a lateral cephalogram. An input already at the size is used as is;\n' +
    'other sizes are letterboxed to it (the output stays at the model size).',
  [['Options', OPTIONS]],
);

/** A NumPy .npy v1.0 file of little-endian float32 values in C order. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`encodeNpy: ${data.length} values for shape (${shape.join(', ')})`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ends in \n
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const le = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(le, total); // JS typed arrays are little-endian on every platform Node runs on
  return out;
}

interface LoadedGenerator {
  cfg: Partial<RunConfig>;
  stateDict: StateDict;
  source: string;
}

/** The generator of any checkpoint `export` can read (studio folder, .pth, .safetensors, model.json). */
async function loadGenerator(path: string): Promise<LoadedGenerator> {
  const loaded = await loadNetworks(path, ['G']);
  const G = loaded.nets.find((n) => n.kind === 'G');
  if (!G) {
    throw new UsageError(
      `--checkpoint ${path}: this is a discriminator; choose the generator (…net_G / G) file`,
    );
  }
  return { cfg: loaded.config, stateDict: G.stateDict, source: loaded.source };
}

function toModelSize(img: RgbaImage, cfg: RunConfig, file: string): RgbaImage {
  if (img.width === cfg.size && img.height === cfg.size) return img; // used as is, no resampling
  const mode = cfg.preprocess === 'stretch' ? 'stretch' : 'letterbox';
  console.error(
    `note: ${file} is ${img.width}x${img.height} px; ${mode === 'stretch' ? 'stretched' : 'letterboxed'} to ${cfg.size}x${cfg.size} px`,
  );
  return preprocessImage(img, { mode, size: cfg.size, pad: 'constant', padColor: [0, 0, 0], roi: null })
    .image;
}

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, OPTIONS, 'infer');
  if (values.help) {
    console.log(INFER_HELP);
    return 0;
  }
  const ckpt = stringOption(values, 'checkpoint');
  const input = stringOption(values, 'input');
  const outPng = stringOption(values, 'out');
  const npy = stringOption(values, 'npy');
  if (!ckpt || !input || !outPng)
    throw new UsageError('infer: --checkpoint, --input and --out are required (see --help)');
  const decoded = await decodeFileNode(input);
  if (!decoded.ok) throw new UsageError(decoded.problem.message);
  const loaded = await loadGenerator(ckpt);
  const size = numberOption(values, 'size', { integer: true, min: 8 }) ?? loaded.cfg.size ?? 256;
  const seed = numberOption(values, 'seed', { integer: true, min: 0 });
  const cfg = withDefaults({ ...loaded.cfg, size, ...(seed !== undefined ? { seed } : {}) });
  checkNetworkFits(cfg);
  const sel = await startBackend(backendOption(values));
  const evalMode = values.eval === true;
  const G = createGenerator(cfg, cfg.seed);
  try {
    loadStateDict(G, loaded.stateDict, { strict: true });
    const photo = toModelSize(decoded.image, cfg, input);
    // one photo; its dropout seed is Trainer.predict's (run seed, 'predict'), without an index
    let raw: { data: Float32Array; shape: number[] } | null = null;
    const [img] = await predictImages(G, cfg, [photo], {
      evalMode,
      seedTag: 'predict',
      seedIndex: () => null,
      onPrediction: async ({ pred }) => {
        const [, h, w, c] = pred.shape;
        if (npy) raw = { data: Float32Array.from(await pred.data()), shape: [h, w, c] };
      },
    });
    await writeFile(outPng, encodePngNode(img));
    if (npy && raw) {
      const { data, shape } = raw as { data: Float32Array; shape: number[] };
      await writeFile(npy, encodeNpy(data, shape));
    }
    console.log(
      `wrote ${outPng}${npy ? ` and ${npy}` : ''} (${cfg.size}x${cfg.size} px, ${evalMode ? 'eval mode' : 'train-mode BatchNorm + dropout, like the server without --eval'}, ` +
        `${sel.backend}) from ${loaded.source}`,
    );
  } finally {
    G.dispose();
  }
  return 0;
}
