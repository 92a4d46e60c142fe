/**
 * `cli env`: which TF.js backend Node ends up on and why the others were skipped, plus versions.
 * Also the one place the other commands start their backend from.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice, type BackendSelection } from '../engine/backend';
import { BACKEND_OPTION, backendOption, HELP_OPTION, helpText, parse } from './args';

const OPTIONS = {
  json: { type: 'boolean' as const, help: 'print JSON (the default output is text)' },
  ...BACKEND_OPTION,
  ...HELP_OPTION,
};

export const ENV_HELP = helpText(
  'env [--json] [--backend <wasm|cpu|auto>]',
  'The TF.js backend chosen in Node (automatic choice unless --backend is given), the backends skipped and why, and the versions in use.',
  [['Options', OPTIONS]],
);

/** Start a backend for a command; warnings go to stderr (stdout stays clean for output). */
export async function startBackend(choice: BackendChoice): Promise<BackendSelection> {
  const sel = await selectBackend(choice);
  for (const w of sel.warnings) console.error(`warning: ${w.text}`);
  return sel;
}

export function envReport(sel: BackendSelection): Record<string, unknown> {
  return {
    backend: sel.backend,
    requested: sel.requested,
    runtime: sel.runtime,
    floatPrecision: sel.floatPrecision,
    adamEpsilon: sel.adamEpsilon,
    versions: { node: process.versions.node, ...sel.versions, tfjs: tf.version.tfjs },
    skipped: sel.skipped.map((s) => ({ backend: s.backend, reason: s.reason.text, code: s.reason.code })),
    warnings: sel.warnings.map((w) => w.text),
    notes: sel.notes.map((n) => n.text),
    platform: `${process.platform} ${process.arch}`,
  };
}

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, OPTIONS, 'env');
  if (values.help) {
    console.log(ENV_HELP);
    return 0;
  }
  const sel = await selectBackend(values.backend === undefined ? 'auto' : backendOption(values));
  const report = envReport(sel);
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  console.log(`backend: ${sel.backend} (requested ${sel.requested}, ${sel.floatPrecision}-bit floats)`);
  console.log(
    `versions: ${Object.entries(report.versions as Record<string, string>)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  for (const s of sel.skipped) console.log(`skipped ${s.backend}: ${s.reason.text}`);
  for (const w of sel.warnings) console.log(`warning: ${w.text}`);
  for (const n of sel.notes) console.log(`note: ${n.text}`);
  return 0;
}
