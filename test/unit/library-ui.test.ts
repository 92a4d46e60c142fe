/**
 * The page's one library (src/ui/library.svelte.ts): one storage handle, one list of runs,
 * checkpoints and datasets that every section's state reads. A delete made in one section shows in
 * the others without any notification between them, and the store keeps the run in step.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { DEFAULT_PREPROCESS } from '../../src/core/data/preprocess';
import type { CheckpointRecord } from '../../src/store/checkpoints';

describe('library (one UI state for runs, checkpoints, datasets)', () => {
  it('opens the store once, and a checkpoint deleted in Checkpoints leaves every section and the run', async () => {
    const { library } = await import('../../src/ui/library.svelte');
    const { train } = await import('../../src/ui/train/trainState.svelte');
    const { checkpoints } = await import('../../src/ui/checkpoints/checkpointsState.svelte');
    const { evaluate } = await import('../../src/ui/evaluate/evaluateState.svelte');
    const { data } = await import('../../src/ui/data/dataState.svelte');
    const store = await import('../../src/store');

    const s = await library.storage();
    expect(await data.storage()).toBe(s); // one handle for every section
    expect(await library.storage()).toBe(s);

    const run = (id: string, datasetId: string) =>
      store.createRun(s.runs, {
        id,
        name: `run ${id}`,
        datasetId,
        config: { ...DEFAULT_CONFIG },
        preprocessing: { ...DEFAULT_PREPROCESS },
        backend: 'cpu',
        adapter: null,
      });
    await run('runA', 'demo-20-1');
    await run('runB', 'demo-20-1');
    const info = { epoch: 1, step: 3, metrics: {}, configSummary: {} };
    const files = new Map([['a.bin', new Uint8Array([1])]]);
    for (const [id, names] of [
      ['runA', ['last', 'best']],
      ['runB', ['last']],
    ] as const) {
      for (const n of names) await store.saveCheckpoint(s.checkpoints, id, n, files, info);
      await store.updateRun(s.runs, id, { checkpointNames: [...names] });
    }
    await checkpoints.ensureStarted();
    expect(checkpoints.loadError).toBeNull();
    expect(checkpoints.rows).toHaveLength(3);
    expect(library.runsByDataset['demo-20-1'].map((r) => r.id)).toEqual(['runB', 'runA']);

    // the Train and Evaluate sections show runA
    train.runId = 'runA';
    evaluate.runId = 'runA';
    expect(train.checkpoints.map((c) => c.name)).toEqual(['best', 'last']);
    expect(evaluate.checkpoints.map((c) => c.name)).toEqual(['best', 'last']);
    expect(evaluate.otherCheckpoints.map((o) => `${o.run.id}/${o.record.name}`)).toEqual(['runB/last']);

    // delete in the Checkpoints section: no notification, every list follows
    const best = checkpoints.rows.find((c) => c.runId === 'runA' && c.name === 'best') as CheckpointRecord;
    await checkpoints.remove(best);
    expect(checkpoints.rows.map((c) => `${c.runId}/${c.name}`).sort()).toEqual(['runA/last', 'runB/last']);
    expect(train.checkpoints.map((c) => c.name)).toEqual(['last']);
    expect(evaluate.checkpoints.map((c) => c.name)).toEqual(['last']);
    // the run record: in the store (the store op) and in the list every section reads
    expect((await store.getRun(s.runs, 'runA'))?.checkpointNames).toEqual(['last']);
    expect(train.runs.find((r) => r.id === 'runA')?.checkpointNames).toEqual(['last']);

    // the engine's events update the lists in place
    const saved = await store.saveCheckpoint(s.checkpoints, 'runB', 'best', files, info);
    library.onEngineEvent({ type: 'checkpoint', runId: 'runB', record: saved });
    expect(library.checkpointsOf('runB').map((c) => c.name)).toEqual(['best', 'last']);
    expect(evaluate.otherCheckpoints.map((o) => o.record.name)).toEqual(['best', 'last']);
    const runB = await store.updateRun(s.runs, 'runB', { checkpointNames: ['last', 'best'], step: 9 });
    library.onEngineEvent({ type: 'run', run: runB });
    expect(library.runOf('runB')?.step).toBe(9);

    // deleting a run (what the Train section's Delete calls) removes its checkpoints from every list
    await library.deleteRun('runB');
    expect(library.runOf('runB')).toBeUndefined();
    expect(checkpoints.rows.map((c) => `${c.runId}/${c.name}`)).toEqual(['runA/last']);
    expect(evaluate.otherCheckpoints).toEqual([]);
  });
});
