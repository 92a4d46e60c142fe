/**
 * Writes test/fixtures-db/schema-v<SCHEMA_VERSION>.json: a studio database with every record kind,
 * written by the current store code on fake-indexeddb, dumped key by key.
 *
 *   npx tsx test/fixtures-db/generate.ts
 *
 * Run it once per schema version, BEFORE bumping SCHEMA_VERSION (so the file records how that
 * version stored its data), and commit the JSON: store-migrate.test.ts opens every schema-v*.json
 * with the current code. Never regenerate an existing file.
 */
import 'fake-indexeddb/auto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_VERSION } from '../../src/store/schema';
import { openStudioStorage } from '../../src/store/storage';
import { dumpStorage, readBackStudioFixture, writeStudioFixture } from './studioFixture';

const out = join(import.meta.dirname, `schema-v${SCHEMA_VERSION}.json`);
if (existsSync(out) && !process.argv.includes('--force')) {
  console.error(`${out} exists: a stored schema version is never rewritten (pass --force to overwrite)`);
  process.exit(1);
}
const storage = await openStudioStorage({ prefix: 'fixture' });
await writeStudioFixture(storage);
console.log('read back:', await readBackStudioFixture(storage));
const fx = await dumpStorage(
  storage,
  SCHEMA_VERSION,
  `test/fixtures-db/generate.ts (store schema ${SCHEMA_VERSION}), ${new Date().toISOString().slice(0, 10)}`,
);
writeFileSync(out, JSON.stringify(fx, null, 1) + '\n');
const n = Object.values(fx.databases).reduce((s, e) => s + e.length, 0);
console.log(`wrote ${out}: ${n} records`);
