/**
 * State of the environment check: the backend preference (remembered in localStorage, read by
 * the training engine), the current selection, the self-test, storage figures. The engine modules
 * (and TF.js with them) are imported lazily, so the shell renders before TF.js has loaded.
 */
import type { BackendChoice, BackendSelection } from '../engine/backend';
import {
  buildEnvReport,
  collectBrowserInfo,
  collectStorage,
  type BrowserInfo,
  type EnvReport,
  type StorageInfo,
} from '../engine/envReport';
import type { SelfTestResult } from '../engine/selftest';
import { version as appVersion } from '../../package.json';

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

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

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

  /** Training would run on a CPU-emulated GPU (SwiftShader & co.) through WebGPU or WebGL. */
  onFallbackAdapter = $derived(
    (this.selection?.backend === 'webgpu' && this.selection.adapter?.isFallbackAdapter === true) ||
      (this.selection?.backend === 'webgl' &&
        this.selection.warnings.some((w) => w.code === 'backend.webgl.softwareRenderer')),
  );
  /** Training would run without any GPU. */
  onCpuOnly = $derived(this.selection?.backend === 'wasm' || this.selection?.backend === 'cpu');

  private detection: { choice: BackendChoice; done: Promise<void> } | undefined;

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

  private async detectNow(): Promise<void> {
    this.detecting = true;
    this.error = undefined;
    try {
      const { selectBackend } = await import('../engine/backend');
      this.browser = collectBrowserInfo();
      this.selection = await selectBackend(this.preferred);
      this.selfTest = undefined;
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
      const { runSelfTest } = await import('../engine/selftest');
      const result = await runSelfTest(sel.backend);
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

  async report(): Promise<EnvReport | undefined> {
    if (!this.selection) return undefined;
    return buildEnvReport({
      appVersion,
      selection: this.selection,
      browser: this.browser,
      selfTest: this.selfTest,
      storage: this.storage,
    });
  }
}

export const environment = new EnvironmentState();
