/**
 * engine/import/worker.ts served over the one worker RPC (a Node MessageChannel stands in for the
 * worker's port; fast-png stands in for createImageBitmap): plan / replan / import with progress,
 * a cancel part-way that answers the report with `cancelled`, and the worker's refusals.
 */
import 'fake-indexeddb/auto';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ImportCommands } from '../../src/engine/import/protocol';
import type { ImportProgress } from '../../src/engine/import/readCases';
import { connect, portOf, type Connection, type MessageTarget } from '../../src/engine/rpc';
import { listCaseIds } from '../../src/store/datasets';
import { openStudioStorage } from '../../src/store/storage';
import { folderInputs } from './import-fixtures';

vi.mock('../../src/engine/import/decode', async () => {
  const { decode } = await import('./import-fixtures');
  return { decodeImageBlob: (blob: Blob) => decode(blob, 'case.png'), canDecodeHere: () => true };
});

const prefix = `impw-${globalThis.crypto.randomUUID()}`;
const { port1, port2 } = new MessageChannel();
let rpc: Connection<ImportCommands, never>;

beforeAll(async () => {
  vi.stubGlobal('self', port2);
  vi.stubGlobal('navigator', {}); // no Web Locks here: the worker runs the work without one
  await import('../../src/engine/import/worker');
  rpc = connect<ImportCommands>(portOf(port1 as unknown as MessageTarget));
});

afterAll(() => {
  port1.close();
  port2.close();
  vi.unstubAllGlobals();
});

describe('the import worker over the RPC', () => {
  it('refuses to import before a plan, then plans, replans and imports with progress', async () => {
    await expect(rpc.call('replan', { layout: {} })).rejects.toThrow('no files to plan: drop them again');
    const plan = await rpc.call('plan', { inputs: folderInputs(3), storagePrefix: prefix });
    expect(plan.plan.cases.map((c) => c.id)).toEqual(['001', '002', '003']);
    expect(plan.bytes).toBeGreaterThan(0);
    const again = await rpc.call('replan', { layout: { assume: 'paired' } });
    expect(again.plan.cases).toHaveLength(3);
    const progress: ImportProgress[] = [];
    const out = await rpc.call(
      'import',
      { settings: { name: 'three', mmPerPx: 0.1, splitSeed: 1 } },
      { onProgress: (p) => progress.push(p) },
    );
    expect([out.stored, out.cancelled, out.storageFull]).toEqual([3, false, null]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.total).toBe(3);
    const storage = await openStudioStorage({ prefix });
    expect((await listCaseIds(storage.datasets, out.dataset!.id)).sort()).toEqual(['001', '002', '003']);
  });

  it('a cancel part-way reaches the import: it answers its report with cancelled set', async () => {
    await rpc.call('plan', { inputs: folderInputs(40), storagePrefix: prefix });
    let call: ReturnType<typeof rpc.call<'import'>> | null = null;
    call = rpc.call(
      'import',
      { settings: { name: 'forty', mmPerPx: 0.1, splitSeed: 1 } },
      { onProgress: (p) => p.done >= 2 && call?.cancel() },
    );
    const out = await call;
    expect(out.cancelled).toBe(true);
    expect(out.stored).toBeLessThan(40);
    // the worker is free again: the next import runs
    await rpc.call('plan', { inputs: folderInputs(1), storagePrefix: prefix });
    const one = await rpc.call('import', { settings: { name: 'one', mmPerPx: 0.1, splitSeed: 1 } });
    expect([one.stored, one.cancelled]).toEqual([1, false]);
  });
});
