/**
 * The studio's own checkpoint: everything a run needs to continue exactly where it stopped.
 *
 * A checkpoint is a set of files (`CheckpointFiles`, name -> bytes):
 *  - `manifest.json`: format name and version, config, step / epoch / position in the epoch, the
 *    epoch's data order, the metrics at save time, the optimizer counters, and the shard list with
 *    byte sizes and CRC-32 checksums (CRC-32 rather than SHA-256: it is synchronous and needs no
 *    secure context; it guards against truncated and corrupted shards, not against tampering);
 *  - `G.safetensors`, `D.safetensors`: the networks' state_dicts in PyTorch layout and key names
 *    (each shard is a valid safetensors file the server can read as is);
 *  - `optim.safetensors`: Adam moments in TF layout, keys `G/m/<state_dict key>`, `G/v/...`,
 *    `D/m/...`, `D/v/...`.
 * A role larger than 64 MiB is split into pieces named `G-00001-of-00004.safetensors`, each
 * holding whole tensors (a single tensor larger than the limit gets a piece of its own).
 *
 * Atomicity is the writer's job: `writeCheckpointAtomically` writes a new version under a fresh id
 * and flips the `<name>/current` pointer only after every file is stored; the previous version is
 * deleted afterwards. A write that fails part-way leaves the previous checkpoint loadable.
 */
import type { RunConfig } from '../config';
import { CheckpointFormatError } from '../io/checkpointError';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { StateDict } from '../model/types';
import type { AdamState } from './adam';

export const CHECKPOINT_FORMAT = 'ceph-gan-studio-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
/** Largest shard payload before a role is split (64 MiB). */
export const MAX_SHARD_BYTES = 64 * 1024 * 1024;

/** File name -> bytes. */
export type CheckpointFiles = Map<string, Uint8Array>;

export type ShardRole = 'G' | 'D' | 'optim';

export interface ShardInfo {
  file: string;
  role: ShardRole;
  bytes: number;
  /** CRC-32 (IEEE) of the file, 8 lowercase hex digits. */
  crc32: string;
}

export interface OptimizerCounters {
  iterations: number;
  accBeta1: number;
  accBeta2: number;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  /** ISO 8601 time of saving. */
  created: string;
  config: RunConfig;
  /** Completed training steps. */
  step: number;
  /** Current epoch, 1-based server numbering. */
  epoch: number;
  /** Batches already done in the current epoch. */
  iterInEpoch: number;
  /** Number of training cases the run was using (resuming on other data is refused). */
  trainCount: number;
  /** The current epoch's case order. */
  dataOrder: number[];
  /** Number of metric records the run has logged so far (where its curves continue). */
  historyLength: number;
  /** Metrics at save time (e.g. last losses, validation metrics); non-finite values stored as null. */
  metrics: Record<string, number | null>;
  optimizer: { G: OptimizerCounters; D: OptimizerCounters };
  shards: ShardInfo[];
}

/** Everything needed to resume a run. */
export interface TrainerState {
  config: RunConfig;
  step: number;
  epoch: number;
  iterInEpoch: number;
  trainCount: number;
  dataOrder: number[];
  historyLength: number;
  metrics: Record<string, number | null>;
  /** State dicts in PyTorch layout (from stateDictOf). */
  G: StateDict;
  D: StateDict;
  optimizer: { G: AdamState; D: AdamState };
}

/** What a trainer exposes for saving (implemented by Trainer). */
export interface HasTrainerState {
  getState(extraMetrics?: Record<string, number | null>): Promise<TrainerState>;
}

// ---------------------------------------------------------------------------------------------
// CRC-32
// ---------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip and PNG) of bytes, as 8 lowercase hex digits. */
export function crc32Hex(bytes: Uint8Array): string {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

function entryBytes(e: StateDict[number]): number {
  return e.data.byteLength;
}

/** Split a state dict into pieces of at most maxBytes of tensor data (whole tensors only). */
export function splitIntoShards(sd: StateDict, maxBytes = MAX_SHARD_BYTES): StateDict[] {
  const pieces: StateDict[] = [];
  let cur: StateDict = [];
  let curBytes = 0;
  for (const e of sd) {
    const b = entryBytes(e);
    if (cur.length > 0 && curBytes + b > maxBytes) {
      pieces.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(e);
    curBytes += b;
  }
  if (cur.length > 0 || pieces.length === 0) pieces.push(cur);
  return pieces;
}

/** `G.safetensors` for one piece, `G-00002-of-00004.safetensors` for several. */
export function shardFileName(role: ShardRole, index: number, count: number): string {
  if (count === 1) return `${role}.safetensors`;
  const pad = (n: number): string => String(n).padStart(5, '0');
  return `${role}-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

function finiteOrNull(metrics: Record<string, number | null>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = v !== null && Number.isFinite(v) ? v : null;
  return out;
}

function optimizerEntries(state: { G: AdamState; D: AdamState }): StateDict {
  const out: StateDict = [];
  for (const net of ['G', 'D'] as const) {
    for (const kind of ['m', 'v'] as const) {
      for (const e of state[net][kind]) out.push({ ...e, key: `${net}/${kind}/${e.key}` });
    }
  }
  return out;
}

/** Serialize a trainer state to checkpoint files (manifest + shards). `maxShardBytes` for tests. */
export function encodeTrainerState(
  state: TrainerState,
  opts: { maxShardBytes?: number; created?: Date } = {},
): CheckpointFiles {
  const files: CheckpointFiles = new Map();
  const shards: ShardInfo[] = [];
  const roles: [ShardRole, StateDict][] = [
    ['G', state.G],
    ['D', state.D],
    ['optim', optimizerEntries(state.optimizer)],
  ];
  for (const [role, sd] of roles) {
    const pieces = splitIntoShards(sd, opts.maxShardBytes ?? MAX_SHARD_BYTES);
    pieces.forEach((piece, i) => {
      const file = shardFileName(role, i, pieces.length);
      const metadata: Record<string, string> = {
        format: 'pt',
        producer: CHECKPOINT_FORMAT,
        role,
        layout: role === 'optim' ? 'tfjs' : 'pytorch',
      };
      // a whole network in one file carries what io/formats.ts needs to load it on its own
      if (role !== 'optim' && pieces.length === 1) {
        metadata.kind = role;
        metadata.studio_config = JSON.stringify(state.config);
      }
      const bytes = writeSafetensors(piece, metadata);
      files.set(file, bytes);
      shards.push({ file, role, bytes: bytes.length, crc32: crc32Hex(bytes) });
    });
  }
  const counters = (a: AdamState): OptimizerCounters => ({
    iterations: a.iterations,
    accBeta1: a.accBeta1,
    accBeta2: a.accBeta2,
  });
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    created: (opts.created ?? new Date()).toISOString(),
    config: state.config,
    step: state.step,
    epoch: state.epoch,
    iterInEpoch: state.iterInEpoch,
    trainCount: state.trainCount,
    dataOrder: state.dataOrder,
    historyLength: state.historyLength,
    metrics: finiteOrNull(state.metrics),
    optimizer: { G: counters(state.optimizer.G), D: counters(state.optimizer.D) },
    shards,
  };
  files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
  return files;
}

/**
 * Read the trainer's state and serialize it. `metrics` (e.g. validation results) are stored in the
 * manifest beside the last logged losses.
 */
export async function saveTrainerState(
  trainer: HasTrainerState,
  opts: { maxShardBytes?: number; metrics?: Record<string, number | null> } = {},
): Promise<CheckpointFiles> {
  return encodeTrainerState(await trainer.getState(opts.metrics), { maxShardBytes: opts.maxShardBytes });
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Parse and validate `manifest.json` (structure only; shards are checked by loadTrainerState). */
export function parseManifest(bytes: Uint8Array, where = 'checkpoint'): CheckpointManifest {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(`${where}/${MANIFEST_FILE}: ${msg}`);
  };
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message}); the checkpoint is damaged — use an older one`);
  }
  if (!isRecord(m)) return fail('not a JSON object');
  if (m.format !== CHECKPOINT_FORMAT) {
    fail(`format is ${JSON.stringify(m.format)}, expected "${CHECKPOINT_FORMAT}" — not a studio checkpoint`);
  }
  if (typeof m.formatVersion !== 'number' || m.formatVersion > CHECKPOINT_FORMAT_VERSION) {
    fail(
      `format version ${JSON.stringify(m.formatVersion)} is newer than this studio reads ` +
        `(${CHECKPOINT_FORMAT_VERSION}); update the studio`,
    );
  }
  for (const k of ['step', 'epoch', 'iterInEpoch', 'trainCount', 'historyLength'] as const) {
    if (!Number.isSafeInteger(m[k]) || (m[k] as number) < 0) fail(`"${k}" is not a non-negative integer`);
  }
  if (!isRecord(m.config)) fail('"config" is missing');
  if (!Array.isArray(m.dataOrder) || !m.dataOrder.every((i) => Number.isSafeInteger(i))) {
    fail('"dataOrder" is not a list of case indices');
  }
  if (!isRecord(m.optimizer) || !isRecord(m.optimizer.G) || !isRecord(m.optimizer.D)) {
    fail('"optimizer" counters for G and D are missing');
  }
  if (!Array.isArray(m.shards) || m.shards.length === 0) fail('"shards" list is missing or empty');
  for (const s of m.shards as unknown[]) {
    if (
      !isRecord(s) ||
      typeof s.file !== 'string' ||
      !['G', 'D', 'optim'].includes(s.role as string) ||
      !Number.isSafeInteger(s.bytes) ||
      typeof s.crc32 !== 'string'
    ) {
      fail(`shard entry ${JSON.stringify(s)} is malformed`);
    }
  }
  return m as unknown as CheckpointManifest;
}

function toCounters(c: OptimizerCounters, where: string): OptimizerCounters {
  for (const k of ['iterations', 'accBeta1', 'accBeta2'] as const) {
    if (typeof c[k] !== 'number' || !Number.isFinite(c[k])) {
      throw new CheckpointFormatError(`${where}/${MANIFEST_FILE}: optimizer counter "${k}" is missing`);
    }
  }
  return c;
}

/**
 * Validate and decode checkpoint files: manifest format, every listed shard present with the
 * listed size and CRC-32, every shard a valid safetensors file. Errors are CheckpointFormatError
 * naming the file and what to do.
 */
export function loadTrainerState(files: CheckpointFiles, where = 'checkpoint'): TrainerState {
  const mbytes = files.get(MANIFEST_FILE);
  if (!mbytes) {
    throw new CheckpointFormatError(
      `${where}: ${MANIFEST_FILE} is missing — this is not a complete studio checkpoint (an interrupted save?)`,
    );
  }
  const manifest = parseManifest(mbytes, where);
  const byRole: Record<ShardRole, StateDict> = { G: [], D: [], optim: [] };
  for (const s of manifest.shards) {
    const bytes = files.get(s.file);
    if (!bytes) {
      throw new CheckpointFormatError(
        `${where}/${s.file}: listed in the manifest but missing; the checkpoint is incomplete`,
      );
    }
    if (bytes.length !== s.bytes) {
      throw new CheckpointFormatError(
        `${where}/${s.file}: ${bytes.length} bytes, the manifest says ${s.bytes} (truncated or replaced); use an older checkpoint`,
      );
    }
    const crc = crc32Hex(bytes);
    if (crc !== s.crc32) {
      throw new CheckpointFormatError(
        `${where}/${s.file}: checksum ${crc} does not match the manifest's ${s.crc32} (the file is corrupted); use an older checkpoint`,
      );
    }
    let tensors: StateDict;
    try {
      tensors = readSafetensors(bytes, `${where}/${s.file}`).tensors;
    } catch (e) {
      throw new CheckpointFormatError((e as Error).message);
    }
    byRole[s.role].push(...tensors);
  }
  if (byRole.G.length === 0)
    throw new CheckpointFormatError(`${where}: the checkpoint has no generator (G) shard`);
  if (byRole.D.length === 0)
    throw new CheckpointFormatError(`${where}: the checkpoint has no discriminator (D) shard`);
  const moments = (net: 'G' | 'D', kind: 'm' | 'v'): StateDict => {
    const prefix = `${net}/${kind}/`;
    return byRole.optim
      .filter((e) => e.key.startsWith(prefix))
      .map((e) => ({ ...e, key: e.key.slice(prefix.length) }));
  };
  const adam = (net: 'G' | 'D'): AdamState => ({
    ...toCounters(manifest.optimizer[net], where),
    m: moments(net, 'm'),
    v: moments(net, 'v'),
  });
  return {
    config: manifest.config,
    step: manifest.step,
    epoch: manifest.epoch,
    iterInEpoch: manifest.iterInEpoch,
    trainCount: manifest.trainCount,
    dataOrder: manifest.dataOrder,
    historyLength: manifest.historyLength,
    metrics: manifest.metrics,
    G: byRole.G,
    D: byRole.D,
    optimizer: { G: adam('G'), D: adam('D') },
  };
}

/**
 * Read one network (G or D) of a checkpoint without touching the other shards (e.g. for
 * inference): the manifest, then that role's shards, each checked against the manifest.
 */
export async function readCheckpointNetwork(
  getFile: (name: string) => Promise<Uint8Array | undefined>,
  role: 'G' | 'D',
  where = 'checkpoint',
): Promise<{ manifest: CheckpointManifest; stateDict: StateDict }> {
  const mbytes = await getFile(MANIFEST_FILE);
  if (!mbytes) {
    throw new CheckpointFormatError(
      `${where}: ${MANIFEST_FILE} is missing — not a studio checkpoint directory`,
    );
  }
  const manifest = parseManifest(mbytes, where);
  const sd: StateDict = [];
  for (const s of manifest.shards.filter((x) => x.role === role)) {
    const bytes = await getFile(s.file);
    if (!bytes) {
      throw new CheckpointFormatError(
        `${where}/${s.file}: listed in the manifest but missing; the checkpoint is incomplete`,
      );
    }
    if (bytes.length !== s.bytes || crc32Hex(bytes) !== s.crc32) {
      throw new CheckpointFormatError(
        `${where}/${s.file}: size or checksum does not match the manifest (the file is damaged); use an older checkpoint`,
      );
    }
    try {
      sd.push(...readSafetensors(bytes, `${where}/${s.file}`).tensors);
    } catch (e) {
      throw new CheckpointFormatError((e as Error).message);
    }
  }
  if (sd.length === 0) throw new CheckpointFormatError(`${where}: the checkpoint has no ${role} shard`);
  return { manifest, stateDict: sd };
}

// ---------------------------------------------------------------------------------------------
// Atomic writes to a key-value store
// ---------------------------------------------------------------------------------------------

/**
 * The storage a checkpoint is written to: IndexedDB in the page (store engineer), a directory on
 * disk in the CLI, a Map in tests. Keys are '/'-separated strings.
 */
export interface KeyValueStorage {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key starting with prefix. */
  list(prefix: string): Promise<string[]>;
}

/** The pointer key whose value (UTF-8) is the id of the complete, current version. */
export function currentPointerKey(name: string): string {
  return `${name}/current`;
}

function newVersionId(): string {
  const rand = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  return `v${Date.now().toString(36)}-${rand}`;
}

/**
 * Write a checkpoint so that it becomes visible only when complete:
 *  1. every file goes to `<name>/<version>/<file>` (manifest last);
 *  2. the pointer `<name>/current` is set to `<version>`;
 *  3. older versions (and leftovers of failed writes) under `<name>/` are deleted.
 * If step 1 or 2 throws, the previous version and its pointer are untouched. A failure in step 3
 * leaves only garbage that the next successful write removes. Returns the version id.
 */
export async function writeCheckpointAtomically(
  storage: KeyValueStorage,
  name: string,
  files: CheckpointFiles,
): Promise<string> {
  if (!files.has(MANIFEST_FILE))
    throw new Error(`writeCheckpointAtomically(${name}): files lack ${MANIFEST_FILE}`);
  const version = newVersionId();
  const order = [...files.keys()].filter((f) => f !== MANIFEST_FILE);
  order.push(MANIFEST_FILE);
  for (const file of order) await storage.put(`${name}/${version}/${file}`, files.get(file) as Uint8Array);
  await storage.put(currentPointerKey(name), new TextEncoder().encode(version));
  const keep = `${name}/${version}/`;
  const pointer = currentPointerKey(name);
  for (const key of await storage.list(`${name}/`)) {
    if (key !== pointer && !key.startsWith(keep)) await storage.delete(key);
  }
  return version;
}

/** The current version's files of checkpoint `name`, or undefined when there is none. */
export async function readCheckpointFiles(
  storage: KeyValueStorage,
  name: string,
): Promise<CheckpointFiles | undefined> {
  const pointer = await storage.get(currentPointerKey(name));
  if (!pointer) return undefined;
  const version = new TextDecoder().decode(pointer);
  const prefix = `${name}/${version}/`;
  const files: CheckpointFiles = new Map();
  for (const key of await storage.list(prefix)) {
    const bytes = await storage.get(key);
    if (bytes) files.set(key.slice(prefix.length), bytes);
  }
  if (!files.has(MANIFEST_FILE)) {
    throw new CheckpointFormatError(
      `${name}: the current version ${version} has no ${MANIFEST_FILE}; the store is damaged`,
    );
  }
  return files;
}

/** A KeyValueStorage in memory (tests, and a scratch store for the engine). */
export function createMemoryStorage(): KeyValueStorage & { readonly data: Map<string, Uint8Array> } {
  const data = new Map<string, Uint8Array>();
  return {
    data,
    async get(key) {
      return data.get(key);
    },
    async put(key, value) {
      data.set(key, value);
    },
    async delete(key) {
      data.delete(key);
    },
    async list(prefix) {
      return [...data.keys()].filter((k) => k.startsWith(prefix));
    },
  };
}
