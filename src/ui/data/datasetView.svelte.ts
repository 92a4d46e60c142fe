/**
 * State of one open dataset: its case records (loaded in pages), the browser's filters, the audit
 * summary, split counts and the evaluation-list check, and the user's edits (exclusion with a
 * reason, a case's split, the evaluation list, pixel spacing, preprocessing, a re-split of every
 * case). Edits are written to the store at once, one case per transaction (a re-split: one
 * transaction for all); nothing is ever deleted from here.
 */
import { auditSummary, type AuditSummaryRow } from '../../core/data/audit';
import type { AuditCode, AuditFlag, CaseRecord, CaseSplit } from '../../core/data/dataset';
import type { PreprocessSpec } from '../../core/data/preprocess';
import { checkEvalList, type EvalList, type EvalListCheck, type SplitRatios } from '../../core/data/splits';
import type { DatasetSummary, ResplitResult, StoredCase } from '../../store/datasets';
import { data } from './dataState.svelte';
import type { BlobSource, ThumbCase } from './thumbs';

export type StateFilter = 'all' | 'included' | 'excluded';
export type FlagFilter = 'all' | 'none' | 'any' | 'eval' | AuditCode;
export type ViewTab = 'browse' | 'audit' | 'splits' | 'preprocess';

/** A dataset that is not in the store (the built-in demo): shown read-only. */
export interface ReadOnlyBackend {
  summary(): DatasetSummary | null;
  load(onProgress: (done: number, total: number) => void): Promise<StoredCase[]>;
  source: BlobSource;
}

const PAGE = 200;

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function thumbCase(c: StoredCase): ThumbCase {
  return {
    id: c.record.id,
    aligned: !!c.images.aligned,
    photoSize: c.record.photoSize,
    xraySize: c.record.xraySize,
  };
}

export function usable(c: StoredCase): boolean {
  return !!c.images.aligned || (!!c.images.photo && !!c.images.xray);
}

export class DatasetView {
  readonly id: string;
  cases = $state.raw<StoredCase[]>([]);
  loading = $state(true);
  loadedCount = $state(0);
  total = $state(0);
  error = $state<string | null>(null);
  tab = $state<ViewTab>('browse');
  filterSplit = $state<'all' | CaseSplit>('all');
  filterFlag = $state<FlagFilter>('all');
  filterState = $state<StateFilter>('all');
  search = $state('');
  /** The case shown in the case view (null: none). */
  openCaseId = $state<string | null>(null);
  /** The last re-split done in this view (its message outlives a tab switch). */
  lastResplit = $state.raw<{ seed: number; result: ResplitResult } | null>(null);

  /** Set for the built-in demo: nothing can be edited. */
  readonly backend: ReadOnlyBackend | null;
  readonly readOnly: boolean;

  constructor(id: string, backend: ReadOnlyBackend | null = null) {
    this.id = id;
    this.backend = backend;
    this.readOnly = backend !== null;
  }

  get summary(): DatasetSummary | null {
    if (this.backend) return this.backend.summary();
    return data.datasets.find((d) => d.id === this.id) ?? null;
  }

  readonly source: BlobSource = async (caseId, role) => {
    if (this.backend) return this.backend.source(caseId, role);
    const { getCaseImage } = await import('../../store');
    const s = await data.storage();
    return getCaseImage(s.datasets, this.id, caseId, role);
  };

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    if (this.backend) {
      try {
        this.cases = await this.backend.load((done, total) => {
          this.loadedCount = done;
          this.total = total;
        });
      } catch (e) {
        this.error = errText(e);
      } finally {
        this.loading = false;
      }
      return;
    }
    try {
      const { listCases, repairDataset } = await import('../../store');
      const { importLockName } = await import('../../engine/import/protocol');
      const s = await data.storage();
      // an import or an add that never finished (tab closed, crash) may have left unlisted cases:
      // remove them, unless an import or add into this dataset is running right now (it holds the lock)
      if (this.summary && navigator.locks) {
        await navigator.locks.request(importLockName(this.id), { ifAvailable: true }, async (lock) => {
          if (lock) await repairDataset(s.datasets, this.id);
        });
      }
      const out: StoredCase[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await listCases(s.datasets, this.id, { offset, limit: PAGE });
        this.total = page.total;
        out.push(...page.cases);
        this.loadedCount = out.length;
        if (page.cases.length < PAGE || out.length >= page.total) break;
      }
      this.cases = out;
    } catch (e) {
      this.error = errText(e);
    } finally {
      this.loading = false;
    }
  }

  /** Every flag of every case. */
  flags = $derived.by((): AuditFlag[] => this.cases.flatMap((c) => c.record.flags));

  auditRows = $derived.by((): AuditSummaryRow[] => auditSummary(this.flags));

  usableCount = $derived.by((): number => this.cases.filter(usable).length);

  splitCounts = $derived.by(() => {
    const n: Record<CaseSplit, number> = { train: 0, val: 0, test: 0 };
    let excluded = 0;
    for (const c of this.cases) {
      if (c.record.state.excluded) excluded++;
      else if (usable(c)) n[c.record.split]++;
    }
    return { ...n, excluded };
  });

  evalCheck = $derived.by((): EvalListCheck | null => {
    const list = this.summary?.evalList;
    if (!list || this.loading) return null;
    return checkEvalList(
      list,
      this.cases.map((c) => ({
        id: c.record.id,
        split: c.record.split,
        excluded: c.record.state.excluded || !usable(c),
      })),
    );
  });

  filtered = $derived.by((): StoredCase[] => {
    const q = this.search.trim().toLowerCase();
    const evalIds = this.summary?.evalList.ids ?? [];
    return this.cases.filter((c) => {
      const r = c.record;
      if (this.filterSplit !== 'all' && r.split !== this.filterSplit) return false;
      if (this.filterState === 'included' && r.state.excluded) return false;
      if (this.filterState === 'excluded' && !r.state.excluded) return false;
      const f = this.filterFlag;
      if (f === 'none' && r.flags.length) return false;
      if (f === 'any' && !r.flags.length) return false;
      if (f === 'eval' && !evalIds.includes(r.id)) return false;
      if (f !== 'all' && f !== 'none' && f !== 'any' && f !== 'eval' && !r.flags.some((x) => x.code === f))
        return false;
      if (
        q &&
        !r.id.toLowerCase().includes(q) &&
        !(r.source.photoPath ?? r.source.xrayPath ?? r.source.alignedPath ?? '').toLowerCase().includes(q)
      )
        return false;
      return true;
    });
  });

  clearFilters(): void {
    this.filterSplit = 'all';
    this.filterFlag = 'all';
    this.filterState = 'all';
    this.search = '';
  }

  /** Show the cases carrying one flag in the browser. */
  showFlag(code: AuditCode): void {
    this.clearFilters();
    this.filterFlag = code;
    this.tab = 'browse';
  }

  caseById(id: string): StoredCase | undefined {
    return this.cases.find((c) => c.record.id === id);
  }

  private replace(rec: CaseRecord): void {
    this.cases = this.cases.map((c) => (c.record.id === rec.id ? { ...c, record: rec } : c));
  }

  /** Exclude (reason required) or include cases; one transaction per case. */
  async setExclusion(ids: readonly string[], excluded: boolean, reason?: string): Promise<void> {
    const { setCaseExclusion } = await import('../../store');
    const s = await data.storage();
    for (const id of ids) this.replace(await setCaseExclusion(s.datasets, this.id, id, excluded, reason));
  }

  async setSplit(id: string, split: CaseSplit): Promise<void> {
    const { updateCase } = await import('../../store');
    const s = await data.storage();
    this.replace(await updateCase(s.datasets, this.id, id, (rec) => ({ ...rec, split })));
  }

  /**
   * Re-split the whole dataset (store resplitDataset) under the dataset's import lock. Returns null
   * without changing anything when files are being added to it right now (the lock is held).
   */
  async resplit(seed: number, ratios: SplitRatios): Promise<ResplitResult | null> {
    const { resplitDataset } = await import('../../store');
    const { importLockName } = await import('../../engine/import/protocol');
    const s = await data.storage();
    const run = () => resplitDataset(s.datasets, this.id, { seed, ratios });
    const out = navigator.locks
      ? await navigator.locks.request(importLockName(this.id), { ifAvailable: true }, (lock) =>
          lock ? run() : null,
        )
      : await run();
    if (out) {
      this.cases = this.cases.map((c) => {
        const split = out.splits[c.record.id];
        return split && split !== c.record.split ? { ...c, record: { ...c.record, split } } : c;
      });
      this.lastResplit = { seed, result: out };
      await data.refresh(); // the summary: seed, ratios, evaluation list
    }
    return out;
  }

  async setEvalList(list: EvalList): Promise<void> {
    await data.patchMeta(this.id, { evalList: list });
  }

  async setMmPerPx(v: number): Promise<void> {
    await data.patchMeta(this.id, { mmPerPx: v });
  }

  async setPreprocessing(spec: PreprocessSpec): Promise<void> {
    await data.patchMeta(this.id, { preprocessing: spec });
  }
}
