/**
 * `cli info`: parameters of G and D, FLOPs per training step and a memory estimate for a run
 * configuration (computed analytically, see core/train/info.ts; nothing is allocated).
 */
import { describeConfig } from '../core/train/info';
import { CONFIG_OPTIONS, configFromOptions, HELP_OPTION, helpText, parse } from './args';

const OPTIONS = { json: { type: 'boolean' as const, help: 'print JSON instead of text' }, ...HELP_OPTION };

export const INFO_HELP = helpText(
  'info [--json] [config options]',
  'Parameters of the generator and discriminator, compute per training step and a memory estimate.',
  [
    ['Options', OPTIONS],
    ['Run config (server option names)', CONFIG_OPTIONS],
  ],
);

const int = (n: number): string => n.toLocaleString('en-US');
const giga = (n: number): string => (n / 1e9).toFixed(n < 1e8 ? 4 : 2);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export async function run(argv: string[]): Promise<number> {
  const values = parse(argv, { ...OPTIONS, ...CONFIG_OPTIONS }, 'info');
  if (values.help) {
    console.log(INFO_HELP);
    return 0;
  }
  const cfg = configFromOptions(values);
  const info = describeConfig(cfg);
  if (values.json) {
    const { layers: _layers, ...rest } = info;
    console.log(JSON.stringify({ config: cfg, ...rest }, null, 2));
    return 0;
  }
  const m = info.memory;
  const scales = cfg.num_D === 1 ? '1 scale' : `${cfg.num_D} scales`;
  console.log(
    [
      `Generator ${cfg.netG} (ngf ${cfg.ngf}, ${cfg.norm} norm${cfg.no_dropout ? ', no dropout' : ''}): ` +
        `${int(info.paramsG)} parameters (+${int(info.buffersG)} buffer values)`,
      `Discriminator PatchGAN n_layers_D ${cfg.n_layers_D} (ndf ${cfg.ndf}, ${scales}): ` +
        `${int(info.paramsD)} parameters (+${int(info.buffersD)} buffer values)`,
      `Compute at ${cfg.size} x ${cfg.size} px, batch ${cfg.batch_size} (conv multiply-accumulates; FLOPs = 2 x MACs):`,
      `  G forward      ${giga(info.macsG)} GMAC per image`,
      `  D forward      ${giga(info.macsD)} GMAC per image, ${info.dForwardsPerStep} per step`,
      `  training step  ${giga(info.flopsPerStep)} GFLOP (forward + backward, backward ~ 2 x forward)`,
      `  inference      ${giga(info.flopsInference)} GFLOP per image`,
      'Memory estimate (float32):',
      `  weights + buffers ${mib(m.weightsBytes)}, Adam moments ${mib(m.adamBytes)}, gradients + temporaries ${mib(m.gradientBytes)}`,
      `  activations ${mib(m.activationBytes)}; peak during a step ~ ${mib(m.totalBytes)}`,
    ].join('\n'),
  );
  return 0;
}
