/**
 * The server's `UnetGenerator` (pytorch-CycleGAN-and-pix2pix, networks.py), any depth.
 *
 * Levels from the outside in (ngf = cfg.ngf, d = numDowns(cfg.netG), d >= 5):
 *   0 outermost (outer=output_nc, inner=ngf, input=input_nc)   [0 conv, 1 sub, 2 ReLU, 3 convT+bias, 4 Tanh]
 *   1 middle (ngf,   ngf*2)                                    [0 LReLU, 1 conv, 2 norm, 3 sub, 4 ReLU, 5 convT, 6 norm]
 *   2 middle (ngf*2, ngf*4)
 *   3 middle (ngf*4, ngf*8)
 *   4..d-2 middle (ngf*8, ngf*8) + 7 Dropout(0.5) unless no_dropout
 *   d-1 innermost (ngf*8, ngf*8)                               [0 LReLU, 1 conv, 2 ReLU, 3 convT, 4 norm]
 * Convs have a bias only with InstanceNorm; the outermost ConvTranspose always has one.
 *
 * Skip connections: the server returns `torch.cat([x, self.model(x)], 1)`, but `self.model`
 * starts with an in-place `LeakyReLU(0.2, True)` that overwrites `x` before the concat runs,
 * so the tensor actually concatenated is `[lrelu(x), up(lrelu(x))]` (checked with torch 1.13).
 * This implementation reproduces that, not the textbook `[x, up(x)]`.
 */
import * as tf from '@tensorflow/tfjs';
import { numDowns, type RunConfig } from '../config';
import { deriveSeed } from '../rng';
import type { ForwardMode, Generator } from './types';
import {
  allocateNet,
  applyNorm,
  conv2d,
  convSpecs,
  convTranspose2d,
  dropout,
  leakyRelu,
  need,
  registerNet,
  normSpecs,
  relu,
  type NetState,
  type ParamSpec,
} from './layers';

export const DROPOUT_RATE = 0.5;

/** The generator settings that decide its structure. */
export type UnetConfig = Pick<RunConfig, 'netG' | 'ngf' | 'norm' | 'no_dropout' | 'input_nc' | 'output_nc'>;

interface UnetLevel {
  /** Key prefix of this block's Sequential, e.g. `model.model.1.model.` */
  prefix: string;
  role: 'outermost' | 'middle' | 'innermost';
  inputNc: number;
  innerNc: number;
  outerNc: number;
  dropout: boolean;
  sub?: UnetLevel;
}

/** Smallest depth with the server's structure (outermost, 3 widening levels, innermost). */
export const MIN_UNET_DEPTH = 5;

export function unetDepth(cfg: Pick<RunConfig, 'netG'>): number {
  const d = numDowns(cfg.netG);
  if (d < MIN_UNET_DEPTH) {
    throw new Error(
      `Generator "${cfg.netG}" is too shallow: the pix2pix U-Net needs at least ${MIN_UNET_DEPTH} ` +
        `down-steps (unet_32 or larger).`,
    );
  }
  return d;
}

function buildLevels(cfg: UnetConfig): UnetLevel {
  const d = unetDepth(cfg);
  const ngf = cfg.ngf;
  // (outer, inner, dropout) for levels 1..d-1, outside in.
  const widths: [number, number, boolean][] = [
    [ngf, ngf * 2, false],
    [ngf * 2, ngf * 4, false],
    [ngf * 4, ngf * 8, false],
  ];
  for (let i = 0; i < d - 5; i++) widths.push([ngf * 8, ngf * 8, !cfg.no_dropout]);
  widths.push([ngf * 8, ngf * 8, false]); // innermost
  const root: UnetLevel = {
    prefix: 'model.model.',
    role: 'outermost',
    inputNc: cfg.input_nc,
    innerNc: ngf,
    outerNc: cfg.output_nc,
    dropout: false,
  };
  let parent = root;
  widths.forEach(([outer, inner, drop], i) => {
    const level: UnetLevel = {
      prefix: `${parent.prefix}${parent.role === 'outermost' ? 1 : 3}.model.`,
      role: i === widths.length - 1 ? 'innermost' : 'middle',
      inputNc: outer,
      innerNc: inner,
      outerNc: outer,
      dropout: drop,
    };
    parent.sub = level;
    parent = level;
  });
  return root;
}

function levelSpecs(level: UnetLevel, norm: RunConfig['norm']): ParamSpec[] {
  const useBias = norm === 'instance';
  const p = level.prefix;
  switch (level.role) {
    case 'outermost':
      return [
        ...convSpecs(`${p}0`, 'conv', level.inputNc, level.innerNc, useBias),
        ...levelSpecs(level.sub as UnetLevel, norm),
        ...convSpecs(`${p}3`, 'convT', level.innerNc * 2, level.outerNc, true),
      ];
    case 'middle':
      return [
        ...convSpecs(`${p}1`, 'conv', level.inputNc, level.innerNc, useBias),
        ...normSpecs(`${p}2`, norm, level.innerNc),
        ...levelSpecs(level.sub as UnetLevel, norm),
        ...convSpecs(`${p}5`, 'convT', level.innerNc * 2, level.outerNc, useBias),
        ...normSpecs(`${p}6`, norm, level.outerNc),
      ];
    case 'innermost':
      return [
        ...convSpecs(`${p}1`, 'conv', level.inputNc, level.innerNc, useBias),
        ...convSpecs(`${p}3`, 'convT', level.innerNc, level.outerNc, useBias),
        ...normSpecs(`${p}4`, norm, level.outerNc),
      ];
  }
}

/** The generator's state_dict entries in PyTorch registration order (no tensors allocated). */
export function unetSpecs(cfg: UnetConfig): ParamSpec[] {
  return levelSpecs(buildLevels(cfg), cfg.norm);
}

/** Keys of the Dropout layers (Sequential index 7 of the dropout levels), outside in. */
export function unetDropoutKeys(cfg: UnetConfig): string[] {
  const keys: string[] = [];
  for (let l: UnetLevel | undefined = buildLevels(cfg); l; l = l.sub)
    if (l.dropout) keys.push(`${l.prefix}7`);
  return keys;
}

function weight(net: NetState, key: string): tf.Tensor4D {
  return need(net.params, `${key}.weight`) as tf.Tensor as tf.Tensor4D;
}

function bias(net: NetState, key: string): tf.Tensor1D | undefined {
  return net.params.get(`${key}.bias`) as tf.Tensor | undefined as tf.Tensor1D | undefined;
}

function applyLevel(
  net: NetState,
  level: UnetLevel,
  cfg: UnetConfig,
  x: tf.Tensor4D,
  mode: ForwardMode,
): tf.Tensor4D {
  const p = level.prefix;
  const training = mode.training;
  const update = mode.updateStats === true;
  const conv = (h: tf.Tensor4D, key: string) => conv2d(h, weight(net, key), 2, 1, bias(net, key));
  const convT = (h: tf.Tensor4D, key: string) => convTranspose2d(h, weight(net, key), 2, 1, bias(net, key));
  const norm = (h: tf.Tensor4D, key: string) => applyNorm(net, key, cfg.norm, h, training, update);
  switch (level.role) {
    case 'outermost': {
      const down = conv(x, `${p}0`);
      const inner = applyLevel(net, level.sub as UnetLevel, cfg, down, mode);
      return tf.tanh(convT(relu(inner), `${p}3`));
    }
    case 'middle': {
      const xa = leakyRelu(x); // in place in the server: also what the skip concatenates
      const down = norm(conv(xa, `${p}1`), `${p}2`);
      const inner = applyLevel(net, level.sub as UnetLevel, cfg, down, mode);
      let up = norm(convT(relu(inner), `${p}5`), `${p}6`);
      if (level.dropout && mode.dropout) {
        const seed = mode.dropoutSeed === undefined ? undefined : deriveSeed(mode.dropoutSeed, `${p}7`);
        up = dropout(up, DROPOUT_RATE, seed);
      }
      return tf.concat([xa, up], 3);
    }
    case 'innermost': {
      const xa = leakyRelu(x);
      const up = norm(convT(relu(conv(xa, `${p}1`)), `${p}3`), `${p}4`);
      return tf.concat([xa, up], 3);
    }
  }
}

/**
 * A U-Net generator identical to the server's for `cfg` (netG depth, ngf, norm, no_dropout,
 * input_nc, output_nc), initialised from `seed` (see `allocateNet`).
 * `apply(photo)` takes NHWC in [-1, 1] with height and width multiples of 2^depth and returns a
 * new tensor (caller disposes); it leaks nothing else.
 */
export function createGenerator(cfg: RunConfig, seed: number): Generator {
  const ucfg: UnetConfig = {
    netG: cfg.netG,
    ngf: cfg.ngf,
    norm: cfg.norm,
    no_dropout: cfg.no_dropout,
    input_nc: cfg.input_nc,
    output_nc: cfg.output_nc,
  };
  const root = buildLevels(ucfg);
  const depth = unetDepth(ucfg);
  const specs = unetSpecs(ucfg);
  const net = allocateNet(specs, cfg.init_gain, seed, 'G');
  const generator: Generator = {
    params: net.params,
    buffers: net.buffers,
    batchesTracked: net.batchesTracked,
    keyOrder: net.keyOrder,
    dispose: () => net.dispose(),
    apply(photo: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
      const [, h, w, c] = photo.shape;
      const m = 2 ** depth;
      if (c !== ucfg.input_nc) {
        throw new Error(`The generator expects ${ucfg.input_nc}-channel photos, got ${c} channels.`);
      }
      if (h % m !== 0 || w % m !== 0 || h === 0 || w === 0) {
        throw new Error(
          `The generator ${ucfg.netG} needs image sides that are multiples of ${m} px; got ${w}x${h} px.`,
        );
      }
      return tf.tidy(() => applyLevel(net, root, ucfg, photo, mode));
    },
  };
  return registerNet(generator, { kind: 'G', norm: ucfg.norm, specs });
}
