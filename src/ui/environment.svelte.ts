/**
 * State of the environment check: the backend preference (remembered in localStorage, read by
 * the training engine), the current selection, the self-test, storage figures, the device
 * benchmark. Every device question goes to the training engine (its `init`, `selfTest`,
 * `environmentReport` and `benchmark` commands), which answers in the home that trains under its
 * GPU lock: the page never loads TF.js for it, and a self-test never switches the backend under a
 * running step (issue 11 item 3).
 */
import type { BackendChoice, BackendSelection } from '../engine/backend';
import type { BenchConfigId, BenchmarkOptions, BenchmarkRecord, EngineEnvReport } from '../engine/benchmark';
import { collectBrowserInfo, collectStorage, type BrowserInfo, type StorageInfo } from '../engine/envReport';
import type { Engine } from '../engine/protocol';
import type { SelfTestResult } from '../engine/selftest';
import { train } from './train/trainState.svelte';
import { errorText } from '../core/errors';

export const BACKEND_STORAGE_KEY = 'ceph-gan-studio.backend';
const CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

function loadPreferred(): BackendChoice {
  try {
    const v = globalThis.localStorage?.getItem(BACKEND_STORAGE_KEY);
    return v && (CHOICES as readonly string[]).includes(v) ? (v as BackendChoice) : 'auto';
  } catch {
    return 'auto';
  }
}

/** What the engine's home told about itself (wasm threads, cross-origin isolation). */
export type EngineHomeInfo = EngineEnvReport['engine'];

export class EnvironmentState {
  preferred = $state<BackendChoice>(loadPreferred());
  selection = $state.raw<BackendSelection | undefined>(undefined);
  selfTest = $state.raw<SelfTestResult | undefined>(undefined);
  storage = $state.raw<StorageInfo | undefined>(undefined);
  browser = $state.raw<BrowserInfo | undefined>(undefined);
  detecting = $state(false);
  testing = $state(false);
  error = $state<string | undefined>(undefined);
  persistAnswer = $state<'granted' | 'denied' | undefined>(undefined);
  /** The engine's home, its wasm threads and isolation (from its environment report). */
  engineHome = $state.raw<EngineHomeInfo | undefined>(undefined);
  /** The device benchmark: running, progress of the configuration being measured, the table. */
  benchRunning = $state(false);
  benchProgress = $state.raw<{ config: string; done: number; total: number } | null>(null);
  benchRecords = $state.raw<BenchmarkRecord[]>([]);
  benchError = $state<string | undefined>(undefined);
  /** The GPU memory estimate (dry steps of the three configurations, WebGPU only). */
  memRunning = $state(false);
  memRecords = $state.raw<BenchmarkRecord[]>([]);

  /** Training would run on a CPU-emulated GPU (SwiftShader & co.) through WebGPU or WebGL. */
  onFallbackAdapter = $derived(
    (this.selection?.backend === 'webgpu' && this.selection.adapter?.isFallbackAdapter === true) ||
      (this.selection?.backend === 'webgl' &&
        this.selection.warnings.some((w) => w.code === 'backend.webgl.softwareRenderer')),
  );
  /** Training would run without any GPU. */
  onCpuOnly = $derived(this.selection?.backend === 'wasm' || this.selection?.backend === 'cpu');

  private detection: { choice: BackendChoice; done: Promise<void> } | undefined;

  constructor() {
    // `npm run bench -- steps` (test/bench/steps.ts) measures the built app's engine in Chromium through this
    if (typeof window !== 'undefined') {
      const root = ((window as unknown as { __studio?: Record<string, unknown> }).__studio ??= {});
      root.benchmark = async (options: BenchmarkOptions): Promise<BenchmarkRecord[]> =>
        (await this.engine()).benchmark(options);
    }
  }

  /** Select the backend for `preferred`. Concurrent calls for the same choice share one run. */
  detect(): Promise<void> {
    const choice = this.preferred;
    if (this.detection?.choice === choice) return this.detection.done;
    const before = this.detection?.done ?? Promise.resolve();
    const done = before
      .then(() => this.detectNow())
      .finally(() => {
        if (this.detection?.done === done) this.detection = undefined;
      });
    this.detection = { choice, done };
    return done;
  }

  /** The training engine, started on first use (the Train section starts the same one). */
  private async engine(): Promise<Engine> {
    // device questions are not a visit of the Train section: no first-visit demo load from here
    await train.ensureStarted(this.preferred, { offerDemo: false });
    const engine = train.engine;
    if (!engine || !train.info) {
      throw new Error(train.engineError?.text ?? 'the training engine did not start');
    }
    return engine;
  }

  private async detectNow(): Promise<void> {
    this.detecting = true;
    this.error = undefined;
    try {
      this.browser = collectBrowserInfo();
      const engine = await this.engine();
      let info = train.info;
      // the engine was started with another preference: it selects again (refused while training)
      if (!info || info.selection.requested !== this.preferred) {
        info = await engine.init({ backend: this.preferred });
        train.info = info;
      }
      this.selection = info.selection;
      this.selfTest = undefined;
      this.engineHome = (await engine.environmentReport()).engine;
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.detecting = false;
    }
  }

  private testRun: Promise<void> | undefined;

  /** Self-test the selected backend; waits for a test already running, then tests again. */
  async runSelfTest(): Promise<void> {
    while (this.testRun) await this.testRun;
    this.testRun = this.runSelfTestNow().finally(() => {
      this.testRun = undefined;
    });
    return this.testRun;
  }

  private async runSelfTestNow(): Promise<void> {
    this.testing = true;
    try {
      if (!this.selection) await this.detect();
      const sel = this.selection;
      if (!sel) return;
      const result = await (await this.engine()).selfTest();
      if (this.selection === sel) this.selfTest = result; // a newer selection was made meanwhile otherwise
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.testing = false;
    }
  }

  /** Self-test once per selection (the Environment page calls this when shown). */
  async ensureChecked(): Promise<void> {
    await this.detect();
    if (!this.selfTest) await this.runSelfTest();
    await this.refreshStorage();
  }

  /** Use another backend: remember it, select it, re-run the self-test. */
  async choose(choice: BackendChoice): Promise<void> {
    this.preferred = choice;
    try {
      globalThis.localStorage?.setItem(BACKEND_STORAGE_KEY, choice);
    } catch {
      // not remembered; still used for this visit
    }
    await this.detect();
    await this.runSelfTest();
  }

  async recheck(): Promise<void> {
    await this.detect();
    await this.runSelfTest();
    await this.refreshStorage();
  }

  async refreshStorage(): Promise<void> {
    this.storage = await collectStorage();
  }

  async requestPersistence(): Promise<void> {
    let granted: boolean;
    try {
      granted = (await navigator.storage?.persist?.()) ?? false;
    } catch {
      granted = false;
    }
    this.persistAnswer = granted ? 'granted' : 'denied';
    await this.refreshStorage();
  }

  /** The environment report from the engine (its home's view), with the page's storage figures. */
  async report(): Promise<EngineEnvReport | undefined> {
    if (!this.selection) return undefined;
    const report = await (await this.engine()).environmentReport();
    return { ...report, browser: report.browser ?? this.browser, storage: this.storage ?? report.storage };
  }

  /** Measure training steps on this device through the engine (refused while a run trains). */
  async runBenchmark(configs: BenchConfigId[], steps: number): Promise<void> {
    if (this.benchRunning) return;
    this.benchRunning = true;
    this.benchError = undefined;
    this.benchProgress = null;
    let off: (() => void) | undefined;
    try {
      const engine = await this.engine();
      off = engine.onEvent((e) => {
        if (e.type === 'benchmarkProgress')
          this.benchProgress = { config: e.config, done: e.done, total: e.total };
      });
      const records = await engine.benchmark({ configs, steps, warmup: 2, inferRuns: 3, budgetSec: 600 });
      this.benchRecords = records;
    } catch (e) {
      this.benchError = errorText(e);
    } finally {
      off?.();
      this.benchRunning = false;
      this.benchProgress = null;
    }
  }

  /**
   * Estimate a training step's GPU memory at every benchmark size without training (the engine's
   * dry step, BenchmarkOptions.memoryOnly; a fraction of one real step, also for 512 px). WebGPU only.
   */
  async runMemoryEstimate(): Promise<void> {
    if (this.benchRunning || this.memRunning) return;
    this.memRunning = true;
    this.benchError = undefined;
    try {
      const engine = await this.engine();
      this.memRecords = await engine.benchmark({ configs: [...MEMORY_ESTIMATE_CONFIGS], memoryOnly: true });
    } catch (e) {
      this.benchError = errorText(e);
    } finally {
      this.memRunning = false;
    }
  }
}

/** The GPU memory estimate's configurations: the three benchmark sizes, 512 px included. */
export const MEMORY_ESTIMATE_CONFIGS: readonly BenchConfigId[] = [
  'unet_128-ngf16-128',
  'unet_256-ngf64-256',
  'unet_256-ngf64-512',
];

export const environment = new EnvironmentState();
