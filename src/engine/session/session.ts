/**
 * A training session (part of the engine, see engineCore.ts): the run state every kind of training
 * shares — running / paused / stop requested / ended, the active time, the measured speed — and the
 * loop that drives it: repair what is broken (a lost device), stop at the last step, otherwise one
 * step, then yield a macrotask so pause, stop and other commands get through. It is generic over
 * what it trains: the work (`SessionWork`) brings its own step, metrics and end-of-run writing.
 * The GAN run is one such work (engineCore's `ganWork`), a landmark detector training another
 * (detector/work.ts `detectorWork`): one loop in the engine.
 */

export type StepOutcome = 'ok' | 'fault' | 'lost';

/** Steps and time since the last metric read, minus previews/validation/saves (the speed reading). */
export interface StepClock {
  syncAt: number;
  steps: number;
  otherMs: number;
}

/** What a session trains. */
export interface SessionWork {
  /** The run has reached its last step. */
  done(): boolean;
  /** Before each step: repair what broke (a lost device); true when it did (the clock restarts). */
  repair(): Promise<boolean>;
  /** One step and what is due after it ('fault' | 'lost': handled, the clock restarts). */
  step(clock: StepClock): Promise<StepOutcome>;
  /** A step threw: 'lost' when that was a lost device (repaired next turn); otherwise rethrow. */
  classify(e: unknown): Promise<StepOutcome>;
  /** The last step is done: final writes. */
  finish(): Promise<void>;
  /** Stop was asked: final writes. */
  stopped(): Promise<void>;
  /** Anything else that threw ends the run. */
  failed(e: unknown): Promise<void>;
}

export interface SessionHost {
  now(): number;
  yieldNow(): Promise<void>;
}

interface SpeedSample {
  steps: number;
  ms: number;
}

export class TrainingSession {
  paused = false;
  stopRequested = false;
  /** The loop has ended (finished, stopped, failed). */
  ended = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  /** Active time before the current running stretch, ms. */
  private durationBaseMs: number;
  private runningSince: number | null;
  private speed: SpeedSample[] = [];

  /** `durationMs`: the run's active time so far (a resumed run continues its own). */
  constructor(
    private readonly host: SessionHost,
    durationMs: number,
  ) {
    this.durationBaseMs = durationMs;
    this.runningSince = host.now();
  }

  /** Start the loop over `work` (once). */
  start(work: SessionWork): void {
    this.loop ??= this.run(work);
  }

  /** Active time, ms (running stretches only). */
  get durationMs(): number {
    return this.durationBaseMs + (this.runningSince !== null ? this.host.now() - this.runningSince : 0);
  }

  private stopClock(): void {
    if (this.runningSince !== null) {
      this.durationBaseMs += this.host.now() - this.runningSince;
      this.runningSince = null;
    }
  }

  /** Pause after the step in flight (the clock of active time stops). */
  pause(): void {
    this.paused = true;
    this.stopClock();
  }

  /** Mark running again (the clock restarts); `wake()` lets the loop go on. */
  resume(): void {
    this.paused = false;
    this.runningSince = this.host.now();
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Ask the loop to stop (a paused one too) and wait until it has written its end. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.paused) {
      this.paused = false;
      this.wake();
    }
    await this.loop;
  }

  /** The loop's end (finished, stopped or failed), without asking it to stop. */
  whenLoopEnds(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** The run is over (the work calls this in finish / stopped / failed). */
  end(): void {
    this.ended = true;
    this.stopClock();
  }

  recordSpeed(steps: number, ms: number): void {
    if (steps <= 0 || ms <= 0) return;
    this.speed.push({ steps, ms });
    while (this.speed.length > 12) this.speed.shift();
  }

  resetSpeed(): void {
    this.speed = [];
  }

  /** Steps per second over the recent samples (null before any). */
  itPerSec(): number | null {
    // the first sample includes shader compilation: leave it out once there are others
    const samples = this.speed.length > 1 ? this.speed.slice(1) : this.speed;
    const steps = samples.reduce((a, s) => a + s.steps, 0);
    const ms = samples.reduce((a, s) => a + s.ms, 0);
    return steps > 0 && ms > 0 ? (1000 * steps) / ms : null;
  }

  private async run(work: SessionWork): Promise<void> {
    const now = (): number => this.host.now();
    const clock: StepClock = { syncAt: now(), steps: 0, otherMs: 0 };
    const restartClock = (): void => {
      clock.syncAt = now();
      clock.steps = 0;
      clock.otherMs = 0;
    };
    try {
      while (!this.stopRequested) {
        if (this.paused) {
          await new Promise<void>((r) => {
            this.wakeUp = r;
          });
          this.wakeUp = null;
          restartClock();
          continue;
        }
        if (await work.repair()) {
          restartClock();
          continue;
        }
        if (work.done()) {
          await work.finish();
          return;
        }
        let outcome: StepOutcome;
        try {
          outcome = await work.step(clock);
        } catch (e) {
          outcome = await work.classify(e);
        }
        if (outcome !== 'ok') restartClock();
        await this.host.yieldNow();
      }
      await work.stopped();
    } catch (e) {
      await work.failed(e);
    }
  }
}
