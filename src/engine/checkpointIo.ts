/**
 * Checkpoint files in and out of the store, for the Checkpoints section. Framework-free: runs in
 * the checkpoint worker (bundleWorker.ts) and in Node tests; the page imports only its types
 * (the readers and writers pull in TF.js through core/model/weights.ts).
 *
 * Export (`exportCheckpointFiles`): a stored checkpoint's G and/or D as the server's `.pth`
 * (`latest_net_G.pth` or `<epoch>_net_G.pth`), `.safetensors` (config in `__metadata__`), TF.js
 * (`model.json` + shards), or the studio's own files (manifest + shards, resumable). One network
 * file downloads as it is; anything else as one ZIP (entries stored, not compressed).
 *
 * Import, in two steps so the user sees what was recognised before anything is stored:
 *  1. `planImport(sources)`: dropped files, folders (paths `folder/sub/file`) and ZIPs are sorted
 *     into one of: a server run folder `checkpoints/<name>/` (newest `*_net_G.pth`, its `_net_D.pth`,
 *     `train_opt.txt`, `loss_log.txt`; also inside a ZIP or a server bundle), a studio checkpoint
 *     (`manifest.json` + shards), TF.js (`model.json` + `.bin`), or single network files (`.pth`
 *     written by PyTorch or the studio, `.safetensors`). Only the files needed are read. Shapes are
 *     checked against the configuration (the key is named); hostile or broken files are refused
 *     with a CheckpointFormatError naming the file. Nothing is stored.
 *  2. `commitImport(storage, plan, options)`: a new run (status `finished`) with the loss log as its
 *     `train` history (G_GAN, G_L1, D_real, D_fake, lr per logged iteration, so the Train view draws
 *     its curves) and one checkpoint `last` (a fresh discriminator when the files had none, zero
 *     Adam moments like the server's --continue_train). Everything is built and read back in memory
 *     first; a failure while storing removes the half-written run, so the store is as before.
 *     The run's `backend` field says where the weights came from: `server` (a server run folder)
 *     or `file`; `adapter` names the files.
 *
 * Server bundle (`describeServerBundle`, `buildServerBundleFromStore`): the commands and the ZIP of
 * core/io/serverBundle.ts for a stored checkpoint, with the cases of a stored dataset (preprocessed
 * like the run) or of the demo phantom.
 */
import { completedEpochs as completedEpochsOfPosition } from '../core/train/continue';
import { storedConfig, withDefaults, type RunConfig } from '../core/config';
import type { PreprocessSpec } from '../core/data/preprocess';
import type { RgbaImage } from '../core/image';
import { CheckpointFormatError } from '../core/io/checkpointError';
import {
  checkStateDictAgainstConfig,
  detectCheckpointFormat,
  readCheckpointFile,
  writeCheckpointFiles,
  type CheckpointFormat,
  type LoadedCheckpoint,
  type NamedFile,
  type NetKind,
} from '../core/io/formats';
import {
  assertServerCompatible,
  serverCommandArgs,
  startServerBundle,
  studioOnlyOptions,
  type ServerBundleCase,
} from '../core/io/serverBundle';
import {
  historyFromLossLog,
  pickNewestGenerator,
  readServerRunFolder,
  type LossLogRecord,
} from '../core/io/serverImport';
import { freshAdam } from '../core/train/adam';
import {
  listZip,
  looksLikeZip,
  memorySink,
  readZipEntry,
  writeZip,
  type ZipInputEntry,
} from '../core/io/zip';
import type { StateDict } from '../core/model/types';
import {
  CHECKPOINT_FORMAT,
  encodeTrainerState,
  loadTrainerState,
  MANIFEST_FILE,
  parseManifest,
  readCheckpointNetwork,
  type CheckpointManifest,
  type TrainerState,
} from '../core/train/checkpoint';
import {
  appendHistory,
  createRun,
  deleteRun,
  checkpointReader,
  getDataset,
  getRun,
  loadCheckpoint,
  saveCheckpoint,
  updateRun,
  type CheckpointRecord,
  type MetricPoint,
  type RunRecord,
  type StudioStorage,
} from '../store';
// steps, learning rates and fresh Adam moments exactly as `cli import` makes them (that module's
// Node-only parts are never called here)
import { checkRunConfig } from './configCheck';
import { datasetSourceFromId } from './datasetIds';

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

/** One dropped or picked file: its path relative to the drop (`folder/sub/file`) and its bytes on demand. */
export interface ImportSource {
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

export function sourceFromBytes(path: string, bytes: Uint8Array): ImportSource {
  return { path, size: bytes.length, read: async () => bytes };
}

export function sourceFromBlob(path: string, blob: Blob): ImportSource {
  return { path, size: blob.size, read: async () => new Uint8Array(await blob.arrayBuffer()) };
}

/** Files an import looks at; everything else (images, logs of the web/ folder, …) is listed as ignored. */
const RELEVANT = /\.(pth|pt|pkl|safetensors|json|bin|txt)$/i;
const NETWORK_FILE = /\.(pth|pt|pkl|safetensors)$/i;
const SERVER_G = /^(latest|\d+|iter_\d+)_net_G\.pth$/;
const SERVER_TEXT = new Set(['train_opt.txt', 'loss_log.txt']);

function normPath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/{2,}/g, '/');
}

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(0, i) : '';
}

function stemOf(path: string): string {
  return baseName(path).replace(/\.[^.]+$/, '');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Errors without a file name (a RangeError deep in a reader) get the file's name in front. */
function namedError(path: string, e: unknown): CheckpointFormatError {
  const msg = errorText(e);
  if (e instanceof CheckpointFormatError && msg.includes(baseName(path))) return e;
  return new CheckpointFormatError(msg.includes(baseName(path)) ? msg : `${path}: ${msg}`);
}

async function readSource(s: ImportSource): Promise<Uint8Array> {
  try {
    return await s.read();
  } catch (e) {
    throw new CheckpointFormatError(
      `${s.path}: the browser could not read the file (${errorText(e)}); copy it to a local disk and try again`,
    );
  }
}

/** A ZIP that is a torch.save file: every entry under one folder that holds data.pkl. */
function isTorchZip(names: readonly string[]): boolean {
  const top = new Set(names.map((n) => n.split('/')[0]));
  return top.size === 1 && names.some((n) => /^[^/]+\/data\.pkl$/.test(n));
}

interface Expanded {
  candidates: ImportSource[];
  ignored: IgnoredFile[];
}

/**
 * ZIP archives (other than torch.save files) are opened and their relevant entries become sources
 * `<zip path>/<entry>`; `datasets/` of a server bundle and irrelevant files are skipped unread.
 */
async function expandSources(sources: readonly ImportSource[]): Promise<Expanded> {
  const candidates: ImportSource[] = [];
  const ignored: IgnoredFile[] = [];
  for (const raw of sources) {
    const s: ImportSource = { ...raw, path: normPath(raw.path) };
    if (/\.zip$/i.test(s.path)) {
      const bytes = await readSource(s);
      if (!looksLikeZip(bytes)) {
        throw new CheckpointFormatError(`${s.path}: the name ends in .zip but the file is not a ZIP archive`);
      }
      const entries = listZip(bytes, s.path).filter((e) => !e.name.endsWith('/'));
      if (isTorchZip(entries.map((e) => e.name))) {
        candidates.push(sourceFromBytes(`${s.path.slice(0, -4)}.pth`, bytes));
        continue;
      }
      for (const e of entries) {
        const inner = normPath(e.name);
        const path = `${s.path}/${inner}`;
        if (inner.startsWith('datasets/') || inner.startsWith('__MACOSX/') || !RELEVANT.test(inner)) {
          ignored.push({ path, reason: 'notCheckpoint' });
          continue;
        }
        candidates.push({ path, size: e.size, read: async () => readZipEntry(bytes, e, s.path) });
      }
      continue;
    }
    if (!RELEVANT.test(s.path)) {
      ignored.push({ path: s.path, reason: 'notCheckpoint' });
      continue;
    }
    candidates.push(s);
  }
  return { candidates, ignored };
}

// ---------------------------------------------------------------------------------------------
// Import plan
// ---------------------------------------------------------------------------------------------

export type ImportKind = 'serverRun' | 'network' | 'studio';
export type ImportOrigin = 'server' | 'file';
export type ConfigSource = 'train_opt' | 'metadata' | 'inferred' | 'studio';

/** Why a file of the drop was not used (a code the UI translates). */
export type IgnoredReason = 'notCheckpoint' | 'olderEpoch' | 'otherNetwork';

export interface IgnoredFile {
  path: string;
  reason: IgnoredReason;
}

export interface PlannedNetwork {
  file: string;
  format: CheckpointFormat | 'studio';
  stateDict: StateDict;
}

/** What an import would store; built by planImport, stored by commitImport. */
export interface ImportPlan {
  kind: ImportKind;
  origin: ImportOrigin;
  format: CheckpointFormat | 'studio';
  /** Suggested run name (the server's --name, the folder, or the file stem). */
  name: string;
  config: RunConfig;
  configSource: ConfigSource;
  /** False when the training size was not in the files (then it is netG's own size, e.g. 256). */
  sizeFromFiles: boolean;
  G: PlannedNetwork;
  /** Null: a fresh discriminator is created at commit. */
  D: PlannedNetwork | null;
  /** Completed epochs of the weights (0 when unknown). */
  epoch: number;
  lossLog: LossLogRecord[];
  /** A studio checkpoint's full state (optimizer, position), kept as it is. */
  state: TrainerState | null;
  usedFiles: string[];
  ignoredFiles: IgnoredFile[];
  /** English notes from the readers (prefix removed, missing files, options without a studio equivalent). */
  warnings: string[];
}

function sizeFromNetG(netG: string): number {
  const n = Number(netG.replace(/^unet_/, ''));
  return Number.isSafeInteger(n) && n > 0 ? n : 256;
}

/**
 * `stored`: the config is a studio run's own (a file's `studio_config` metadata), so a missing
 * `lr_step_at` means the legacy convention (storedConfig); a server's options get today's defaults.
 */
function completeConfig(
  partial: Partial<RunConfig>,
  stored = false,
): { config: RunConfig; sizeFromFiles: boolean } {
  const config = stored ? storedConfig(partial) : withDefaults(partial);
  if (partial.size === undefined)
    return { config: { ...config, size: sizeFromNetG(config.netG) }, sizeFromFiles: false };
  return { config, sizeFromFiles: true };
}

async function planStudio(
  dir: string,
  files: readonly ImportSource[],
  ignored: IgnoredFile[],
): Promise<ImportPlan> {
  const map = new Map<string, Uint8Array>();
  for (const f of files) map.set(baseName(f.path), await readSource(f));
  const where = dir || 'studio checkpoint';
  const state = loadTrainerState(map, where);
  const cfg = storedConfig(state.config);
  const name = baseName(dir) || 'studio checkpoint';
  return {
    kind: 'studio',
    origin: 'file',
    format: 'studio',
    name,
    config: cfg,
    configSource: 'studio',
    sizeFromFiles: true,
    G: { file: `${where}/G`, format: 'studio', stateDict: state.G },
    D: { file: `${where}/D`, format: 'studio', stateDict: state.D },
    epoch: Math.max(0, state.epoch - 1),
    lossLog: [],
    state: { ...state, config: cfg },
    usedFiles: files.map((f) => f.path),
    ignoredFiles: ignored,
    warnings: [],
  };
}

async function planServerRun(
  dir: string,
  files: readonly ImportSource[],
  ignored: IgnoredFile[],
): Promise<ImportPlan> {
  const gPath = pickNewestGenerator(files.map((f) => f.path)) as string;
  const label = baseName(gPath).slice(0, -'_net_G.pth'.length);
  const wanted = new Set([baseName(gPath), `${label}_net_D.pth`, ...SERVER_TEXT]);
  const used: NamedFile[] = [];
  for (const f of files) {
    const b = baseName(f.path);
    if (wanted.has(b)) used.push({ name: f.path, bytes: await readSource(f) });
    else ignored.push({ path: f.path, reason: NETWORK_FILE.test(b) ? 'olderEpoch' : 'notCheckpoint' });
  }
  let run: ReturnType<typeof readServerRunFolder>;
  try {
    run = readServerRunFolder(used);
  } catch (e) {
    throw namedError(gPath, e);
  }
  const hasOpt = used.some((f) => baseName(f.name) === 'train_opt.txt');
  const hasLog = used.some((f) => baseName(f.name) === 'loss_log.txt');
  const { config, sizeFromFiles } = completeConfig(run.config, !hasOpt && run.G.configSource === 'metadata');
  return {
    kind: 'serverRun',
    origin: hasOpt || hasLog ? 'server' : 'file',
    format: 'pth',
    name: run.name ?? (baseName(dir) || stemOf(gPath)),
    config,
    configSource: hasOpt ? 'train_opt' : run.G.configSource === 'metadata' ? 'metadata' : 'inferred',
    sizeFromFiles,
    G: { file: run.generatorFile, format: 'pth', stateDict: run.G.stateDict },
    D: run.D
      ? { file: `${dir ? `${dir}/` : ''}${label}_net_D.pth`, format: 'pth', stateDict: run.D.stateDict }
      : null,
    epoch: run.epoch ?? 0,
    lossLog: run.lossLog,
    state: null,
    usedFiles: used.map((f) => f.name),
    ignoredFiles: ignored,
    warnings: run.warnings,
  };
}

interface LoadedNet {
  path: string;
  loaded: LoadedCheckpoint;
}

async function planNetworks(files: readonly ImportSource[], ignored: IgnoredFile[]): Promise<ImportPlan> {
  const nets: LoadedNet[] = [];
  const used: string[] = [];
  // TF.js folders: model.json with the .bin files beside it
  const tfjsDirs = new Set<string>();
  for (const f of files) {
    if (baseName(f.path) !== 'model.json') continue;
    const dir = dirName(f.path);
    const group = files.filter((g) => dirName(g.path) === dir && (g === f || /\.bin$/i.test(g.path)));
    const named: NamedFile[] = [];
    for (const g of group) named.push({ name: g.path, bytes: await readSource(g) });
    try {
      nets.push({ path: f.path, loaded: readCheckpointFile(f.path, named) });
    } catch (e) {
      throw namedError(f.path, e);
    }
    tfjsDirs.add(dir);
    used.push(...group.map((g) => g.path));
  }
  for (const f of files) {
    if (used.includes(f.path)) continue;
    const b = baseName(f.path);
    if (/\.bin$/i.test(b) && !tfjsDirs.has(dirName(f.path))) {
      throw new CheckpointFormatError(
        `${f.path}: a TF.js weight shard on its own cannot be read; select its model.json together with all .bin files`,
      );
    }
    if (!NETWORK_FILE.test(b)) {
      ignored.push({ path: f.path, reason: 'notCheckpoint' });
      continue;
    }
    const bytes = await readSource(f);
    if (detectCheckpointFormat(f.path, bytes) === null) {
      throw new CheckpointFormatError(
        `${f.path}: not a checkpoint the studio reads (PyTorch .pth, .safetensors, or TF.js model.json + shards)`,
      );
    }
    try {
      nets.push({ path: f.path, loaded: readCheckpointFile(f.path, bytes) });
    } catch (e) {
      throw namedError(f.path, e);
    }
    used.push(f.path);
  }
  for (const n of nets) {
    if (n.loaded.kind === 'unknown') {
      throw new CheckpointFormatError(
        `${n.path}: not a pix2pix generator or discriminator (${n.loaded.warnings.join('; ')})`,
      );
    }
  }
  const gs = nets.filter((n) => n.loaded.kind === 'G');
  const ds = nets.filter((n) => n.loaded.kind === 'D');
  if (gs.length === 0) {
    if (ds.length > 0) {
      throw new CheckpointFormatError(
        `${ds[0].path}: this is a discriminator; import its generator (…net_G) with it, or the whole run folder`,
      );
    }
    throw new CheckpointFormatError(
      'nothing to import: drop a .pth, .safetensors, TF.js model.json with its .bin files, a server checkpoints/<name>/ folder, or a ZIP of one',
    );
  }
  if (gs.length > 1) {
    throw new CheckpointFormatError(
      `${gs.length} generators (${gs.map((g) => g.path).join(', ')}): import one at a time`,
    );
  }
  if (ds.length > 1) {
    throw new CheckpointFormatError(
      `${ds.length} discriminators (${ds.map((d) => d.path).join(', ')}): keep only the one that belongs to the generator`,
    );
  }
  const g = gs[0];
  const d = ds[0];
  const dcfg: Partial<RunConfig> = d?.loaded.config ?? {};
  const partial: Partial<RunConfig> = { ...dcfg, ...(g.loaded.config ?? {}) };
  // the D file's own settings complete the generator's
  if (dcfg.ndf !== undefined) partial.ndf = dcfg.ndf;
  if (dcfg.n_layers_D !== undefined) partial.n_layers_D = dcfg.n_layers_D;
  if (dcfg.num_D !== undefined) partial.num_D = dcfg.num_D;
  const notes: string[] = [];
  if (partial.ndf === undefined && partial.ngf !== undefined) {
    partial.ndf = partial.ngf;
    notes.push(
      `ndf is not in the files (no discriminator): the fresh discriminator gets ndf = ngf = ${partial.ngf}, as in the server's defaults (64, 64) and the studio's presets`,
    );
  }
  const { config, sizeFromFiles } = completeConfig(partial, g.loaded.configSource === 'metadata');
  if (d) checkStateDictAgainstConfig(d.loaded.stateDict, config, 'D', d.path);
  const m = /^(\d+)_net_G$/.exec(stemOf(g.path));
  const serverName = /^(latest|\d+|iter_\d+)_net_G$/.test(stemOf(g.path));
  const dir = dirName(g.loaded.format === 'tfjs' ? dirName(g.path) : g.path);
  const name =
    g.loaded.format === 'tfjs'
      ? baseName(dirName(g.path)) || 'model'
      : serverName && dir
        ? baseName(dir)
        : stemOf(g.path);
  return {
    kind: 'network',
    origin: 'file',
    format: g.loaded.format,
    name: name.replace(/\.zip$/i, ''),
    config,
    configSource: g.loaded.configSource === 'metadata' ? 'metadata' : 'inferred',
    sizeFromFiles,
    G: { file: g.path, format: g.loaded.format, stateDict: g.loaded.stateDict },
    D: d ? { file: d.path, format: d.loaded.format, stateDict: d.loaded.stateDict } : null,
    epoch: m ? Number(m[1]) : 0,
    lossLog: [],
    state: null,
    usedFiles: used,
    ignoredFiles: ignored,
    warnings: [...g.loaded.warnings, ...(d?.loaded.warnings ?? []), ...notes],
  };
}

/**
 * Sort the dropped files into one import (see the file comment). Throws CheckpointFormatError
 * (naming the file) for unreadable, hostile or contradictory input, or when the drop holds several
 * runs / several generators.
 */
export async function planImport(sources: readonly ImportSource[]): Promise<ImportPlan> {
  if (sources.length === 0) throw new CheckpointFormatError('no files given');
  const { candidates, ignored } = await expandSources(sources);

  // 1. studio checkpoints: manifest.json with the studio's format tag
  const studioDirs: string[] = [];
  for (const f of candidates) {
    if (baseName(f.path) !== MANIFEST_FILE) continue;
    const bytes = await readSource(f);
    let isStudio: boolean;
    try {
      const j = JSON.parse(new TextDecoder().decode(bytes)) as { format?: unknown };
      isStudio = j.format === CHECKPOINT_FORMAT;
    } catch {
      isStudio = false; // another tool's manifest.json: not ours, ignored below
    }
    if (isStudio) {
      parseManifest(bytes, dirName(f.path) || 'studio checkpoint');
      studioDirs.push(dirName(f.path));
    }
  }
  if (studioDirs.length > 1) {
    throw new CheckpointFormatError(
      `${studioDirs.length} studio checkpoints (${studioDirs.map((d) => d || '.').join(', ')}): import one at a time`,
    );
  }
  if (studioDirs.length === 1) {
    const dir = studioDirs[0];
    const inDir = candidates.filter((f) => dirName(f.path) === dir);
    const rest = candidates.filter((f) => dirName(f.path) !== dir);
    return planStudio(dir, inDir, [
      ...ignored,
      ...rest.map((f) => ({ path: f.path, reason: 'otherNetwork' as const })),
    ]);
  }

  // 2. server run folders: <label>_net_G.pth beside train_opt.txt / loss_log.txt / its net_D
  const gDirs = new Set(
    candidates.filter((f) => SERVER_G.test(baseName(f.path))).map((f) => dirName(f.path)),
  );
  const serverDirs = [...gDirs].filter((dir) => {
    const inDir = candidates.filter((f) => dirName(f.path) === dir).map((f) => baseName(f.path));
    const gName = pickNewestGenerator(inDir) as string;
    const label = gName.slice(0, -'_net_G.pth'.length);
    return (
      inDir.some((b) => SERVER_TEXT.has(b) || b === `${label}_net_D.pth`) ||
      inDir.filter((b) => SERVER_G.test(b)).length > 1
    );
  });
  if (serverDirs.length > 1) {
    throw new CheckpointFormatError(
      `the drop holds ${serverDirs.length} server runs (${serverDirs.map((d) => d || '.').join(', ')}): import one folder at a time`,
    );
  }
  if (serverDirs.length === 1) {
    const dir = serverDirs[0];
    const inDir = candidates.filter((f) => dirName(f.path) === dir);
    const rest = candidates.filter((f) => dirName(f.path) !== dir);
    return planServerRun(dir, inDir, [
      ...ignored,
      ...rest.map((f) => ({ path: f.path, reason: 'otherNetwork' as const })),
    ]);
  }

  // 3. network files (.pth, .safetensors, TF.js)
  return planNetworks(candidates, ignored);
}

// ---------------------------------------------------------------------------------------------
// Preview (what the UI shows before committing)
// ---------------------------------------------------------------------------------------------

export interface NetworkSummary {
  file: string;
  format: CheckpointFormat | 'studio';
  keys: number;
  /** Number of values (parameters and buffers). */
  values: number;
  bytes: number;
}

export interface ImportPreview {
  kind: ImportKind;
  origin: ImportOrigin;
  format: CheckpointFormat | 'studio';
  name: string;
  config: RunConfig;
  configSource: ConfigSource;
  sizeFromFiles: boolean;
  G: NetworkSummary;
  D: NetworkSummary | null;
  epoch: number;
  /** Steps of the imported history (from the loss log), or of a studio checkpoint. */
  step: number;
  lossRecords: number;
  /** The last logged losses (G_GAN, G_L1, D_real, D_fake). */
  lastLosses: Record<string, number>;
  usedFiles: string[];
  ignoredFiles: IgnoredFile[];
  warnings: string[];
}

function summarizeNet(n: PlannedNetwork): NetworkSummary {
  let values = 0;
  let bytes = 0;
  for (const e of n.stateDict) {
    values += e.data.length;
    bytes += e.data.byteLength;
  }
  return { file: n.file, format: n.format, keys: n.stateDict.length, values, bytes };
}

export function previewOf(plan: ImportPlan): ImportPreview {
  const history = plan.state ? [] : historyPoints(plan.lossLog, plan.config, 0);
  const last = plan.lossLog[plan.lossLog.length - 1];
  return {
    kind: plan.kind,
    origin: plan.origin,
    format: plan.format,
    name: plan.name,
    config: plan.config,
    configSource: plan.configSource,
    sizeFromFiles: plan.sizeFromFiles,
    G: summarizeNet(plan.G),
    D: plan.D ? summarizeNet(plan.D) : null,
    epoch: plan.epoch,
    step: plan.state ? plan.state.step : history.length > 0 ? history[history.length - 1].step : 0,
    lossRecords: plan.lossLog.length,
    lastLosses: last ? { ...last.losses } : {},
    usedFiles: plan.usedFiles,
    ignoredFiles: plan.ignoredFiles,
    warnings: plan.warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Commit
// ---------------------------------------------------------------------------------------------

/** The loss log as `train` history points (values as logged; non-finite values as null). */
function historyPoints(log: readonly LossLogRecord[], cfg: RunConfig, timeMs: number): MetricPoint[] {
  if (log.length === 0) return [];
  // one definition of steps and learning rates, shared with `cli import`
  return historyFromLossLog(log, cfg).map((row) => {
    const values: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(row)) {
      if (k === 'step' || k === 'epoch') continue;
      values[k] = Number.isFinite(v) ? v : null;
    }
    return { step: row.step, epoch: row.epoch, timeMs, values };
  });
}

export interface CommitImportOptions {
  /** Run name (default: the plan's). */
  name?: string;
  /** Training size in px (default: the plan's); ignored for a studio checkpoint. */
  size?: number;
  /** Dataset the run is evaluated on / continued with ('' = none chosen). */
  datasetId?: string;
  /** Creates the discriminator when the files had none (server init from the run's seed). */
  freshDiscriminator: (cfg: RunConfig) => Promise<StateDict>;
  nowMs?: number;
}

export interface ImportCommitted {
  run: RunRecord;
  checkpoint: CheckpointRecord;
  historyPoints: number;
  /** True when the discriminator was created fresh. */
  freshD: boolean;
}

const DEFAULT_PAD: Pick<PreprocessSpec, 'pad' | 'padColor' | 'roi'> = {
  pad: 'constant',
  padColor: [0, 0, 0],
  roi: null,
};

/**
 * Store an import plan as a finished run with its history and checkpoint `last` (see the file
 * comment). Checks the config (e.g. the chosen size) before anything is written; on a storage
 * failure the half-written run is deleted again and the error rethrown.
 */
export async function commitImport(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints' | 'datasets'>,
  plan: ImportPlan,
  opts: CommitImportOptions,
): Promise<ImportCommitted> {
  const now = opts.nowMs ?? Date.now();
  const name = (opts.name ?? plan.name).trim() || plan.name;
  let cfg: RunConfig = plan.state
    ? plan.state.config
    : { ...plan.config, ...(opts.size !== undefined ? { size: opts.size } : {}) };
  const issues = checkRunConfig(cfg);
  if (issues.length > 0) {
    throw new CheckpointFormatError(`${plan.G.file}: ${issues.map((i) => i.message.text).join(' ')}`);
  }
  checkStateDictAgainstConfig(plan.G.stateDict, cfg, 'G', plan.G.file);
  let D = plan.D?.stateDict;
  const freshD = D === undefined;
  if (D === undefined) D = await opts.freshDiscriminator(cfg);
  else checkStateDictAgainstConfig(D, cfg, 'D', plan.D?.file ?? 'D');

  const history = plan.state ? [] : historyPoints(plan.lossLog, cfg, now);
  const lastValues = history.length > 0 ? history[history.length - 1].values : {};
  let state: TrainerState;
  if (plan.state) {
    state = plan.state;
  } else {
    const lastStep = history.length > 0 ? history[history.length - 1].step : 0;
    state = {
      config: cfg,
      step: lastStep,
      epoch: plan.epoch + 1,
      iterInEpoch: 0,
      trainCount: 0,
      dataOrder: [],
      historyLength: history.length,
      metrics: { ...lastValues },
      G: plan.G.stateDict,
      D,
      optimizer: { G: freshAdam(plan.G.stateDict, cfg), D: freshAdam(D, cfg) },
    };
  }
  cfg = state.config;
  const files = encodeTrainerState(state, { created: new Date(now) });
  loadTrainerState(files, name); // must read back before anything is stored

  let preprocessing: PreprocessSpec = { mode: cfg.preprocess, size: cfg.size, ...DEFAULT_PAD };
  const datasetId = opts.datasetId ?? '';
  if (datasetId && !datasetId.startsWith('demo-')) {
    const ds = await getDataset(storage.datasets, datasetId);
    if (ds) preprocessing = { ...ds.preprocessing, size: cfg.size, mode: cfg.preprocess };
  }
  const describe = `${plan.format} · ${[plan.G.file, plan.D?.file].filter(Boolean).join(', ')}`;
  const run = await createRun(
    storage.runs,
    {
      name,
      datasetId,
      config: cfg,
      preprocessing,
      backend: plan.origin,
      adapter: describe.length > 300 ? `${describe.slice(0, 297)}…` : describe,
      origin: {
        kind: 'imported',
        format: plan.format,
        files: [plan.G.file, plan.D?.file].filter((f): f is string => typeof f === 'string'),
      },
    },
    now,
  );
  try {
    // not 'running' for longer than needed: a reload must not take it for an interrupted run
    await updateRun(storage.runs, run.id, { status: 'finished', heartbeatAt: now }, now);
    if (history.length > 0) await appendHistory(storage.runs, run.id, 'train', history);
    const checkpoint = await saveCheckpoint(storage.checkpoints, run.id, 'last', files, undefined, {
      nowMs: now,
    });
    const finished = await updateRun(
      storage.runs,
      run.id,
      {
        status: 'finished',
        step: state.step,
        epoch: state.epoch,
        durationMs: 0,
        lastMetrics: { ...state.metrics },
        checkpointNames: ['last'],
        error: null,
        heartbeatAt: now,
      },
      now,
    );
    return { run: finished, checkpoint, historyPoints: history.length, freshD };
  } catch (e) {
    await deleteRun(storage, run.id).catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

export type ExportFormat = CheckpointFormat | 'studio';
export type ExportNets = 'G' | 'D' | 'both';

export interface ExportRequest {
  runId: string;
  /** Checkpoint pointer name (`last`, `best`, …). */
  name: string;
  format: ExportFormat;
  nets: ExportNets;
  /** `latest` → latest_net_G.pth (what --continue_train loads); `epoch` → <completed epochs>_net_G.pth. */
  label: 'latest' | 'epoch';
}

/** One file to save. */
export interface DownloadFile {
  fileName: string;
  mime: string;
  bytes: Uint8Array;
  /** The files inside (the file itself when it is not a ZIP). */
  contents: { name: string; bytes: number }[];
}

/**
 * Completed epochs of a checkpoint: its manifest counts the epoch in progress (1-based), which is
 * complete when its last batch is done (see core/train/continue.ts).
 */
export function completedEpochs(
  manifest: Pick<CheckpointManifest, 'epoch' | 'iterInEpoch' | 'trainCount' | 'config'>,
): number {
  return completedEpochsOfPosition(manifest);
}

/** Letters, digits, `_`, `-`, `.` only (file and folder names, the server's --name). */
export function safeFileStem(s: string): string {
  const t = s
    .trim()
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[._]+/, '')
    .replace(/_+$/, '');
  return t.length > 0 ? t.slice(0, 80) : 'run';
}

function zipDownload(fileName: string, entries: NamedFile[]): DownloadFile {
  const zip: ZipInputEntry[] = entries.map((e) => ({ name: e.name, data: e.bytes }));
  return {
    fileName,
    mime: 'application/zip',
    bytes: writeZip(zip, 64),
    contents: entries.map((e) => ({ name: e.name, bytes: e.bytes.length })),
  };
}

async function runAndFiles(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  name: string,
): Promise<{ run: RunRecord | undefined; files: Map<string, Uint8Array>; manifest: CheckpointManifest }> {
  const [run, { files }] = await Promise.all([
    getRun(storage.runs, runId),
    loadCheckpoint(storage.checkpoints, runId, name),
  ]);
  const mbytes = files.get(MANIFEST_FILE);
  if (!mbytes) throw new CheckpointFormatError(`checkpoint "${name}": ${MANIFEST_FILE} is missing`);
  return { run, files, manifest: parseManifest(mbytes, `checkpoint "${name}"`) };
}

/**
 * A stored checkpoint as a download (see ExportRequest). Shards are checked against the manifest's
 * sizes and CRC-32 while reading; the state_dict against the config while writing.
 */
export async function exportCheckpointFiles(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  req: ExportRequest,
): Promise<DownloadFile> {
  const { run, files, manifest } = await runAndFiles(storage, req.runId, req.name);
  const base = safeFileStem(`${run?.name ?? req.runId}-${req.name}`);
  if (req.format === 'studio') {
    return zipDownload(
      `${base}.zip`,
      [...files].map(([n, b]) => ({ name: `${base}/${n}`, bytes: b })),
    );
  }
  const cfg = storedConfig(manifest.config);
  const label = req.label === 'epoch' ? String(completedEpochs(manifest)) : 'latest';
  const kinds: NetKind[] = req.nets === 'both' ? ['G', 'D'] : [req.nets];
  const out: NamedFile[] = [];
  for (const kind of kinds) {
    const { stateDict } = await readCheckpointNetwork(
      async (f) => files.get(f),
      kind,
      `run ${run?.name ?? req.runId}, checkpoint "${req.name}"`,
    );
    out.push(...writeCheckpointFiles(stateDict, { kind, config: cfg, format: req.format, label }));
  }
  if (out.length === 1) {
    const f = out[0];
    return {
      fileName: f.name,
      mime: 'application/octet-stream',
      bytes: f.bytes,
      contents: [{ name: f.name, bytes: f.bytes.length }],
    };
  }
  return zipDownload(`${base}_${label}_${req.format}.zip`, out);
}

// ---------------------------------------------------------------------------------------------
// Server bundle
// ---------------------------------------------------------------------------------------------

export interface BundleDescription {
  runId: string;
  checkpoint: string;
  /** The server's --name (and folder names): the run name made file-safe. */
  bundleName: string;
  /** Completed epochs; the server continues with --epoch_count epoch + 1. */
  epoch: number;
  gpus: number;
  /** Null when the server can express the run; else why not and what to change (English). */
  problem: string | null;
  /** `python train.py …` (one GPU). */
  single: string;
  /** `torchrun --nproc_per_node=<gpus> train.py … --norm syncbatch` (DDP). */
  multi: string;
  /** Options the server does not have, with the run's values. */
  studioOnly: { name: string; value: string; note: string }[];
  /** The run's dataset id ('' when none is recorded). */
  datasetId: string;
  config: RunConfig;
}

/**
 * A stored checkpoint whose files are read one at a time on demand (the bundle needs the manifest
 * and the G and D shards, never the optimizer state, which is twice the generator's size).
 */
async function lazyCheckpoint(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  name: string,
): Promise<{
  run: RunRecord | undefined;
  manifest: CheckpointManifest;
  get: (file: string) => Promise<Uint8Array | undefined>;
}> {
  const [run, { get }] = await Promise.all([
    getRun(storage.runs, runId),
    checkpointReader(storage.checkpoints, runId, name),
  ]);
  const mbytes = await get(MANIFEST_FILE);
  if (!mbytes) throw new CheckpointFormatError(`checkpoint "${name}": ${MANIFEST_FILE} is missing`);
  return { run, manifest: parseManifest(mbytes, `checkpoint "${name}"`), get };
}

/** The commands and compatibility of a stored checkpoint's server bundle (no files are built). */
export async function describeServerBundle(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  name: string,
  gpus = 2,
): Promise<BundleDescription> {
  const { run, manifest } = await lazyCheckpoint(storage, runId, name);
  const cfg = storedConfig(manifest.config);
  const bundleName = safeFileStem(run?.name ?? runId);
  const epoch = completedEpochs(manifest);
  let problem: string | null = null;
  try {
    assertServerCompatible(cfg);
  } catch (e) {
    problem = errorText(e);
  }
  const multiNorm = cfg.norm === 'batch' ? 'syncbatch' : cfg.norm;
  return {
    runId,
    checkpoint: name,
    bundleName,
    epoch,
    gpus,
    problem,
    single: `python train.py ${serverCommandArgs(cfg, bundleName, epoch).join(' ')}`,
    multi: `torchrun --nproc_per_node=${gpus} train.py ${serverCommandArgs(cfg, bundleName, epoch, multiNorm).join(' ')}`,
    studioOnly: studioOnlyOptions(cfg),
    datasetId: run?.datasetId ?? '',
    config: cfg,
  };
}

export interface BundleRequest {
  runId: string;
  name: string;
  gpus: number;
  /** A stored dataset id or a demo id `demo-<cases>-<seed>`; default the run's own. */
  datasetId?: string;
}

export interface BundleProgress {
  /**
   * `checkpoint`: reading G and D; `dataset`: cases loaded, preprocessed, encoded and written
   * (`done` of `total`); `writing`: the .pth files and the ZIP directory.
   */
  phase: 'checkpoint' | 'dataset' | 'writing';
  done: number;
  total: number;
}

export interface BundleDeps {
  /** The cases at the run's preprocessing (photo and X-ray `spec.size` square), all in memory. */
  loadCases(
    storage: StudioStorage,
    datasetId: string,
    spec: PreprocessSpec,
    onProgress: (done: number, total: number) => void,
  ): Promise<ServerBundleCase[]>;
  onProgress?: (p: BundleProgress) => void;
  signal?: AbortSignal;
}

export interface BundleStreamDeps {
  /**
   * Hand every case at the run's preprocessing to `onCase`, in dataset order, one at a time
   * (load, preprocess, call, forget); `onCase` encodes and writes the case before it returns, and
   * may throw (a bad case, a full disk, an abort), which must end the loading with that error.
   */
  streamCases(
    storage: StudioStorage,
    datasetId: string,
    spec: PreprocessSpec,
    onCase: (c: ServerBundleCase) => void,
    onProgress: (done: number, total: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  onProgress?: (p: BundleProgress) => void;
  /** Cancel: the build stops at the next case and the target is discarded. */
  signal?: AbortSignal;
}

/** Where a streamed bundle goes: a file (Node), the Origin Private File System, Blob parts. */
export interface BundleTarget<R> {
  /** The next bytes of the ZIP, synchronously (see ZipSink: never modify, copy if kept). */
  write(chunk: Uint8Array): void;
  /** The archive is complete: flush it, give it its final name and return it. */
  close(): Promise<R>;
  /** A failure or cancel: remove everything written (must not throw). */
  abort(): Promise<void>;
}

/** A streamed bundle: what the target returned, with the archive's size and entries. */
export interface WrittenBundle<R> {
  fileName: string;
  mime: string;
  file: R;
  bytes: number;
  contents: { name: string; bytes: number }[];
}

/** Cases per tensor-cache read / write while streaming (the loader holds up to two chunks). */
const STREAM_CHUNK = 4;

/**
 * `BundleStreamDeps.streamCases` for the studio's datasets: a stored dataset (`loadDatasetForTraining`
 * with `keepImages: false`: each case decoded or read from the tensor cache, preprocessed, handed
 * over and dropped) or a demo id `demo-<cases>-<seed>` (the phantom generator makes all its cases at
 * once; demo sets are small). One task per demo case, so that a worker's terminate() ends it between
 * cases. `decode` defaults to createImageBitmap + OffscreenCanvas (Node passes its own).
 */
export async function streamBundleCases(
  storage: StudioStorage,
  datasetId: string,
  spec: PreprocessSpec,
  onCase: (c: ServerBundleCase) => void,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
  decode?: (blob: Blob) => Promise<RgbaImage>,
): Promise<void> {
  const source = datasetSourceFromId(datasetId);
  if (source.kind === 'demo') {
    const { loadDemoCases } = await import('./demoData');
    const { cases } = await loadDemoCases(source.cases, source.seed, spec.size);
    for (let i = 0; i < cases.length; i++) {
      // Chromium's worker.terminate() ends a worker between tasks at once, a long task only after ~2 s
      await new Promise((r) => setTimeout(r, 0));
      signal?.throwIfAborted();
      const c = cases[i];
      onCase({ id: c.id, split: c.split, photo: c.photo, xray: c.xray });
      onProgress(i + 1, cases.length);
    }
    return;
  }
  const { loadDatasetForTraining } = await import('./datasetSource');
  await loadDatasetForTraining(storage, source.datasetId, spec, {
    keepImages: false,
    chunkSize: STREAM_CHUNK,
    signal,
    decode,
    onCase: (c) => onCase({ id: c.id, split: c.split, photo: c.photo, xray: c.xray }),
    onProgress: (p) => onProgress(p.done, p.total),
  });
}

/**
 * Stream the server bundle of a stored checkpoint, with a dataset's cases, to the target that
 * `openTarget(fileName)` opens once the run has passed its checks. Memory: the G and D state_dicts,
 * one .pth at a time at the end, and the case in hand (plus what `streamCases` buffers); the ZIP
 * itself never. Throws a CheckpointFormatError when the server cannot express the run (the message
 * says what to change), the signal's reason when aborted; on any failure after the target is open
 * it is aborted first, so no half-written archive remains.
 */
export async function writeServerBundleFromStore<R>(
  storage: StudioStorage,
  req: BundleRequest,
  deps: BundleStreamDeps,
  openTarget: (fileName: string) => Promise<BundleTarget<R>>,
): Promise<WrittenBundle<R>> {
  const { signal } = deps;
  signal?.throwIfAborted();
  deps.onProgress?.({ phase: 'checkpoint', done: 0, total: 1 });
  const { run, manifest, get } = await lazyCheckpoint(storage, req.runId, req.name);
  const cfg = storedConfig(manifest.config);
  assertServerCompatible(cfg);
  const datasetId = req.datasetId ?? run?.datasetId ?? '';
  if (!datasetId) {
    throw new CheckpointFormatError(
      `run ${run?.name ?? req.runId} has no dataset recorded; choose the dataset whose cases go into the bundle`,
    );
  }
  const where = `run ${run?.name ?? req.runId}, checkpoint "${req.name}"`;
  const G = (await readCheckpointNetwork(get, 'G', where)).stateDict;
  const D = (await readCheckpointNetwork(get, 'D', where)).stateDict;
  signal?.throwIfAborted();
  const spec: PreprocessSpec = {
    ...(run?.preprocessing ?? { mode: cfg.preprocess, ...DEFAULT_PAD, size: cfg.size }),
    size: cfg.size,
  };
  const bundleName = safeFileStem(run?.name ?? req.runId);
  const fileName = `${bundleName}_server_bundle.zip`;
  let target: BundleTarget<R> | null = null;
  // checks the networks against the configuration before the target exists; writes nothing yet
  const writer = startServerBundle(
    { name: bundleName, G, D, config: cfg, epoch: completedEpochs(manifest), gpus: req.gpus },
    { write: (chunk) => (target as BundleTarget<R>).write(chunk) },
  );
  target = await openTarget(fileName);
  try {
    deps.onProgress?.({ phase: 'dataset', done: 0, total: 0 });
    await deps.streamCases(
      storage,
      datasetId,
      spec,
      (c) => {
        signal?.throwIfAborted();
        writer.addCase(c);
      },
      (done, total) => deps.onProgress?.({ phase: 'dataset', done, total }),
      signal,
    );
    signal?.throwIfAborted();
    deps.onProgress?.({ phase: 'writing', done: 0, total: writer.cases });
    const summary = writer.finish();
    signal?.throwIfAborted();
    const file = await target.close();
    deps.onProgress?.({ phase: 'writing', done: writer.cases, total: writer.cases });
    return {
      fileName,
      mime: 'application/zip',
      file,
      bytes: summary.bytes,
      contents: summary.entries.map((e) => ({ name: e.name, bytes: e.bytes })),
    };
  } catch (e) {
    await target.abort();
    throw e;
  }
}

/**
 * The server bundle ZIP of a stored checkpoint, built in memory with `deps.loadCases` (small
 * datasets, tests, the `buildBundle` command). Same archive as `writeServerBundleFromStore`.
 * Throws a CheckpointFormatError when the server cannot express the run.
 */
export async function buildServerBundleFromStore(
  storage: StudioStorage,
  req: BundleRequest,
  deps: BundleDeps,
): Promise<DownloadFile> {
  const out = await writeServerBundleFromStore(
    storage,
    req,
    {
      streamCases: async (s, datasetId, spec, onCase, onProgress) => {
        const cases = await deps.loadCases(s, datasetId, spec, onProgress);
        for (const c of cases) onCase(c);
      },
      onProgress: deps.onProgress,
      signal: deps.signal,
    },
    async () => {
      const sink = memorySink();
      return { write: (c) => sink.write(c), close: async () => sink.bytes(), abort: async () => undefined };
    },
  );
  return { fileName: out.fileName, mime: out.mime, bytes: out.file, contents: out.contents };
}

/**
 * A bundle written by the checkpoint worker (`writeBundle`): a File in the Origin Private File
 * System (`stored` = its folder path from the OPFS root, for removal once saved) or, where OPFS is
 * missing, a Blob assembled from parts (`stored` null).
 */
export interface BundleFile {
  fileName: string;
  mime: string;
  blob: Blob;
  bytes: number;
  contents: { name: string; bytes: number }[];
  stored: string[] | null;
}

// ---------------------------------------------------------------------------------------------
// Worker protocol (bundleWorker.ts serves it; the page's client is ui/checkpoints/ioClient.ts)
// ---------------------------------------------------------------------------------------------

/** An import preview with the token that commits or discards the plan held by the worker. */
export type InspectedImport = ImportPreview & { token: string };

export interface CheckpointIoCommands {
  /** Read dropped files (Blobs are read in the worker) into a plan; nothing is stored. */
  inspectImport: { params: { files: { path: string; blob: Blob }[] }; result: InspectedImport };
  commitImport: {
    params: { token: string; name: string; size: number; datasetId: string };
    result: ImportCommitted;
  };
  discardImport: { params: { token: string }; result: void };
  exportCheckpoint: { params: ExportRequest; result: DownloadFile };
  describeBundle: { params: { runId: string; name: string; gpus: number }; result: BundleDescription };
  buildBundle: { params: BundleRequest; result: DownloadFile };
  /**
   * The bundle streamed to a file (OPFS, else Blob parts): served by bundleWorker.ts itself, not by
   * createIoService. Cancel = terminate the worker (the next build removes the unfinished file).
   */
  writeBundle: { params: BundleRequest; result: BundleFile };
}

export type IoMethod = keyof CheckpointIoCommands;
export type IoParams<M extends IoMethod> = CheckpointIoCommands[M]['params'];
export type IoResult<M extends IoMethod> = CheckpointIoCommands[M]['result'];

export const IO_METHODS: readonly IoMethod[] = [
  'inspectImport',
  'commitImport',
  'discardImport',
  'exportCheckpoint',
  'describeBundle',
  'buildBundle',
  'writeBundle',
];

export interface IoRequestMessage {
  kind: 'request';
  id: number;
  method: IoMethod;
  params: unknown;
  /** IndexedDB prefix (default `ceph-gan-studio`). */
  storagePrefix?: string;
}

export type IoWorkerMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: { name: string; message: string } }
  | { kind: 'progress'; id: number; progress: BundleProgress };

export interface IoServiceDeps {
  openStorage(prefix: string | undefined): Promise<StudioStorage>;
  freshDiscriminator(cfg: RunConfig): Promise<StateDict>;
  loadCases: BundleDeps['loadCases'];
  /** Token for a held import plan (default: a counter). */
  newToken?: () => string;
}

/**
 * The request handler of the checkpoint worker: one request at a time per call, import plans held
 * between inspect and commit/discard (at most the 4 newest; older ones are dropped). Errors become
 * `{ ok: false }` responses with the error's name and message.
 */
export function createIoService(
  deps: IoServiceDeps,
): (msg: IoRequestMessage, post: (m: IoWorkerMessage) => void) => Promise<void> {
  const plans = new Map<string, ImportPlan>();
  let counter = 0;
  const newToken = deps.newToken ?? (() => `import-${++counter}`);
  const storages = new Map<string, Promise<StudioStorage>>();
  const storageFor = (prefix: string | undefined): Promise<StudioStorage> => {
    const key = prefix ?? '';
    let s = storages.get(key);
    if (!s) {
      s = deps.openStorage(prefix);
      storages.set(key, s);
      s.catch(() => storages.delete(key));
    }
    return s;
  };
  const run = async (msg: IoRequestMessage, post: (m: IoWorkerMessage) => void): Promise<unknown> => {
    switch (msg.method) {
      case 'inspectImport': {
        const p = msg.params as IoParams<'inspectImport'>;
        const plan = await planImport(p.files.map((f) => sourceFromBlob(f.path, f.blob)));
        const token = newToken();
        plans.set(token, plan);
        while (plans.size > 4) plans.delete(plans.keys().next().value as string);
        return { ...previewOf(plan), token } satisfies InspectedImport;
      }
      case 'commitImport': {
        const p = msg.params as IoParams<'commitImport'>;
        const plan = plans.get(p.token);
        if (!plan) throw new Error('this import preview has expired; drop the files again');
        const storage = await storageFor(msg.storagePrefix);
        const out = await commitImport(storage, plan, {
          name: p.name,
          size: p.size,
          datasetId: p.datasetId,
          freshDiscriminator: deps.freshDiscriminator,
        });
        plans.delete(p.token);
        return out;
      }
      case 'discardImport': {
        plans.delete((msg.params as IoParams<'discardImport'>).token);
        return undefined;
      }
      case 'exportCheckpoint':
        return exportCheckpointFiles(
          await storageFor(msg.storagePrefix),
          msg.params as IoParams<'exportCheckpoint'>,
        );
      case 'describeBundle': {
        const p = msg.params as IoParams<'describeBundle'>;
        return describeServerBundle(await storageFor(msg.storagePrefix), p.runId, p.name, p.gpus);
      }
      case 'buildBundle':
        return buildServerBundleFromStore(
          await storageFor(msg.storagePrefix),
          msg.params as IoParams<'buildBundle'>,
          {
            loadCases: deps.loadCases,
            onProgress: (progress) => post({ kind: 'progress', id: msg.id, progress }),
          },
        );
      default:
        throw new Error(`unknown checkpoint command "${String(msg.method)}"`);
    }
  };
  return async (msg, post) => {
    try {
      const result = await run(msg, post);
      post({ kind: 'response', id: msg.id, ok: true, result });
    } catch (e) {
      post({
        kind: 'response',
        id: msg.id,
        ok: false,
        error: { name: e instanceof Error ? e.name : 'Error', message: errorText(e) },
      });
    }
  };
}
