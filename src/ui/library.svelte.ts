/**
 * The page's one view of what is stored: runs, checkpoints and datasets, read from the store over
 * ONE storage handle (opened once per page; every section shares the promise). Every section's
 * state (Train, Checkpoints, Data, Evaluate, Experiments, the sweep queue, Landmarks) reads these
 * lists and the `$derived` views below instead of keeping its own copy, so a change made in one
 * section shows in every other one without notifications between them.
 *
 * The lists stay current by themselves:
 *  - store edits made through the library (delete / rename a checkpoint, delete a run, rename /
 *    delete / edit a dataset) refresh the kinds they touch; the store ops keep their own integrity
 *    (store/runs.ts `deleteCheckpointOfRun`, `deleteRun`);
 *  - the engine's events that change the library (`run`: a run started, progressed, saved, ended;
 *    `checkpoint`: a checkpoint saved) update the lists in place (`watch(engine)`);
 *  - work done elsewhere (the import worker, the checkpoint worker's import) calls `refresh*()`.
 *
 * TF.js-free: it imports the store (IndexedDB) lazily and the engine only as types.
 */
import type { Engine, EngineEvent } from '../engine/protocol';
import type { CheckpointRecord, DatasetMetaPatch, DatasetSummary, RunRecord, StudioStorage } from '../store';

/** Runs the page reads (newest first); more than the lists ever show. */
const RUN_LIMIT = 1000;

/** Items grouped by a key, in list order (a plain record: built once per list, never mutated). */
function groupBy<T>(list: readonly T[], key: (item: T) => string): Readonly<Record<string, T[]>> {
  const out = Object.create(null) as Record<string, T[]>;
  for (const item of list) (out[key(item)] ??= []).push(item);
  return out;
}

export class Library {
  private storagePromise: Promise<StudioStorage> | null = null;
  private watched = new WeakSet<Engine>();

  /** Runs, newest first (as the store lists them). */
  runs = $state.raw<RunRecord[]>([]);
  /** Every run's checkpoints, ordered by run then pointer name (as the store lists them). */
  checkpoints = $state.raw<CheckpointRecord[]>([]);
  /** Stored datasets, most recently changed first. */
  datasets = $state.raw<DatasetSummary[]>([]);
  /** Each kind was read at least once. */
  runsLoaded = $state(false);
  checkpointsLoaded = $state(false);
  datasetsLoaded = $state(false);
  /** The run the engine trains now (running or paused), from its status events. */
  activeRunId = $state<string | null>(null);

  /** Checkpoints per run id. */
  checkpointsByRun = $derived(groupBy(this.checkpoints, (c) => c.runId));
  /** Runs per dataset id (newest first). */
  runsByDataset = $derived(groupBy(this.runs, (r) => r.datasetId));
  /** The run the engine trains now, if the library knows it. */
  activeRun = $derived(this.runs.find((r) => r.id === this.activeRunId) ?? null);

  runOf(runId: string | null | undefined): RunRecord | undefined {
    return runId ? this.runs.find((r) => r.id === runId) : undefined;
  }

  checkpointsOf(runId: string | null | undefined): CheckpointRecord[] {
    return (runId ? this.checkpointsByRun[runId] : undefined) ?? [];
  }

  datasetOf(datasetId: string | null | undefined): DatasetSummary | undefined {
    return datasetId ? this.datasets.find((d) => d.id === datasetId) : undefined;
  }

  /**
   * The page's storage handle: opened (created, migrated) once; a dataset delete a closed tab
   * interrupted is finished first, so no list shows a half-deleted dataset.
   */
  storage(): Promise<StudioStorage> {
    if (!this.storagePromise) {
      const opening = (async () => {
        const { openStudioStorage, finishPendingDeletes } = await import('../store');
        const s = await openStudioStorage();
        await finishPendingDeletes(s).catch(() => []);
        return s;
      })();
      this.storagePromise = opening;
      // a failed open (e.g. a newer schema) is reported to each caller and tried again next time
      opening.catch(() => {
        if (this.storagePromise === opening) this.storagePromise = null;
      });
    }
    return this.storagePromise;
  }

  // ----- reading -----

  async refreshRuns(): Promise<void> {
    const s = await this.storage();
    const { listRuns } = await import('../store');
    this.runs = (await listRuns(s.runs, { limit: RUN_LIMIT })).runs;
    this.runsLoaded = true;
  }

  async refreshCheckpoints(): Promise<void> {
    const s = await this.storage();
    const { listCheckpoints } = await import('../store');
    this.checkpoints = await listCheckpoints(s.checkpoints);
    this.checkpointsLoaded = true;
  }

  /** Throws when the datasets database cannot be read (the Data section shows why). */
  async refreshDatasets(): Promise<void> {
    const s = await this.storage();
    const { listDatasets } = await import('../store');
    this.datasets = await listDatasets(s.datasets);
    this.datasetsLoaded = true;
  }

  /** Read every kind again. */
  async refresh(): Promise<void> {
    await Promise.all([this.refreshRuns(), this.refreshCheckpoints(), this.refreshDatasets()]);
  }

  // ----- in-place updates (engine events, the engine's answers) -----

  /** A run record the engine or the store just returned (newer than the list's copy). */
  upsertRun(run: RunRecord): void {
    const i = this.runs.findIndex((r) => r.id === run.id);
    this.runs = i < 0 ? [run, ...this.runs] : this.runs.map((r) => (r.id === run.id ? run : r));
  }

  upsertCheckpoint(rec: CheckpointRecord): void {
    const same = (c: CheckpointRecord) => c.runId === rec.runId && c.name === rec.name;
    if (this.checkpoints.some(same)) {
      this.checkpoints = this.checkpoints.map((c) => (same(c) ? rec : c));
      return;
    }
    // keep the store's order: by run id, then by pointer name
    const list = [...this.checkpoints, rec];
    list.sort((a, b) => (a.runId === b.runId ? cmp(a.name, b.name) : cmp(a.runId, b.runId)));
    this.checkpoints = list;
  }

  private upsertDataset(d: DatasetSummary): void {
    this.datasets = this.datasets.map((x) => (x.id === d.id ? d : x));
  }

  /** Follow an engine's events that change the library (once per engine). */
  watch(engine: Engine): void {
    if (this.watched.has(engine)) return;
    this.watched.add(engine);
    engine.onEvent((e) => this.onEngineEvent(e));
  }

  onEngineEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'run':
        this.upsertRun(e.run);
        break;
      case 'checkpoint':
        this.upsertCheckpoint(e.record);
        break;
      case 'status':
        this.activeRunId = e.status.runId ?? null;
        break;
    }
  }

  // ----- edits (the store keeps its integrity; the lists follow) -----

  /** Delete a checkpoint; the store drops it from its run's `checkpointNames` too. */
  async deleteCheckpoint(c: Pick<CheckpointRecord, 'runId' | 'name'>): Promise<void> {
    const s = await this.storage();
    const { deleteCheckpointOfRun } = await import('../store');
    try {
      const { run } = await deleteCheckpointOfRun(s, c.runId, c.name);
      if (run) this.upsertRun(run);
    } finally {
      this.checkpoints = this.checkpoints.filter((x) => !(x.runId === c.runId && x.name === c.name));
      await this.refreshCheckpoints();
    }
  }

  /** Change a checkpoint's label (runs list checkpoints by pointer name, so no run changes). */
  async renameCheckpoint(c: Pick<CheckpointRecord, 'runId' | 'name'>, label: string): Promise<void> {
    const s = await this.storage();
    const { renameCheckpoint } = await import('../store');
    try {
      await renameCheckpoint(s.checkpoints, c.runId, c.name, label);
    } finally {
      await this.refreshCheckpoints();
    }
  }

  /** Delete a run with its checkpoints and history. */
  async deleteRun(runId: string): Promise<void> {
    const s = await this.storage();
    const { deleteRun } = await import('../store');
    try {
      await deleteRun(s, runId);
    } finally {
      await Promise.all([this.refreshRuns(), this.refreshCheckpoints()]);
    }
  }

  async renameDataset(datasetId: string, name: string): Promise<void> {
    const s = await this.storage();
    const { renameDataset } = await import('../store');
    this.upsertDataset(await renameDataset(s.datasets, datasetId, name));
    await this.refreshDatasets();
  }

  async patchDatasetMeta(datasetId: string, patch: DatasetMetaPatch): Promise<DatasetSummary> {
    const s = await this.storage();
    const { updateDatasetMeta } = await import('../store');
    const out = await updateDatasetMeta(s.datasets, datasetId, patch);
    this.upsertDataset(out);
    return out;
  }

  async deleteDataset(datasetId: string): Promise<void> {
    const s = await this.storage();
    const { deleteDataset } = await import('../store');
    try {
      await deleteDataset(s, datasetId);
    } finally {
      await this.refreshDatasets();
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The page's library (one per page). */
export const library = new Library();
