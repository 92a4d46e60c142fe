/**
 * Which runs are really alive? The engine holds a Web Lock named after the run while the run is
 * live (running or paused); the browser releases it the moment the tab, the page or the worker
 * goes away (reload, crash, closed tab). At startup the page asks for each run the store still
 * calls live: if its lock is free (or becomes free within a short grace period, while an old
 * worker is being torn down), the run is marked `interrupted` at once — no need to wait for its
 * heartbeat to go stale. Without the Web Locks API, the store's heartbeat rule decides
 * (`markInterruptedRuns`, stale after `staleMs`).
 */
import {
  getRun,
  LIVE_STATUSES,
  listRuns,
  markInterruptedRuns,
  updateRun,
  type Kv,
  type RunRecord,
} from '../store';

export const RUN_LOCK_PREFIX = 'ceph-gan-studio/run/';

export function runLockName(runId: string): string {
  return `${RUN_LOCK_PREFIX}${runId}`;
}

function lockManager(): LockManager | null {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  return nav?.locks ?? null;
}

/**
 * Hold the run's lock until the returned function is called. Waits at most `waitMs` for a
 * previous holder (a worker still being torn down); after that the run goes on without the lock
 * (the heartbeat still protects it).
 */
export async function holdRunLock(runId: string, waitMs = 3000): Promise<() => void> {
  const locks = lockManager();
  if (!locks) return () => undefined;
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), waitMs);
  await new Promise<void>((acquired) => {
    locks
      .request(runLockName(runId), { signal: controller.signal }, async () => {
        clearTimeout(timer);
        acquired();
        await held;
      })
      .catch(() => acquired()); // aborted: go on without the lock
  });
  return release;
}

/** True when nobody holds the run's lock (checked by taking it for an instant, waiting up to graceMs). */
async function lockIsFree(locks: LockManager, runId: string, graceMs: number): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), graceMs);
  try {
    return await locks.request(runLockName(runId), { signal: controller.signal }, () => true);
  } catch {
    return false; // still held after the grace period: alive in another tab
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Mark runs the store calls live but whose engine is gone as `interrupted`, with `reason`.
 * Returns the ids changed. Call once at startup, before this page starts a run.
 */
export async function markOrphanedRuns(
  kv: Kv,
  reason: string,
  opts: { graceMs?: number; staleMs?: number; nowMs?: number } = {},
): Promise<string[]> {
  const locks = lockManager();
  if (!locks) return markInterruptedRuns(kv, { staleMs: opts.staleMs ?? 15_000, nowMs: opts.nowMs });
  const live: RunRecord[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await listRuns(kv, { offset, limit: 200 });
    live.push(...page.runs.filter((r) => LIVE_STATUSES.includes(r.status)));
    if (offset + 200 >= page.total) break;
  }
  const free = await Promise.all(live.map((r) => lockIsFree(locks, r.id, opts.graceMs ?? 2500)));
  const changed: string[] = [];
  const now = opts.nowMs ?? Date.now();
  for (let i = 0; i < live.length; i++) {
    if (!free[i]) continue;
    const id = live[i].id;
    // the lock was free, so no engine is writing this run: read-then-write is safe here
    const current = await getRun(kv, id);
    if (!current || !LIVE_STATUSES.includes(current.status)) continue;
    await updateRun(kv, id, { status: 'interrupted', error: reason }, now);
    changed.push(id);
  }
  return changed;
}
