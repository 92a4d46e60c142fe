"""The server's pix2pix TRAINING step in PyTorch, for the studio's training parity test.

Re-states models/pix2pix_model.py of pytorch-CycleGAN-and-pix2pix (see
/work/shared/reference/pix2pix-server-format.md) with the networks of pix2pix_ref.py:

  optimize_parameters: forward (fake_B = G(real_A));
    set_requires_grad(D, True); optimizer_D.zero_grad(); backward_D; optimizer_D.step()
      backward_D: D_fake = GAN(D(cat(A, fake_B).detach()), False); D_real = GAN(D(cat(A, B)), True);
                  loss_D = (D_fake + D_real) * 0.5
    set_requires_grad(D, False); optimizer_G.zero_grad(); backward_G; optimizer_G.step()
      backward_G: G_GAN = GAN(D(cat(A, fake_B)), True); G_L1 = L1(fake_B, B) * lambda_L1
  Adam(lr, betas=(beta1, 0.999)) with PyTorch's default eps 1e-8 (the server sets no eps);
  GANLoss: vanilla = BCEWithLogitsLoss against 1/0, lsgan = MSELoss; networks in train() mode.
  LR policy linear: LambdaLR(lambda_rule), lambda_rule(k) = 1 - max(0, k + epoch_count - n_epochs)
  / (n_epochs_decay + 1), stepped once per epoch: at its END ("lr_step_at": "epoch_end", the current
  train.py, 2025) or at its BEGINNING ("epoch_start", the 2020 train.py).
  The data loader takes the cases in the given per-epoch order, batch_size at a time, keeping a
  last partial batch (drop_last False). No dropout (--no_dropout), no augmentation.

Usage: /usr/bin/python3 pix2pix_train_ref.py '<json spec>'. A spec {"cmd": "batch", "specs": [...]}
runs several in one process (importing torch takes seconds) and prints one JSON line: the list of
{"ok": bool, "result"|"error"}. Command "train":
  G, D            network specs as pix2pix_ref.build takes them ({"kind", "net"})
  init            {"pth_G", "pth_D"}: load the studio's .pth files like the server (weights_only,
                  strict); or {"seed", "save_G", "save_D"}: PyTorch init (pix2pix_ref.init_like_server:
                  N(0, 0.02) convs, random biases and BatchNorm statistics), saved with torch.save
  cases           [{"photo": file, "xray": file}], raw little-endian float32 NCHW [1, C, S, S]
  shape_photo/shape_xray  [1, C, S, S]
  orders          {"<epoch>": [case indices]} for every epoch the run reaches
  batch_size, steps, lr, beta1, beta2, eps (optional), lambda_L1, gan_mode,
  epoch_count, n_epochs, n_epochs_decay, lr_step_at ("epoch_end" | "epoch_start")
  save_prefix     after step s (1-based) the state_dicts go to <prefix>G_<s>.pth and <prefix>D_<s>.pth,
                  and the gradients that step's Adam updates used to <prefix>gradG_<s>.pth / gradD_<s>.pth
                  (an OrderedDict parameter name -> gradient, read like a state_dict)
Result: {"steps": [{"epoch", "lr", "indices", "G_GAN", "G_L1", "D_real", "D_fake"}],
         "biasesBeforeInstanceNorm": {"G": [...], "D": [...]}} (parameters whose true gradient is 0:
         a conv bias followed by InstanceNorm, which subtracts the per-channel mean).
"""

import json
import os
import sys
import warnings
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

sys.dont_write_bytecode = True  # importing pix2pix_ref must leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pix2pix_ref import NLayerDiscriminator, UnetGenerator, init_like_server, load_like_server, norm_layer  # noqa: E402


class GANLoss(nn.Module):
    """The server's networks.GANLoss for gan_mode vanilla / lsgan."""

    def __init__(self, gan_mode, target_real_label=1.0, target_fake_label=0.0):
        super().__init__()
        self.register_buffer('real_label', torch.tensor(target_real_label))
        self.register_buffer('fake_label', torch.tensor(target_fake_label))
        if gan_mode == 'lsgan':
            self.loss = nn.MSELoss()
        elif gan_mode == 'vanilla':
            self.loss = nn.BCEWithLogitsLoss()
        else:
            raise NotImplementedError('gan mode %s not implemented' % gan_mode)

    def get_target_tensor(self, prediction, target_is_real):
        target_tensor = self.real_label if target_is_real else self.fake_label
        return target_tensor.expand_as(prediction)

    def __call__(self, prediction, target_is_real):
        return self.loss(prediction, self.get_target_tensor(prediction, target_is_real))


class Pix2PixTrainer:
    """models/pix2pix_model.py's training half (pool_size 0, so the image pool is the identity)."""

    def __init__(self, netG, netD, spec):
        self.netG = netG
        self.netD = netD
        self.lambda_L1 = spec['lambda_L1']
        self.criterionGAN = GANLoss(spec['gan_mode'])
        self.criterionL1 = nn.L1Loss()
        adam = {'lr': spec['lr'], 'betas': (spec['beta1'], spec['beta2'])}
        if 'eps' in spec:
            adam['eps'] = spec['eps']
        self.optimizer_G = torch.optim.Adam(self.netG.parameters(), **adam)
        self.optimizer_D = torch.optim.Adam(self.netD.parameters(), **adam)
        self.optimizers = [self.optimizer_G, self.optimizer_D]
        epoch_count, n_epochs, n_epochs_decay = spec['epoch_count'], spec['n_epochs'], spec['n_epochs_decay']

        def lambda_rule(epoch):
            return 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)

        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(o, lr_lambda=lambda_rule) for o in self.optimizers]
        self.netG.train()
        self.netD.train()

    def update_learning_rate(self):
        for scheduler in self.schedulers:
            scheduler.step()
        return self.optimizers[0].param_groups[0]['lr']

    @staticmethod
    def set_requires_grad(net, requires_grad):
        for param in net.parameters():
            param.requires_grad = requires_grad

    def set_input(self, real_A, real_B):
        self.real_A = real_A
        self.real_B = real_B

    def forward(self):
        self.fake_B = self.netG(self.real_A)

    def backward_D(self):
        fake_AB = torch.cat((self.real_A, self.fake_B), 1)
        pred_fake = self.netD(fake_AB.detach())
        self.loss_D_fake = self.criterionGAN(pred_fake, False)
        real_AB = torch.cat((self.real_A, self.real_B), 1)
        pred_real = self.netD(real_AB)
        self.loss_D_real = self.criterionGAN(pred_real, True)
        self.loss_D = (self.loss_D_fake + self.loss_D_real) * 0.5
        self.loss_D.backward()

    def backward_G(self):
        fake_AB = torch.cat((self.real_A, self.fake_B), 1)
        pred_fake = self.netD(fake_AB)
        self.loss_G_GAN = self.criterionGAN(pred_fake, True)
        self.loss_G_L1 = self.criterionL1(self.fake_B, self.real_B) * self.lambda_L1
        self.loss_G = self.loss_G_GAN + self.loss_G_L1
        self.loss_G.backward()

    def optimize_parameters(self):
        self.forward()
        self.set_requires_grad(self.netD, True)
        self.optimizer_D.zero_grad()
        self.backward_D()
        self.optimizer_D.step()
        self.set_requires_grad(self.netD, False)
        self.optimizer_G.zero_grad()
        self.backward_G()
        self.optimizer_G.step()

    def current_losses(self):
        return {name: float(getattr(self, 'loss_' + name)) for name in ('G_GAN', 'G_L1', 'D_real', 'D_fake')}


def build_nets(spec):
    g, d = spec['G']['net'], spec['D']['net']
    netG = UnetGenerator(g['input_nc'], g['output_nc'], g['num_downs'], g['ngf'], norm_layer(g['norm']),
                         use_dropout=False)
    netD = NLayerDiscriminator(d['input_nc'], d['ndf'], d['n_layers'], norm_layer(d['norm']))
    return netG, netD


def biases_before_instance_norm(net):
    names = []
    for prefix, module in net.named_modules():
        if not isinstance(module, nn.Sequential):
            continue
        children = list(module.named_children())
        for (name, layer), (_, after) in zip(children, children[1:]):
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)) and layer.bias is not None \
                    and isinstance(after, nn.InstanceNorm2d):
                names.append('%s.%s.bias' % (prefix, name) if prefix else '%s.bias' % name)
    return names


def read_raw(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype='<f4').reshape(shape))


def train(spec):
    netG, netD = build_nets(spec)
    init = spec['init']
    if 'pth_G' in init:
        load_like_server(netG, init['pth_G'])
        load_like_server(netD, init['pth_D'])
    else:
        init_like_server(netG, init['seed'])
        init_like_server(netD, init['seed'] + 1)
        torch.save(netG.state_dict(), init['save_G'])
        torch.save(netD.state_dict(), init['save_D'])
    photos = [read_raw(c['photo'], spec['shape_photo']) for c in spec['cases']]
    xrays = [read_raw(c['xray'], spec['shape_xray']) for c in spec['cases']]
    model = Pix2PixTrainer(netG, netD, spec)
    bs, steps = spec['batch_size'], spec['steps']
    done, epoch, log = 0, spec['epoch_count'], []
    at_start = {'epoch_start': True, 'epoch_end': False}[spec['lr_step_at']]
    while done < steps:
        if at_start:
            model.update_learning_rate()  # the 2020 train.py: at the beginning of every epoch
        lr = model.optimizers[0].param_groups[0]['lr']
        order = spec['orders'][str(epoch)]
        for start in range(0, len(order), bs):
            if done == steps:
                break
            idx = order[start:start + bs]
            model.set_input(torch.cat([photos[i] for i in idx], 0), torch.cat([xrays[i] for i in idx], 0))
            model.optimize_parameters()
            done += 1
            log.append({'epoch': epoch, 'lr': lr, 'indices': idx, **model.current_losses()})
            prefix = spec['save_prefix']
            for name, net in (('G', netG), ('D', netD)):
                torch.save(net.state_dict(), '%s%s_%d.pth' % (prefix, name, done))
                # D's gradients are backward_D's (D has requires_grad False during backward_G)
                grads = OrderedDict((k, p.grad.detach().clone()) for k, p in net.named_parameters())
                torch.save(grads, '%sgrad%s_%d.pth' % (prefix, name, done))
        if not at_start:
            model.update_learning_rate()  # the current train.py: at the end of every epoch
        epoch += 1
    return {'steps': log,
            'biasesBeforeInstanceNorm': {'G': biases_before_instance_norm(netG),
                                         'D': biases_before_instance_norm(netD)}}


def execute(spec):
    if spec['cmd'] == 'train':
        return train(spec)
    raise SystemExit('unknown command ' + spec['cmd'])


def main():
    # LambdaLR.step() before the first optimizer.step() warns (the server's order does that too)
    warnings.filterwarnings('ignore', category=UserWarning)
    torch.set_num_threads(1)
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
