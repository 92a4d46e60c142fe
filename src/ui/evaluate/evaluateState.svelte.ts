/**
 * State of the Evaluate section: the run shown, its validation rounds (stored `val` history plus
 * live `validation` events), on-demand evaluations of checkpoints A and B, the failure rule and
 * the quality-gate thresholds (remembered in localStorage), the audit flags of the run's dataset,
 * the 20-case grid and the review report.
 *
 * Heavy work stays out of the page: evaluations run in the engine (`evaluateCheckpoint`); the page
 * only re-judges the failure rule and the gate (a few hundred numbers), renders the grid from the
 * returned 8-bit images and builds the report. The engine is the Train section's (`train`), so a
 * run keeps its one engine whichever section is open.
 *
 * Debug hook (read-only, for e2e tests): `window.__studio.evaluate` returns counts —
 * `{ runId, rounds, shownStep, source, stuck, gate, failures, gridCases, evaluating }`.
 */
import type { RunConfig } from '../../core/config';
import {
  DEFAULT_FAILURE_RULE,
  failureStats,
  type FailureRule,
  type FailureStats,
} from '../../core/eval/failures';
import { DEFAULT_GATE, evaluateGate, type GateThresholds, type GateVerdict } from '../../core/eval/gate';
import type { ValidationRound } from '../../core/eval/round';
import { roundFromValues } from '../../core/eval/roundValues';
import type { RgbaImage } from '../../core/image';
import type { RoundPoint } from '../../core/eval/report';
import type { DetectorRef, EngineEvent } from '../../engine/protocol';
import { datasetSourceFromId } from '../../engine/datasetIds';
import type { CheckpointEvaluation, EvaluateCheckpointOptions } from '../../engine/evaluation';
import { toTrainMessage, type TrainMessage } from '../../engine/trainMessages';
import type { CheckpointRecord, MetricPoint, RunRecord, StudioStorage } from '../../store';
import { train } from '../train/trainState.svelte';
import { library } from '../library.svelte';
import { flagsByCase, gridOf } from './gridImage';

export const RULE_STORAGE_KEY = 'ceph-gan-studio.eval.failureRule';
export const GATE_STORAGE_KEY = 'ceph-gan-studio.eval.gate';

function load<T extends object>(key: string, fallback: T): T {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    if (!raw) return { ...fallback };
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    const out = { ...fallback } as Record<string, unknown>;
    for (const k of Object.keys(fallback)) {
      const v = parsed[k];
      if (v === null || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
    }
    return out as T;
  } catch {
    return { ...fallback };
  }
}

function save(key: string, value: object): void {
  try {
    globalThis.localStorage?.setItem(key, JSON.stringify(value));
  } catch {
    // not remembered; still applies for this visit
  }
}

/** `round` | `current` | `ckpt:<runId>:<name>` (the select's values). */
export type SourceKey = string;

export function checkpointKey(runId: string, name: string): SourceKey {
  return `ckpt:${runId}:${name}`;
}

export function parseSource(key: SourceKey): EvaluateCheckpointOptions['model'] | null {
  if (key === 'current') return { kind: 'current' };
  const m = /^ckpt:([^:]+):(.+)$/.exec(key);
  return m ? { kind: 'checkpoint', runId: m[1], name: m[2] } : null;
}

export class EvaluateState {
  runId = $state<string | null>(null);
  /** The shown run's validation rounds (summary + per-case values), step order. */
  rounds = $state.raw<RoundPoint[]>([]);
  /** Full rounds from live events (histograms, exact diagnostics), by step. */
  liveRounds = $state.raw<Readonly<Record<number, ValidationRound>>>({});
  evalA = $state.raw<CheckpointEvaluation | null>(null);
  evalB = $state.raw<CheckpointEvaluation | null>(null);
  sourceA = $state<SourceKey>('round');
  sourceB = $state<SourceKey>('');
  evaluating = $state<'A' | 'B' | null>(null);
  error = $state.raw<TrainMessage | null>(null);
  /** The shown run's checkpoints (the page's library). */
  checkpoints: CheckpointRecord[] = $derived(library.checkpointsOf(this.runId));
  /** Checkpoints of other runs on the same dataset (for B). */
  otherCheckpoints: { run: RunRecord; record: CheckpointRecord }[] = $derived.by(() => {
    const runId = this.runId;
    const run = library.runOf(runId);
    if (!run) return [];
    const others: { run: RunRecord; record: CheckpointRecord }[] = [];
    for (const r of library.runsByDataset[run.datasetId] ?? []) {
      if (r.id === runId || r.checkpointNames.length === 0) continue;
      for (const record of library.checkpointsOf(r.id)) others.push({ run: r, record });
    }
    return others;
  });
  flags = $state.raw<ReadonlyMap<string, string[]> | null>(null);
  rule = $state<FailureRule>(load(RULE_STORAGE_KEY, DEFAULT_FAILURE_RULE));
  gate = $state<GateThresholds>(load(GATE_STORAGE_KEY, DEFAULT_GATE));
  grid = $state.raw<RgbaImage | null>(null);
  reportBusy = $state(false);
  chartVersion = $state(0);
  /**
   * The landmark detector of on-demand evaluations (issue 13): `none`, `shipped`, `stored:<id>`;
   * null = the detector the shown run was started with (none when unknown).
   */
  traceKey = $state<string | null>(null);

  /** The user chose the run here (then opening the section keeps it instead of following Train). */
  manualPick = false;
  private subscribed = false;
  private loadToken = 0;
  private autoEvaluated: Record<string, true> = {};

  run: RunRecord | null = $derived(train.runs.find((r) => r.id === this.runId) ?? null);
  config: RunConfig | null = $derived(this.run?.config ?? null);
  isActive = $derived(this.runId !== null && this.runId === train.activeRunId);

  /**
   * The latest round of the run: exact when it came live, else rebuilt from the stored values with
   * the stuck verdict judged again over the run's stored rounds.
   */
  latestRound: ValidationRound | null = $derived.by(() => {
    const pts = this.rounds;
    const cfg = this.config;
    if (pts.length === 0 || !cfg) return null;
    const last = pts[pts.length - 1];
    return this.liveRounds[last.step] ?? roundFromValues(last.step, null, last.values, cfg, pts.slice(0, -1));
  });

  /** What the cards show: checkpoint A's evaluation when there is one, else the latest round. */
  shown: ValidationRound | null = $derived(
    this.sourceA !== 'round' && this.evalA ? this.evalA : this.latestRound,
  );
  shownLabel = $derived(this.sourceA !== 'round' && this.evalA ? this.labelOf(this.evalA) : null);

  failures: FailureStats | null = $derived(
    this.shown ? failureStats(this.shown.cases, this.rule, this.flags ?? undefined, { worstN: 10 }) : null,
  );

  verdict: GateVerdict | null = $derived(
    this.shown && this.failures
      ? evaluateGate(
          {
            mean_l1: this.shown.aggregate.mean_l1,
            mean_psnr: this.shown.aggregate.mean_psnr,
            failure_rate: this.failures.total > 0 ? this.failures.rate : null,
            sharpness_ratio: this.shown.diagnosis?.sharpnessRatio ?? null,
            // judged only when the evaluation has traceability (a landmark detector)
            trace_mre: this.shown.traceability
              ? (this.shown.traceability.synthetic.mreMm ?? null)
              : undefined,
          },
          this.gate,
        )
      : null,
  );

  constructor() {
    this.installDebugHook();
  }

  labelOf(ev: CheckpointEvaluation): string {
    const run = train.runs.find((r) => r.id === ev.runId);
    const who = ev.checkpoint ?? 'current';
    return `${run && ev.runId !== this.runId ? `${run.name} · ` : ''}${who} · step ${ev.step}`;
  }

  private openStorage(): Promise<StudioStorage> {
    return library.storage();
  }

  /** Subscribe to the engine's events (once the Train state has started it). */
  attach(): void {
    const engine = train.engine;
    if (!engine || this.subscribed) return;
    this.subscribed = true;
    engine.onEvent((e) => this.onEvent(e));
  }

  private onEvent(e: EngineEvent): void {
    if (e.type === 'validation' && e.runId === this.runId) {
      const round = e.round;
      this.addPoint({ step: e.point.step, values: e.point.values });
      if (round) {
        this.liveRounds = { ...this.liveRounds, [round.step]: round };
      }
    }
    // saved checkpoints reach `checkpoints` through the library (it follows the engine's events)
  }

  private addPoint(p: RoundPoint): void {
    const kept = this.rounds.filter((r) => r.step < p.step);
    this.rounds = [...kept, p];
    this.chartVersion++;
  }

  /** Show a run: its rounds, its checkpoints and its dataset's audit flags. */
  async showRun(runId: string | null): Promise<void> {
    if (runId !== null && runId === this.runId) {
      // the run shown already: keep the chosen models and evaluations, refresh the lists
      await this.refreshCheckpoints();
      return;
    }
    const token = ++this.loadToken;
    this.runId = runId;
    this.rounds = [];
    this.liveRounds = {};
    this.evalA = null;
    this.evalB = null;
    this.sourceA = 'round';
    this.sourceB = '';
    this.grid = null;
    this.error = null;
    this.flags = null;
    this.chartVersion++;
    if (!runId) return;
    try {
      const storage = await this.openStorage();
      const { readHistory } = await import('../../store');
      const pts: MetricPoint[] = await readHistory(storage.runs, runId, 'val');
      if (token !== this.loadToken) return;
      // live points that arrived meanwhile win
      const live = this.rounds;
      const merged = [...pts.filter((p) => !live.some((l) => l.step === p.step)), ...live].sort(
        (a, b) => a.step - b.step,
      );
      this.rounds = merged.map((p) => ({ step: p.step, values: p.values }));
      this.chartVersion++;
      await this.refreshCheckpoints();
      await this.loadFlags(token);
    } catch (e) {
      if (token === this.loadToken) this.error = toTrainMessage(e);
    }
  }

  /** Read the checkpoint lists again (the library's; `checkpoints` and `otherCheckpoints` follow). */
  async refreshCheckpoints(): Promise<void> {
    if (!this.runId) return;
    await library.refreshCheckpoints();
  }

  private async loadFlags(token: number): Promise<void> {
    const run = this.run;
    if (!run || run.datasetId.startsWith('demo-')) return;
    const storage = await this.openStorage();
    const { listCaseIds, getCases } = await import('../../store');
    const ids = await listCaseIds(storage.datasets, run.datasetId);
    const records: { id: string; flags: { code: string }[] }[] = [];
    for (let i = 0; i < ids.length; i += 200) {
      for (const c of await getCases(storage.datasets, run.datasetId, ids.slice(i, i + 200)))
        records.push(c.record);
    }
    const flags = flagsByCase(records);
    if (token === this.loadToken) this.flags = flags;
  }

  /** The checkpoint to evaluate by default: `best`, else `last`, else the newest. */
  defaultCheckpoint(): SourceKey | null {
    const runId = this.runId;
    if (!runId || this.checkpoints.length === 0) return null;
    const pick =
      this.checkpoints.find((c) => c.name === 'best') ??
      this.checkpoints.find((c) => c.name === 'last') ??
      this.checkpoints[this.checkpoints.length - 1];
    return checkpointKey(runId, pick.name);
  }

  /**
   * Once per run, when it is not training: evaluate its best (or last) checkpoint, so the grid,
   * histograms and failure statistics are there when the section opens.
   */
  async autoEvaluate(): Promise<void> {
    const runId = this.runId;
    if (!runId || this.isActive || this.evalA || this.evaluating || this.autoEvaluated[runId]) return;
    const key = this.defaultCheckpoint();
    if (!key || !train.engine) return;
    this.autoEvaluated[runId] = true;
    this.sourceA = key;
    await this.evaluate('A');
    // a failed attempt may be repeated the next time the run is opened
    if (!this.evalA && this.runId === runId) delete this.autoEvaluated[runId];
  }

  /** The detector key of evaluations: the user's choice, else the run's own detector. */
  async traceabilityChoice(): Promise<string> {
    const { runDetectorKey } = await import('../landmarks/detectorState.svelte');
    return this.traceKey ?? runDetectorKey(this.runId);
  }

  /** The detector of evaluations, when the engine knows it and its set matches the loaded dataset's. */
  async traceabilityRef(): Promise<DetectorRef | null> {
    const { detector, parseRefKey, refKey } = await import('../landmarks/detectorState.svelte');
    const key = await this.traceabilityChoice();
    if (key === 'none') return null;
    if (!detector.loaded) await detector.refresh();
    const symbols = train.dataset?.hasLandmarks ? train.dataset.landmarkSymbols : null;
    return detector.choicesFor(symbols).some((d) => refKey(d.ref) === key) ? parseRefKey(key) : null;
  }

  /** Evaluate the model chosen for slot A or B in the engine; the grid is re-rendered. */
  async evaluate(slot: 'A' | 'B'): Promise<void> {
    const engine = train.engine;
    const key = slot === 'A' ? this.sourceA : this.sourceB;
    const model = parseSource(key);
    if (!engine || !model) {
      if (slot === 'B') {
        this.evalB = null;
        await this.renderGrid();
      }
      return;
    }
    this.evaluating = slot;
    this.error = null;
    try {
      // a newer choice (another run, another model for this slot) wins over this result
      const runId = this.runId;
      const token = this.loadToken;
      const still = (): boolean =>
        this.runId === runId &&
        this.loadToken === token &&
        (slot === 'A' ? this.sourceA : this.sourceB) === key;
      // the engine evaluates on its loaded dataset: load the run's own when another (or none) is loaded
      const datasetId =
        model.kind === 'checkpoint'
          ? (train.runs.find((r) => r.id === model.runId)?.datasetId ?? this.run?.datasetId)
          : undefined;
      if (datasetId && train.dataset?.id !== datasetId && !train.activeRunId) {
        // through the Train state, so its data card shows the same dataset; it reports failures
        await train.loadDataset(datasetSourceFromId(datasetId));
        if (train.dataset?.id !== datasetId) {
          this.error = train.messages.at(-1)?.message ?? null;
          return;
        }
      }
      const traceability = await this.traceabilityRef();
      const ev = await engine.evaluateCheckpoint({ model, traceability });
      if (!still()) return;
      if (slot === 'A') this.evalA = ev;
      else this.evalB = ev;
      await this.renderGrid();
    } catch (e) {
      this.error = toTrainMessage(e);
    } finally {
      this.evaluating = null;
    }
  }

  async renderGrid(): Promise<void> {
    const a = this.sourceA !== 'round' ? this.evalA : null;
    const b = this.sourceB ? this.evalB : null;
    if (!a && !b) {
      this.grid = null;
      return;
    }
    this.grid = gridOf(a, b, (ev) => this.labelOf(ev), this.run?.name ?? '');
  }

  setRule(patch: Partial<FailureRule>): void {
    this.rule = { ...this.rule, ...patch };
    save(RULE_STORAGE_KEY, $state.snapshot(this.rule));
  }

  setGate(patch: Partial<GateThresholds>): void {
    this.gate = { ...this.gate, ...patch };
    save(GATE_STORAGE_KEY, $state.snapshot(this.gate));
  }

  resetRule(): void {
    this.rule = { ...DEFAULT_FAILURE_RULE };
    save(RULE_STORAGE_KEY, this.rule);
  }

  resetGate(): void {
    this.gate = { ...DEFAULT_GATE };
    save(GATE_STORAGE_KEY, this.gate);
  }

  private installDebugHook(): void {
    if (typeof window === 'undefined') return;
    const w = window as unknown as { __studio?: Record<string, unknown> };
    const root = (w.__studio ??= {});
    if (Object.getOwnPropertyDescriptor(root, 'evaluate')) return;
    Object.defineProperty(root, 'evaluate', {
      enumerable: true,
      get: () =>
        Object.freeze({
          runId: this.runId,
          rounds: this.rounds.length,
          shownStep: this.shown?.step ?? null,
          source: this.sourceA,
          stuck: (this.latestRound ?? this.shown)?.stuck.stuck ?? null,
          gate: this.verdict?.status ?? null,
          failures: this.failures?.label ?? null,
          gridCases: (this.evalA ?? this.evalB)?.grid.length ?? 0,
          evaluating: this.evaluating,
        }),
    });
  }
}

export const evaluate = new EvaluateState();
