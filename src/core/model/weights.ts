/**
 * Network weights as PyTorch state_dicts: export, import, the expected key list of a
 * configuration, and the configuration implied by a key list.
 *
 * Layouts: TF conv [kH,kW,in,out] -> PyTorch (out,in,kH,kW) and TF convT [kH,kW,out,in] ->
 * PyTorch (in,out,kH,kW); both are the axis permutation (3,2,0,1) (no kernel flip). 1-D entries
 * are unchanged. `num_batches_tracked` is an int64 scalar (shape []). Entries are ordered like
 * PyTorch's state_dict (registration order).
 */
import * as tf from '@tensorflow/tfjs';
import { withDefaults, type NetG, type Norm, type RunConfig } from '../config';
import { dtypeOf, netMetaOf, tensorFromTorch, tfToTorchData, torchShapeOf, type ParamSpec } from './layers';
import { patchGanSpecs, MAX_NUM_D } from './patchgan';
import type { Net, StateDict, TensorEntry } from './types';
import { unetSpecs } from './unet';

/** A state_dict that does not fit a network; the message is meant for the user as is. */
export class StateDictError extends Error {
  /** Keys the network has but the state_dict lacks. */
  readonly missing: string[];
  /** Keys the state_dict has but the network lacks. */
  readonly unexpected: string[];
  /** The key a shape/dtype problem concerns. */
  readonly key?: string;

  constructor(message: string, details: { missing?: string[]; unexpected?: string[]; key?: string } = {}) {
    super(message);
    this.name = 'StateDictError';
    this.missing = details.missing ?? [];
    this.unexpected = details.unexpected ?? [];
    this.key = details.key;
  }
}

export interface EntryInfo {
  key: string;
  shape: number[];
  dtype: 'float32' | 'int64';
}

const METADATA_KEY = '_metadata';
const RUNNING_SUFFIXES = ['.running_mean', '.running_var', '.num_batches_tracked'];

function specsFor(cfg: RunConfig, kind: 'G' | 'D'): ParamSpec[] {
  return kind === 'G' ? unetSpecs(cfg) : patchGanSpecs(cfg);
}

/** The state_dict entries (key, PyTorch shape, dtype) of a configuration, without allocating tensors. */
export function expectedEntries(cfg: RunConfig, kind: 'G' | 'D'): EntryInfo[] {
  return specsFor(cfg, kind).map((s) => ({ key: s.key, shape: s.shape.slice(), dtype: dtypeOf(s.role) }));
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Trainable parameter count (PyTorch `sum(p.numel() for p in net.parameters())`). */
export function countParameters(net: Net): number {
  let n = 0;
  for (const v of net.params.values()) n += v.size;
  return n;
}

/** Buffer values (running_mean + running_var + one per num_batches_tracked), as PyTorch counts buffers. */
export function countBuffers(net: Net): number {
  let n = net.batchesTracked.size;
  for (const v of net.buffers.values()) n += v.size;
  return n;
}

/**
 * The network's weights as a PyTorch-layout state_dict (float32, num_batches_tracked int64 []),
 * in registration order. The arrays are fresh copies owned by the caller.
 */
export async function stateDictOf(net: Net): Promise<StateDict> {
  const out: StateDict = [];
  for (const key of net.keyOrder) {
    const tracked = net.batchesTracked.get(key);
    if (tracked !== undefined) {
      out.push({ key, dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(tracked)) });
      continue;
    }
    const v = net.params.get(key) ?? net.buffers.get(key);
    if (!v) throw new Error(`internal: network has no variable for key "${key}"`);
    const values = (await v.data()) as Float32Array; // may be the cpu backend's own storage: copy
    const data = v.rank === 4 ? tfToTorchData(values, v.shape) : values.slice();
    out.push({ key, dtype: 'float32', shape: torchShapeOf(v.shape), data });
  }
  return out;
}

function fmtShape(shape: number[]): string {
  return shape.length === 0 ? 'a single number' : shape.join('x');
}

function fmtKeys(keys: string[], max = 5): string {
  const shown = keys.slice(0, max).map((k) => `"${k}"`);
  return keys.length > max ? `${shown.join(', ')} and ${keys.length - max} more` : shown.join(', ');
}

function netName(net: Net): string {
  const meta = netMetaOf(net);
  if (!meta) return 'network';
  return meta.kind === 'G' ? 'generator' : 'discriminator';
}

function isInstanceNormNet(net: Net): boolean {
  const meta = netMetaOf(net);
  if (meta) return meta.norm === 'instance';
  return net.buffers.size === 0 && net.batchesTracked.size === 0;
}

/**
 * Load a PyTorch-layout state_dict into `net` like the server's `load_state_dict`:
 * `_metadata` is ignored; for InstanceNorm networks running_mean / running_var /
 * num_batches_tracked entries are dropped (the server's patch_instance_norm_state_dict);
 * a missing num_batches_tracked counts as 0 (as the server's PyTorch does for files without
 * version metadata, e.g. checkpoints from PyTorch < 0.4.1);
 * `strict` (default true) requires exactly the network's keys. A shape mismatch is an error
 * even when not strict. Everything is checked before any weight changes, so a failed load
 * leaves the network as it was. Throws StateDictError.
 */
export function loadStateDict(net: Net, sd: StateDict, opts: { strict?: boolean } = {}): void {
  const strict = opts.strict ?? true;
  const what = netName(net);
  const dropRunning = isInstanceNormNet(net);
  const wanted = new Set(net.keyOrder);
  const byKey = new Map<string, TensorEntry>();
  for (const e of sd) {
    if (e.key === METADATA_KEY || e.key.startsWith(`${METADATA_KEY}.`)) continue;
    if (dropRunning && !wanted.has(e.key) && RUNNING_SUFFIXES.some((s) => e.key.endsWith(s))) continue;
    if (byKey.has(e.key))
      throw new StateDictError(`The checkpoint contains the weight "${e.key}" twice.`, { key: e.key });
    byKey.set(e.key, e);
  }
  // Like BatchNorm's _load_from_state_dict for files without version metadata (the server drops
  // _metadata): a missing num_batches_tracked is not an error and counts as 0 (PyTorch < 0.4.1 files).
  const absentCounts = net.keyOrder.filter((k) => !byKey.has(k) && net.batchesTracked.has(k));
  const missing = net.keyOrder.filter((k) => !byKey.has(k) && !net.batchesTracked.has(k));
  const unexpected = [...byKey.keys()].filter((k) => !wanted.has(k));
  if (strict && (missing.length > 0 || unexpected.length > 0)) {
    const parts: string[] = [];
    if (missing.length > 0)
      parts.push(`${missing.length} weight(s) this ${what} needs are missing (${fmtKeys(missing)})`);
    if (unexpected.length > 0)
      parts.push(`${unexpected.length} weight(s) in the file do not belong to it (${fmtKeys(unexpected)})`);
    let hint =
      'The checkpoint was probably saved from a network with other settings (netG, ngf/ndf, norm, n_layers_D, num_D) ' +
      'or is the other network of the pair (generator vs discriminator). Choose the settings it was trained with.';
    if (unexpected.length > 0 && unexpected.every((k) => k.startsWith('module.'))) {
      hint =
        'Its keys start with "module." (saved from a DataParallel wrapper); remove that prefix and load it again.';
    }
    throw new StateDictError(`The checkpoint does not fit this ${what}: ${parts.join('; ')}. ${hint}`, {
      missing,
      unexpected,
    });
  }

  // Check every entry before touching any weight.
  const floatLoads: { v: tf.Variable; e: TensorEntry }[] = [];
  const countLoads: { key: string; value: number }[] = [];
  for (const key of net.keyOrder) {
    const e = byKey.get(key);
    if (!e) continue;
    const tracked = net.batchesTracked.has(key);
    const v = net.params.get(key) ?? net.buffers.get(key);
    const expected = tracked ? [] : torchShapeOf((v as tf.Variable).shape);
    const sameShape = e.shape.length === expected.length && e.shape.every((d, i) => d === expected[i]);
    if (!sameShape) {
      throw new StateDictError(
        `Weight "${key}" has shape ${fmtShape(e.shape)} in the checkpoint, but this ${what} expects ` +
          `${fmtShape(expected)}. The checkpoint was trained with other settings (ngf/ndf, input/output ` +
          `channels, netG depth or n_layers_D); choose the settings it was trained with.`,
        { key },
      );
    }
    if (e.data.length !== sizeOf(e.shape)) {
      throw new StateDictError(
        `Weight "${key}" in the checkpoint holds ${e.data.length} values but its shape ${fmtShape(e.shape)} ` +
          `needs ${sizeOf(e.shape)}; the file is damaged.`,
        { key },
      );
    }
    if (tracked) {
      countLoads.push({ key, value: Number(e.data[0]) });
    } else {
      if (!(e.data instanceof Float32Array)) {
        throw new StateDictError(
          `Weight "${key}" is stored as whole numbers (int64) in the checkpoint, but it must be float32; ` +
            `the file was not written by pix2pix.`,
          { key },
        );
      }
      floatLoads.push({ v: v as tf.Variable, e });
    }
  }
  for (const { v, e } of floatLoads) {
    tf.tidy(() => {
      v.assign(tensorFromTorch(e.data as Float32Array, e.shape));
    });
  }
  for (const { key, value } of countLoads) net.batchesTracked.set(key, value);
  for (const key of absentCounts) net.batchesTracked.set(key, 0);
}

function isRank4Weight(e: { key: string; shape: number[] }): boolean {
  return e.key.endsWith('.weight') && e.shape.length === 4;
}

function checkAgainst(
  sd: { key: string; shape: number[] }[],
  cfg: RunConfig,
  kind: 'G' | 'D',
  what: string,
): void {
  let expected: EntryInfo[];
  try {
    expected = expectedEntries(cfg, kind);
  } catch (err) {
    throw new StateDictError(`The file is not a pix2pix ${what}: ${(err as Error).message}`);
  }
  const dropRunning = cfg.norm === 'instance';
  const given = new Map(
    sd
      .filter(
        (e) => e.key !== METADATA_KEY && !(dropRunning && RUNNING_SUFFIXES.some((s) => e.key.endsWith(s))),
      )
      .map((e) => [e.key, e.shape] as const),
  );
  const missing = expected
    .filter((e) => !given.has(e.key) && !e.key.endsWith('.num_batches_tracked'))
    .map((e) => e.key);
  const wanted = new Set(expected.map((e) => e.key));
  const unexpected = [...given.keys()].filter((k) => !wanted.has(k));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new StateDictError(
      `The file does not have the key layout of a pix2pix ${what}` +
        (missing.length > 0 ? `; missing ${fmtKeys(missing)}` : '') +
        (unexpected.length > 0 ? `; unexpected ${fmtKeys(unexpected)}` : '') +
        '.',
      { missing, unexpected },
    );
  }
  for (const e of expected) {
    const got = given.get(e.key);
    if (got === undefined) continue; // an absent num_batches_tracked
    if (got.length !== e.shape.length || got.some((d, i) => d !== e.shape[i])) {
      throw new StateDictError(
        `Weight "${e.key}" has shape ${fmtShape(got)}, which no pix2pix ${what} has with the settings read from ` +
          `the other weights (expected ${fmtShape(e.shape)}); the file is damaged or from another network.`,
        { key: e.key },
      );
    }
  }
}

/**
 * The network kind and the settings implied by a state_dict's keys and shapes:
 * G: netG (depth), ngf, norm, input_nc, output_nc; D: ndf, n_layers_D, norm, num_D.
 * (Dropout and init leave no trace in the weights.) The result is verified by rebuilding the
 * expected key list; anything else throws StateDictError.
 */
export function inferConfigFromStateDict(sd: { key: string; shape: number[] }[]): {
  kind: 'G' | 'D';
  config: Partial<RunConfig>;
} {
  const entries = sd.filter((e) => e.key !== METADATA_KEY);
  const byKey = new Map(entries.map((e) => [e.key, e.shape] as const));
  if (entries.length > 0 && entries.every((e) => e.key.startsWith('module.'))) {
    throw new StateDictError(
      'The checkpoint keys start with "module." (saved from a DataParallel wrapper); remove that prefix and load it again.',
    );
  }
  const g0 = byKey.get('model.model.0.weight');
  if (g0 && g0.length === 4) {
    const convs = entries.filter(isRank4Weight).length;
    const depth = convs / 2;
    const outT = byKey.get('model.model.3.weight');
    if (!Number.isInteger(depth) || !outT || outT.length !== 4) {
      throw new StateDictError(
        'The file looks like a pix2pix generator (it has "model.model.0.weight") but its layers do not pair up ' +
          'into a U-Net; it is damaged or from another kind of network.',
      );
    }
    const norm: Norm = byKey.has('model.model.0.bias') ? 'instance' : 'batch';
    const config: Partial<RunConfig> = {
      netG: `unet_${2 ** depth}` as NetG,
      ngf: g0[0],
      norm,
      input_nc: g0[1],
      output_nc: outT[1],
    };
    checkAgainst(entries, withDefaults(config), 'G', 'generator');
    return { kind: 'G', config };
  }
  const d0 = byKey.get('model.0.weight');
  if (d0 && d0.length === 4) {
    const scale0 = entries.filter((e) => e.key.startsWith('model.'));
    const nLayers = scale0.filter(isRank4Weight).length - 2;
    let numD = 1;
    while (numD < MAX_NUM_D && byKey.has(`scale${numD}.model.0.weight`)) numD++;
    const norm: Norm = byKey.has('model.2.bias') ? 'instance' : 'batch';
    const config: Partial<RunConfig> = { ndf: d0[0], n_layers_D: nLayers, norm, num_D: numD };
    // The D input is input_nc + output_nc channels; only the sum is known, so check with that sum.
    checkAgainst(entries, withDefaults({ ...config, input_nc: d0[1], output_nc: 0 }), 'D', 'discriminator');
    return { kind: 'D', config };
  }
  throw new StateDictError(
    'The file is neither a pix2pix generator (keys "model.model.…") nor a PatchGAN discriminator (keys "model.0.…"). ' +
      'Choose a net_G.pth / net_D.pth checkpoint of the pix2pix server.',
  );
}
