/**
 * Schema upgrades on stored data: every committed database of an earlier (or the current) store
 * schema version (test/fixtures-db/schema-v<N>.json, written by test/fixtures-db/generate.ts with
 * the code of that version) is restored record by record into fake-indexeddb, opened with the
 * current code (openStudioStorage runs the migrations), and every record kind is read back through
 * the store's read functions. A v1 -> v2 migration (the shape the first real one will have) runs
 * on the same real data, also interrupted part-way and resumed.
 */
import 'fake-indexeddb/auto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idbKv, keysUnder, updateIf, type Kv } from '../../src/store/kv';
import {
  DB_KINDS,
  META_KEY,
  MIGRATIONS,
  SCHEMA_VERSION,
  readSchemaVersion,
  type DbKind,
  type Migration,
  type SchemaMeta,
} from '../../src/store/schema';
import { dbName, openStudioStorage } from '../../src/store/storage';
import type { DatasetManifest } from '../../src/store/datasets';
import type { TracingRecord } from '../../src/store/tracings';
import { FIX, readBackStudioFixture, restoreFixture, type DbFixture } from '../fixtures-db/studioFixture';

const DIR = join(import.meta.dirname, '..', 'fixtures-db');
const FIXTURES = readdirSync(DIR)
  .filter((f) => /^schema-v\d+\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as DbFixture)
  .sort((a, b) => a.schemaVersion - b.schemaVersion);

const uniq = () => `mig-${globalThis.crypto.randomUUID()}`;

/** Databases holding exactly the fixture's records (opened without the studio: no schema step). */
async function restored(fx: DbFixture): Promise<{ prefix: string; raw: Record<DbKind, Kv> }> {
  const prefix = uniq();
  const raw = Object.fromEntries(DB_KINDS.map((k) => [k, idbKv(dbName(prefix, k))])) as Record<DbKind, Kv>;
  await restoreFixture(fx, raw);
  return { prefix, raw };
}

async function everything(raw: Record<DbKind, Kv>): Promise<Record<string, [string, unknown][]>> {
  const out: Record<string, [string, unknown][]> = {};
  for (const k of DB_KINDS) {
    const keys = await raw[k].keys('');
    const vals = await raw[k].getMany(keys);
    out[k] = keys.map((key, i) => [key, vals[i]]);
  }
  return out;
}

// --- a v1 -> v2 step of the shape the first real migration will have ---------------------------
// datasets: manifest.meta.mmPerPx moves to manifest.meta.spacing = { mmPerPx, source };
//           every tracing gets `pointCount` (placed landmarks), computed from its points.
// checkpoints: every run checkpoint pointer gets `sizeMB`; the other databases: nothing changes.
const V2: Record<DbKind, Migration[]> = {
  datasets: [
    {
      from: 1,
      description: 'meta.mmPerPx -> meta.spacing; tracing.pointCount',
      async run(kv) {
        for (const key of await keysUnder(kv, 'manifest/')) {
          await updateIf<DatasetManifest & { meta: { spacing?: unknown } }>(kv, key, (m) => {
            if (!m || m.meta.spacing !== undefined) return undefined; // idempotent
            const { mmPerPx, ...meta } = m.meta;
            return { ...m, meta: { ...meta, mmPerPx, spacing: { mmPerPx, source: 'import' } } };
          });
        }
        for (const key of await keysUnder(kv, 'tracing/')) {
          await updateIf<TracingRecord & { pointCount?: number }>(kv, key, (t) =>
            !t || t.pointCount !== undefined
              ? undefined
              : { ...t, pointCount: t.points.filter((p) => p !== null).length },
          );
        }
      },
    },
  ],
  checkpoints: [
    {
      from: 1,
      description: 'checkpoint pointers get sizeMB',
      async run(kv) {
        for (const key of await keysUnder(kv, 'ptr/')) {
          await updateIf<{ bytes?: number; sizeMB?: number; versionId?: string }>(kv, key, (r) =>
            !r || typeof r.bytes !== 'number' || r.versionId === undefined || r.sizeMB !== undefined
              ? undefined
              : { ...r, sizeMB: r.bytes / 1e6 },
          );
        }
      },
    },
  ],
  tensors: [{ from: 1, description: 'no change', run: async () => undefined }],
  runs: [{ from: 1, description: 'no change', run: async () => undefined }],
};

describe('store schema upgrades on stored databases', () => {
  it('has a stored database for every schema version up to the current one', () => {
    expect(FIXTURES.map((f) => f.schemaVersion)).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    for (const fx of FIXTURES) {
      expect(fx.format).toBe('ceph-gan-studio/db-fixture@1');
      for (const k of DB_KINDS) {
        const meta = fx.databases[k].find(([key]) => key === META_KEY)?.[1] as unknown as SchemaMeta;
        expect(meta, `${k} meta of schema-v${fx.schemaVersion}`).toMatchObject({
          kind: k,
          schemaVersion: fx.schemaVersion,
        });
      }
    }
  });

  for (const fx of FIXTURES) {
    it(`opens the schema-v${fx.schemaVersion} database with the current code; every record reads back`, async () => {
      const { prefix, raw } = await restored(fx);
      const storage = await openStudioStorage({ prefix });
      for (const k of DB_KINDS) expect(await readSchemaVersion(storage[k])).toBe(SCHEMA_VERSION);
      const n = await readBackStudioFixture(storage);
      expect(n).toEqual({
        datasets: 1,
        cases: 3,
        images: 6,
        tracings: 2,
        tensors: 2,
        runs: 1,
        historyPoints: 14,
        checkpoints: 2,
        shards: 30,
        detectors: 1,
      });
      // the studio's own migrations at this version leave the data as stored
      if (fx.schemaVersion === SCHEMA_VERSION) {
        expect(Object.values(MIGRATIONS).every((m) => m.length === SCHEMA_VERSION - 1)).toBe(true);
        const after = await everything(raw);
        const before = await everything(await restored(fx).then((r) => r.raw));
        expect(after).toEqual(before);
      }
    });
  }

  it('a v1 -> v2 migration runs on the stored v1 database: data migrated, everything still readable', async () => {
    const v1 = FIXTURES.find((f) => f.schemaVersion === 1)!;
    const { prefix, raw } = await restored(v1);
    const storage = await openStudioStorage({ prefix, targetVersion: 2, migrations: V2 });
    for (const k of DB_KINDS) expect(await readSchemaVersion(storage[k])).toBe(2);
    // the records the step rewrites
    const m = await raw.datasets.get<DatasetManifest & { meta: { spacing: unknown } }>(
      `manifest/${FIX.datasetId}`,
    );
    expect(m?.meta.spacing).toEqual({ mmPerPx: 0.1, source: 'import' });
    const tr = await raw.datasets.getMany<TracingRecord & { pointCount: number }>(
      await keysUnder(raw.datasets, 'tracing/'),
    );
    expect(tr.map((t) => t?.pointCount).sort()).toEqual([FIX.symbols.length - 1, FIX.symbols.length]);
    const ptrs = (
      await raw.checkpoints.getMany<{ sizeMB?: number; bytes: number; versionId?: string }>(
        await keysUnder(raw.checkpoints, 'ptr/'),
      )
    ).filter((r) => r?.versionId !== undefined);
    expect(ptrs).toHaveLength(2);
    for (const p of ptrs) expect(p?.sizeMB).toBeCloseTo((p?.bytes ?? 0) / 1e6, 9);
    // every record of every kind still reads back through the store
    await readBackStudioFixture(storage);
  });

  it('a migration interrupted part-way resumes on the next open and ends as an uninterrupted one', async () => {
    const v1 = FIXTURES.find((f) => f.schemaVersion === 1)!;
    // reference: uninterrupted
    const ref = await restored(v1);
    await openStudioStorage({ prefix: ref.prefix, targetVersion: 2, migrations: V2 });
    // interrupted: the datasets step dies after its first write (tab closed mid-migration)
    const { prefix, raw } = await restored(v1);
    let writes = 0;
    const dying: Migration[] = [
      {
        ...V2.datasets[0],
        run: (kv) =>
          V2.datasets[0].run({
            ...kv,
            update: async (key, fn) => {
              if (++writes > 1) throw new Error('tab closed');
              return kv.update(key, fn);
            },
          }),
      },
    ];
    await expect(
      openStudioStorage({ prefix, targetVersion: 2, migrations: { ...V2, datasets: dying } }),
    ).rejects.toThrow('tab closed');
    expect(await readSchemaVersion(raw.datasets)).toBe(1);
    const storage = await openStudioStorage({ prefix, targetVersion: 2, migrations: V2 });
    const strip = (all: Record<string, [string, unknown][]>) =>
      Object.fromEntries(
        Object.entries(all).map(([k, entries]) => [
          k,
          entries.map(([key, v]) =>
            key === META_KEY ? [key, { ...(v as SchemaMeta), createdAt: 0, updatedAt: 0 }] : [key, v],
          ),
        ]),
      );
    expect(strip(await everything(raw))).toEqual(strip(await everything(ref.raw)));
    await readBackStudioFixture(storage);
  });
});
