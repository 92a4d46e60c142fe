import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { deleteUnder, idbKv, keysUnder, updateIf, type Kv } from '../../src/store/kv';
import {
  META_KEY,
  SCHEMA_VERSION,
  migrate,
  readSchemaVersion,
  type Migration,
  type SchemaMeta,
} from '../../src/store/schema';
import { NewerSchemaError } from '../../src/store/errors';
import { dbName, openStudioStorage } from '../../src/store/storage';
import { idTimeMs, newId } from '../../src/store/ids';

const uniq = () => `t-${globalThis.crypto.randomUUID()}`;
const noop: Migration[] = [{ from: 1, description: 'nothing changes', run: async () => undefined }];

/** A v1 -> v2 migration of dataset manifests for the tests: renames `title` to `name`, adds `mmPerPx`. */
const testMigrations: Migration[] = [
  {
    from: 1,
    description: 'manifest.title -> manifest.name; mmPerPx default 0.1',
    async run(kv: Kv) {
      for (const key of await keysUnder(kv, 'manifest/')) {
        await updateIf<Record<string, unknown>>(kv, key, (old) => {
          if (!old || !('title' in old)) return undefined; // idempotent
          const { title, ...rest } = old;
          return { ...rest, name: title, mmPerPx: rest.mmPerPx ?? 0.1 };
        });
      }
    },
  },
];

describe('store schema', () => {
  it('writes SCHEMA_VERSION into the meta record of every fresh database', async () => {
    const prefix = uniq();
    const s = await openStudioStorage({ prefix });
    expect(SCHEMA_VERSION).toBe(2);
    for (const kv of [s.datasets, s.tensors, s.checkpoints, s.runs]) {
      const meta = await kv.get<SchemaMeta>(META_KEY);
      expect(meta?.schemaVersion).toBe(SCHEMA_VERSION);
    }
    expect((await s.runs.get<SchemaMeta>(META_KEY))?.kind).toBe('runs');
    expect(s.datasets.dbName).toBe(`${prefix}-datasets`);
    // opening again changes nothing
    const before = await s.datasets.get<SchemaMeta>(META_KEY);
    await openStudioStorage({ prefix });
    expect(await s.datasets.get<SchemaMeta>(META_KEY)).toEqual(before);
  });

  it('migrates old data step by step and preserves it', async () => {
    const prefix = uniq();
    await openStudioStorage({ prefix, targetVersion: 1 }); // version 1 databases
    const kv = idbKv(dbName(prefix, 'datasets'));
    await kv.set('manifest/dsA', { id: 'dsA', title: 'Clinic 2024', caseIds: ['c1', 'c2'] });
    await kv.set('manifest/dsB', { id: 'dsB', title: 'ISBI', mmPerPx: 0.125, caseIds: [] });
    await kv.set('case/dsA/c1', { landmarks: [[1.5, 2.5]] });

    // every database needs an explicit step to 2 (a no-op where nothing changes)
    await expect(
      openStudioStorage({
        prefix,
        targetVersion: 2,
        migrations: { datasets: testMigrations, tensors: [], checkpoints: [], runs: [] },
      }),
    ).rejects.toThrow(/no migration from schema 1 to 2/);
    const migrations = { datasets: testMigrations, tensors: noop, checkpoints: noop, runs: noop };
    const s2 = await openStudioStorage({ prefix, targetVersion: 2, migrations });
    for (const kv of [s2.datasets, s2.tensors, s2.checkpoints, s2.runs])
      expect(await readSchemaVersion(kv)).toBe(2);
    expect(await s2.datasets.get('manifest/dsA')).toEqual({
      id: 'dsA',
      name: 'Clinic 2024',
      mmPerPx: 0.1,
      caseIds: ['c1', 'c2'],
    });
    expect(await s2.datasets.get('manifest/dsB')).toEqual({
      id: 'dsB',
      name: 'ISBI',
      mmPerPx: 0.125,
      caseIds: [],
    });
    expect(await s2.datasets.get('case/dsA/c1')).toEqual({ landmarks: [[1.5, 2.5]] });
  });

  it('a missing migration step is an error before any step runs, not a silent version bump', async () => {
    const kv = idbKv(uniq());
    await kv.set(META_KEY, { kind: 'datasets', schemaVersion: 1, createdAt: 0, updatedAt: 0 });
    await kv.set('manifest/dsA', { id: 'dsA', title: 'x' });
    await expect(migrate(kv, 1, 3, testMigrations)).rejects.toThrow(/no migration from schema 2 to 3/);
    expect(await readSchemaVersion(kv)).toBe(1);
    expect(await kv.get('manifest/dsA')).toEqual({ id: 'dsA', title: 'x' });
    // the complete path runs, and running a step again (idempotence) changes nothing
    await migrate(kv, 1, 2, testMigrations);
    await testMigrations[0].run(kv);
    expect(await readSchemaVersion(kv)).toBe(2);
    expect(await kv.get('manifest/dsA')).toEqual({ id: 'dsA', name: 'x', mmPerPx: 0.1 });
  });

  it('refuses data written by a newer studio and touches nothing', async () => {
    const prefix = uniq();
    await openStudioStorage({ prefix, targetVersion: 1 });
    const runs = idbKv(dbName(prefix, 'runs'));
    const datasets = idbKv(dbName(prefix, 'datasets'));
    await runs.set(META_KEY, { kind: 'runs', schemaVersion: 7, createdAt: 1, updatedAt: 1 });
    await runs.set('run/r1', { id: 'r1', future: true });
    // the datasets database is older (1) than the target (2): it must NOT be migrated either
    await datasets.set('manifest/dsA', { id: 'dsA', title: 'old' });
    const migrations = { datasets: testMigrations, tensors: noop, checkpoints: noop, runs: noop };
    const err = await openStudioStorage({ prefix, targetVersion: 2, migrations }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NewerSchemaError);
    expect((err as Error).message).toMatch(/written by a newer studio version/);
    expect((err as Error).message).toMatch(/update the studio/);
    expect((err as NewerSchemaError).foundVersion).toBe(7);
    expect(await readSchemaVersion(runs)).toBe(7);
    expect(await runs.get('run/r1')).toEqual({ id: 'r1', future: true });
    expect(await readSchemaVersion(datasets)).toBe(1);
    expect(await datasets.get('manifest/dsA')).toEqual({ id: 'dsA', title: 'old' });
  });
});

describe('store kv helpers', () => {
  it('lists keys by prefix in pages without other prefixes, deletes a prefix only', async () => {
    const kv = idbKv(uniq());
    const entries: [string, number][] = [];
    for (let i = 0; i < 25; i++) entries.push([`case/dsA/c${String(i).padStart(2, '0')}`, i]);
    entries.push(['case/dsAB/c00', 100], ['case/dsB/c00', 200], ['manifest/dsA', 300]);
    await kv.setMany(entries);
    const page1 = await kv.keys('case/dsA/', { limit: 10 });
    expect(page1).toHaveLength(10);
    expect(page1[0]).toBe('case/dsA/c00');
    const page3 = await kv.keys('case/dsA/', { after: 'case/dsA/c19', limit: 10 });
    expect(page3).toEqual(['case/dsA/c20', 'case/dsA/c21', 'case/dsA/c22', 'case/dsA/c23', 'case/dsA/c24']);
    expect(await keysUnder(kv, 'case/dsA/', 7)).toHaveLength(25);
    expect(await deleteUnder(kv, 'case/dsA/', 4)).toBe(25);
    expect(await kv.keys('')).toEqual(['case/dsAB/c00', 'case/dsB/c00', 'manifest/dsA']);
  });

  it('updateIf writes only when the function returns a value', async () => {
    const kv = idbKv(uniq());
    expect(await updateIf<number>(kv, 'a', () => undefined)).toBe(false);
    expect(await kv.keys('')).toEqual([]);
    expect(await updateIf<number>(kv, 'a', (old) => (old ?? 0) + 1)).toBe(true);
    expect(await kv.get('a')).toBe(1);
  });

  it('ids sort by creation time and carry it', () => {
    const a = newId('run', 1_700_000_000_000);
    const b = newId('run', 1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(idTimeMs(a, 'run')).toBe(1_700_000_000_000);
    expect(idTimeMs('nope', 'run')).toBeNull();
  });
});
