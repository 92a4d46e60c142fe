/**
 * State of the run comparison (Experiments section, issue 15): which stored runs are selected,
 * their stored `train` / `val` histories, and their predictions for the fixed evaluation cases.
 *
 * `compareState.select(ids)` (contract with the sweep queue's "Compare these runs") replaces the
 * selection. The table, curves and study come from compareView.ts over the page's library's runs
 * (`library.runs`, kept current by the engine's `run` events) and the histories read here; the
 * grid asks the engine to evaluate each run's `best` (else `last`) checkpoint on the loaded
 * dataset (`evaluateCheckpoint`, the Evaluate view's command) and keeps only the grid cases' images.
 *
 * While two or more runs are selected, the review report (Evaluate → report) carries their
 * comparison (reportDownload.ts `setRunComparisonSource`).
 *
 * Debug hook (read-only, e2e): `window.__studio.compare` →
 * `{ selected, rows, differing, gridCols, gridCases, gridBusy, study, verdict }`.
 */
import type { GridCase } from '../../core/eval/round';
import type { ReviewRunComparison } from '../../core/eval/report';
import type { RunRecord, StudioStorage } from '../../store';
import { toTrainMessage, type TrainMessage } from '../../engine/trainMessages';
import { datasetSourceFromId } from '../../engine/datasetIds';
import { evaluate } from '../evaluate/evaluateState.svelte';
import { setRunComparisonSource } from '../evaluate/reportDownload';
import { i18n } from '../i18n.svelte';
import { train } from '../train/trainState.svelte';
import { library } from '../library.svelte';
import {
  compareTable,
  legendLabels,
  studyOf,
  sweepOf,
  type CompareRun,
  type HistPoint,
  type StudyView,
} from './compareView';

interface Histories {
  /** `<val count>:<train count>` the histories were read at. */
  key: string;
  val: HistPoint[];
  train: HistPoint[];
}

/** One run's predictions of the grid cases (or why there are none). */
export interface RunGrid {
  runId: string;
  status: 'pending' | 'done' | 'none' | 'error';
  checkpoint: string | null;
  step: number | null;
  /** Grid cases (photo, X-ray, prediction, landmarks) in the fixed evaluation order. */
  cases: GridCase[];
  /** Per-case L1 on [0,1]. */
  l1: Record<string, number>;
  error?: TrainMessage;
  /** What was predicted (gridRunKey): the same key is not predicted again unless asked. */
  key?: string;
}

/** A run's checkpoint choice and progress: when it changes, its predictions are out of date. */
function gridRunKey(r: RunRecord): string {
  return `${r.id}:${r.checkpointNames.join('+')}:${r.best?.step ?? ''}:${r.step}`;
}

/** At most this many training-loss points per run on the overlay (evenly thinned). */
export const MAX_TRAIN_POINTS = 600;

function unique(xs: readonly string[]): string[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

function histKey(r: RunRecord): string {
  return `${r.historyCounts.val ?? 0}:${r.historyCounts.train ?? 0}`;
}

export class CompareState {
  /** Selected run ids (the contract's `selected`). */
  selected = $state<string[]>([]);
  /** Dataset filter of the run list ('' = every dataset). */
  datasetFilter = $state('');
  histories = $state.raw<Readonly<Record<string, Histories>>>({});
  grids = $state.raw<Readonly<Record<string, RunGrid>>>({});
  gridBusy = $state(false);
  gridError = $state.raw<TrainMessage | null>(null);
  /** A run on another dataset is training: the grid's dataset cannot be loaded now. */
  gridBlocked = $state(false);
  error = $state.raw<TrainMessage | null>(null);
  /** Bumped when the curves' data change. */
  version = $state(0);

  private loading: Record<string, true> = {};

  /** Runs the list offers (every stored run, or one dataset's), newest first as the store lists them. */
  candidates: RunRecord[] = $derived(
    this.datasetFilter ? library.runs.filter((r) => r.datasetId === this.datasetFilter) : library.runs,
  );

  /** The selected runs in a stable order: a sweep's index, else oldest first. */
  selectedRuns: RunRecord[] = $derived.by(() => {
    return library.runs
      .filter((r) => this.selected.includes(r.id))
      .sort((a, b) => {
        const sa = sweepOf(a);
        const sb = sweepOf(b);
        if (sa && sb && sa.id === sb.id) return sa.index - sb.index;
        return a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1);
      });
  });

  /** The selected runs with their stored rounds (runs whose history is not read yet have none). */
  compareRuns: CompareRun[] = $derived(
    this.selectedRuns.map((run) => ({
      run,
      val: this.histories[run.id]?.val ?? [],
      trainCases: train.dataset?.id === run.datasetId ? train.dataset.trainCount : null,
      valCases: train.dataset?.id === run.datasetId ? train.dataset.valCount : null,
    })),
  );

  tableEn = $derived(
    compareTable(this.compareRuns, { rule: evaluate.rule, gate: evaluate.gate, lang: 'en' }),
  );
  tableZh = $derived(
    compareTable(this.compareRuns, { rule: evaluate.rule, gate: evaluate.gate, lang: 'zh' }),
  );
  table = $derived(i18n.lang === 'zh' ? this.tableZh : this.tableEn);
  labels: string[] = $derived(legendLabels(this.selectedRuns));
  study: StudyView | null = $derived(studyOf(this.compareRuns, { rule: evaluate.rule, gate: evaluate.gate }));
  /** Datasets of the stored runs (the filter's choices). */
  datasets: string[] = $derived(unique(library.runs.map((r) => r.datasetId)));
  /** The selected runs' datasets differ: the grid shows only the first dataset's runs. */
  mixedDatasets = $derived(this.selectedRuns.some((r) => r.datasetId !== this.selectedRuns[0].datasetId));
  /** What the histories should be read at, per selected run (changes when a run logs more). */
  historyKey = $derived(this.selectedRuns.map((r) => `${r.id}=${histKey(r)}`).join(','));

  constructor() {
    setRunComparisonSource(() => this.reportSection());
    this.installDebugHook();
  }

  /** Replace the selection (the sweep queue's "Compare these runs"). */
  select(runIds: string[]): void {
    this.selected = unique(runIds);
    if (this.selected.length > 0) {
      const first = library.runs.find((r) => r.id === this.selected[0]);
      // show the runs even when another dataset was filtered
      if (first && this.datasetFilter && first.datasetId !== this.datasetFilter) this.datasetFilter = '';
    }
    void this.loadHistories();
  }

  toggle(runId: string, on: boolean): void {
    const has = this.selected.includes(runId);
    if (on && !has) this.selected = [...this.selected, runId];
    else if (!on && has) this.selected = this.selected.filter((id) => id !== runId);
    void this.loadHistories();
  }

  clear(): void {
    this.selected = [];
  }

  private openStorage(): Promise<StudioStorage> {
    return library.storage();
  }

  /** Read the stored histories of selected runs not read yet (or that logged more since). */
  async loadHistories(): Promise<void> {
    const todo = this.selectedRuns.filter(
      (r) => this.histories[r.id]?.key !== histKey(r) && !this.loading[`${r.id}:${histKey(r)}`],
    );
    if (todo.length === 0) return;
    try {
      const storage = await this.openStorage();
      const { readHistory } = await import('../../store');
      for (const r of todo) {
        const key = histKey(r);
        const tag = `${r.id}:${key}`;
        this.loading[tag] = true;
        try {
          const [val, trn] = await Promise.all([
            readHistory(storage.runs, r.id, 'val'),
            readHistory(storage.runs, r.id, 'train'),
          ]);
          this.histories = { ...this.histories, [r.id]: { key, val, train: trn } };
          this.version++;
        } finally {
          delete this.loading[tag];
        }
      }
      this.error = null;
    } catch (e) {
      this.error = toTrainMessage(e);
    }
  }

  /** Each selected run's stored `train` (or `val`) points, selection order. */
  seriesOf(kind: 'train' | 'val'): HistPoint[][] {
    return this.selectedRuns.map((r) => this.histories[r.id]?.[kind] ?? []);
  }

  /** The runs the grid can show: those on the first selected run's dataset. */
  gridRuns: RunRecord[] = $derived(
    this.selectedRuns.filter((r) => r.datasetId === this.selectedRuns[0]?.datasetId),
  );

  /**
   * Evaluate each grid run's best (else last) checkpoint on its dataset in the engine and keep the
   * grid cases' images. Runs evaluated already (same checkpoint step) are kept.
   */
  async predictGrid(force = false): Promise<void> {
    const engine = train.engine;
    const runs = this.gridRuns;
    if (!engine || runs.length === 0 || this.gridBusy) return;
    this.gridBusy = true;
    this.gridError = null;
    this.gridBlocked = false;
    try {
      // runs without any checkpoint have nothing to predict with (no dataset load for them)
      for (const run of runs)
        if (run.checkpointNames.length === 0)
          this.setGrid({
            runId: run.id,
            status: 'none',
            checkpoint: null,
            step: null,
            cases: [],
            l1: {},
            key: gridRunKey(run),
          });
      if (runs.every((r) => r.checkpointNames.length === 0)) return;
      const datasetId = runs[0].datasetId;
      if (train.dataset?.id !== datasetId) {
        if (train.activeRunId) {
          this.gridBlocked = true;
          return;
        }
        await train.loadDataset(datasetSourceFromId(datasetId));
        if (train.dataset?.id !== datasetId) {
          this.gridError = train.messages.at(-1)?.message ?? null;
          return;
        }
      }
      const traceability = null;
      for (const run of runs) {
        if (!this.selected.includes(run.id)) continue;
        const name = run.checkpointNames.includes('best')
          ? 'best'
          : run.checkpointNames.includes('last')
            ? 'last'
            : (run.checkpointNames.at(-1) ?? null);
        const key = gridRunKey(run);
        const have = this.grids[run.id];
        if (!name || (!force && have && have.key === key && have.status !== 'pending')) continue;
        this.setGrid({
          runId: run.id,
          status: 'pending',
          checkpoint: name,
          step: null,
          cases: [],
          l1: {},
          key,
        });
        try {
          const ev = await engine.evaluateCheckpoint({
            model: { kind: 'checkpoint', runId: run.id, name },
            traceability,
          });
          const l1: Record<string, number> = {};
          for (const c of ev.cases) l1[c.id] = c.l1_01;
          this.setGrid({
            runId: run.id,
            status: 'done',
            checkpoint: name,
            step: name === 'best' ? (run.best?.step ?? ev.step) : ev.step,
            cases: ev.grid,
            l1,
            key,
          });
        } catch (e) {
          this.setGrid({
            runId: run.id,
            status: 'error',
            checkpoint: name,
            step: null,
            cases: [],
            l1: {},
            error: toTrainMessage(e),
            key,
          });
        }
      }
    } catch (e) {
      this.gridError = toTrainMessage(e);
    } finally {
      this.gridBusy = false;
    }
  }

  /** What the grid shows: its runs and their checkpoints (a change asks for new predictions). */
  gridKey = $derived(this.gridRuns.map(gridRunKey).join(','));
  private autoKey = '';

  /**
   * Predict once per set of grid runs and checkpoints, and only while nothing trains (a sweep in
   * progress keeps the GPU); the grid's button predicts on demand.
   */
  autoPredict(): void {
    const key = this.gridKey;
    if (!key || key === this.autoKey || !train.engine || train.activeRunId || this.gridBusy) return;
    // a run still training (e.g. later in a sweep) would change its checkpoints: wait for it
    if (this.gridRuns.some((r) => r.status === 'running' || r.status === 'paused')) return;
    this.autoKey = key;
    void this.predictGrid();
  }

  private setGrid(g: RunGrid): void {
    this.grids = { ...this.grids, [g.runId]: g };
  }

  /** The report's comparison section (null with fewer than two selected runs). */
  reportSection(): ReviewRunComparison | null {
    const runs = this.selectedRuns;
    if (runs.length < 2) return null;
    const labels = this.labels;
    const study = this.study;
    return {
      runs: runs.map((r, i) => ({ id: r.id, name: r.name, label: labels[i] })),
      tables: { en: this.tableEn, zh: this.tableZh },
      study: study
        ? {
            points: study.points,
            held: study.held,
            steps: study.steps,
            epochs: study.epochs,
            reading: study.reading,
          }
        : null,
    };
  }

  private installDebugHook(): void {
    if (typeof window === 'undefined') return;
    const w = window as unknown as { __studio?: Record<string, unknown> };
    const root = (w.__studio ??= {});
    if (Object.getOwnPropertyDescriptor(root, 'compare')) return;
    Object.defineProperty(root, 'compare', {
      configurable: true,
      get: () => ({
        selected: [...this.selected],
        rows: this.table.rows.length,
        differing: [...this.table.differingKeys],
        gridCols: Object.values(this.grids).filter(
          (g) => g.status === 'done' && this.selected.includes(g.runId),
        ).length,
        gridCases: Math.max(0, ...Object.values(this.grids).map((g) => g.cases.length)),
        gridBusy: this.gridBusy,
        study: this.study !== null,
        verdict: this.study?.reading.verdict ?? null,
      }),
    });
  }
}

export const compareState = new CompareState();
