#!/usr/bin/env python3
"""A plain PyTorch training step of the Candle head, timed beside `./candle bench step`.

Written from the method's exact definition (the shared reference's CANDLE.md, "Forward pass" and
"Training"; docs/method.md summarises it) with stock PyTorch modules and nothing tuned: nn.MultiheadAttention (8 heads, dropout on the attention
weights), nn.LayerNorm, the compensating logit-adjusted (CLA) loss as three cross entropies on
prior-adjusted logits, torch.optim.SGD with momentum and weight decay. It is the yardstick for
the Java head's step (BENCHMARKS.md, "The step against a plain PyTorch step"), at the same shape
as `FitBench.step`: B images, C classes of which half are new, D = 512, fp32, random
Gaussian features, the same number of intra-op threads.

Benchmark only: no test or CI job runs it. It needs PyTorch (Debian's python3-torch 1.13 is
enough): `apt-get install -y python3-torch libopenblas0-pthread`, then
`/usr/bin/python3 candle-bench/python/torch_step.py --steps 5`.
"""

import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CandleHead(nn.Module):
    """The learnable parameters of CANDLE.md's table and its training-phase forward pass."""

    def __init__(self, text, new_classes, heads, dropout, ratio):
        super().__init__()
        c, d = text.shape
        self.proj_image = nn.Parameter(torch.eye(d))
        self.proj_text = nn.Parameter(torch.eye(d))
        # VIR_INIT=text: the new classes' text features
        self.virtual_prototypes = nn.Parameter(text[c - new_classes :].clone())
        # PyTorch's defaults: xavier-uniform input weights, zero biases
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout)
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.ratio = nn.Parameter(torch.tensor(float(ratio)))

    def forward(self, images, text, visual, scale, logit_scale):
        """Training phase: returns L0, Lvt, Lvv, each (B + C) x C."""
        b = images.shape[0]
        c = text.shape[0]
        prototypes = torch.cat([visual, self.virtual_prototypes])
        i = images @ self.proj_image
        pp = prototypes @ self.proj_image
        t = text @ self.proj_text
        rows = torch.cat([i, pp])
        l0 = logit_scale * F.normalize(rows, dim=1) @ F.normalize(t, dim=1).t()
        # one sequence of B + 2C tokens, no mask; nn.MultiheadAttention wants (L, N, E)
        y = self.norm(torch.cat([i, pp, t]))
        seq = y.unsqueeze(1)
        a = self.attn(seq, seq, seq, need_weights=False)[0].squeeze(1)
        z = self.ratio * a + y
        i2, p2, t2 = z[:b], z[b : b + c], z[b + c :]
        rows2 = F.normalize(torch.cat([i2, p2]), dim=1)
        lvt = logit_scale * rows2 @ F.normalize(t2, dim=1).t()
        lvv = logit_scale * scale * rows2 @ F.normalize(p2, dim=1).t()
        return l0, lvt, lvv


def cla(logits, labels, log_prior, tau):
    """CLA(L, y) = CrossEntropy(L + tau * log pi, y), the mean over the rows."""
    return F.cross_entropy(logits + tau * log_prior, labels)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--classes", type=int, default=1000, help="C (half of them new)")
    ap.add_argument("--batch", type=int, default=128, help="B")
    ap.add_argument("--dim", type=int, default=512, help="D")
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads (ours: 2)")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument(
        "--flush-denormal",
        action="store_true",
        help="flush subnormal floats to zero (the plain step's loss tail reaches them at s = 100)",
    )
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.flush_denormal:
        torch.set_flush_denormal(True)
    c, d, b = args.classes, args.dim, args.batch
    cn = c // 2
    cb = c - cn
    # as FitBench.step: one image per base class, padded to whole batches
    n = ((cb + b - 1) // b) * b
    labels = torch.arange(n) % cb
    features = torch.randn(n, d)
    text = torch.randn(c, d)
    counts = torch.zeros(c)
    counts[:cb] = torch.randint(1, 101, (cb,)).float()
    visual = torch.stack([features[labels == j].mean(0) for j in range(cb)])
    prior = (counts + 1) / (counts + 1).sum()
    log_prior = prior.log()
    # HyperParameters.defaults(): SCALE 0.5, s = 100, tau 1, ratio 0.1, SGD lr 3e-4
    scale, logit_scale, tau = 0.5, 100.0, 1.0

    head = CandleHead(text, cn, 8, args.dropout, 0.1)
    head.train()
    opt = torch.optim.SGD(head.parameters(), lr=3e-4, momentum=0.9, weight_decay=5e-4)
    prototype_labels = torch.arange(c)

    def step():
        idx = torch.randint(0, n, (b,))
        target = torch.cat([labels[idx], prototype_labels])
        l0, lvt, lvv = head(features[idx], text, visual, scale, logit_scale)
        loss = cla(l0, target, log_prior, tau) + cla(lvt, target, log_prior, tau)
        loss = loss + cla(lvv, target, log_prior, tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    print(
        "machine: %d CPUs, load average %.1f, torch %s, %d threads, OMP_WAIT_POLICY=%s%s"
        % (
            os.cpu_count(),
            os.getloadavg()[0],
            torch.__version__,
            torch.get_num_threads(),
            os.environ.get("OMP_WAIT_POLICY", "(unset)"),
            ", subnormals flushed" if args.flush_denormal else "",
        ),
        flush=True,
    )
    for _ in range(args.warmup):
        step()
    times = []
    cpu_start = time.process_time()
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu_start) / args.steps
    print(
        "plain PyTorch step B=%d C=%d (new %d) D=%d: %.3f s/step (min %.3f, max %.3f, %d steps), "
        "CPU %.3f s/step, last loss %.4f"
        % (b, c, cn, d, sum(times) / len(times), min(times), max(times), len(times), cpu, loss),
        flush=True,
    )


if __name__ == "__main__":
    main()
