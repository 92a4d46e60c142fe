"""PyTorch re-statement of the pix2pix server's networks, for the studio's parity tests.

UnetGenerator / UnetSkipConnectionBlock and NLayerDiscriminator follow the structure documented in
/work/shared/reference/pix2pix-server-format.md (same module nesting, so the same state_dict keys).
Loading follows the server: torch.load(path, weights_only=True), drop _metadata, strict
load_state_dict.

Usage: /usr/bin/python3 pix2pix_ref.py '<json spec>'; prints one JSON line. A spec
{"cmd": "batch", "specs": [...]} runs several in one process (importing torch takes seconds) and
prints the list of their results. Commands:
  run           load a .pth into the network, eval(), forward the raw float32 input(s), write the output
  save          build a network from a seed (server init + random BatchNorm statistics), torch.save
                its state_dict, forward the input in eval() and write the output
  strict-load   only load a .pth strictly (full-size networks; nothing is run)
  safetensors   read a .safetensors file with an independent reader (struct + json + numpy) and
                compare every tensor with a .pth of the same weights loaded by torch
Tensors cross as raw little-endian float32 files in NCHW layout.
"""

import contextlib
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False,
                 innermost=False, norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        use_bias = norm_layer is nn.InstanceNorm2d
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = norm_layer(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = norm_layer(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if use_dropout:
                model += [nn.Dropout(0.5)]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, num_downs, ngf=64, norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=None, norm_layer=norm_layer, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm_layer=norm_layer,
                                            use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm_layer=norm_layer)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True,
                                             norm_layer=norm_layer)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=3, norm_layer=nn.BatchNorm2d):
        super().__init__()
        use_bias = norm_layer is nn.InstanceNorm2d
        seq = [nn.Conv2d(input_nc, ndf, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=2, padding=1, bias=use_bias),
                    norm_layer(ndf * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=1, padding=1, bias=use_bias),
                norm_layer(ndf * mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def norm_layer(name):
    if name == 'batch':
        return nn.BatchNorm2d
    if name == 'instance':
        # the server's get_norm_layer: functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
        return nn.InstanceNorm2d
    raise ValueError(name)


def build(spec):
    net = spec['net']
    if spec['kind'] == 'G':
        return UnetGenerator(net['input_nc'], net['output_nc'], net['num_downs'], net['ngf'], norm_layer(net['norm']),
                             use_dropout=True)
    return NLayerDiscriminator(net['input_nc'], net['ndf'], net['n_layers'], norm_layer(net['norm']))


def load_like_server(model, path):
    state_dict = torch.load(path, map_location='cpu', weights_only=True)
    if hasattr(state_dict, '_metadata'):
        del state_dict._metadata
    model.load_state_dict(state_dict, strict=True)
    return state_dict


def read_input(spec):
    arrays = [np.fromfile(p, dtype='<f4').reshape(spec['shape']) for p in spec['inputs']]
    return torch.from_numpy(np.concatenate(arrays, axis=1))


def forward(model, spec):
    model.eval()
    with torch.no_grad():
        out = model(read_input(spec)).numpy().astype('<f4')
    out.tofile(spec['output'])
    return list(out.shape)


def init_like_server(model, seed):
    """init_type normal, gain 0.02; then random BatchNorm affine params and running statistics."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
                if m.bias is not None:
                    m.bias.copy_(torch.rand(m.bias.shape, generator=gen) * 0.2 - 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1 + torch.randn(m.weight.shape, generator=gen) * 0.02)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) * 0.2 - 0.1)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) * 0.2 - 0.1)
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
                m.num_batches_tracked.fill_(1234)


@contextlib.contextmanager
def no_init():
    """Skip the random init of full-size networks that are only loaded (saves seconds)."""
    saved = nn.init.kaiming_uniform_, nn.init.uniform_
    nn.init.kaiming_uniform_ = lambda t, *a, **k: t
    nn.init.uniform_ = lambda t, *a, **k: t
    try:
        yield
    finally:
        nn.init.kaiming_uniform_, nn.init.uniform_ = saved


def read_safetensors_independently(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    buf = data[8 + n:]
    metadata = header.pop('__metadata__', {})
    np_dtype = {'F32': '<f4', 'I64': '<i8'}
    tensors = {}
    spans = []
    for key, info in header.items():
        begin, end = info['data_offsets']
        spans.append((begin, end))
        arr = np.frombuffer(buf[begin:end], dtype=np_dtype[info['dtype']]).reshape(info['shape'])
        tensors[key] = (info['dtype'], arr)
    spans.sort()
    contiguous = spans[0][0] == 0 and spans[-1][1] == len(buf) and all(
        a[1] == b[0] for a, b in zip(spans, spans[1:]))
    return tensors, metadata, contiguous, n


def execute(spec):
    cmd = spec['cmd']
    if cmd == 'run':
        model = build(spec)
        load_like_server(model, spec['pth'])
        return {'shape': forward(model, spec)}
    if cmd == 'save':
        model = build(spec)
        init_like_server(model, spec['seed'])
        torch.save(model.state_dict(), spec['pth'])
        return {'shape': forward(model, spec)}
    if cmd == 'strict-load':
        with no_init():
            model = build(spec)
        sd = load_like_server(model, spec['pth'])
        return {
            'keys': len(sd),
            'parameters': sum(p.numel() for p in model.parameters()),
            'buffers': sum(b.numel() for b in model.buffers()),
        }
    if cmd == 'safetensors':
        tensors, metadata, contiguous, header_len = read_safetensors_independently(spec['safetensors'])
        reference = torch.load(spec['pth'], map_location='cpu', weights_only=True)
        max_diff = 0.0
        mismatched = []
        for key, value in reference.items():
            dtype, arr = tensors[key]
            ref = value.numpy()
            if arr.shape != ref.shape or arr.dtype != ref.dtype:
                mismatched.append(key)
                continue
            if ref.size:
                max_diff = max(max_diff, float(np.max(np.abs(arr.astype(np.float64) - ref.astype(np.float64)))))
        return {
            'keys': len(tensors),
            'sameKeys': sorted(tensors) == sorted(reference.keys()),
            'mismatched': mismatched,
            'maxDiff': max_diff,
            'dtypes': sorted({d for d, _ in tensors.values()}),
            'metadata': metadata,
            'contiguous': contiguous,
            'headerAligned': header_len % 8 == 0,
        }
    raise SystemExit('unknown command ' + cmd)


def main():
    spec = json.loads(sys.argv[1])
    if spec['cmd'] == 'batch':
        results = []
        for s in spec['specs']:
            try:
                results.append({'ok': True, 'result': execute(s)})
            except Exception as e:  # reported per spec, so one failure names itself
                results.append({'ok': False, 'error': '%s: %s' % (type(e).__name__, e)})
        print(json.dumps(results))
    else:
        print(json.dumps(execute(spec)))


if __name__ == '__main__':
    main()
