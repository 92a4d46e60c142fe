/**
 * Ceph GAN Studio command line (Node, run by tsx: `npm run cli -- <command> ...`).
 * Commands: info, train, infer, env, export, import. Each lives in src/cli/<command>.ts as
 * `run(argv): Promise<number>` (the exit code). A mistake the user can make prints one line and
 * exits 2; an unexpected failure prints its message and exits 1.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './cli/args';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  info: {
    summary: 'parameters, FLOPs per step and memory estimate of a config',
    load: async () => (await import('./cli/info')).run,
  },
  train: {
    summary: 'train on the demo phantom or a folder of pairs; writes a checkpoint and metrics.json',
    load: async () => (await import('./cli/train')).run,
  },
  infer: {
    summary: 'photo -> X-ray with a trained generator (PNG, optional raw .npy)',
    load: async () => (await import('./cli/infer')).run,
  },
  env: {
    summary: 'the TF.js backend chosen in Node, skipped backends and versions',
    load: async () => (await import('./cli/env')).run,
  },
  export: {
    summary: 'export a checkpoint for the server (.pth / .safetensors / TF.js)',
    load: async () => (await import('./cli/export')).run,
  },
  import: {
    summary: 'import a server checkpoint or run',
    load: async () => (await import('./cli/import')).run,
  },
  measure: {
    summary: 'cephalometric measurements (ISBI 2015, Steiner, Tweed) per image; radial errors vs --reference',
    load: async () => (await import('./cli/measure')).run,
  },
  sweep: {
    summary: 'train every combination of up to 3 varied options; writes the comparison table',
    load: async () => (await import('./cli/sweep')).run,
  },
  study: {
    summary: 'sample-size study on nested training subsets; comparison, chart and reading',
    load: async () => (await import('./cli/study')).run,
  },
  'train-landmarks': {
    summary: 'train the heatmap landmark detector on X-rays with landmarks (held-out MRE/SDR in mm)',
    load: async () => (await import('./cli/trainLandmarks')).run,
  },
  detect: {
    summary: 'find landmarks on X-rays with a detector; writes the ISBI CSV (original pixels)',
    load: async () => (await import('./cli/detect')).run,
  },
  'profile-pairs': {
    summary: 'soft-tissue profile -> film pairs from a folder of films (the real-anatomy benchmark)',
    load: async () => (await import('./cli/profilePairs')).run,
  },
};

function usage(): string {
  const lines = [
    'usage: npm run cli -- <command> [options]   (<command> --help for its options)',
    '',
    'commands:',
  ];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  try {
    if (!cmd)
      throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return await (
      await cmd.load()
    )(rest);
  } catch (e) {
    if (e instanceof UsageError || (e as Error).name === 'UsageError') {
      console.error(`error: ${(e as Error).message}`);
      return 2;
    }
    if ((e as Error).name === 'CheckpointFormatError' || (e as Error).name === 'SafetensorsError') {
      console.error(`error: ${(e as Error).message}`);
      return 2;
    }
    console.error(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** Run when executed (`tsx src/cli.ts ...`), not when imported (tests call `main` directly). */
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
