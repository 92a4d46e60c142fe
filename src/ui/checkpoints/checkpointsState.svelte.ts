/**
 * State of the Checkpoints section: the stored checkpoints of every run (read from the store,
 * plain IndexedDB), the export menu, the server-bundle panel, the import preview, and the
 * "Measure" action. File work (reading dropped checkpoints, writing .pth / safetensors / TF.js /
 * ZIPs, the server bundle) runs in the checkpoint worker (ioClient.ts); measuring uses the
 * training engine of the Train section (train.engine) — TF.js never loads on the page.
 *
 * Debug hook (read-only, for e2e tests and the console): `window.__studio.checkpoints` returns
 * `{ ready, rows: [{ runId, name, label, epoch, step }], importPhase, measured }`.
 */
import type {
  BundleDescription,
  DownloadFile,
  ExportFormat,
  ExportNets,
  ImportCommitted,
  InspectedImport,
} from '../../engine/checkpoint';
import { datasetSourceFromId } from '../../engine/datasetIds';
import { toTrainMessage, type TrainMessage } from '../../engine/trainMessages';
import { formatSize } from '../bytes';
import type { WalkResult } from '../../engine/import/walk';
import type { CheckpointRecord, DatasetSummary, RunRecord } from '../../store';
import { environment } from '../environment.svelte';
import { library } from '../library.svelte';
import { train } from '../train/trainState.svelte';
import { downloadBytes } from '../download';
import { CheckpointIoClient } from '../../engine/checkpoint/client';
import { errorText } from '../../core/errors';

/** `<runId>/<pointer name>`: one checkpoint. */
export function checkpointKey(c: Pick<CheckpointRecord, 'runId' | 'name'>): string {
  return `${c.runId}/${c.name}`;
}

/**
 * Completed epochs of a checkpoint (from its manifest when saved; older records: `epoch` is the
 * epoch in progress, 1-based).
 */
export function completedEpochsOf(c: Pick<CheckpointRecord, 'epoch' | 'completedEpochs'>): number {
  return c.completedEpochs ?? Math.max(0, c.epoch - 1);
}

/** A size with its binary unit ("5.8 MiB"): the page's one size formatter (ui/bytes.ts). */
export function formatMB(bytes: number): string {
  return formatSize(bytes);
}

export interface ExportChoice {
  format: ExportFormat;
  nets: ExportNets;
  label: 'latest' | 'epoch';
}

export interface Measurement {
  l1: number;
  psnr: number;
  ssim: number;
  cases: number;
  datasetId: string;
}

/**
 * An error shown to the user: where (`key`: a checkpoint key, or 'import'), a code for the
 * translated headline when the studio knows the cause, and the detail (a reader's English message
 * that names the file, or an engine message rendered in the UI language).
 */
export interface ShownError {
  key: string;
  code?: 'busy' | 'noDataset' | 'noFiles';
  detail: string;
  message?: TrainMessage;
}

/** What the UI keeps of a download once it is saved (not the bytes). */
export interface SavedFile {
  fileName: string;
  bytes: number;
  contents: DownloadFile['contents'];
}

function savedFile(f: DownloadFile): SavedFile {
  return { fileName: f.fileName, bytes: f.bytes.length, contents: f.contents };
}

export class CheckpointsState {
  private io: CheckpointIoClient | null = null;
  private starting: Promise<void> | null = null;

  ready = $state(false);
  loadError = $state<string | null>(null);
  filterRunId = $state('');

  /** The page's library (ui/library.svelte.ts): the lists every section shares. */
  get runs(): RunRecord[] {
    return library.runs;
  }
  get checkpoints(): CheckpointRecord[] {
    return library.checkpoints;
  }
  get datasets(): DatasetSummary[] {
    return library.datasets;
  }

  /** Checkpoints shown: newest first, optionally of one run. */
  rows = $derived(
    this.checkpoints
      .filter((c) => this.filterRunId === '' || c.runId === this.filterRunId)
      .sort((a, b) => b.savedAt - a.savedAt || a.name.localeCompare(b.name)),
  );
  /** The run record of a run id. */
  runOf(runId: string): RunRecord | undefined {
    return library.runOf(runId);
  }
  /** Runs that have checkpoints (for the filter). */
  runsWithCheckpoints = $derived(library.runs.filter((r) => library.checkpointsOf(r.id).length > 0));
  /** Dataset ids a run or an import can refer to: stored datasets and the demo datasets runs used. */
  datasetChoices = $derived.by(() => {
    const ids = this.datasets.map((d) => d.id);
    for (const r of this.runs)
      if (datasetSourceFromId(r.datasetId).kind === 'demo' && !ids.includes(r.datasetId))
        ids.push(r.datasetId);
    return ids;
  });

  // ----- import -----
  importPhase = $state<'idle' | 'reading' | 'preview' | 'storing'>('idle');
  importCount = $state(0);
  preview = $state.raw<InspectedImport | null>(null);
  importName = $state('');
  importSize = $state(256);
  importDatasetId = $state('');
  importError = $state.raw<ShownError | null>(null);
  importReadErrors = $state.raw<string[]>([]);
  imported = $state.raw<ImportCommitted | null>(null);

  // ----- export -----
  exportKey = $state<string | null>(null);
  exportChoice = $state<ExportChoice>({ format: 'pth', nets: 'G', label: 'latest' });
  exporting = $state(false);
  exported = $state.raw<{ key: string; file: SavedFile } | null>(null);
  exportError = $state.raw<ShownError | null>(null);

  // ----- server bundle -----
  bundleKey = $state<string | null>(null);
  bundle = $state.raw<BundleDescription | null>(null);
  bundleGpus = $state(2);
  bundleDatasetId = $state('');
  bundleError = $state.raw<ShownError | null>(null);

  // ----- rename / measure -----
  editingKey = $state<string | null>(null);
  measured = $state.raw<Record<string, Measurement>>({});
  measuringKey = $state<string | null>(null);
  measureError = $state.raw<ShownError | null>(null);

  constructor() {
    this.installDebugHook();
  }

  /** Open the store and read the lists (first visit of the section). */
  ensureStarted(): Promise<void> {
    this.starting ??= (async () => {
      try {
        await library.storage();
        await this.refresh();
      } catch (e) {
        this.loadError = errorText(e);
      } finally {
        this.ready = true;
      }
    })();
    return this.starting;
  }

  private client(): CheckpointIoClient {
    this.io ??= new CheckpointIoClient();
    return this.io;
  }

  async refresh(): Promise<void> {
    await Promise.all([
      library.refreshRuns(),
      library.refreshCheckpoints(),
      library.refreshDatasets().catch(() => undefined),
    ]);
    if (this.filterRunId && library.checkpointsOf(this.filterRunId).length === 0) this.filterRunId = '';
  }

  runName(runId: string): string {
    return this.runOf(runId)?.name ?? runId;
  }

  isActive(c: CheckpointRecord): boolean {
    return train.activeRunId === c.runId;
  }

  // ----- rename / delete -----

  async rename(c: CheckpointRecord, label: string): Promise<void> {
    this.editingKey = null;
    const trimmed = label.trim();
    if (trimmed === '' || trimmed === c.label) return;
    await library.renameCheckpoint(c, trimmed);
  }

  async remove(c: CheckpointRecord): Promise<void> {
    if (this.isActive(c)) return;
    // the store drops the name from the run too (store/runs.ts deleteCheckpointOfRun)
    await library.deleteCheckpoint(c);
    const key = checkpointKey(c);
    if (this.exportKey === key) this.exportKey = null;
    if (this.bundleKey === key) this.closeBundle();
    if (this.filterRunId && library.checkpointsOf(this.filterRunId).length === 0) this.filterRunId = '';
  }

  // ----- export -----

  openExport(c: CheckpointRecord): void {
    const key = checkpointKey(c);
    this.exportKey = this.exportKey === key ? null : key;
    this.exported = null;
    this.exportError = null;
    if (this.exportKey !== null) this.closeBundle(); // one panel at a time
  }

  async download(c: CheckpointRecord): Promise<void> {
    const key = checkpointKey(c);
    this.exporting = true;
    this.exportError = null;
    this.exported = null;
    try {
      const choice = this.exportChoice;
      const file = await this.client().call('exportCheckpoint', {
        runId: c.runId,
        name: c.name,
        format: choice.format,
        nets: choice.format === 'studio' ? 'both' : choice.nets,
        label: choice.label,
      });
      downloadBytes(file.fileName, file.bytes, file.mime);
      this.exported = { key, file: savedFile(file) };
    } catch (e) {
      this.exportError = { key, detail: errorText(e) };
    } finally {
      this.exporting = false;
    }
  }

  // ----- server bundle -----

  async openBundle(c: CheckpointRecord): Promise<void> {
    const key = checkpointKey(c);
    if (this.bundleKey === key) {
      this.closeBundle();
      return;
    }
    this.exportKey = null; // one panel at a time
    this.bundleKey = key;
    this.bundle = null;
    this.bundleError = null;
    const run = this.runOf(c.runId);
    this.bundleDatasetId = run?.datasetId ?? '';
    await this.describeBundle(c);
  }

  async describeBundle(c: CheckpointRecord): Promise<void> {
    const key = checkpointKey(c);
    try {
      const d = await this.client().call('describeBundle', {
        runId: c.runId,
        name: c.name,
        gpus: Math.max(1, Math.round(this.bundleGpus) || 1),
      });
      if (this.bundleKey === key) this.bundle = d;
    } catch (e) {
      if (this.bundleKey === key) this.bundleError = { key, detail: errorText(e) };
    }
  }

  closeBundle(): void {
    this.bundleKey = null;
    this.bundle = null;
    this.bundleError = null;
  }

  // ----- import -----

  /** Read dropped / picked files in the worker and show what they are. */
  async inspect(walk: WalkResult): Promise<void> {
    await this.discard();
    this.imported = null;
    this.importError = null;
    this.importReadErrors = walk.errors.map((e) => `${e.path} (${e.message})`);
    if (walk.inputs.length === 0) {
      if (walk.errors.length === 0) this.importError = { key: 'import', code: 'noFiles', detail: '' };
      return;
    }
    this.importPhase = 'reading';
    this.importCount = walk.inputs.length;
    try {
      const p = await this.client().call('inspectImport', {
        files: walk.inputs.map((i) => ({ path: i.path, blob: i.blob })),
      });
      this.preview = p;
      this.importName = p.name;
      this.importSize = p.config.size;
      this.importDatasetId = this.defaultDatasetId();
      this.importPhase = 'preview';
    } catch (e) {
      this.importError = { key: 'import', detail: errorText(e) };
      this.importPhase = 'idle';
    }
  }

  /** The dataset an import is tied to by default: the one loaded in the Train section, if any. */
  private defaultDatasetId(): string {
    const loaded = train.dataset?.id;
    return loaded && this.datasetChoices.includes(loaded) ? loaded : '';
  }

  async discard(): Promise<void> {
    const p = this.preview;
    this.preview = null;
    if (this.importPhase === 'preview') this.importPhase = 'idle';
    if (p)
      await this.client()
        .call('discardImport', { token: p.token })
        .catch(() => undefined);
  }

  async commit(): Promise<void> {
    const p = this.preview;
    if (!p) return;
    this.importPhase = 'storing';
    this.importError = null;
    try {
      const out = await this.client().call('commitImport', {
        token: p.token,
        name: this.importName.trim() || p.name,
        size: Math.round(this.importSize),
        datasetId: this.importDatasetId,
      });
      this.filterRunId = '';
      await this.refresh().catch(() => undefined);
      // the message and the new row appear together
      this.imported = out;
      this.preview = null;
      this.importPhase = 'idle';
    } catch (e) {
      this.importError = { key: 'import', detail: errorText(e) };
      this.importPhase = 'preview';
    }
  }

  // ----- measure (training engine) -----

  async measure(c: CheckpointRecord): Promise<void> {
    const key = checkpointKey(c);
    this.measureError = null;
    this.measuringKey = key;
    try {
      await train.ensureStarted(environment.preferred);
      const engine = train.engine;
      if (!engine) {
        this.measureError = {
          key,
          detail: train.engineError?.text ?? 'the training engine did not start',
          message: train.engineError ?? undefined,
        };
        return;
      }
      if (train.activeRunId !== null) {
        this.measureError = { key, code: 'busy', detail: '' };
        return;
      }
      const datasetId = this.runOf(c.runId)?.datasetId || train.dataset?.id || '';
      if (!datasetId) {
        this.measureError = { key, code: 'noDataset', detail: '' };
        return;
      }
      if (train.dataset?.id !== datasetId)
        train.dataset = await engine.loadDataset(datasetSourceFromId(datasetId));
      const summary = await engine.evaluate({
        model: { kind: 'checkpoint', runId: c.runId, name: c.name },
        evalMode: true,
      });
      const a = summary.aggregate;
      this.measured = {
        ...this.measured,
        [key]: { l1: a.mean_l1, psnr: a.mean_psnr, ssim: a.mean_ssim, cases: a.n_cases, datasetId },
      };
    } catch (e) {
      const message = toTrainMessage(e);
      this.measureError = { key, detail: message.text, message };
    } finally {
      this.measuringKey = null;
    }
  }

  // ----- debug hook -----

  private installDebugHook(): void {
    if (typeof window === 'undefined') return;
    const w = window as unknown as { __studio?: Record<string, unknown> };
    const root = (w.__studio ??= {});
    if (Object.getOwnPropertyDescriptor(root, 'checkpoints')) return;
    Object.defineProperty(root, 'checkpoints', {
      enumerable: true,
      get: () =>
        Object.freeze({
          ready: this.ready,
          rows: this.rows.map((c) => ({
            runId: c.runId,
            name: c.name,
            label: c.label,
            epoch: c.epoch,
            step: c.step,
          })),
          importPhase: this.importPhase,
          measured: { ...this.measured },
        }),
    });
  }
}

export const checkpoints = new CheckpointsState();
