/**
 * One entry point for every network checkpoint format: detect the format of a file (or of a set of
 * files), read it into a state_dict plus the configuration it implies, and write a network in any
 * of the three export formats.
 *
 * Formats: `pth` (torch.save zip, see pth.ts), `safetensors`, `tfjs` (model.json + shards). The
 * configuration comes from the file's own metadata when the studio wrote it (`studio_config`), else
 * from the keys and shapes (`inferConfigFromStateDict`, model/weights.ts). Either way the shapes are
 * checked against that configuration and a mismatch names the key.
 */
import { DEFAULT_CONFIG, withDefaults, type RunConfig } from '../config';
import { expectedEntries, inferConfigFromStateDict } from '../model/weights';
import type { StateDict } from '../model/types';
import { CheckpointFormatError } from './checkpointError';
import { readPth, writePth } from './pth';
import { readSafetensors, writeSafetensors } from './safetensors';
import { looksLikeTfjsModelJson, readTfjs, writeTfjs, type NamedFile } from './tfjs';
import { looksLikeZip } from './zip';

export type { NamedFile } from './tfjs';

export type CheckpointFormat = 'pth' | 'safetensors' | 'tfjs';
export type NetKind = 'G' | 'D';

/** The value of the `format` metadata the studio writes into safetensors and TF.js files. */
export const STUDIO_FORMAT_TAG = 'ceph-gan-studio';

export interface LoadedCheckpoint {
  kind: NetKind | 'unknown';
  /** PyTorch layout and key names (a uniform `module.` prefix is removed). */
  stateDict: StateDict;
  /** Settings stored by the studio, or inferred from the keys; undefined when neither worked. */
  config?: Partial<RunConfig>;
  /** Where `config` came from. */
  configSource: 'metadata' | 'inferred' | 'none';
  format: CheckpointFormat;
  /** Things the user may want to know (prefix removed, dtype widened, why the kind is unknown). */
  warnings: string[];
}

function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/**
 * The checkpoint format of one file from its bytes (the name only breaks ties and explains errors):
 * ZIP → pth, u64 header length + `{` → safetensors, JSON with `weightsManifest` → tfjs (model.json).
 * null when it is none of them (e.g. a TF.js `.bin` shard on its own).
 */
export function detectCheckpointFormat(name: string, bytes: Uint8Array): CheckpointFormat | null {
  if (looksLikeZip(bytes)) return 'pth';
  if (bytes.length >= 10 && bytes[8] === 0x7b) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n >= 2n && n <= BigInt(bytes.length - 8)) return 'safetensors';
  }
  if (looksLikeTfjsModelJson(bytes)) return 'tfjs';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5 && /\.(pth|pt|pkl)$/i.test(name)) return 'pth'; // legacy: readPth explains
  return null;
}

const CONFIG_TYPES: Record<string, string> = Object.fromEntries(
  Object.entries(DEFAULT_CONFIG).map(([k, v]) => [k, typeof v]),
);

/** Keep only known RunConfig fields of the right type from a stored config object. */
function sanitizeConfig(raw: unknown, where: string): Partial<RunConfig> {
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new CheckpointFormatError(`${where}: its studio_config metadata is not JSON`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CheckpointFormatError(`${where}: its studio_config metadata is not an object`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (Object.hasOwn(CONFIG_TYPES, k) && typeof v === CONFIG_TYPES[k]) out[k] = v;
  }
  return out as Partial<RunConfig>;
}

function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Check a state_dict against the keys and shapes a configuration implies; throws a
 * CheckpointFormatError naming the first mismatching key (or the missing / extra keys).
 * Running statistics in an InstanceNorm checkpoint are tolerated (the server drops them too).
 */
export function checkStateDictAgainstConfig(
  sd: StateDict,
  config: RunConfig,
  kind: NetKind,
  fileName: string,
): void {
  let expected: { key: string; shape: number[]; dtype: string }[];
  try {
    expected = expectedEntries(config, kind);
  } catch (e) {
    throw new CheckpointFormatError(
      `${fileName}: its settings cannot describe a network (${(e as Error).message})`,
    );
  }
  const got = new Map(sd.map((e) => [e.key, e] as const));
  const settings =
    kind === 'G'
      ? `netG ${config.netG}, ngf ${config.ngf}, norm ${config.norm}, ${config.input_nc}→${config.output_nc} channels`
      : `ndf ${config.ndf}, n_layers_D ${config.n_layers_D}, num_D ${config.num_D}, norm ${config.norm}`;
  for (const e of expected) {
    const t = got.get(e.key);
    if (!t) {
      throw new CheckpointFormatError(
        `${fileName}: key "${e.key}" is missing; a ${kind === 'G' ? 'generator' : 'discriminator'} with ${settings} has it`,
      );
    }
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw new CheckpointFormatError(
        `${fileName}: key "${e.key}" has shape ${fmtShape(t.shape)}, but ${settings} needs ${fmtShape(e.shape)}`,
      );
    }
    if (t.dtype !== e.dtype) {
      throw new CheckpointFormatError(`${fileName}: key "${e.key}" is ${t.dtype}, expected ${e.dtype}`);
    }
  }
  const wanted = new Set(expected.map((e) => e.key));
  const running = ['.running_mean', '.running_var', '.num_batches_tracked'];
  const extra = sd.filter(
    (e) => !wanted.has(e.key) && !(config.norm === 'instance' && running.some((s) => e.key.endsWith(s))),
  );
  if (extra.length > 0) {
    throw new CheckpointFormatError(
      `${fileName}: key "${extra[0].key}"${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''} does not belong to a network with ${settings}`,
    );
  }
}

function stripModulePrefix(sd: StateDict, warnings: string[]): StateDict {
  if (sd.length === 0 || !sd.every((e) => e.key.startsWith('module.'))) return sd;
  warnings.push('removed the "module." prefix of every key (saved from a DataParallel/DDP wrapper)');
  return sd.map((e) => ({ ...e, key: e.key.slice('module.'.length) }));
}

function finish(
  fileName: string,
  format: CheckpointFormat,
  rawSd: StateDict,
  meta: { kind?: unknown; config?: unknown },
  warnings: string[],
): LoadedCheckpoint {
  const stateDict = stripModulePrefix(rawSd, warnings);
  const metaKind = meta.kind === 'G' || meta.kind === 'D' ? meta.kind : undefined;
  let inferred: ReturnType<typeof inferConfigFromStateDict> | undefined;
  let inferError = '';
  try {
    inferred = inferConfigFromStateDict(stateDict);
  } catch (e) {
    inferError = (e as Error).message;
  }
  const kind = metaKind ?? inferred?.kind;
  if (meta.config !== undefined && kind) {
    const config = sanitizeConfig(meta.config, fileName);
    checkStateDictAgainstConfig(stateDict, withDefaults(config), kind, fileName);
    return { kind, stateDict, config, configSource: 'metadata', format, warnings };
  }
  if (inferred) {
    if (metaKind && inferred.kind !== metaKind) {
      const name = (k: NetKind): string => (k === 'G' ? 'generator' : 'discriminator');
      throw new CheckpointFormatError(
        `${fileName}: the file says it holds a ${name(metaKind)} but its keys are those of a ${name(inferred.kind)}`,
      );
    }
    return {
      kind: inferred.kind,
      stateDict,
      config: inferred.config,
      configSource: 'inferred',
      format,
      warnings,
    };
  }
  warnings.push(inferError);
  return { kind: metaKind ?? 'unknown', stateDict, configSource: 'none', format, warnings };
}

/**
 * Read a network checkpoint. `input` is the file's bytes, or a set of files (a TF.js model.json with
 * its shards, or one file). Throws CheckpointFormatError for unreadable, hostile or inconsistent
 * files; a readable state_dict that is not a pix2pix network comes back with kind 'unknown'.
 */
export function readCheckpointFile(name: string, input: Uint8Array | readonly NamedFile[]): LoadedCheckpoint {
  const files: readonly NamedFile[] = input instanceof Uint8Array ? [{ name, bytes: input }] : input;
  if (files.length === 0) throw new CheckpointFormatError(`${name}: no files given`);
  const main =
    files.find((f) => baseName(f.name) === 'model.json') ??
    files.find((f) => detectCheckpointFormat(f.name, f.bytes) !== null) ??
    files[0];
  const format = detectCheckpointFormat(main.name, main.bytes);
  const warnings: string[] = [];
  switch (format) {
    case 'pth': {
      const sd = readPth(main.bytes, main.name);
      return finish(main.name, 'pth', sd, {}, warnings);
    }
    case 'safetensors': {
      const { tensors, metadata } = readSafetensors(main.bytes, main.name);
      if (metadata.layout === 'tfjs') {
        throw new CheckpointFormatError(
          `${main.name}: this is optimizer state (Adam moments), not a network; choose G.safetensors or D.safetensors`,
        );
      }
      const kind = metadata.kind ?? metadata.role;
      return finish(main.name, 'safetensors', tensors, { kind, config: metadata.studio_config }, warnings);
    }
    case 'tfjs': {
      const { tensors, metadata } = readTfjs(main, files);
      return finish(
        main.name,
        'tfjs',
        tensors,
        { kind: metadata.kind, config: metadata.studio_config },
        warnings,
      );
    }
    default:
      if (/\.bin$/i.test(main.name)) {
        throw new CheckpointFormatError(
          `${main.name}: a TF.js weight shard on its own cannot be read; select its model.json together with all .bin files`,
        );
      }
      throw new CheckpointFormatError(
        `${main.name}: not a checkpoint the studio reads (PyTorch .pth, .safetensors, or TF.js model.json + shards)`,
      );
  }
}

export interface WriteCheckpointOptions {
  kind: NetKind;
  config: RunConfig;
  format: CheckpointFormat;
  /** File stem: `latest` → `latest_net_G.pth` (server naming), `12` → `12_net_G.pth`. Default `latest`. */
  label?: string;
}

/**
 * Files for one network in one export format. pth: `<label>_net_<kind>.pth`; safetensors:
 * `<label>_net_<kind>.safetensors` with `studio_config`, `kind`, `format` metadata; tfjs:
 * `<label>_net_<kind>/model.json` + `<label>_net_<kind>/group1-shard*of*.bin`.
 */
export function writeCheckpointFiles(sd: StateDict, opts: WriteCheckpointOptions): NamedFile[] {
  const stem = `${opts.label ?? 'latest'}_net_${opts.kind}`;
  if (!/^[A-Za-z0-9_.-]+$/.test(stem))
    throw new CheckpointFormatError(`bad checkpoint label "${opts.label}"`);
  checkStateDictAgainstConfig(sd, opts.config, opts.kind, stem);
  switch (opts.format) {
    case 'pth':
      return [{ name: `${stem}.pth`, bytes: writePth(sd, { archiveName: stem }) }];
    case 'safetensors':
      return [
        {
          name: `${stem}.safetensors`,
          bytes: writeSafetensors(sd, {
            format: STUDIO_FORMAT_TAG,
            kind: opts.kind,
            studio_config: JSON.stringify(opts.config),
          }),
        },
      ];
    case 'tfjs':
      return writeTfjs(sd, { format: STUDIO_FORMAT_TAG, kind: opts.kind, studio_config: opts.config }).map(
        (f) => ({
          name: `${stem}/${f.name}`,
          bytes: f.bytes,
        }),
      );
  }
}
