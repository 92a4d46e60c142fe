/**
 * Export (`exportCheckpointFiles`): a stored checkpoint's G and/or D as the server's `.pth`
 * (`latest_net_G.pth` or `<epoch>_net_G.pth`), `.safetensors` (config in `__metadata__`), TF.js
 * (`model.json` + shards), or the studio's own files (manifest + shards, resumable). One network
 * file downloads as it is; anything else as one ZIP (entries stored, not compressed).
 */
import { completedEpochs as completedEpochsOfPosition } from '../../core/train/continue';
import { storedConfig } from '../../core/config';
import { CheckpointFormatError } from '../../core/io/checkpointError';
import {
  type CheckpointFormat,
  type NamedFile,
  type NetKind,
  writeCheckpointFiles,
} from '../../core/io/formats';
import { writeZip, type ZipInputEntry } from '../../core/io/zip';
import {
  type CheckpointManifest,
  MANIFEST_FILE,
  parseManifest,
  readCheckpointNetwork,
} from '../../core/train/checkpoint';
import { getRun, loadCheckpoint, type RunRecord, type StudioStorage } from '../../store';

export type ExportFormat = CheckpointFormat | 'studio';
export type ExportNets = 'G' | 'D' | 'both';

export interface ExportRequest {
  runId: string;
  /** Checkpoint pointer name (`last`, `best`, …). */
  name: string;
  format: ExportFormat;
  nets: ExportNets;
  /** `latest` → latest_net_G.pth (what --continue_train loads); `epoch` → <completed epochs>_net_G.pth. */
  label: 'latest' | 'epoch';
}

/** One file to save. */
export interface DownloadFile {
  fileName: string;
  mime: string;
  bytes: Uint8Array;
  /** The files inside (the file itself when it is not a ZIP). */
  contents: { name: string; bytes: number }[];
}

/**
 * Completed epochs of a checkpoint: its manifest counts the epoch in progress (1-based), which is
 * complete when its last batch is done (see core/train/continue.ts).
 */
export function completedEpochs(
  manifest: Pick<CheckpointManifest, 'epoch' | 'iterInEpoch' | 'trainCount' | 'config'>,
): number {
  return completedEpochsOfPosition(manifest);
}

/** Letters, digits, `_`, `-`, `.` only (file and folder names, the server's --name). */
export function safeFileStem(s: string): string {
  const t = s
    .trim()
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[._]+/, '')
    .replace(/_+$/, '');
  return t.length > 0 ? t.slice(0, 80) : 'run';
}

function zipDownload(fileName: string, entries: NamedFile[]): DownloadFile {
  const zip: ZipInputEntry[] = entries.map((e) => ({ name: e.name, data: e.bytes }));
  return {
    fileName,
    mime: 'application/zip',
    bytes: writeZip(zip, 64),
    contents: entries.map((e) => ({ name: e.name, bytes: e.bytes.length })),
  };
}

async function runAndFiles(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  runId: string,
  name: string,
): Promise<{ run: RunRecord | undefined; files: Map<string, Uint8Array>; manifest: CheckpointManifest }> {
  const [run, { files }] = await Promise.all([
    getRun(storage.runs, runId),
    loadCheckpoint(storage.checkpoints, runId, name),
  ]);
  const mbytes = files.get(MANIFEST_FILE);
  if (!mbytes) throw new CheckpointFormatError(`checkpoint "${name}": ${MANIFEST_FILE} is missing`);
  return { run, files, manifest: parseManifest(mbytes, `checkpoint "${name}"`) };
}

/**
 * A stored checkpoint as a download (see ExportRequest). Shards are checked against the manifest's
 * sizes and CRC-32 while reading; the state_dict against the config while writing.
 */
export async function exportCheckpointFiles(
  storage: Pick<StudioStorage, 'runs' | 'checkpoints'>,
  req: ExportRequest,
): Promise<DownloadFile> {
  const { run, files, manifest } = await runAndFiles(storage, req.runId, req.name);
  const base = safeFileStem(`${run?.name ?? req.runId}-${req.name}`);
  if (req.format === 'studio') {
    return zipDownload(
      `${base}.zip`,
      [...files].map(([n, b]) => ({ name: `${base}/${n}`, bytes: b })),
    );
  }
  const cfg = storedConfig(manifest.config);
  const label = req.label === 'epoch' ? String(completedEpochs(manifest)) : 'latest';
  const kinds: NetKind[] = req.nets === 'both' ? ['G', 'D'] : [req.nets];
  const out: NamedFile[] = [];
  for (const kind of kinds) {
    const { stateDict } = await readCheckpointNetwork(
      async (f) => files.get(f),
      kind,
      `run ${run?.name ?? req.runId}, checkpoint "${req.name}"`,
    );
    out.push(...writeCheckpointFiles(stateDict, { kind, config: cfg, format: req.format, label }));
  }
  if (out.length === 1) {
    const f = out[0];
    return {
      fileName: f.name,
      mime: 'application/octet-stream',
      bytes: f.bytes,
      contents: [{ name: f.name, bytes: f.bytes.length }],
    };
  }
  return zipDownload(`${base}_${label}_${req.format}.zip`, out);
}
