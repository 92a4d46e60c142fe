/**
 * Sweep and study queues of the app (issue 15), in the runs database next to the runs they make.
 *
 * Keys (runs database):
 *   sweep/<sweepId>   SweepQueueRecord: the plan (every entry's config), its order, each entry's
 *                     status and run id, paused / cancelled
 *
 * Every change is one atomic read-modify-write of that record (`updateSweep`), so a reload or a
 * crash leaves the queue as it was after the last completed change; the UI's queue (ui/experiments/
 * sweepQueue.svelte.ts) finds the entry that was training and continues it. A new key prefix in the
 * runs database: databases written before it simply have no queues (no schema change).
 */
import type { RunConfig } from '../core/config';
import type { DetectorRef } from '../core/detector/traceability';
import { NotFoundError, asStorageFull } from './errors';
import { newId } from './ids';
import { assertId, keysUnder, updateIf, type Kv } from './kv';

export type SweepKind = 'sweep' | 'study';

/** pending: not started; running: has a run (training, paused or interrupted); the rest are final. */
export type SweepEntryStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

export const SWEEP_FINAL: readonly SweepEntryStatus[] = ['done', 'failed', 'cancelled'];

export type SweepVaryValue = number | string | boolean;

export interface SweepEntry {
  /** Position in the plan (the run's `sweep.index`); stays when the entry is moved. */
  index: number;
  /** The run's name (`lambda_L1=80,lambda_grad=5`, `20 cases`). */
  name: string;
  /** The options this entry varies, as given. */
  vary: Record<string, SweepVaryValue>;
  /** The whole run config (the base at queueing time with the entry's options). */
  config: RunConfig;
  /** A study's training subset: `size` of `of` training cases. */
  subset?: { size: number; of: number };
  status: SweepEntryStatus;
  runId: string | null;
  /** Why it failed (the engine's message). */
  error: string | null;
  /** The run's best validation value when it last changed (display only; the run record is the truth). */
  best: { metric: string; value: number; step: number } | null;
}

/** How the queue reloads its data: the demo phantom or a stored dataset. */
export type SweepDataSource =
  { kind: 'demo'; cases: number; seed: number } | { kind: 'stored'; datasetId: string };

export interface SweepQueueRecord {
  id: string;
  name: string;
  kind: SweepKind;
  createdAt: number;
  updatedAt: number;
  /** Dataset id every run trains on (as in RunRecord.datasetId) and how to load it again. */
  datasetId: string;
  dataSource: SweepDataSource;
  /** The validation metric that picks each run's `best` checkpoint (engine BestMetric). */
  bestMetric: string;
  /** The landmark detector that scores each run's traceability (as the Train view chose it); absent: none. */
  traceability?: DetectorRef | null;
  /** A study: what is the same for every run, and how much. */
  held?: 'steps' | 'epochs';
  heldValue?: number;
  /** The varied option names in order (a study: `train_subset`). */
  keys: string[];
  /** The user paused the queue: nothing new starts until resumed. */
  paused: boolean;
  /** The user cancelled the whole queue. */
  cancelled: boolean;
  /** Entries in training order (moving an entry changes this order, not its index). */
  entries: SweepEntry[];
}

export type NewSweep = Omit<SweepQueueRecord, 'id' | 'createdAt' | 'updatedAt' | 'paused' | 'cancelled'> & {
  id?: string;
};

const sweepKey = (id: string) => `sweep/${id}`;

export class SweepRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepRecordError';
  }
}

/** A stored record checked for the fields the queue relies on (a damaged one is named, not guessed). */
export function checkSweepRecord(value: unknown, key: string): SweepQueueRecord {
  const r = value as Partial<SweepQueueRecord> | null;
  const bad = (what: string): never => {
    throw new SweepRecordError(
      `the stored queue ${key} is damaged (${what}); cancel it in Experiments or delete it — its runs are kept`,
    );
  };
  if (!r || typeof r !== 'object') bad('not an object');
  if (typeof r!.id !== 'string') bad('no id');
  if (r!.kind !== 'sweep' && r!.kind !== 'study') bad(`kind ${String(r!.kind)}`);
  if (!Array.isArray(r!.entries)) bad('no entries');
  for (const e of r!.entries!) {
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.config !== 'object')
      bad('an entry without name or config');
    if (!['pending', 'running', 'done', 'failed', 'cancelled'].includes(e.status))
      bad(`entry status ${e.status}`);
  }
  return r as SweepQueueRecord;
}

export async function createSweep(
  kv: Kv,
  init: NewSweep,
  nowMs: number = Date.now(),
): Promise<SweepQueueRecord> {
  const id = init.id ?? newId('sweep');
  assertId(id, 'sweep');
  const rec: SweepQueueRecord = {
    ...init,
    id,
    createdAt: nowMs,
    updatedAt: nowMs,
    paused: false,
    cancelled: false,
  };
  let wrote: boolean;
  try {
    wrote = await updateIf<SweepQueueRecord>(kv, sweepKey(id), (old) => (old ? undefined : rec));
  } catch (e) {
    throw await asStorageFull(e, 'queue the sweep');
  }
  if (!wrote) throw new Error(`a sweep with id ${id} already exists`);
  return rec;
}

export async function getSweep(kv: Kv, id: string): Promise<SweepQueueRecord | undefined> {
  assertId(id, 'sweep');
  const v = await kv.get<unknown>(sweepKey(id));
  return v === undefined ? undefined : checkSweepRecord(v, sweepKey(id));
}

/** Every stored queue, newest first; damaged records are returned as errors beside them. */
export async function listSweeps(kv: Kv): Promise<{ sweeps: SweepQueueRecord[]; damaged: string[] }> {
  const keys = (await keysUnder(kv, 'sweep/')).reverse();
  const values = await kv.getMany<unknown>(keys);
  const sweeps: SweepQueueRecord[] = [];
  const damaged: string[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    try {
      sweeps.push(checkSweepRecord(v, keys[i]));
    } catch (e) {
      damaged.push((e as Error).message);
    }
  });
  return { sweeps, damaged };
}

/** Atomic change of one queue; `fn` returns the new record (synchronous). Returns it. */
export async function updateSweep(
  kv: Kv,
  id: string,
  fn: (old: SweepQueueRecord) => SweepQueueRecord,
  nowMs: number = Date.now(),
): Promise<SweepQueueRecord> {
  assertId(id, 'sweep');
  let out: SweepQueueRecord | undefined;
  try {
    await kv.update<SweepQueueRecord>(sweepKey(id), (old) => {
      if (!old) throw new NotFoundError(`sweep ${id} does not exist`);
      out = { ...fn(checkSweepRecord(old, sweepKey(id))), updatedAt: nowMs };
      return out;
    });
  } catch (e) {
    throw await asStorageFull(e, 'change the sweep queue');
  }
  return out!;
}

/** Forget a queue (its runs are kept). */
export async function deleteSweep(kv: Kv, id: string): Promise<void> {
  assertId(id, 'sweep');
  await kv.del(sweepKey(id));
}

/** The queue still has work: not cancelled and an entry that is not final. */
export function sweepUnfinished(rec: SweepQueueRecord): boolean {
  return !rec.cancelled && rec.entries.some((e) => !SWEEP_FINAL.includes(e.status));
}
