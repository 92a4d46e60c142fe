"""PyTorch CPU side of `npm run bench -- steps` (test/bench/steps.ts): the server's pix2pix training
step at the studio benchmark's configurations, timed the same way.

The networks are the server's (test/parity/pix2pix_ref.py: UnetGenerator with dropout like the
server's default, NLayerDiscriminator n_layers 3, BatchNorm), the step is the server's
optimize_parameters (test/parity/pix2pix_train_ref.py: D on fake and real, then G) with the
studio's loss: vanilla GAN + L1 (lambda 100) + Sobel gradient L1 (lambda 5, per-pixel derivatives
/8, one mean per direction), Adam(2e-4, 0.5, 0.999), batch 1, random inputs in [-1, 1].

Usage: /usr/bin/python3 steps_torch.py '{"configs": [{"id", "num_downs", "ngf", "ndf", "size"}],
  "steps": 10, "warmup": 2, "infer_runs": 5, "threads": 1}'
Prints one JSON line: [{"id", "step_ms_median", "infer_ms_median", "first_step_ms", "steps",
  "threads", "torch"}]; a config over `budget_sec` is {"id", "skipped": reason}.
"""

import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'parity'))
from pix2pix_ref import NLayerDiscriminator, UnetGenerator  # noqa: E402

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
SOBEL_Y = SOBEL_X.t().contiguous()


def sobel(x):
    c = x.shape[1]
    kx = SOBEL_X.view(1, 1, 3, 3).repeat(c, 1, 1, 1)
    ky = SOBEL_Y.view(1, 1, 3, 3).repeat(c, 1, 1, 1)
    xp = F.pad(x, (1, 1, 1, 1), mode='replicate')
    return F.conv2d(xp, kx, groups=c), F.conv2d(xp, ky, groups=c)


def gradient_loss(fake, real):
    fx, fy = sobel(fake)
    rx, ry = sobel(real)
    return (fx - rx).abs().mean() + (fy - ry).abs().mean()


def make(cfg):
    """The server's networks and training step at `cfg`: (step, infer) closures."""
    torch.manual_seed(1)
    s = cfg['size']
    G = UnetGenerator(3, 3, cfg['num_downs'], cfg['ngf'], torch.nn.BatchNorm2d, use_dropout=True)
    D = NLayerDiscriminator(6, cfg['ndf'], 3, torch.nn.BatchNorm2d)
    G.train()
    D.train()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()
    A = torch.rand(1, 3, s, s) * 2 - 1
    B = torch.rand(1, 3, s, s) * 2 - 1

    def step():
        fake = G(A)
        for p in D.parameters():
            p.requires_grad = True
        optD.zero_grad()
        pf = D(torch.cat((A, fake.detach()), 1))
        pr = D(torch.cat((A, B), 1))
        lossD = (bce(pf, torch.zeros_like(pf)) + bce(pr, torch.ones_like(pr))) * 0.5
        lossD.backward()
        optD.step()
        for p in D.parameters():
            p.requires_grad = False
        optG.zero_grad()
        pf = D(torch.cat((A, fake), 1))
        lossG = bce(pf, torch.ones_like(pf)) + F.l1_loss(fake, B) * 100 + gradient_loss(fake, B) * 5
        lossG.backward()
        optG.step()
        return float(lossG)

    def infer():
        with torch.no_grad():
            G(A)

    return step, infer


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def bench(cfg, spec):
    step, infer_once = make(cfg)

    first = timed(step)
    last = first
    for _ in range(spec.get('warmup', 2) - 1):
        last = timed(step)
    steps = spec.get('steps', 10)
    if last * steps / 1000 > spec.get('budget_sec', 600):
        return {'id': cfg['id'], 'skipped': 'one step takes %.1f s, %d steps over the %d s budget'
                % (last / 1000, steps, spec.get('budget_sec', 600)), 'first_step_ms': first}
    times = [timed(step) for _ in range(steps)]
    infer = []
    infer_once()
    for _ in range(spec.get('infer_runs', 5)):
        infer.append(timed(infer_once))
    return {'id': cfg['id'], 'step_ms_median': statistics.median(times), 'infer_ms_median': statistics.median(infer),
            'first_step_ms': first, 'steps': steps, 'threads': torch.get_num_threads(), 'torch': torch.__version__}


def serve(spec):
    """`--serve '{"config": {...}, "threads": 1}'`: build once, then answer stdin lines `step` / `infer`
    with the time in ms, one line each (test/bench/alternate.ts alternates these with the studio's)."""
    torch.set_num_threads(int(spec.get('threads', 1)))
    step, infer = make(spec['config'])
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == 'step':
            print('%.3f' % timed(step), flush=True)
        elif cmd == 'infer':
            print('%.3f' % timed(infer), flush=True)
        elif cmd == 'quit' or cmd == '':
            break


def main():
    if sys.argv[1] == '--serve':
        serve(json.loads(sys.argv[2]))
        return
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(int(spec.get('threads', 1)))
    out = [bench(c, spec) for c in spec['configs']]
    print(json.dumps(out))


if __name__ == '__main__':
    main()
