/**
 * The recorder of a live training run (part of the engine, see engineCore.ts): it buffers metric
 * points, sends them as events at most every `eventEveryMs` (with a progress event), appends them
 * to the run's history series in the store (`train` step points, `val` validation rounds) when due
 * or asked, and writes a heartbeat every `heartbeatMs` while the run is live. It knows nothing of
 * what is trained: a GAN run and a detector run give it points and a heartbeat reading.
 *
 * History is written before a checkpoint (the caller flushes first), so a checkpoint's step is
 * always covered by the stored history; a rollback drops the buffered points after its step.
 * A failed history write is a warning (once per run), never the end of the run.
 */
import { appendHistory, heartbeat, type MetricPoint, type StudioStorage } from '../../store';
import type { EngineEvent } from '../protocol';
import { trainMessage, type TrainMessage } from '../trainMessages';

export interface RecorderHost {
  /** The run records and history series (store/runs.ts). */
  runs: StudioStorage['runs'];
  emit(e: EngineEvent): void;
  warn(m: TrainMessage): void;
  now(): number;
  /** The progress event sent with every flush of metric events. */
  progress(): Extract<EngineEvent, { type: 'progress' }>['progress'];
  /** What a heartbeat writes (active time, position). */
  position(): { durationMs: number; step: number; epoch: number };
}

export interface RecorderTiming {
  /** Least time between metric events, ms. */
  eventEveryMs: number;
  /** Least time between history writes, ms. */
  historyEveryMs: number;
  /** Heartbeat period, ms. */
  heartbeatMs: number;
}

export class RunRecorder {
  /** Points not yet written to the store / not yet sent as events. */
  private unsavedTrain: MetricPoint[] = [];
  private unsavedVal: MetricPoint[] = [];
  private unsent: MetricPoint[] = [];
  private lastEventAt = 0;
  private lastHistoryFlushAt: number;
  private historyWarned = false;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private heartbeatBusy = false;

  constructor(
    readonly runId: string,
    private readonly host: RecorderHost,
    private readonly timing: RecorderTiming,
  ) {
    this.lastHistoryFlushAt = host.now();
  }

  /** A logged training step: stored in `train` and sent as a metrics event. */
  train(point: MetricPoint): void {
    this.unsavedTrain.push(point);
    this.unsent.push(point);
  }

  /** A validation round's point for the `val` series (its event is the caller's). */
  val(point: MetricPoint): void {
    this.unsavedVal.push(point);
  }

  emitProgress(): void {
    this.host.emit({ type: 'progress', progress: this.host.progress() });
  }

  /** Send buffered metric points (and progress) if due or forced. */
  flushEvents(force: boolean): void {
    const now = this.host.now();
    if (!force && now - this.lastEventAt < this.timing.eventEveryMs) return;
    this.lastEventAt = now;
    if (this.unsent.length > 0) {
      this.host.emit({ type: 'metrics', runId: this.runId, points: this.unsent });
      this.unsent = [];
    }
    this.emitProgress();
  }

  /** Whether the buffered history is due for a write (historyEveryMs since the last one). */
  historyDue(): boolean {
    return this.host.now() - this.lastHistoryFlushAt >= this.timing.historyEveryMs;
  }

  /** Write buffered history points to the store. */
  async flushHistory(): Promise<void> {
    this.lastHistoryFlushAt = this.host.now();
    const train = this.unsavedTrain;
    const val = this.unsavedVal;
    this.unsavedTrain = [];
    this.unsavedVal = [];
    try {
      if (train.length > 0) await appendHistory(this.host.runs, this.runId, 'train', train);
      if (val.length > 0) await appendHistory(this.host.runs, this.runId, 'val', val);
    } catch (e) {
      if (!this.historyWarned) {
        this.historyWarned = true;
        this.host.warn(
          trainMessage('engine.history.writeFailed', { error: e instanceof Error ? e.message : String(e) }),
        );
      }
    }
  }

  /** A rollback to `step`: buffered points after it are dropped (the stored ones are cut by the caller). */
  dropAfter(step: number): void {
    this.unsavedTrain = this.unsavedTrain.filter((p) => p.step <= step);
    this.unsavedVal = this.unsavedVal.filter((p) => p.step <= step);
    this.unsent = this.unsent.filter((p) => p.step <= step);
  }

  /** Heartbeats every heartbeatMs until stopHeartbeat (a reload then sees the run as live). */
  startHeartbeat(): void {
    if (this.heartbeatTimer !== null) return;
    this.heartbeatTimer = setInterval(() => void this.beat(), this.timing.heartbeatMs);
    // in Node (CLI, tests) the heartbeat alone must not keep the process alive
    (this.heartbeatTimer as { unref?: () => void }).unref?.();
  }

  stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  get beating(): boolean {
    return this.heartbeatTimer !== null;
  }

  /** One heartbeat (skipped while the previous one is still writing). */
  async beat(): Promise<void> {
    if (this.heartbeatTimer === null || this.heartbeatBusy) return;
    this.heartbeatBusy = true;
    try {
      const p = this.host.position();
      await heartbeat(this.host.runs, this.runId, {
        durationMs: Math.round(p.durationMs),
        step: p.step,
        epoch: p.epoch,
      });
    } catch {
      // the next beat retries; a missed beat is harmless with the run lock held
    } finally {
      this.heartbeatBusy = false;
    }
  }
}
