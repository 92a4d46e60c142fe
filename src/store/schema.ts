/**
 * Schema version and migrations, one meta record per database (tldraw's store model: the version
 * lives with the data, and every open brings older data up to date before anything else reads it).
 *
 * - A fresh database gets `{ schemaVersion: SCHEMA_VERSION }`.
 * - An older one is migrated step by step (`from` -> `from + 1` ...); the meta record is bumped
 *   after each step, so an interrupted migration resumes at the step that did not finish.
 *   Migrations must therefore be idempotent (safe to run again on partly migrated data).
 * - A newer one (written by a newer studio) is refused with NewerSchemaError before anything is
 *   written to any of the studio's databases.
 */
import type { CaseRecord, DatasetMeta } from '../core/data/dataset';
import { auditFlagFromV1, isAuditFlagV1 } from '../core/messages/auditV1';
import { NewerSchemaError } from './errors';
import { keysUnder, updateIf, type Kv } from './kv';

/**
 * Version of the on-disk layout written by this code. Bump it together with a migration.
 * 2: audit flags store `{code, params}` instead of their English/Chinese sentences.
 */
export const SCHEMA_VERSION = 2;

/** Key of the meta record in every studio database (outside every data prefix). */
export const META_KEY = '__meta__';

export type DbKind = 'datasets' | 'tensors' | 'checkpoints' | 'runs';
export const DB_KINDS: readonly DbKind[] = ['datasets', 'tensors', 'checkpoints', 'runs'];

export interface SchemaMeta {
  kind: DbKind;
  schemaVersion: number;
  createdAt: number;
  updatedAt: number;
}

export interface Migration {
  /** Schema version the data has before this step; the step leaves it at `from + 1`. */
  from: number;
  description: string;
  /** Rewrites the data of one database. Must be idempotent. */
  run(kv: Kv): Promise<void>;
}

/**
 * Schema 1 -> 2, datasets: every stored case's audit flags lose `message` / `messageZh` and get
 * `params` (core/messages/auditV1.ts: derived from code + details, or the old sentences under
 * `audit.legacy`); every dataset's `meta.schemaVersion` becomes 2. Idempotent: a converted flag
 * or manifest is left as it is.
 */
export const DATASETS_FLAGS_TO_MESSAGES: Migration = {
  from: 1,
  description: 'audit flags: message/messageZh -> {code, params}',
  async run(kv) {
    for (const key of await keysUnder(kv, 'case/')) {
      await updateIf<{ record?: CaseRecord }>(kv, key, (old) => {
        const flags = old?.record?.flags;
        if (!old?.record || !Array.isArray(flags) || !flags.some(isAuditFlagV1)) return undefined;
        const converted = flags.map((f) => (isAuditFlagV1(f) ? auditFlagFromV1(f) : f));
        return { ...old, record: { ...old.record, flags: converted } };
      });
    }
    for (const key of await keysUnder(kv, 'manifest/')) {
      await updateIf<{ meta?: DatasetMeta }>(kv, key, (old) =>
        !old?.meta || old.meta.schemaVersion >= 2
          ? undefined
          : { ...old, meta: { ...old.meta, schemaVersion: 2 } },
      );
    }
  },
};

const UNCHANGED_AT_2: Migration = {
  from: 1,
  description: 'no change (schema 2 changed the datasets database only)',
  run: async () => undefined,
};

/** The studio's migrations per database. */
export const MIGRATIONS: Record<DbKind, readonly Migration[]> = {
  datasets: [DATASETS_FLAGS_TO_MESSAGES],
  tensors: [UNCHANGED_AT_2],
  checkpoints: [UNCHANGED_AT_2],
  runs: [UNCHANGED_AT_2],
};

/** The stored schema version, or null for a database without a meta record (fresh). */
export async function readSchemaVersion(kv: Kv): Promise<number | null> {
  const meta = await kv.get<SchemaMeta>(META_KEY);
  return meta ? meta.schemaVersion : null;
}

/** Throws NewerSchemaError when `found` is above what this code knows. */
export function assertNotNewer(dbName: string, found: number | null, known: number = SCHEMA_VERSION): void {
  if (found !== null && found > known) throw new NewerSchemaError(dbName, found, known);
}

/** The steps from `from` to `to`, in order; throws when one is missing. */
export function planMigrations(from: number, to: number, migrations: readonly Migration[]): Migration[] {
  const plan: Migration[] = [];
  for (let v = from; v < to; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) throw new Error(`no migration from schema ${v} to ${v + 1}; this data cannot be opened`);
    plan.push(step);
  }
  return plan;
}

/**
 * Migrate one database from schema `from` to `to` (from <= to), bumping the meta record after each
 * step. Refuses (without touching anything) when `from > to`.
 */
export async function migrate(
  kv: Kv,
  from: number,
  to: number,
  migrations: readonly Migration[],
  nowMs: () => number = Date.now,
): Promise<void> {
  assertNotNewer(kv.dbName, from, to);
  const plan = planMigrations(from, to, migrations);
  for (const step of plan) {
    await step.run(kv);
    await kv.update<SchemaMeta>(META_KEY, (old) => {
      if (!old) throw new Error(`meta record of "${kv.dbName}" disappeared during migration`);
      // another tab may have finished this step already: never move the version backwards
      const v = Math.max(old.schemaVersion, step.from + 1);
      return { ...old, schemaVersion: v, updatedAt: nowMs() };
    });
  }
}

export interface EnsureSchemaOptions {
  /** Defaults to SCHEMA_VERSION (tests pass a higher one together with test migrations). */
  targetVersion?: number;
  migrations?: readonly Migration[];
}

/**
 * Bring one database to the target version: write the meta record when fresh, migrate when older,
 * refuse when newer. Returns the version found before (null when fresh).
 */
export async function ensureSchema(
  kv: Kv,
  kind: DbKind,
  opts: EnsureSchemaOptions = {},
): Promise<number | null> {
  const target = opts.targetVersion ?? SCHEMA_VERSION;
  const found = await readSchemaVersion(kv);
  assertNotNewer(kv.dbName, found, target);
  if (found === null) {
    const now = Date.now();
    // update(): if another tab wrote the meta record meanwhile, keep theirs
    await kv.update<SchemaMeta>(
      META_KEY,
      (old) => old ?? { kind, schemaVersion: target, createdAt: now, updatedAt: now },
    );
    const v = await readSchemaVersion(kv);
    assertNotNewer(kv.dbName, v, target);
    if (v !== null && v < target) await migrate(kv, v, target, opts.migrations ?? MIGRATIONS[kind]);
    return null;
  }
  if (found < target) await migrate(kv, found, target, opts.migrations ?? MIGRATIONS[kind]);
  return found;
}
