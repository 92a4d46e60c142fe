/**
 * The sweep / sample-size study queue of the app (issue 15): its runs train one after another in
 * the page's one engine (the Train section's), on the same dataset, splits and fixed evaluation
 * list, through the engine's own commands (start / recoverRun / pause / resume / stop).
 *
 * The queue lives in the runs database (store/sweeps.ts) and every change is one atomic write, so
 * it survives reloads and crashes: on load the newest unfinished queue is read back, the entry
 * that was training (its run now `interrupted`) is recovered from its last checkpoint, and the next
 * entry starts when it finishes. A crash between "entry started" and "run id written" is found
 * again through the run's own `sweep` tag (RunRecord.sweep), so a run is never started twice.
 *
 * The queue can be paused (the current run pauses; nothing new starts), reordered (pending
 * entries move up/down) and cancelled (one entry, or the whole queue: a training entry is stopped,
 * its `last` checkpoint kept). A run stopped from the Train view pauses the queue.
 *
 * Debug hook (read-only, e2e): `window.__studio.sweep` →
 * `{ id, kind, paused, cancelled, done, progress, entries: [{ index, name, status, runId, best }] }`.
 */
import type { RunConfig } from '../../core/config';
import type { DetectorRef } from '../../core/detector/traceability';
import type { BestMetric, Engine, EngineEvent, EngineStatus } from '../../engine/protocol';
import { toTrainMessage, type TrainMessage } from '../../engine/trainMessages';
import type { Kv } from '../../store/kv';
import type { RunRecord, RunSweep } from '../../store/runs';
import type { SweepDataSource, SweepEntry, SweepKind, SweepQueueRecord } from '../../store/sweeps';
import { SWEEP_FINAL } from '../../store/sweeps';

/** What the queue needs from the page: the engine, the runs database and the loaded dataset. */
export interface QueueHost {
  /** The runs database (without starting the engine). */
  storage(): Promise<Kv>;
  /** False when the runs database was never created (a first visit: nothing to restore, nothing created). */
  storageExists?(): Promise<boolean>;
  /** The engine once started (and interrupted runs marked), and the runs database. */
  ready(): Promise<{ engine: Engine; runs: Kv }>;
  /** Dataset id loaded in the engine now (null: none). */
  loadedDatasetId(): string | null;
  /** Load the queue's dataset into the engine (throws when it cannot). */
  loadDataset(source: SweepDataSource, datasetId: string): Promise<void>;
  /** The queue started or resumed a run (the Train view follows it). */
  followRun?(runId: string): void;
  /** A queue run's record changed (lists elsewhere stay current). */
  runChanged?(run: RunRecord): void;
}

export interface NewQueue {
  name: string;
  kind: SweepKind;
  datasetId: string;
  dataSource: SweepDataSource;
  bestMetric: BestMetric;
  /** The Train view's traceability detector (null: none). */
  traceability?: DetectorRef | null;
  keys: string[];
  entries: SweepEntry[];
  held?: 'steps' | 'epochs';
  heldValue?: number;
}

const LIVE_PHASES: readonly EngineStatus['phase'][] = ['starting', 'running', 'paused', 'stopping'];

function bestOf(run: RunRecord): SweepEntry['best'] {
  return run.best ? { metric: run.best.metric, value: run.best.value, step: run.best.step } : null;
}

export class SweepQueue {
  /** The queue shown: the newest unfinished one, else the newest. */
  record = $state.raw<SweepQueueRecord | null>(null);
  /** Live progress of the entry that trains. */
  progress = $state.raw<{ runId: string; step: number; totalSteps: number } | null>(null);
  message = $state.raw<TrainMessage | null>(null);
  damaged = $state.raw<string[]>([]);
  busy = $state(false);

  done = $derived(this.record ? this.record.entries.filter((e) => e.status === 'done').length : 0);
  unfinished = $derived(
    this.record !== null &&
      !this.record.cancelled &&
      this.record.entries.some((e) => !SWEEP_FINAL.includes(e.status)),
  );
  runIds = $derived(
    this.record ? this.record.entries.map((e) => e.runId).filter((x): x is string => x !== null) : [],
  );

  private chain: Promise<void> = Promise.resolve();
  private engineOff: (() => void) | null = null;
  private engine: Engine | null = null;
  private runs: Kv | null = null;
  /** Runs this queue asked the engine to stop (cancel): their `stopped` is not the user's. */
  private stopping: string[] = [];
  private restored: Promise<void> | null = null;

  constructor(private readonly host: QueueHost) {}

  // ----- persistence -----

  private async connect(): Promise<{ engine: Engine; runs: Kv }> {
    const got = await this.host.ready();
    if (this.engine !== got.engine) {
      this.engineOff?.();
      this.engine = got.engine;
      this.engineOff = got.engine.onEvent((e) => this.onEvent(e));
    }
    this.runs = got.runs;
    return got;
  }

  /** Change the shown queue atomically in the store, then show the stored result. */
  private async change(fn: (r: SweepQueueRecord) => SweepQueueRecord): Promise<SweepQueueRecord | null> {
    const rec = this.record;
    if (!rec || !this.runs) return rec;
    const { updateSweep } = await import('../../store/sweeps');
    const next = await updateSweep(this.runs, rec.id, fn);
    if (this.record?.id === next.id) this.record = next;
    return next;
  }

  private changeEntry(index: number, patch: Partial<SweepEntry>): Promise<SweepQueueRecord | null> {
    return this.change((r) => ({
      ...r,
      entries: r.entries.map((e) => (e.index === index ? { ...e, ...patch } : e)),
    }));
  }

  /** On load: read the stored queues back and continue an unfinished one (once per page). */
  restore(): Promise<void> {
    this.restored ??= this.restoreNow().catch((e: unknown) => {
      this.message = toTrainMessage(e);
    });
    return this.restored;
  }

  private async restoreNow(): Promise<void> {
    if (this.host.storageExists && !(await this.host.storageExists())) return;
    const runs = await this.host.storage();
    this.runs = runs;
    const { listSweeps, sweepUnfinished } = await import('../../store/sweeps');
    const { sweeps, damaged } = await listSweeps(runs);
    this.damaged = damaged;
    this.record = sweeps.find(sweepUnfinished) ?? sweeps[0] ?? null;
    // the engine starts only for a queue with work left (a page load without one stays light)
    if (this.record && sweepUnfinished(this.record) && !this.record.paused) await this.advance();
  }

  /** Queue new entries (refused while another queue is unfinished) and start. */
  async enqueue(q: NewQueue): Promise<void> {
    this.message = null;
    this.busy = true;
    try {
      const { runs } = await this.connect();
      if (this.unfinished) throw new Error('a queue is still running: wait for it or cancel it first');
      const { createSweep } = await import('../../store/sweeps');
      this.record = await createSweep(runs, q);
    } catch (e) {
      this.message = toTrainMessage(e);
      return;
    } finally {
      this.busy = false;
    }
    await this.advance();
  }

  // ----- the loop -----

  /** Run `step` after any step in flight (one decision at a time). */
  advance(): Promise<void> {
    const next = this.chain
      .then(() => this.step())
      .catch((e: unknown) => {
        this.message = toTrainMessage(e);
      });
    this.chain = next;
    return next;
  }

  /** Find a run of this queue's entry that the store has but the queue did not record (a crash). */
  private async findRun(rec: SweepQueueRecord, index: number): Promise<RunRecord | null> {
    const { listRuns } = await import('../../store/runs');
    const { runs } = await listRuns(this.runs!, { limit: 200, datasetId: rec.datasetId });
    return runs.find((r) => r.sweep?.id === rec.id && r.sweep.index === index) ?? null;
  }

  private async step(): Promise<void> {
    for (let guard = 0; guard < 1000; guard++) {
      const rec = this.record;
      if (!rec || rec.cancelled || rec.paused) return;
      const { engine, runs } = await this.connect();
      const status = await engine.getStatus();
      // only a ready engine starts or resumes anything (a run that is finishing has no run id yet
      // but is not ready: its record is written before the engine says `ready`)
      const idle = status.phase === 'ready';
      const engineRun = LIVE_PHASES.includes(status.phase) ? status.runId : null;
      const cur = rec.entries.find((e) => e.status === 'running');
      if (cur) {
        let runId = cur.runId;
        if (runId === null) {
          const found = await this.findRun(rec, cur.index);
          if (!found) {
            await this.changeEntry(cur.index, { status: 'pending' });
            continue;
          }
          runId = found.id;
          await this.changeEntry(cur.index, { runId });
        }
        if (engineRun === runId) return; // it trains (or the user paused it in Train)
        const { getRun } = await import('../../store/runs');
        const run = await getRun(runs, runId);
        if (!run) {
          await this.changeEntry(cur.index, { status: 'failed', error: `run ${runId} was deleted` });
          continue;
        }
        if (run.status === 'finished') {
          await this.changeEntry(cur.index, { status: 'done', best: bestOf(run), error: null });
          continue;
        }
        if (run.status === 'failed') {
          await this.changeEntry(cur.index, { status: 'failed', best: bestOf(run), error: run.error });
          continue;
        }
        if (!idle) return; // another run trains or the engine is busy: wait until it is ready
        // interrupted (reload, crash), stopped or left paused: recover it from its checkpoint
        const started = await engine.recoverRun({ runId, bestMetric: rec.bestMetric as BestMetric });
        this.progress = { runId, step: started.fromStep, totalSteps: started.totalSteps };
        this.host.followRun?.(runId);
        return;
      }
      const next = rec.entries.find((e) => e.status === 'pending');
      if (!next) return; // the queue is complete
      if (!idle) return; // a run started elsewhere trains: start after it
      const lost = await this.findRun(rec, next.index);
      if (lost) {
        await this.changeEntry(next.index, { status: 'running', runId: lost.id });
        continue;
      }
      if (this.host.loadedDatasetId() !== rec.datasetId)
        await this.host.loadDataset(rec.dataSource, rec.datasetId);
      await this.changeEntry(next.index, { status: 'running', runId: null });
      const sweep: RunSweep = {
        id: rec.id,
        name: rec.name,
        index: next.index,
        vary: next.vary,
        ...(next.subset ? { subset: next.subset } : {}),
        ...(rec.held ? { held: rec.held } : {}),
      };
      try {
        const started = await engine.start({
          config: next.config as RunConfig,
          name: next.name,
          bestMetric: rec.bestMetric as BestMetric,
          traceability: rec.traceability ?? null,
          sweep,
        });
        await this.changeEntry(next.index, { runId: started.run.id });
        this.progress = { runId: started.run.id, step: 0, totalSteps: started.totalSteps };
        this.host.followRun?.(started.run.id);
        return;
      } catch (e) {
        // refused before a run was stored (config, subset, busy engine): this entry fails, the next goes on
        const lostAgain = await this.findRun(rec, next.index);
        if (lostAgain) {
          await this.changeEntry(next.index, { runId: lostAgain.id });
          return;
        }
        await this.changeEntry(next.index, { status: 'failed', error: toTrainMessage(e).text });
      }
    }
  }

  private onEvent(e: EngineEvent): void {
    const rec = this.record;
    if (!rec) return;
    if (e.type === 'progress') {
      if (this.runIds.includes(e.progress.runId))
        this.progress = { runId: e.progress.runId, step: e.progress.step, totalSteps: e.progress.totalSteps };
      return;
    }
    if (e.type === 'status') {
      // the engine went idle (e.g. a Train run ended): a waiting queue starts its next entry
      if (e.status.phase === 'ready' && this.unfinished && !rec.paused) void this.advance();
      return;
    }
    if (e.type !== 'run') return;
    const entry = rec.entries.find((x) => x.runId === e.run.id);
    if (!entry) return;
    this.host.runChanged?.(e.run);
    const run = e.run;
    if (run.status === 'finished' || run.status === 'failed') {
      void this.advance();
    } else if (run.status === 'stopped') {
      if (this.stopping.includes(run.id)) {
        this.stopping = this.stopping.filter((x) => x !== run.id);
        return;
      }
      // stopped from the Train view: the queue pauses (Resume continues this run)
      if (entry.status === 'running' && !rec.paused) void this.change((r) => ({ ...r, paused: true }));
    } else if (run.best && run.best.value !== entry.best?.value) {
      this.record = {
        ...rec,
        entries: rec.entries.map((x) => (x.runId === run.id ? { ...x, best: bestOf(run) } : x)),
      };
    }
  }

  // ----- the user's controls -----

  private currentRun(): string | null {
    return this.record?.entries.find((e) => e.status === 'running')?.runId ?? null;
  }

  private async act(fn: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.message = null;
    try {
      await fn();
    } catch (e) {
      this.message = toTrainMessage(e);
    } finally {
      this.busy = false;
    }
  }

  /** Pause: the training entry pauses in the engine and nothing new starts. */
  pause(): Promise<void> {
    return this.act(async () => {
      const { engine } = await this.connect();
      await this.change((r) => ({ ...r, paused: true }));
      const runId = this.currentRun();
      const s = await engine.getStatus();
      if (runId && s.runId === runId && s.phase === 'running') await engine.pause();
    });
  }

  /** Resume: a paused entry continues (in the engine, or from its checkpoint), then the rest. */
  resume(): Promise<void> {
    return this.act(async () => {
      const { engine } = await this.connect();
      await this.change((r) => ({ ...r, paused: false }));
      const runId = this.currentRun();
      const s = await engine.getStatus();
      if (runId && s.runId === runId && s.phase === 'paused') await engine.resume();
      else await this.advance();
    });
  }

  /** Move a pending entry one place up (-1) or down (+1) among the pending entries' places. */
  move(index: number, dir: -1 | 1): Promise<void> {
    return this.act(async () => {
      await this.connect();
      await this.change((r) => {
        const list = [...r.entries];
        const i = list.findIndex((e) => e.index === index);
        const j = i + dir;
        if (i < 0 || j < 0 || j >= list.length) return r;
        if (list[i].status !== 'pending' || list[j].status !== 'pending') return r;
        [list[i], list[j]] = [list[j], list[i]];
        return { ...r, entries: list };
      });
    });
  }

  /** Cancel one entry: a pending one is skipped, a training one is stopped (its `last` kept). */
  cancelEntry(index: number): Promise<void> {
    return this.act(async () => {
      const { engine } = await this.connect();
      const entry = this.record?.entries.find((e) => e.index === index);
      if (!entry || SWEEP_FINAL.includes(entry.status)) return;
      await this.changeEntry(index, { status: 'cancelled' });
      if (entry.status === 'running' && entry.runId) await this.stopIfTraining(engine, entry.runId);
      await this.advance();
    });
  }

  /** Cancel the whole queue: pending entries are skipped, the training one is stopped. */
  cancelAll(): Promise<void> {
    return this.act(async () => {
      const { engine } = await this.connect();
      const runId = this.currentRun();
      await this.change((r) => ({
        ...r,
        cancelled: true,
        entries: r.entries.map((e) => (SWEEP_FINAL.includes(e.status) ? e : { ...e, status: 'cancelled' })),
      }));
      if (runId) await this.stopIfTraining(engine, runId);
    });
  }

  private async stopIfTraining(engine: Engine, runId: string): Promise<void> {
    const s = await engine.getStatus();
    if (s.runId === runId && LIVE_PHASES.includes(s.phase)) {
      this.stopping = [...this.stopping, runId];
      await engine.stop();
    }
  }

  /** Forget the shown (finished or cancelled) queue so a new one can be planned; its runs stay. */
  async dismiss(): Promise<void> {
    const rec = this.record;
    if (!rec || this.unfinished || !this.runs) return;
    const { deleteSweep } = await import('../../store/sweeps');
    await deleteSweep(this.runs, rec.id);
    this.record = null;
  }

  /** Read-only view for the debug hook. */
  snapshot(): Record<string, unknown> | null {
    const r = this.record;
    if (!r) return null;
    return {
      id: r.id,
      kind: r.kind,
      paused: r.paused,
      cancelled: r.cancelled,
      done: this.done,
      progress: this.progress,
      entries: r.entries.map((e) => ({
        index: e.index,
        name: e.name,
        status: e.status,
        runId: e.runId,
        best: e.best?.value ?? null,
      })),
    };
  }
}

// ----- the page's queue (the Train section's engine) -----

let trainRef: typeof import('../train/trainState.svelte').train | null = null;
let runsKv: Kv | null = null;

async function pageTrain(): Promise<typeof import('../train/trainState.svelte').train> {
  trainRef ??= (await import('../train/trainState.svelte')).train;
  return trainRef;
}

async function pageRuns(): Promise<Kv> {
  // the page's one storage handle (ui/library.svelte.ts)
  runsKv ??= (await (await import('../library.svelte')).library.storage()).runs;
  return runsKv;
}

const pageHost: QueueHost = {
  storage: pageRuns,
  async storageExists() {
    const { dbName, DEFAULT_DB_PREFIX } = await import('../../store/storage');
    const list = indexedDB.databases ? await indexedDB.databases().catch(() => null) : null;
    // without databases() (older browsers) the queue cannot tell: open the store
    return !list || list.some((d) => d.name === dbName(DEFAULT_DB_PREFIX, 'runs'));
  },
  async ready() {
    const train = await pageTrain();
    const { environment } = await import('../environment.svelte');
    await train.ensureStarted(environment.preferred);
    if (!train.engine || !train.info)
      throw new Error(train.engineError?.text ?? 'the training engine did not start');
    return { engine: train.engine, runs: await pageRuns() };
  },
  loadedDatasetId: () => trainRef?.dataset?.id ?? null,
  async loadDataset(source, datasetId) {
    const train = await pageTrain();
    if (source.kind === 'demo') {
      train.demoCases = source.cases;
      train.demoSeed = source.seed;
      await train.loadDemo(true);
    } else {
      train.storedChoice = source.datasetId;
      await train.loadStored();
    }
    if (train.dataset?.id !== datasetId)
      throw new Error(
        `the queue's dataset ${datasetId} could not be loaded (see the Train section's message); the queue waits`,
      );
  },
  followRun(runId) {
    void pageTrain().then((t) => t.showRun(runId));
  },
};

export const sweepQueue = new SweepQueue(pageHost);

if (typeof window !== 'undefined' && typeof indexedDB !== 'undefined') {
  const w = window as unknown as { __studio?: Record<string, unknown> };
  const root = (w.__studio ??= {});
  if (!Object.getOwnPropertyDescriptor(root, 'sweep'))
    Object.defineProperty(root, 'sweep', { enumerable: true, get: () => sweepQueue.snapshot() });
  // on load: an unfinished queue continues (its interrupted run resumes, then the next entry)
  setTimeout(() => void sweepQueue.restore(), 0);
}
