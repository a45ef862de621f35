"""Dev-only PyTorch twin of the study network and its β-VAE step, for the side-by-side CPU comparison.

torch is not a project dependency: `.venv/bin/pip install torch==2.13.0` (a CPU build) before running
`bench/train.py --vs-torch`, which runs it in a child process (`TorchProcess`). Same layers, shapes,
initialisation, loss and Adam settings as `models/` (disent's and disentanglement_lib's architecture).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection

import torch
from _timing import stopwatch
from torch import nn


class TorchVAE(nn.Module):
    """disentanglement_lib's conv encoder / deconv decoder with 10 latents, for 64x64xC images."""

    def __init__(self, channels: int = 1, num_latents: int = 10, kernel_34: int = 2):
        super().__init__()
        pad34 = (kernel_34 - 1) // 2 if kernel_34 > 2 else 0
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, 32, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(32, 64, kernel_34, 2, pad34),
            nn.ReLU(),
            nn.Conv2d(64, 64, kernel_34, 2, pad34),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(1024, 256),
            nn.ReLU(),
            nn.Linear(256, 2 * num_latents),
        )
        self.decoder = nn.Sequential(
            nn.Linear(num_latents, 256),
            nn.ReLU(),
            nn.Linear(256, 1024),
            nn.ReLU(),
            nn.Unflatten(1, (64, 4, 4)),
            nn.ConvTranspose2d(64, 64, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 32, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, channels, 4, 2, 1),
        )
        for module in self.modules():
            if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        self.num_latents = num_latents

    def loss(self, x: torch.Tensor, beta: float) -> torch.Tensor:
        """β-VAE loss: summed Bernoulli reconstruction (batch mean) + β·KL."""
        mean, log_var = self.encoder(x).split(self.num_latents, dim=1)
        z = mean + torch.exp(log_var / 2) * torch.randn_like(mean)
        logits = self.decoder(z)
        rec = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = 0.5 * (mean.square() + log_var.exp() - log_var - 1).sum(dim=1).mean()
        return rec + beta * kl


def step_seconds(
    batch_size: int = 64, steps: int = 20, warmup: int = 3, threads: int | None = None, device: str = "cpu"
) -> tuple[float, float]:
    """Mean (wall-clock, process CPU) seconds of one training step (forward, backward, Adam) on random
    binary images.

    On "cuda" the data stay on the GPU, cuDNN picks its fastest kernels (`cudnn.benchmark`) and Adam runs
    fused, PyTorch's fastest settings; the clock stops after the device finishes the last step.
    """
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    on_cuda = device == "cuda"
    torch.backends.cudnn.benchmark = on_cuda
    model = TorchVAE().to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, fused=on_cuda or None
    )
    images = (torch.rand(1000, 1, 64, 64, device=device) > 0.5).float()
    synchronize = torch.cuda.synchronize if on_cuda else (lambda: None)

    def step() -> None:
        batch = images[torch.randint(0, images.shape[0], (batch_size,), device=device)]
        optimizer.zero_grad(set_to_none=True)
        model.loss(batch, 4.0).backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    synchronize()
    with stopwatch() as elapsed:
        for _ in range(steps):
            step()
        synchronize()
    return elapsed.wall / steps, elapsed.cpu / steps


class TorchProcess:
    """`step_seconds` served by a child process, so that PyTorch runs as its users run it.

    The bench's own process applies `models.host_memory.keep_scratch_memory` for JAX; a spawned child starts
    with the C library's default malloc settings and none of JAX's threads. Calls are synchronous, so the
    contenders still take turns on the machine.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_end = context.Pipe()
        self._process = context.Process(target=_serve, args=(child_end,), daemon=True)
        self._process.start()

    def step_seconds(self, **kwargs) -> tuple[float, float]:
        """`step_seconds(**kwargs)` in the child; its thread count is reset to the default afterwards."""
        self.start(**kwargs)
        return self.result()

    def start(self, **kwargs) -> None:
        """Start `step_seconds(**kwargs)` in the child without waiting (several children run at once)."""
        self._conn.send(kwargs)

    def result(self) -> tuple[float, float]:
        """The (wall, CPU) seconds per step of the call `start` began."""
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(timeout=60)


def _serve(conn: Connection) -> None:
    default_threads = torch.get_num_threads()
    while (kwargs := conn.recv()) is not None:
        conn.send(step_seconds(**kwargs))
        torch.set_num_threads(default_threads)


if __name__ == "__main__":
    where = "cuda" if torch.cuda.is_available() else "cpu"
    wall, cpu = step_seconds(device=where)
    print(f"torch {torch.__version__} on {where}: {wall:.4f} s/step at batch 64 ({cpu:.4f} s of CPU time)")
