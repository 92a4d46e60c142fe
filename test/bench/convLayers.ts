/**
 * The conv layers of a studio configuration (U-Net G and the 3-layer PatchGAN D), as the kernel
 * benchmarks (test/bench/kernels.ts, wasm and webgpu) and the WebGPU kernel e2e test time and check
 * them. Every layer is a 4×4 kernel with padding 1.
 */
import type { RunConfig } from '../../src/core/config';

export interface Layer {
  name: string;
  kind: 'conv' | 'convT';
  /** input side (square) */
  hw: number;
  cin: number;
  cout: number;
  stride: number;
}

/** Conv layers of the config's U-Net G and 3-layer PatchGAN D (input side, channels, stride). */
export function layerList(cfg: RunConfig): Layer[] {
  const d = Math.log2(Number(cfg.netG.split('_')[1]));
  const g = cfg.ngf;
  const out: Layer[] = [];
  const downIn = (i: number): number => (i === 0 ? cfg.input_nc : Math.min(8, 2 ** (i - 1)) * g);
  const downOut = (i: number): number => Math.min(8, 2 ** i) * g;
  for (let i = 0; i < d; i++) {
    out.push({
      name: `G down${i}`,
      kind: 'conv',
      hw: cfg.size >> i,
      cin: downIn(i),
      cout: downOut(i),
      stride: 2,
    });
  }
  for (let i = d - 1; i >= 0; i--) {
    out.push({
      name: `G up${i}`,
      kind: 'convT',
      hw: cfg.size >> (i + 1),
      cin: i === d - 1 ? downOut(i) : 2 * downOut(i),
      cout: i === 0 ? cfg.output_nc : downIn(i),
      stride: 2,
    });
  }
  const f = cfg.ndf;
  const dIn = [cfg.input_nc + cfg.output_nc, f, 2 * f, 4 * f, 8 * f];
  const dOut = [f, 2 * f, 4 * f, 8 * f, 1];
  const dHw = [cfg.size, cfg.size / 2, cfg.size / 4, cfg.size / 8, cfg.size / 8 - 1];
  for (let k = 0; k < 5; k++) {
    out.push({
      name: `D layer${k}`,
      kind: 'conv',
      hw: dHw[k],
      cin: dIn[k],
      cout: dOut[k],
      stride: k < 3 ? 2 : 1,
    });
  }
  return out;
}

/** One Conv2DBackpropFilter call: x [N,H,W,Ci], dy [N,Ho,Wo,Co], filter [4,4,Ci,Co], padding 1. */
export interface FilterGradCase {
  name: string;
  x: [number, number, number, number];
  dy: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
}

/** One Conv2DBackpropInput call (a conv's input gradient or a transposed conv's forward), padding 1. */
export interface InputGradCase {
  name: string;
  dy: [number, number, number, number];
  filter: [number, number, number, number];
  inputShape: [number, number, number, number];
  stride: number;
}

const convOut = (hw: number, stride: number): number => Math.floor((hw + 2 - 4) / stride) + 1;

/**
 * The filter-gradient call of a layer: a conv's (x, dy) or, for a transposed conv, its output
 * gradient as x and its input as dy (TF.js's Conv2DBackpropInput gradient does the same).
 */
export function filterGradCase(l: Layer, batch: number): FilterGradCase {
  const name = `${l.name} ${l.kind} s${l.stride} b${batch}`;
  if (l.kind === 'conv') {
    const o = convOut(l.hw, l.stride);
    return {
      name,
      x: [batch, l.hw, l.hw, l.cin],
      dy: [batch, o, o, l.cout],
      filter: [4, 4, l.cin, l.cout],
      stride: l.stride,
    };
  }
  const o = l.hw * 2;
  return {
    name,
    x: [batch, o, o, l.cout],
    dy: [batch, l.hw, l.hw, l.cin],
    filter: [4, 4, l.cout, l.cin],
    stride: l.stride,
  };
}

/** The Conv2DBackpropInput call of a layer: a conv's input gradient or a transposed conv's forward. */
export function inputGradCase(l: Layer, batch: number): InputGradCase {
  const name = `${l.name} ${l.kind} s${l.stride} b${batch}`;
  if (l.kind === 'conv') {
    const o = convOut(l.hw, l.stride);
    return {
      name,
      dy: [batch, o, o, l.cout],
      filter: [4, 4, l.cin, l.cout],
      inputShape: [batch, l.hw, l.hw, l.cin],
      stride: l.stride,
    };
  }
  return {
    name,
    dy: [batch, l.hw, l.hw, l.cin],
    filter: [4, 4, l.cout, l.cin],
    inputShape: [batch, l.hw * 2, l.hw * 2, l.cout],
    stride: l.stride,
  };
}
