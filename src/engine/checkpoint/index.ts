/**
 * The checkpoint files of the Checkpoints section, in and out of the store (engine/checkpoint/):
 *  - sources.ts   dropped files, folders and ZIPs as import sources; shared path helpers
 *  - plan.ts      import step 1: what the files are (server run, studio checkpoint, networks), checked, nothing stored; the preview
 *  - commit.ts    import step 2: a new finished run with its loss-log history and checkpoint `last`
 *  - export.ts    a stored checkpoint as .pth / safetensors / TF.js / studio files
 *  - bundle.ts    the server bundle of a stored checkpoint (commands, streamed ZIP)
 *  - protocol.ts  the checkpoint worker's commands and request handler (bundleWorker.ts serves it)
 *  - client.ts    the page's side of the checkpoint worker (CheckpointIoClient, over rpc.ts)
 * Framework-free: runs in the checkpoint worker and in Node tests; the page imports only types
 * (the readers and writers pull in TF.js through core/model/weights.ts). This index re-exports
 * the public names (what engine/checkpointIo.ts exported before the split).
 */
export { sourceFromBlob, sourceFromBytes } from './sources';
export type { IgnoredFile, IgnoredReason, ImportSource } from './sources';
export { planImport, previewOf } from './plan';
export type {
  ConfigSource,
  ImportKind,
  ImportOrigin,
  ImportPlan,
  ImportPreview,
  NetworkSummary,
  PlannedNetwork,
} from './plan';
export { commitImport } from './commit';
export type { CommitImportOptions, ImportCommitted } from './commit';
export { completedEpochs, exportCheckpointFiles, safeFileStem } from './export';
export type { DownloadFile, ExportFormat, ExportNets, ExportRequest } from './export';
export {
  buildServerBundleFromStore,
  describeServerBundle,
  streamBundleCases,
  writeServerBundleFromStore,
} from './bundle';
export type {
  BundleDeps,
  BundleDescription,
  BundleFile,
  BundleProgress,
  BundleRequest,
  BundleStreamDeps,
  BundleTarget,
  WrittenBundle,
} from './bundle';
export { createIoService, ioWireError } from './protocol';
export type {
  CheckpointIoCommands,
  InspectedImport,
  IoMethod,
  IoParams,
  IoResult,
  IoServiceDeps,
  StorageChoice,
} from './protocol';
