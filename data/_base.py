"""`GroundTruthData`: images indexed by a discrete factor grid, plus how observations are drawn from them."""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from data._variants import Plain, Variant


@dataclass(frozen=True, eq=False)
class GroundTruthData:
    """A ground-truth data set: every image is a known combination of discrete factors.

    `images` holds uint8 rows [num_images, H, W, C_stored] (often a read-only memory map). The factor grid is
    row-major over `factor_sizes` followed by `nuisance_sizes` (factors that are not ground truth, such as the
    SmallNORB instance, drawn at random whenever an image is picked). `row_of_grid` maps a grid index to a
    row of `images`; None means the rows are stored in grid order.
    """

    name: str
    factor_names: tuple[str, ...]
    factor_sizes: tuple[int, ...]
    images: np.ndarray = field(repr=False)
    variant: Variant = field(default_factory=Plain)  # Plain, Color, Noisy or Scream
    nuisance_sizes: tuple[int, ...] = ()
    row_of_grid: np.ndarray | None = field(default=None, repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        """Check that images, names, sizes and grid agree, so that a bad build fails here, not later."""
        if len(self.factor_names) != len(self.factor_sizes):
            raise ValueError(
                f"{self.name}: {len(self.factor_names)} factor names for {len(self.factor_sizes)} sizes"
            )
        if self.images.dtype != np.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"{self.name}: images must be uint8 [N, H, W, C], got {self.images.dtype}"
                f"{list(self.images.shape)}"
            )
        grid = int(np.prod(self.factor_sizes + self.nuisance_sizes))
        if self.row_of_grid is None and self.images.shape[0] != grid:
            raise ValueError(f"{self.name}: {self.images.shape[0]} images for a grid of {grid}")
        if self.row_of_grid is not None and (
            self.row_of_grid.size != grid or int(self.row_of_grid.max()) >= self.images.shape[0]
        ):
            raise ValueError(
                f"{self.name}: row_of_grid must map all {grid} grid cells to rows of the "
                f"{self.images.shape[0]} images"
            )

    def __getstate__(self) -> dict:
        """Pickle memory-mapped `images` as their cache file, not their gigabytes (Ray ships data sets)."""
        state = dict(self.__dict__)
        if isinstance(self.images, np.memmap) and self.images.filename:
            whole = np.load(self.images.filename, mmap_mode="r")  # a view of part of a file keeps its bytes
            if whole.shape == self.images.shape and whole.dtype == self.images.dtype:
                state["images"] = _MappedFile(str(self.images.filename))
        return state

    def __setstate__(self, state: dict) -> None:
        """Reopen a cache file pickled by `__getstate__`, read-only memory-mapped."""
        if isinstance(state["images"], _MappedFile):
            state["images"] = np.load(state["images"].path, mmap_mode="r")
        self.__dict__.update(state)

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of an observation as the model sees it (three channels for the coloured variants)."""
        _, height, width, stored = self.images.shape
        return (height, width, self.variant.channels(stored))

    @property
    def num_images(self) -> int:
        """Number of stored images."""
        return int(self.images.shape[0])

    @property
    def num_factors(self) -> int:
        """Number of ground-truth factors K."""
        return len(self.factor_sizes)

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw n factor vectors uniformly from the grid: int64 [n, K]."""
        return rng.integers(0, self.factor_sizes, size=(n, self.num_factors), dtype=np.int64)

    def index_of(self, factors: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Rows of `images` showing the given factors: int64 [n].

        Data sets with nuisance factors (SmallNORB's instance) draw them from `rng`, which is then required.
        """
        factors = self._checked(factors)
        if self.nuisance_sizes:
            if rng is None:
                raise ValueError(
                    f"{self.name} has nuisance factors {self.nuisance_sizes}: pass an rng to "
                    "index_of so that they can be drawn"
                )
            nuisance = rng.integers(0, self.nuisance_sizes, size=(factors.shape[0], len(self.nuisance_sizes)))
            factors = np.concatenate([factors, nuisance.astype(np.int64)], axis=1)
        grid = self.factor_sizes + self.nuisance_sizes
        flat = np.ravel_multi_index(tuple(factors.T), grid).astype(np.int64)
        return flat if self.row_of_grid is None else self.row_of_grid[flat]

    def observations_from_factors(self, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Observations of the given factors, float32 [n, H, W, C] in [0, 1], variant drawn from `rng`."""
        rows = self.index_of(factors, rng)
        return self.variant.numpy(to_unit_np(self.images[rows]), rng)

    def sample_observations(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n observations of uniformly drawn factors: float32 [n, H, W, C] in [0, 1]."""
        return self.observations_from_factors(self.sample_factors(n, rng), rng)

    def jax_observations(self, images_u8: jax.Array, key: jax.Array) -> jax.Array:
        """float32 [B, H, W, C] in [0, 1] from a uint8 batch of `images` rows, variant drawn from `key`.

        Pure and jittable: the training step gathers rows of the device-resident `images` and calls this.
        """
        return self.variant.jax(images_u8.astype(jnp.float32) / 255.0, key)

    def _checked(self, factors: np.ndarray) -> np.ndarray:
        """Factors as int64 [n, K], or a ValueError naming the factor out of range."""
        factors = np.asarray(factors)
        if factors.ndim != 2 or factors.shape[1] != self.num_factors:
            raise ValueError(
                f"{self.name}: factors must be [n, {self.num_factors}] ({', '.join(self.factor_names)})"
                f", got shape {list(factors.shape)}"
            )
        if not np.issubdtype(factors.dtype, np.integer):
            raise ValueError(f"{self.name}: factors must be integer class indices, got {factors.dtype}")
        for k, (name, size) in enumerate(zip(self.factor_names, self.factor_sizes, strict=True)):
            bad = (factors[:, k] < 0) | (factors[:, k] >= size)
            if bad.any():
                raise ValueError(
                    f"{self.name}: factor {name} must lie in [0, {size - 1}], got {int(factors[bad, k][0])}"
                )
        return factors.astype(np.int64, copy=False)


@dataclass(frozen=True)
class _MappedFile:
    """Stands for a memory-mapped `.npy` cache inside a pickle."""

    path: str


def to_unit_np(images_u8: np.ndarray) -> np.ndarray:
    """uint8 rows to float32 in [0, 1]."""
    return images_u8.astype(np.float32) / np.float32(255.0)
