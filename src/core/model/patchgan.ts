/**
 * The server's PatchGAN `NLayerDiscriminator` (pytorch-CycleGAN-and-pix2pix, networks.py), plus
 * a studio-only multi-scale option.
 *
 * Sequential of one scale (n = n_layers_D, mult(k) = min(2^k, 8)):
 *   0 Conv(in, ndf, s2, bias) 1 LReLU
 *   for k in 1..n-1:  3k-1 Conv(ndf*mult(k-1), ndf*mult(k), s2)  3k norm  3k+1 LReLU
 *   3n-1 Conv(ndf*mult(n-1), ndf*mult(n), s1)  3n norm  3n+1 LReLU
 *   3n+2 Conv(ndf*mult(n), 1, s1, bias)
 * All convs k4 padding 1 (stride-1 ones padded explicitly); inner convs have a bias only with
 * InstanceNorm. Input = concat(photo, xray) on channels, photo first.
 *
 * Multi-scale (`num_D` 2..3, studio-only, after pix2pixHD): scale s sees the input downsampled s
 * times by AvgPool2d(3, stride 2, padding 1, count_include_pad=False) (see layers.downsample),
 * with its own weights under the key prefix `scale<s>.`. Scale 0 keys are exactly the server's
 * (`model.0.weight` ...); the server's discriminator is scale 0 only.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config';
import type { Discriminator, DiscriminatorOutput, ForwardMode } from './types';
import {
  allocateNet,
  applyNorm,
  conv2d,
  convSpecs,
  downsample,
  leakyRelu,
  need,
  normSpecs,
  registerNet,
  type NetState,
  type ParamSpec,
} from './layers';

/** The discriminator settings that decide its structure. */
export type PatchGanConfig = Pick<
  RunConfig,
  'ndf' | 'n_layers_D' | 'num_D' | 'norm' | 'input_nc' | 'output_nc'
>;

export const MAX_NUM_D = 3;

type DLayer =
  | { type: 'conv'; idx: number; inC: number; outC: number; stride: number; bias: boolean }
  | { type: 'norm'; idx: number; channels: number }
  | { type: 'lrelu' };

function layerPlan(cfg: PatchGanConfig): DLayer[] {
  const useBias = cfg.norm === 'instance';
  const n = cfg.n_layers_D;
  const ndf = cfg.ndf;
  const mult = (k: number) => Math.min(2 ** k, 8);
  const plan: DLayer[] = [
    { type: 'conv', idx: 0, inC: cfg.input_nc + cfg.output_nc, outC: ndf, stride: 2, bias: true },
    { type: 'lrelu' },
  ];
  for (let k = 1; k <= n; k++) {
    const stride = k < n ? 2 : 1;
    plan.push(
      { type: 'conv', idx: 3 * k - 1, inC: ndf * mult(k - 1), outC: ndf * mult(k), stride, bias: useBias },
      { type: 'norm', idx: 3 * k, channels: ndf * mult(k) },
      { type: 'lrelu' },
    );
  }
  plan.push({ type: 'conv', idx: 3 * n + 2, inC: ndf * mult(n), outC: 1, stride: 1, bias: true });
  return plan;
}

function validate(cfg: PatchGanConfig): void {
  if (!Number.isInteger(cfg.n_layers_D) || cfg.n_layers_D < 1) {
    throw new Error(`n_layers_D must be a whole number of at least 1; got ${cfg.n_layers_D}.`);
  }
  if (!Number.isInteger(cfg.num_D) || cfg.num_D < 1 || cfg.num_D > MAX_NUM_D) {
    throw new Error(`num_D (discriminator scales) must be 1, 2 or 3; got ${cfg.num_D}.`);
  }
}

/** Key prefix of scale `s` (scale 0 = the server's keys). */
export function scalePrefix(s: number): string {
  return s === 0 ? '' : `scale${s}.`;
}

/** The discriminator's state_dict entries in registration order (scale 0, then 1, 2). */
export function patchGanSpecs(cfg: PatchGanConfig): ParamSpec[] {
  validate(cfg);
  const plan = layerPlan(cfg);
  const specs: ParamSpec[] = [];
  for (let s = 0; s < cfg.num_D; s++) {
    const sp = scalePrefix(s);
    for (const l of plan) {
      if (l.type === 'conv') specs.push(...convSpecs(`${sp}model.${l.idx}`, 'conv', l.inC, l.outC, l.bias));
      else if (l.type === 'norm') specs.push(...normSpecs(`${sp}model.${l.idx}`, cfg.norm, l.channels));
    }
  }
  return specs;
}

/** Spatial size of the patch logits for an input side of `size` px at scale 0. */
export function patchLogitSize(size: number, nLayers: number): number {
  let s = size;
  for (let k = 0; k < nLayers; k++) s = Math.floor((s + 2 - 4) / 2) + 1;
  s = s + 2 - 4 + 1; // stride-1 conv
  return s + 2 - 4 + 1; // final stride-1 conv
}

function applyScale(
  net: NetState,
  plan: DLayer[],
  sp: string,
  cfg: PatchGanConfig,
  x: tf.Tensor4D,
  mode: ForwardMode,
): { logits: tf.Tensor4D; features: tf.Tensor4D[] } {
  const features: tf.Tensor4D[] = [];
  let h = x;
  for (const l of plan) {
    if (l.type === 'conv') {
      const key = `${sp}model.${l.idx}`;
      const w = need(net.params, `${key}.weight`) as tf.Tensor as tf.Tensor4D;
      const b = net.params.get(`${key}.bias`) as tf.Tensor | undefined as tf.Tensor1D | undefined;
      h = conv2d(h, w, l.stride, 1, b);
    } else if (l.type === 'norm') {
      h = applyNorm(net, `${sp}model.${l.idx}`, cfg.norm, h, mode.training, mode.updateStats === true);
    } else {
      h = leakyRelu(h);
      features.push(h);
    }
  }
  return { logits: h, features };
}

/**
 * A PatchGAN discriminator identical to the server's at scale 0, with `cfg.num_D` scales,
 * initialised from `seed`. `apply(photo, xray)` returns new tensors (logits and features per
 * scale) that the caller disposes (e.g. `tf.dispose(out.logits); tf.dispose(out.features.flat())`);
 * nothing else leaks. Dropout has no place in this network (`mode.dropout` is ignored).
 */
export function createDiscriminator(cfg: RunConfig, seed: number): Discriminator {
  const dcfg: PatchGanConfig = {
    ndf: cfg.ndf,
    n_layers_D: cfg.n_layers_D,
    num_D: cfg.num_D,
    norm: cfg.norm,
    input_nc: cfg.input_nc,
    output_nc: cfg.output_nc,
  };
  const specs = patchGanSpecs(dcfg);
  const plan = layerPlan(dcfg);
  const net = allocateNet(specs, cfg.init_gain, seed, 'D');
  const discriminator: Discriminator = {
    params: net.params,
    buffers: net.buffers,
    batchesTracked: net.batchesTracked,
    keyOrder: net.keyOrder,
    dispose: () => net.dispose(),
    apply(photo: tf.Tensor4D, xray: tf.Tensor4D, mode: ForwardMode): DiscriminatorOutput {
      if (photo.shape[3] !== dcfg.input_nc || xray.shape[3] !== dcfg.output_nc) {
        throw new Error(
          `The discriminator expects ${dcfg.input_nc}-channel photos and ${dcfg.output_nc}-channel x-rays; ` +
            `got ${photo.shape[3]} and ${xray.shape[3]} channels.`,
        );
      }
      if (
        photo.shape[0] !== xray.shape[0] ||
        photo.shape[1] !== xray.shape[1] ||
        photo.shape[2] !== xray.shape[2]
      ) {
        throw new Error(
          `The discriminator needs photo and x-ray of the same size; got ${photo.shape.join('x')} and ${xray.shape.join('x')}.`,
        );
      }
      const smallest = Math.min(photo.shape[1], photo.shape[2]) / 2 ** (dcfg.num_D - 1);
      if (patchLogitSize(Math.floor(smallest), dcfg.n_layers_D) < 1) {
        throw new Error(
          `Images of ${photo.shape[2]}x${photo.shape[1]} px are too small for a ${dcfg.n_layers_D}-layer ` +
            `PatchGAN with ${dcfg.num_D} scale(s).`,
        );
      }
      return tf.tidy(() => {
        const logits: tf.Tensor4D[] = [];
        const features: tf.Tensor4D[][] = [];
        let x = tf.concat([photo, xray], 3);
        for (let s = 0; s < dcfg.num_D; s++) {
          if (s > 0) x = downsample(x);
          const out = applyScale(net, plan, scalePrefix(s), dcfg, x, mode);
          logits.push(out.logits);
          features.push(out.features);
        }
        return { logits, features };
      });
    },
  };
  return registerNet(discriminator, { kind: 'D', norm: dcfg.norm, specs });
}
