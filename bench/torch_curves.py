"""Training curves of the PyTorch twin (bench/torch_reference.py) on dSprites, for the side-by-side with ours.

Trains `TorchVAE` with the β-VAE loss as the study does (batch 64 drawn uniformly from all images, Adam 1e-4,
β 0.9 / 0.999, ε 1e-8) and records, like our `train_curves` table, the reconstruction term and the KL of the
step's own batch every `--log-every` steps. docs/replication.md plots these next to our β-VAE runs of the
replication grid. torch is dev-only: `.venv/bin/pip install torch==2.13.0`.

    .venv/bin/python bench/torch_curves.py --betas 1 4 16 --seeds 0 --steps 3000 \
        --out results/replication_cpu/torch_twin_curves.parquet
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import nn
from torch_reference import TorchVAE

from data import load_dataset


def train_curve(
    images: torch.Tensor, beta: float, seed: int, steps: int, log_every: int, batch_size: int = 64
) -> list[dict]:
    """One run's logged points: step, reconstruction, kl and loss of that step's batch (before its update)."""
    torch.manual_seed(seed)
    model = TorchVAE(channels=images.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    points = []
    for step in range(1, steps + 1):
        batch = images[torch.randint(0, images.shape[0], (batch_size,))].float() / 255.0
        mean, log_var = model.encoder(batch).split(model.num_latents, dim=1)
        z = mean + torch.exp(log_var / 2) * torch.randn_like(mean)
        logits = model.decoder(z)
        rec = nn.functional.binary_cross_entropy_with_logits(logits, batch, reduction="sum") / batch_size
        kl = 0.5 * (mean.square() + log_var.exp() - log_var - 1).sum(dim=1).mean()
        loss = rec + beta * kl
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % log_every == 0 or step == steps:
            points.append(
                {
                    "beta": beta,
                    "seed": seed,
                    "step": step,
                    "reconstruction": rec.item(),
                    "kl": kl.item(),
                    "loss": loss.item(),
                }
            )
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--betas", type=float, nargs="+", default=[1.0, 4.0, 16.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset("dsprites", procedural=True)
    with warnings.catch_warnings():  # the images are a read-only memory map; batches are copies
        warnings.simplefilter("ignore", UserWarning)
        images = torch.from_numpy(np.moveaxis(data.images, -1, 1))
    rows = []
    for beta in args.betas:
        for seed in args.seeds:
            start = time.perf_counter()
            rows += train_curve(images, beta, seed, args.steps, args.log_every)
            last = rows[-1]
            print(
                f"beta {beta:g} seed {seed}: {args.steps} steps in {time.perf_counter() - start:.0f} s, "
                f"reconstruction {last['reconstruction']:.1f}, kl {last['kl']:.2f}",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), args.out)
    print(f"wrote {len(rows)} points to {args.out}")


if __name__ == "__main__":
    main()
