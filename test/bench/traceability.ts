/**
 * What traceability adds to a validation round (issue 13 goal: at most 25 % on 20 val cases).
 * Node, wasm backend (1 thread), the engine core with fake-indexeddb, the demo phantom (100 cases
 * -> 20 val cases with landmarks), the shipped 256 px detector. For each GAN configuration one
 * short run with a validation round every step: the round's own time (metrics, diagnostics,
 * grid) and the traceability scoring's time (detector on the 20 predictions; on the first round
 * also on the 20 real X-rays — the floor, cached for the run).
 *
 *   npx tsx test/bench/traceability.ts [--quick]
 */
import 'fake-indexeddb/auto';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { RunConfig } from '../../src/core/config';
import { EngineCore } from '../../src/engine/engineCore';
import type { EngineEvent } from '../../src/engine/protocol';

const quick = process.argv.includes('--quick');
const all: { label: string; cfg: Record<string, unknown> }[] = [
  { label: 'unet_32 ngf4 @32 (e2e demo)', cfg: { netG: 'unet_32', size: 32, ngf: 4, ndf: 4 } },
  { label: 'unet_128 ngf16 @128', cfg: { netG: 'unet_128', size: 128, ngf: 16, ndf: 16 } },
  { label: 'unet_256 ngf64 @256', cfg: { netG: 'unet_256', size: 256, ngf: 64, ndf: 64 } },
];
const configs = (quick ? all.slice(0, 2) : all).map((c) => ({
  label: c.label,
  cfg: c.cfg as Partial<RunConfig>,
}));

async function main(): Promise<void> {
  const core = new EngineCore({
    home: 'node',
    eventEveryMs: 0,
    historyEveryMs: 0,
    useLocks: false,
    readAsset: (p) => readFile(resolve('public', p)).then((b) => new Uint8Array(b)),
  });
  const events: EngineEvent[] = [];
  core.onEvent((e) => events.push(e));
  await core.init({ backend: 'wasm', storagePrefix: `bench-trace-${Date.now()}` });
  const rows: string[] = [];
  await core.loadDataset({ kind: 'demo', cases: 100, seed: 1 });
  for (const { label, cfg } of configs) {
    const started = await core.start({
      config: {
        ...cfg,
        batch_size: 1,
        n_epochs: 1,
        n_epochs_decay: 0,
        val_every: 1,
        log_every: 1,
        save_every: 1000,
      } as Partial<RunConfig> as RunConfig,
      traceability: { kind: 'shipped' },
    });
    const runId = started.run.id;
    const t0 = Date.now();
    while (
      events.filter((e) => e.type === 'validation' && e.runId === runId && e.round).length < 3 &&
      Date.now() - t0 < 1_800_000
    )
      await new Promise((r) => setTimeout(r, 100));
    await core.stop();
    const rounds = events.flatMap((e) =>
      e.type === 'validation' && e.runId === runId && e.round ? [e.round] : [],
    );
    rounds.forEach((r, i) => {
      const tr = r.traceability;
      const trMs = tr?.durationMs ?? NaN;
      rows.push(
        `| ${label} | ${i + 1}${i === 0 ? ' (with floor)' : ''} | ${tr?.cases ?? 0} | ${r.durationMs.toFixed(0)} | ${trMs.toFixed(0)} | ${((100 * trMs) / r.durationMs).toFixed(0)} % |`,
      );
    });
    console.log(`${label}: ${rounds.length} rounds`);
  }
  console.log(
    `\nload average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; wasm, 1 thread; shipped detector (256 px)\n`,
  );
  console.log('| GAN | round | cases scored | validation round ms | traceability ms | added |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  await core.dispose();
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
