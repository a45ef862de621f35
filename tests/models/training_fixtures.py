"""A small stand-in for `data.GroundTruthData` (its training surface) and the tests' small training setup."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from models import ReplicaSpec, TrainConfig


class TinyGroundTruth:
    """`num_images` random 64x64 binary disc images (uint8 0/255) with GroundTruthData's training surface."""

    def __init__(self, num_images: int = 32, channels: int = 1, seed: int = 0):
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[:64, :64]
        centers = rng.integers(12, 52, size=(num_images, 2))
        radius = rng.integers(4, 12, size=num_images)
        blobs = (yy[None] - centers[:, 0, None, None]) ** 2 + (xx[None] - centers[:, 1, None, None]) ** 2
        masks = blobs <= radius[:, None, None] ** 2
        self.name = "tiny"
        self.images = np.repeat((masks * 255).astype(np.uint8)[..., None], channels, axis=3)
        self.observation_shape = (64, 64, channels)
        self.num_images = num_images

    def jax_observations(self, images_u8: jax.Array, key: jax.Array) -> jax.Array:
        """float32 [B, 64, 64, C] in [0, 1]; no variant, so the key is unused."""
        del key
        return images_u8.astype(jnp.float32) / 255.0


# A config small enough for tests: 8 updates at batch 16, checkpoints every 4, two steps per host call.
SMALL_CONFIG = TrainConfig(
    steps=8, batch_size=16, checkpoint_every=4, log_every=2, steps_per_call=2, loop_form="python"
)
RUN_A = ReplicaSpec("run-a", seed=0, strength=4.0)
RUN_B = ReplicaSpec("run-b", seed=1, strength=1.0)
RUN_DIVERGING = ReplicaSpec("run-inf", seed=2, strength=float("inf"))  # β = inf: the loss overflows at once
