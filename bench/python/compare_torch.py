"""PyTorch side of bench/compare-torch.ts: median milliseconds per step of the reference
workloads, with the same models, batch sizes and optimisers as nnlab's side.

- dqn: MLP 4-128-128-2 (ReLU), batch 128, Huber TD loss against a target network, Adam 2.5e-4
- vae: encoder 784-H-(20+20), decoder 20-reversed(H)-784 (H = --vae-hidden, default 400), batch 128, summed BCE + KL per image, Adam 1e-3
- dcgan: DCGAN D step + G step (non-saturating), 28x28, batch 64, batchnorm, Adam 2e-4 (0.5, 0.999),
  the paper's nets (5x5 kernels, no fully connected hidden layer)
- dcgan_default: the same step on nnlab's default DCGAN (--dcgan-kernel, --dcgan-dense: a fully
  connected hidden layer in G and D, --dcgan-lr-g, --dcgan-ema: G's moving average per G step,
  --dcgan-batch: its batch size)
- wgan_gp: nnlab's default WGAN-GP iteration: 5 critic steps with the gradient penalty (lambda 10)
  and one generator step; G 100-256-512-784 (LeakyReLU 0.2, tanh), critic 784-512-256-1
  (LeakyReLU 0.2), batch 64, Adam 1e-4 (0.5, 0.9); the penalty as Gulrajani et al.'s code computes
  it (torch.autograd.grad with create_graph)
- wgan_gp_conv: the same iteration on WGAN-GP's conv nets (generative/wgan.ts architecture 'dcgan'):
  DCGAN's G (100 -> 7*7*128 BN ReLU -> convT 64 5x5 s2 BN ReLU -> convT 1 5x5 s2 tanh) and
  gan_mnist.py's critic (conv 64 -> 128 -> 256, 5x5 stride 2, LeakyReLU 0.2, linear 1), batch 64
- policy_b1 / policy_b64: forward of an MLP 4-64-64-2 (ReLU) under no_grad

Prints one JSON line {"torch", "threads", "results": {name: median_ms}}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timeit(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--vae-hidden", default="400", help="hidden layer sizes of the VAE, comma-separated")
    # the default DCGAN's architecture and recipe (generative/dcgan.ts DCGAN_DEFAULTS)
    p.add_argument("--dcgan-kernel", type=int, default=5)
    p.add_argument("--dcgan-dense", type=int, default=0)
    p.add_argument("--dcgan-lr-g", type=float, default=2e-4)
    p.add_argument("--dcgan-ema", type=float, default=0.0)
    p.add_argument("--dcgan-batch", type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = {}

    # DQN update
    q, qt = mlp([4, 128, 128, 2]), mlp([4, 128, 128, 2])
    qt.load_state_dict(q.state_dict())
    opt = torch.optim.Adam(q.parameters(), lr=2.5e-4)
    b = 128
    obs, nxt = torch.randn(b, 4), torch.randn(b, 4)
    act = torch.randint(0, 2, (b,))
    rew = torch.ones(b)
    not_done = (torch.rand(b) > 0.05).float()

    def dqn_step():
        with torch.no_grad():
            target = rew + 0.99 * not_done * qt(nxt).max(1).values
        q_taken = q(obs).gather(1, act.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q_taken, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()

    out["dqn"] = timeit(dqn_step, a.steps, 20)

    # VAE step
    hidden = [int(h) for h in a.vae_hidden.split(",")]
    enc, dec = mlp([784, *hidden, 40]), mlp([20, *reversed(hidden), 784])
    vopt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    x = (torch.rand(b, 784) < 0.2).float()

    def vae_step():
        h = enc(x)
        mu, log_var = h[:, :20], h[:, 20:]
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        recon = F.binary_cross_entropy_with_logits(dec(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
        loss = (recon + kl) / b
        vopt.zero_grad()
        loss.backward()
        vopt.step()
        loss.item()

    out["vae"] = timeit(vae_step, max(20, a.steps // 5), 5)

    # DCGAN D+G steps (the architectures of generative/dcgan.ts): the paper's nets, and the default's
    def dcgan_step_fn(kernel, dense, lr_g, ema, gb):
        pad = (kernel - 1) // 2  # 'same' for stride 2: 5 -> 2, 4 -> 1
        out_pad = 1 if kernel % 2 == 1 else 0
        g_in = 100
        g_layers = []
        if dense > 0:
            g_layers += [nn.Linear(100, dense, bias=False), nn.BatchNorm1d(dense), nn.ReLU()]
            g_in = dense
        G = nn.Sequential(
            *g_layers,
            nn.Linear(g_in, 7 * 7 * 128, bias=False), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(),
            nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 64, kernel, 2, padding=pad, output_padding=out_pad, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, kernel, 2, padding=pad, output_padding=out_pad), nn.Tanh(),
        )
        d_tail = [nn.Linear(128 * 7 * 7, dense, bias=False), nn.BatchNorm1d(dense), nn.LeakyReLU(0.2), nn.Linear(dense, 1)] if dense > 0 else [nn.Linear(128 * 7 * 7, 1)]
        D = nn.Sequential(
            nn.Conv2d(1, 64, kernel, 2, padding=pad), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, kernel, 2, padding=pad, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Flatten(), *d_tail,
        )
        assert G(torch.randn(2, 100)).shape == (2, 1, 28, 28)
        opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))
        # the generator's moving average (theta_bar <- ema theta_bar + (1 - ema) theta per G step)
        g_bar = [q.detach().clone() for q in G.parameters()] if ema > 0 else []
        real = torch.rand(gb, 1, 28, 28) * 2 - 1
        ones, zeros = torch.ones(gb, 1), torch.zeros(gb, 1)

        def step():
            z = torch.randn(gb, 100)
            fake = G(z)
            loss_d = F.binary_cross_entropy_with_logits(D(real), ones) + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = F.binary_cross_entropy_with_logits(D(G(z)), ones)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            if g_bar:
                with torch.no_grad():
                    for pb, q in zip(g_bar, G.parameters()):
                        pb.mul_(ema).add_(q, alpha=1 - ema)
            loss_d.item(), loss_g.item()

        return step

    out["dcgan"] = timeit(dcgan_step_fn(5, 0, 2e-4, 0, 64), max(5, a.steps // 40), 2)
    out["dcgan_default"] = timeit(dcgan_step_fn(a.dcgan_kernel, a.dcgan_dense, a.dcgan_lr_g, a.dcgan_ema, a.dcgan_batch), max(5, a.steps // 40), 2)

    # WGAN-GP iteration (nnlab's default WGAN-GP, generative/wgan.ts)
    gb = 64
    def leaky_mlp(sizes, out):
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            layers.append(nn.LeakyReLU(0.2) if i < len(sizes) - 2 else out)
        return nn.Sequential(*layers)

    def wgan_gp_step_fn(G, C, real):
        """One iteration: 5 critic steps with the penalty (x_hat per sample), then one G step; Adam 1e-4 (0.5, 0.9)."""
        opt_c = torch.optim.Adam(C.parameters(), lr=1e-4, betas=(0.5, 0.9))
        opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
        eps_shape = (gb,) + (1,) * (real.dim() - 1)

        def step():
            for _ in range(5):
                with torch.no_grad():
                    fake = G(torch.randn(gb, 100))
                eps = torch.rand(eps_shape)
                x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
                (grad,) = torch.autograd.grad(C(x_hat).sum(), x_hat, create_graph=True)
                penalty = 10 * ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
                loss_c = C(fake).mean() - C(real).mean() + penalty
                opt_c.zero_grad()
                loss_c.backward()
                opt_c.step()
            loss_g = -C(G(torch.randn(gb, 100))).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            loss_c.item(), loss_g.item()

        return step

    Gw = leaky_mlp([100, 256, 512, 784], nn.Tanh())
    Cw = leaky_mlp([784, 512, 256, 1], nn.Identity())
    out["wgan_gp"] = timeit(wgan_gp_step_fn(Gw, Cw, torch.rand(gb, 784) * 2 - 1), max(10, a.steps // 10), 3)

    # the conv WGAN-GP iteration: DCGAN's G and gan_mnist.py's critic (28 -> 14 -> 7 -> 4)
    Gc = nn.Sequential(
        nn.Linear(100, 7 * 7 * 128, bias=False), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 5, 2, padding=2, output_padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 5, 2, padding=2, output_padding=1), nn.Tanh(),
    )
    Cc = nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, padding=2), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 5, 2, padding=2), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 256, 5, 2, padding=2), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(256 * 4 * 4, 1),
    )
    assert Gc(torch.randn(2, 100)).shape == (2, 1, 28, 28) and Cc(torch.randn(2, 1, 28, 28)).shape == (2, 1)
    out["wgan_gp_conv"] = timeit(wgan_gp_step_fn(Gc, Cc, torch.rand(gb, 1, 28, 28) * 2 - 1), max(3, a.steps // 50), 1)

    # policy forward
    pi = mlp([4, 64, 64, 2])
    for batch in (1, 64):
        o = torch.randn(batch, 4)

        def fwd():
            with torch.no_grad():
                pi(o).numpy()

        out[f"policy_b{batch}"] = timeit(fwd, a.steps * 10, 100)

    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": out}))


if __name__ == "__main__":
    main()
