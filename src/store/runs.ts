/**
 * Runs: one record per training run, its heartbeat, and its metric history in chunks.
 *
 * Keys (runs database):
 *   run/<runId>                               RunRecord (small; heartbeat and status live here)
 *   hist/<runId>/<series>/<chunk, 6 digits>   MetricPoint[] of at most HISTORY_CHUNK points
 *
 * History: a run logs thousands of points; appending rewrites only the last chunk (<= 500 points)
 * with `update()`, then bumps the run's committed count. A reader takes the first `count` points,
 * so a crash between the two steps leaves invisible extra points that the next append overwrites.
 *
 * Interrupted runs: the engine calls `heartbeat` every few seconds while a run is live
 * ('running' or 'paused'); at startup `markInterruptedRuns` turns live runs whose heartbeat is older
 * than `staleMs` into 'interrupted' (a reload, a crash or a closed tab), ready to resume from their
 * last checkpoint.
 */
import type { RunConfig } from '../core/config';
import type { PreprocessSpec } from '../core/data/preprocess';
import type { DetectorSummary } from '../core/detector/traceability';
import { deleteCheckpoint, deleteRunCheckpoints } from './checkpoints';
import { asStorageFull, NotFoundError } from './errors';
import { newId } from './ids';
import { assertId, deleteUnder, keysUnder, updateIf, type Kv } from './kv';
import type { StudioStorage } from './storage';

export type RunStatus = 'running' | 'paused' | 'stopped' | 'finished' | 'interrupted' | 'failed';
/** Statuses of a run whose engine should be alive and heartbeating. */
export const LIVE_STATUSES: readonly RunStatus[] = ['running', 'paused'];

/** Points per history chunk. */
export const HISTORY_CHUNK = 500;

/** One logged point: the step it belongs to and named values (`G_GAN`, `G_L1`, `D_real`, `lr`, ...). */
export interface MetricPoint {
  step: number;
  epoch: number;
  /** Wall-clock time of logging, ms since the epoch. */
  timeMs: number;
  values: Record<string, number | null>;
}

/** The best value of the metric chosen for the `best` checkpoint. */
export interface BestMetric {
  metric: string;
  value: number;
  step: number;
  epoch: number;
  /**
   * 'content': judged on content-region metrics (padding excluded, core/eval/contentRegion.ts);
   * absent on bests stored before them (whole-image figures, not comparable: engine/evaluation.ts
   * `comparableBest`).
   */
  region?: 'content';
}

/**
 * Where a run's starting weights came from. Absent on records written before the field existed
 * (those are `new` or, when their backend says so, imported).
 */
export type RunOrigin =
  | { kind: 'new' }
  | {
      kind: 'continued';
      /** The run and checkpoint whose weights the run started from. */
      runId: string;
      runName: string;
      checkpoint: string;
      /** Completed epochs and steps of that checkpoint. */
      completedEpochs: number;
      step: number;
    }
  | { kind: 'imported'; format: string; files: string[] };

export interface RunRecord {
  id: string;
  name: string;
  datasetId: string;
  config: RunConfig;
  preprocessing: PreprocessSpec;
  /** TF.js backend name: `webgpu`, `wasm`, `webgl`, `cpu`. */
  backend: string;
  /** GPU adapter description (vendor / architecture), null when not on a GPU. */
  adapter: string | null;
  status: RunStatus;
  /** ms since the epoch. */
  startedAt: number;
  updatedAt: number;
  /** Last sign of life of the engine running it. */
  heartbeatAt: number;
  /** Active training time (pauses excluded), ms. */
  durationMs: number;
  step: number;
  epoch: number;
  lastMetrics: Record<string, number | null> | null;
  best: BestMetric | null;
  /** Names of this run's checkpoints (`last`, `best`, user names). */
  checkpointNames: string[];
  /** Committed number of points per history series (`train`, `val`). */
  historyCounts: Record<string, number>;
  /** Message of the error that failed the run, or why it was interrupted. */
  error: string | null;
  origin?: RunOrigin;
  /** The landmark detector that scored this run's traceability (issue 13); absent: none (or an older run). */
  traceability?: RunTraceability;
  /** The sweep or sample-size study that made this run (issue 15); absent: a single run. */
  sweep?: RunSweep;
}

/**
 * A run's place in a sweep or study: the queue's id and name, the run's position in it, the
 * options it varies (`{ lambda_L1: 80, lambda_grad: 5 }`) and, in a sample-size study, its
 * training subset (`size` of `of` training cases) and what the study held equal.
 */
export interface RunSweep {
  id: string;
  name: string;
  index: number;
  /** Option name -> value (number, string or boolean; typed loosely so readers of old records check). */
  vary: Record<string, unknown>;
  subset?: { size: number; of: number };
  held?: 'steps' | 'epochs';
}

/** The traceability detector as the run started with it (its card without the curves). */
export type RunTraceability = Omit<DetectorSummary, 'history'>;

export interface NewRun {
  name: string;
  datasetId: string;
  config: RunConfig;
  preprocessing: PreprocessSpec;
  backend: string;
  adapter: string | null;
  /** Default: a new time-sortable id. */
  id?: string;
  origin?: RunOrigin;
  traceability?: RunTraceability;
  sweep?: RunSweep;
}

const runKey = (id: string) => `run/${id}`;
const SERIES_RE = /^[a-z][a-z0-9_]{0,31}$/;
const histPrefix = (id: string) => `hist/${id}/`;
const chunkKey = (id: string, series: string, chunk: number) =>
  `hist/${id}/${series}/${String(chunk).padStart(6, '0')}`;

function assertSeries(series: string): void {
  if (!SERIES_RE.test(series))
    throw new Error(`history series "${series}" must be lowercase letters, digits or _`);
}

export async function createRun(kv: Kv, init: NewRun, nowMs: number = Date.now()): Promise<RunRecord> {
  const id = init.id ?? newId('run');
  assertId(id, 'run');
  const rec: RunRecord = {
    id,
    name: init.name,
    datasetId: init.datasetId,
    config: init.config,
    preprocessing: init.preprocessing,
    backend: init.backend,
    adapter: init.adapter,
    status: 'running',
    startedAt: nowMs,
    updatedAt: nowMs,
    heartbeatAt: nowMs,
    durationMs: 0,
    step: 0,
    epoch: init.config.epoch_count,
    lastMetrics: null,
    best: null,
    checkpointNames: [],
    historyCounts: {},
    error: null,
    ...(init.origin ? { origin: init.origin } : {}),
    ...(init.traceability ? { traceability: init.traceability } : {}),
    ...(init.sweep ? { sweep: init.sweep } : {}),
  };
  const wrote = await updateIf<RunRecord>(kv, runKey(id), (old) => (old ? undefined : rec));
  if (!wrote) throw new Error(`a run with id ${id} already exists`);
  return rec;
}

export async function getRun(kv: Kv, runId: string): Promise<RunRecord | undefined> {
  assertId(runId, 'run');
  return kv.get<RunRecord>(runKey(runId));
}

/** Runs newest first (by id = creation time), one page; optionally of one dataset. */
export async function listRuns(
  kv: Kv,
  opts: { offset?: number; limit?: number; datasetId?: string } = {},
): Promise<{ total: number; runs: RunRecord[] }> {
  const keys = (await keysUnder(kv, 'run/')).reverse();
  const offset = Math.max(0, opts.offset ?? 0);
  const limit = Math.max(0, opts.limit ?? 50);
  if (opts.datasetId === undefined) {
    const recs = await kv.getMany<RunRecord>(keys.slice(offset, offset + limit));
    return { total: keys.length, runs: recs.filter((r): r is RunRecord => r !== undefined) };
  }
  // filtering needs the records; run records are small (no history), read in pages of 200
  const matching: RunRecord[] = [];
  for (let i = 0; i < keys.length; i += 200) {
    const recs = await kv.getMany<RunRecord>(keys.slice(i, i + 200));
    for (const r of recs) if (r && r.datasetId === opts.datasetId) matching.push(r);
  }
  return { total: matching.length, runs: matching.slice(offset, offset + limit) };
}

/** Fields the engine changes during a run (id, dataset, config and history counts stay). */
export type RunPatch = Partial<
  Pick<
    RunRecord,
    | 'name'
    | 'status'
    | 'durationMs'
    | 'step'
    | 'epoch'
    | 'lastMetrics'
    | 'best'
    | 'checkpointNames'
    | 'error'
    | 'backend'
    | 'adapter'
    | 'heartbeatAt'
    | 'traceability'
  >
>;

/** Apply a patch atomically; returns the new record. `updatedAt` is set to now. */
export async function updateRun(
  kv: Kv,
  runId: string,
  patch: RunPatch,
  nowMs: number = Date.now(),
): Promise<RunRecord> {
  assertId(runId, 'run');
  let out: RunRecord | undefined;
  try {
    await kv.update<RunRecord>(runKey(runId), (old) => {
      if (!old) throw new NotFoundError(`run ${runId} does not exist`);
      out = { ...old, ...patch, updatedAt: nowMs };
      return out;
    });
  } catch (e) {
    throw await asStorageFull(e, 'resume the run');
  }
  return out!;
}

export async function setRunStatus(
  kv: Kv,
  runId: string,
  status: RunStatus,
  error: string | null = null,
  nowMs: number = Date.now(),
): Promise<RunRecord> {
  return updateRun(kv, runId, { status, error, heartbeatAt: nowMs }, nowMs);
}

/** The engine's sign of life (every few seconds while running or paused), with progress. */
export async function heartbeat(
  kv: Kv,
  runId: string,
  progress: Pick<RunPatch, 'durationMs' | 'step' | 'epoch'> = {},
  nowMs: number = Date.now(),
): Promise<void> {
  await updateRun(kv, runId, { ...progress, heartbeatAt: nowMs }, nowMs);
}

/**
 * At startup: runs left 'running' or 'paused' whose heartbeat is older than `staleMs` become
 * 'interrupted'. The check is repeated inside the transaction, so a run whose engine heartbeats
 * meanwhile is left alone. Returns the ids changed.
 */
export async function markInterruptedRuns(
  kv: Kv,
  opts: { staleMs?: number; nowMs?: number } = {},
): Promise<string[]> {
  const staleMs = opts.staleMs ?? 30_000;
  const now = opts.nowMs ?? Date.now();
  const isStale = (r: RunRecord) => LIVE_STATUSES.includes(r.status) && now - r.heartbeatAt > staleMs;
  const keys = await keysUnder(kv, 'run/');
  const changed: string[] = [];
  for (let i = 0; i < keys.length; i += 200) {
    const recs = await kv.getMany<RunRecord>(keys.slice(i, i + 200));
    for (const r of recs) {
      if (!r || !isStale(r)) continue;
      const did = await updateIf<RunRecord>(kv, runKey(r.id), (old) => {
        if (!old || !isStale(old)) return undefined;
        const seconds = Math.round((now - old.heartbeatAt) / 1000);
        return {
          ...old,
          status: 'interrupted',
          updatedAt: now,
          error:
            `The training stopped without saying so (no sign of life for ${seconds} s: a reload, a crash ` +
            `or a closed tab). Recover interrupted run goes on from the last checkpoint.`,
        };
      });
      if (did) changed.push(r.id);
    }
  }
  return changed;
}

// in-process queue per (run, series): appends from one engine never interleave
const appendQueues = new Map<string, Promise<unknown>>();

/**
 * Append points to a run's history series (`train` for step losses, `val` for validation rounds).
 * Concurrent calls from the same context are serialised.
 */
export function appendHistory(
  kv: Kv,
  runId: string,
  series: string,
  points: readonly MetricPoint[],
): Promise<number> {
  assertId(runId, 'run');
  assertSeries(series);
  const q = `${kv.dbName}\u0000${runId}\u0000${series}`;
  const prev = appendQueues.get(q) ?? Promise.resolve();
  const next = prev
    .catch(() => undefined)
    .then(() => appendNow(kv, runId, series, points))
    .catch(async (e: unknown) => {
      throw await asStorageFull(e, 'resume the run');
    });
  appendQueues.set(q, next);
  void next
    .finally(() => {
      if (appendQueues.get(q) === next) appendQueues.delete(q);
    })
    .catch(() => undefined);
  return next;
}

async function appendNow(
  kv: Kv,
  runId: string,
  series: string,
  points: readonly MetricPoint[],
): Promise<number> {
  const run = await getRun(kv, runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  const start = run.historyCounts[series] ?? 0;
  let i = 0;
  while (i < points.length) {
    const pos = start + i;
    const chunk = Math.floor(pos / HISTORY_CHUNK);
    const offset = pos % HISTORY_CHUNK;
    const take = Math.min(HISTORY_CHUNK - offset, points.length - i);
    const add = points.slice(i, i + take);
    await kv.update<MetricPoint[]>(chunkKey(runId, series, chunk), (old) => {
      const kept = (old ?? []).slice(0, offset);
      if (kept.length !== offset) {
        throw new Error(
          `history of run ${runId} (${series}) is damaged: chunk ${chunk} has ${kept.length} of ${offset} points`,
        );
      }
      return kept.concat(add);
    });
    i += take;
  }
  const total = start + points.length;
  await kv.update<RunRecord>(runKey(runId), (old) => {
    if (!old) throw new NotFoundError(`run ${runId} was deleted while its history was written`);
    return { ...old, historyCounts: { ...old.historyCounts, [series]: total } };
  });
  return total;
}

/** Points [from, to) of a series (default: all committed points). */
export async function readHistory(
  kv: Kv,
  runId: string,
  series: string,
  range: { from?: number; to?: number } = {},
): Promise<MetricPoint[]> {
  assertSeries(series);
  const run = await getRun(kv, runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  const count = run.historyCounts[series] ?? 0;
  const from = Math.max(0, Math.min(count, range.from ?? 0));
  const to = Math.max(from, Math.min(count, range.to ?? count));
  if (to === from) return [];
  const first = Math.floor(from / HISTORY_CHUNK);
  const last = Math.floor((to - 1) / HISTORY_CHUNK);
  const keys: string[] = [];
  for (let c = first; c <= last; c++) keys.push(chunkKey(runId, series, c));
  const chunkArrays = await kv.getMany<MetricPoint[]>(keys);
  const out: MetricPoint[] = [];
  chunkArrays.forEach((arr, j) => {
    const base = (first + j) * HISTORY_CHUNK;
    const lo = Math.max(from - base, 0);
    const hi = Math.min(to - base, HISTORY_CHUNK);
    const part = (arr ?? []).slice(lo, hi);
    if (part.length !== hi - lo) {
      throw new Error(`history of run ${runId} (${series}) is damaged: chunk ${first + j} is short`);
    }
    out.push(...part);
  });
  return out;
}

/**
 * On resume from a checkpoint at `step`: forget points logged after it (they will be logged
 * again), so the curves continue without duplicates. Returns the new count.
 */
export async function truncateHistoryAfterStep(
  kv: Kv,
  runId: string,
  series: string,
  step: number,
): Promise<number> {
  assertSeries(series);
  const run = await getRun(kv, runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  const count = run.historyCounts[series] ?? 0;
  // points are appended in step order: walk back chunk by chunk until one is <= step
  let keep = count;
  for (let c = Math.floor((count - 1) / HISTORY_CHUNK); c >= 0 && keep > 0; c--) {
    const pts = (await kv.get<MetricPoint[]>(chunkKey(runId, series, c))) ?? [];
    const upto = Math.min(pts.length, keep - c * HISTORY_CHUNK);
    let j = upto;
    while (j > 0 && pts[j - 1].step > step) j--;
    keep = c * HISTORY_CHUNK + j;
    if (j > 0) break;
  }
  await kv.update<RunRecord>(runKey(runId), (old) => {
    if (!old) throw new NotFoundError(`run ${runId} does not exist`);
    return {
      ...old,
      historyCounts: { ...old.historyCounts, [series]: Math.min(keep, old.historyCounts[series] ?? 0) },
    };
  });
  return keep;
}

/**
 * Delete one checkpoint of a run and drop its name from the run's `checkpointNames`: the store keeps
 * a run and its checkpoints in step itself (the UI only calls this).
 *
 * Order: the run record first (one atomic update), then the pointer, then the parts. An interruption
 * after the first write leaves a checkpoint the run no longer names: it is still complete, listed
 * and loadable (`listCheckpoints` reads pointers), and calling this again finishes the delete. The
 * other order could leave a run naming a checkpoint that no longer exists, which readers of
 * `checkpointNames` (the comparison's grid, the tracing targets) would try to load.
 *
 * `run.best` is the best metric value seen, not a pointer to the `best` checkpoint, so it stays.
 * A missing run is tolerated (an imported or orphaned checkpoint is still deleted). Returns the
 * updated run record (undefined when the run does not exist) and whether a checkpoint was deleted.
 */
export async function deleteCheckpointOfRun(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  name: string,
  nowMs: number = Date.now(),
): Promise<{ run: RunRecord | undefined; deleted: boolean }> {
  assertId(runId, 'run');
  let run: RunRecord | undefined;
  await updateIf<RunRecord>(storage.runs, runKey(runId), (old) => {
    if (!old) return undefined;
    run = old;
    if (!old.checkpointNames.includes(name)) return undefined;
    run = { ...old, checkpointNames: old.checkpointNames.filter((n) => n !== name), updatedAt: nowMs };
    return run;
  });
  const deleted = await deleteCheckpoint(storage.checkpoints, runId, name);
  return { run, deleted };
}

/**
 * Delete a run: its checkpoints, its history and its record.
 *
 * Order: first the run record forgets its checkpoints and history (`checkpointNames: []`,
 * `historyCounts: {}`, one atomic update), then the checkpoints, then the history chunks, then the
 * record. An interruption anywhere leaves either nothing or a readable run that names no checkpoint
 * and shows no history (never a run naming a deleted checkpoint, never a history reader hitting a
 * deleted chunk); deleting it again finishes the job. A run record that is already gone is
 * tolerated, so its leftover checkpoints and history are removed too.
 */
export async function deleteRun(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  nowMs: number = Date.now(),
): Promise<void> {
  assertId(runId, 'run');
  await updateIf<RunRecord>(storage.runs, runKey(runId), (old) =>
    old ? { ...old, checkpointNames: [], historyCounts: {}, updatedAt: nowMs } : undefined,
  );
  await deleteRunCheckpoints(storage.checkpoints, runId);
  await deleteUnder(storage.runs, histPrefix(runId));
  await storage.runs.del(runKey(runId));
}
