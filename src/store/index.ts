/**
 * The studio's persistence in IndexedDB (idb-keyval), usable from the page and from a Worker.
 * Open once with `openStudioStorage()`, then pass the database a function needs:
 * `addCases(storage.datasets, ...)`, `saveCheckpoint(storage.checkpoints, ...)`, ...
 */
export * from './checkpoints';
export * from './datasets';
export * from './errors';
export * from './ids';
export * from './kv';
export * from './maintenance';
export * from './quota';
export * from './runs';
export * from './schema';
export * from './storage';
export * from './tensorCache';
export * from './tracings';
