/**
 * Schema 1 -> 2 on a stored OLD database: audit flags stored their sentences (`message` English,
 * `messageZh` Chinese) and now store `{code, params}`. The committed schema-1 database
 * (test/fixtures-db/schema-v1.json) gets real schema-1 flags (audit-flags-v1.json, written by the
 * schema-1 audit code) in its case records, still at version 1; opening it with the current code
 * migrates it. Every flag must show the same English and Chinese as before, nothing may keep a
 * stored sentence field, the version is bumped, and a second open changes nothing.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditFlag } from '../../src/core/data/dataset';
import { messageText } from '../../src/core/messages';
import { auditFlagMessage } from '../../src/core/messages/audit';
import { auditFlagFromV1, type AuditFlagV1 } from '../../src/core/messages/auditV1';
import { listCases, listDatasets, type StoredCase } from '../../src/store/datasets';
import { idbKv, type Kv } from '../../src/store/kv';
import { DB_KINDS, SCHEMA_VERSION, readSchemaVersion, type DbKind } from '../../src/store/schema';
import { dbName, openStudioStorage } from '../../src/store/storage';
import { flagMessage } from '../../src/ui/data/texts';
import { FIX, restoreFixture, type DbFixture } from '../fixtures-db/studioFixture';

const DIR = join(import.meta.dirname, '..', 'fixtures-db');
const V1 = JSON.parse(readFileSync(join(DIR, 'schema-v1.json'), 'utf8')) as DbFixture;
const OLD = (JSON.parse(readFileSync(join(DIR, 'audit-flags-v1.json'), 'utf8')) as { flags: AuditFlagV1[] })
  .flags;

const shown = (f: AuditFlag) => ({ en: flagMessage(f, 'en'), zh: flagMessage(f, 'zh') });
const before = (f: AuditFlagV1) => ({ en: f.message, zh: f.messageZh ?? f.message });

async function everything(raw: Record<DbKind, Kv>): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const k of DB_KINDS) {
    const keys = await raw[k].keys('');
    out[k] = [keys, await raw[k].getMany(keys)];
  }
  return out;
}

describe('schema 2: stored audit flags migrate from sentences to {code, params}', () => {
  it('opens an old database: same English and Chinese, no stored sentence, version bumped, second open a no-op', async () => {
    expect(SCHEMA_VERSION).toBe(2);
    const prefix = `mig-audit-${globalThis.crypto.randomUUID()}`;
    const raw = Object.fromEntries(DB_KINDS.map((k) => [k, idbKv(dbName(prefix, k))])) as Record<DbKind, Kv>;
    await restoreFixture(V1, raw);
    // the old flags, spread over the stored cases, in the old shape, at the old version
    const keys = await raw.datasets.keys('case/');
    expect(keys.length).toBe(3);
    const placed: AuditFlagV1[][] = keys.map((_, i) => OLD.filter((__, j) => j % keys.length === i));
    for (const [i, key] of keys.entries()) {
      await raw.datasets.update<{ record: { flags: unknown[] } }>(key, (old) => ({
        ...old!,
        record: { ...old!.record, flags: placed[i] },
      }));
    }
    expect(await readSchemaVersion(raw.datasets)).toBe(1);

    const storage = await openStudioStorage({ prefix });
    for (const k of DB_KINDS) expect(await readSchemaVersion(storage[k]), k).toBe(2);
    const { cases } = await listCases(storage.datasets, FIX.datasetId);
    const byKey = new Map<string, StoredCase>();
    for (const c of cases) byKey.set(`case/${FIX.datasetId}/${c.record.id}`, c);
    let converted = 0;
    for (const [i, key] of keys.entries()) {
      const flags = byKey.get(key)!.record.flags;
      expect(flags).toHaveLength(placed[i].length);
      flags.forEach((f, j) => {
        const old = placed[i][j];
        expect(Object.keys(f).sort()).toEqual(
          ['caseId', 'code', 'details', 'params', 'severity', ...(old.file ? ['file'] : [])].sort(),
        );
        expect({ code: f.code, severity: f.severity, caseId: f.caseId, details: f.details }).toEqual({
          code: old.code,
          severity: old.severity,
          caseId: old.caseId,
          details: old.details,
        });
        expect(shown(f), `${old.code}: ${old.message}`).toEqual(before(old));
        if (auditFlagMessage(f).code !== 'audit.legacy') converted++;
      });
    }
    // most old flags become real codes; only sentences no code reproduces stay legacy
    const legacy = OLD.filter((f) => auditFlagMessage(auditFlagFromV1(f)).code === 'audit.legacy');
    expect(converted).toBe(OLD.length - legacy.length);
    expect(legacy.map((f) => f.code).sort()).toEqual(
      // zh now has the numbers of en (limits, list end, hash bits …) or the list was never stored
      [
        'device-border',
        'landmark-count', // the import's landmark-file flag (its zh changed)
        'landmarks-outside',
        'near-duplicate',
        'near-duplicate', // stored duplicate
        'ruler', // no messageZh was stored: Chinese showed the English sentence
        'too-bright',
        'too-dark',
      ].sort(),
    );
    expect(auditFlagMessage(auditFlagFromV1(OLD.find((f) => f.code === 'unpaired')!)).code).toBe(
      'audit.unpaired.noPhoto',
    );
    // the datasets' own schema field follows
    const [ds] = await listDatasets(storage.datasets);
    expect(ds.schemaVersion).toBe(2);

    // a second open does nothing
    const snapshot = await everything(raw);
    await openStudioStorage({ prefix });
    expect(await everything(raw)).toEqual(snapshot);
  });

  it('converts each old flag with the new table; a new flag passes unchanged', () => {
    for (const old of OLD) {
      const f = auditFlagFromV1(old);
      expect(messageText(auditFlagMessage(f), 'en')).toBe(old.message);
      expect(messageText(auditFlagMessage(f), 'zh')).toBe(old.messageZh ?? old.message);
    }
  });
});
