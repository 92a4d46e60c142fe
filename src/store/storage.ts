/**
 * Opening the studio's databases. Four IndexedDB databases, one idb-keyval store each, so the
 * training worker's small frequent writes (heartbeats, metrics) never queue behind a dataset import
 * or a tensor-cache fill, and each has its own schema version:
 *
 *   <prefix>-datasets     dataset manifests, case records, original photo/X-ray Blobs
 *   <prefix>-tensors      preprocessed tensors per (dataset, preprocessing key)
 *   <prefix>-checkpoints  checkpoint shards (Blobs) and their pointers
 *   <prefix>-runs         run records, heartbeats, chunked metric history
 *
 * Works the same in the page and in a dedicated Worker (each context opens its own connections).
 */
import { idbKv, type Kv } from './kv';
import {
  DB_KINDS,
  MIGRATIONS,
  SCHEMA_VERSION,
  assertNotNewer,
  ensureSchema,
  readSchemaVersion,
} from './schema';
import type { DbKind, Migration } from './schema';

export type StudioStorage = Record<DbKind, Kv>;

export const DEFAULT_DB_PREFIX = 'ceph-gan-studio';

export interface OpenStorageOptions {
  /** Database name prefix (tests use a unique one per test). Default `ceph-gan-studio`. */
  prefix?: string;
  /** Defaults to SCHEMA_VERSION. */
  targetVersion?: number;
  /** Defaults to MIGRATIONS. */
  migrations?: Partial<Record<DbKind, readonly Migration[]>>;
}

export function dbName(prefix: string, kind: DbKind): string {
  return `${prefix}-${kind}`;
}

/**
 * Open (and create, migrate) all four databases. Checks every database's version first, so a
 * NewerSchemaError leaves all of them untouched.
 */
export async function openStudioStorage(opts: OpenStorageOptions = {}): Promise<StudioStorage> {
  const prefix = opts.prefix ?? DEFAULT_DB_PREFIX;
  const target = opts.targetVersion ?? SCHEMA_VERSION;
  const storage = Object.fromEntries(DB_KINDS.map((k) => [k, idbKv(dbName(prefix, k))])) as StudioStorage;
  for (const kind of DB_KINDS) {
    assertNotNewer(storage[kind].dbName, await readSchemaVersion(storage[kind]), target);
  }
  for (const kind of DB_KINDS) {
    await ensureSchema(storage[kind], kind, {
      targetVersion: target,
      migrations: opts.migrations?.[kind] ?? MIGRATIONS[kind],
    });
  }
  return storage;
}
