/**
 * What both parity test files need from Debian's Python + torch: the interpreter, the check that
 * torch is there (with the apt-get line to fix it), and one-process batches of reference specs.
 */
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const INSTALL =
  'apt-get update && apt-get install -y --no-install-recommends python3-torch python3-numpy';

/** Throw a message saying what to install when torch or numpy is missing. */
export function assertTorch(): void {
  const probe = spawnSync(PYTHON, [
    '-c',
    'import importlib.util as u, sys; sys.exit(0 if u.find_spec("torch") and u.find_spec("numpy") else 1)',
  ]);
  if (probe.status !== 0) {
    throw new Error(
      `The parity tests need PyTorch for ${PYTHON} (Debian python3-torch), which is missing. Run as root:\n  ${INSTALL}`,
    );
  }
}

export interface PyResult<R = Record<string, unknown>> {
  ok: boolean;
  result?: R;
  error?: string;
}

/** Run several specs of a reference script in one Python process (importing torch takes seconds). */
export function pythonBatch<R = Record<string, unknown>>(
  script: string,
  specs: Record<string, unknown>[],
): PyResult<R>[] {
  const r = spawnSync(PYTHON, [script, JSON.stringify({ cmd: 'batch', specs })], {
    encoding: 'utf8',
    timeout: 170_000,
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${basename(script)} failed (exit ${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as PyResult<R>[];
}
