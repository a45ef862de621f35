"""How observations are made from stored rows: plain, or the Color/Noisy/Scream dSprites recipes.

Each variant has the same recipe twice, once on numpy with a `numpy.random.Generator` (evaluation) and once
as a pure JAX function of a PRNG key (inside the jitted training step). Both follow disentanglement_lib's
`data/ground_truth/dsprites.py`: the binary sprite is replicated to three channels, then
- Color: multiplied by one colour per image drawn from U(0.5, 1)^3;
- Noisy: min(x + U(0, 1)^(H x W x 3), 1), fresh noise per image;
- Scream: a random crop of the texture (thumbnailed to fit 350 x 274), background = (crop + U(0, 1)^3) / 2,
  and 1 - background where the sprite is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from data._errors import DataFormatError

SCREAM_FILE = "scream.jpg"
SCREAM_THUMBNAIL = (350, 274)
# A public-domain photograph (US Navy portrait of Grace Hopper) that ships with matplotlib; it stands in for
# Munch's The Scream, which cannot be redistributed, when the user has no scream.jpg.
FALLBACK_TEXTURE = "grace_hopper.jpg"


class Variant(Protocol):
    """What every variant offers: its output channels and the recipe on numpy and on JAX."""

    name: str

    def channels(self, stored: int) -> int:
        """Channels of an observation made from rows with `stored` channels."""
        ...

    def numpy(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The recipe on a float32 [B, H, W, C] batch in [0, 1], drawing from `rng`."""
        ...

    def jax(self, x: jax.Array, key: jax.Array) -> jax.Array:
        """The recipe on a float32 [B, H, W, C] batch in [0, 1] inside jit, drawing from `key`."""
        ...


@dataclass(frozen=True)
class Plain:
    """No variant: observations are the stored rows scaled to [0, 1]."""

    name: str = "plain"

    def channels(self, stored: int) -> int:
        """Channels of an observation made from rows with `stored` channels."""
        return stored

    def numpy(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Identity on a float32 [B, H, W, C] batch in [0, 1]."""
        return x

    def jax(self, x: jax.Array, key: jax.Array) -> jax.Array:
        """Identity on a float32 [B, H, W, C] batch in [0, 1]."""
        return x


@dataclass(frozen=True)
class Color:
    """Color-dSprites: the white sprite takes one random colour from U(0.5, 1)^3 per image."""

    name: str = "color"

    def channels(self, stored: int) -> int:
        """Always three channels (RGB)."""
        return 3

    def numpy(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Colour each binary image of a [B, H, W, 1] batch."""
        colour = rng.uniform(0.5, 1.0, size=(x.shape[0], 1, 1, 3)).astype(np.float32)
        return x * colour  # broadcasting replicates the single channel

    def jax(self, x: jax.Array, key: jax.Array) -> jax.Array:
        """Colour each binary image of a [B, H, W, 1] batch inside jit."""
        colour = jax.random.uniform(key, (x.shape[0], 1, 1, 3), jnp.float32, 0.5, 1.0)
        return x * colour


@dataclass(frozen=True)
class Noisy:
    """Noisy-dSprites: uniform noise on every pixel, saturating at 1 (the sprite stays white)."""

    name: str = "noisy"

    def channels(self, stored: int) -> int:
        """Always three channels (RGB)."""
        return 3

    def numpy(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Add fresh U(0, 1) noise to each binary image of a [B, H, W, 1] batch."""
        noise = rng.random(size=(*x.shape[:3], 3), dtype=np.float32)  # U[0, 1)
        return np.minimum(x + noise, np.float32(1.0))

    def jax(self, x: jax.Array, key: jax.Array) -> jax.Array:
        """Add fresh U(0, 1) noise to each binary image of a [B, H, W, 1] batch inside jit."""
        return jnp.minimum(x + jax.random.uniform(key, (*x.shape[:3], 3), jnp.float32), 1.0)


@dataclass(frozen=True, eq=False)
class Scream:
    """Scream-dSprites: a random texture crop as background, inverted where the sprite is."""

    texture: np.ndarray = field(repr=False)  # float32 [Ht, Wt, 3] in [0, 1]
    texture_source: str = ""
    name: str = "scream"

    def channels(self, stored: int) -> int:
        """Always three channels (RGB)."""
        return 3

    def numpy(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Put each binary image of a [B, H, W, 1] batch on its own random texture crop."""
        batch, height, width, _ = x.shape
        top = rng.integers(0, self.texture.shape[0] - height, size=batch)
        left = rng.integers(0, self.texture.shape[1] - width, size=batch)
        colour = rng.uniform(0.0, 1.0, size=(batch, 1, 1, 3)).astype(np.float32)
        rows = top[:, None] + np.arange(height)[None, :]
        cols = left[:, None] + np.arange(width)[None, :]
        crops = self.texture[rows[:, :, None], cols[:, None, :]]
        background = (crops + colour) / 2.0
        return np.where(x == 1.0, 1.0 - background, background).astype(np.float32)

    def jax(self, x: jax.Array, key: jax.Array) -> jax.Array:
        """Put each binary image of a [B, H, W, 1] batch on its own random texture crop inside jit."""
        batch, height, width, _ = x.shape
        texture = jnp.asarray(self.texture)
        k_top, k_left, k_colour = jax.random.split(key, 3)
        top = jax.random.randint(k_top, (batch,), 0, texture.shape[0] - height)
        left = jax.random.randint(k_left, (batch,), 0, texture.shape[1] - width)
        colour = jax.random.uniform(k_colour, (batch, 1, 1, 3), jnp.float32)
        crop = lambda t, lft: jax.lax.dynamic_slice(texture, (t, lft, 0), (height, width, 3))
        background = (jax.vmap(crop)(top, left) + colour) / 2.0
        return jnp.where(x == 1.0, 1.0 - background, background)


def load_scream_texture(root: Path) -> tuple[np.ndarray, str]:
    """The Scream texture as float32 [Ht, Wt, 3]: the user's scream.jpg if present, else the fallback image.

    Looks for `<root>/scream/scream.jpg` (disentanglement_lib's layout) and `<root>/scream.jpg`; returns the
    texture and the path it came from.
    """
    for candidate in (root / "scream" / SCREAM_FILE, root / SCREAM_FILE):
        if candidate.is_file():
            return _thumbnail(candidate), str(candidate)
    import matplotlib

    fallback = Path(matplotlib.get_data_path()) / "sample_data" / FALLBACK_TEXTURE
    return _thumbnail(fallback), str(fallback)


def _thumbnail(path: Path) -> np.ndarray:
    """Read an image, shrink it to fit 350 x 274 like disentanglement_lib, scale to [0, 1]."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail(SCREAM_THUMBNAIL)
        texture = np.asarray(image, dtype=np.float32) / 255.0
    if texture.shape[0] <= 64 or texture.shape[1] <= 64:
        raise DataFormatError(
            f"texture {path} is {texture.shape[1]}x{texture.shape[0]} after thumbnailing; "
            "it must exceed 64x64 so that 64x64 crops can be drawn"
        )
    return texture
