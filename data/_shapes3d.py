"""3D Shapes: DeepMind's `3dshapes.h5`, disentanglement_lib's `.npz` of it, or the offline look-alike.

Factors, row-major: floor hue 10, wall hue 10, object hue 10, scale 8, shape 4, orientation 15
(480,000 images).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from data import _shapes3d_render
from data._base import GroundTruthData
from data._cache import cached_array, fill_in_chunks, source_key
from data._errors import DataFormatError, unreadable
from data._npz import READ_ERRORS, open_npz_member

H5_NAME = "3dshapes.h5"
NPZ_NAME = "look-at-object-room_floor-hueXwall-hueXobj-hueXobj-sizeXobj-shapeXview-azi.npz"
PUBLIC_URL = "https://github.com/deepmind/3d-shapes (gs://3d-shapes/3dshapes.h5)"
FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
FACTOR_SIZES = _shapes3d_render.FACTOR_SIZES
IMAGE_SHAPE = (64, 64, 3)


def candidate_paths(root: Path) -> list[Path]:
    """Where a published file may lie: the DeepMind `.h5`, then disentanglement_lib's `.npz` layout."""
    return [root / "3dshapes" / H5_NAME, root / H5_NAME, root / "3dshapes" / NPZ_NAME, root / NPZ_NAME]


def from_file(path: Path, cache_dir: Path) -> GroundTruthData:
    """3D Shapes from a published `.h5` or `.npz` (converted once into `cache_dir`)."""
    return GroundTruthData("shapes3d", FACTOR_NAMES, FACTOR_SIZES, load_file(path, cache_dir), source="file")


def procedural(cache_dir: Path) -> GroundTruthData:
    """The 3D Shapes look-alike from the offline renderer (rendered once into `cache_dir`)."""
    return GroundTruthData("shapes3d", FACTOR_NAMES, FACTOR_SIZES, render(cache_dir), source="procedural")


def load_file(path: Path, cache_dir: Path, factor_sizes: tuple[int, ...] = FACTOR_SIZES) -> np.ndarray:
    """Images of a published 3D Shapes file (`.h5` or `.npz`) as uint8 [N, 64, 64, 3], memory-mapped.

    Checks that the labels enumerate `factor_sizes` in row-major order, then copies the images once into
    a cache.
    """
    num = int(np.prod(factor_sizes))
    reader = _copy_h5 if path.suffix == ".h5" else _copy_npz
    return cached_array(
        cache_dir / f"shapes3d_{source_key(path)}.npy",
        (num, *IMAGE_SHAPE),
        np.uint8,
        lambda out: reader(path, out, factor_sizes),
    )


def _copy_h5(path: Path, out: np.ndarray, factor_sizes: tuple[int, ...]) -> None:
    """Check `labels` and copy `images` of DeepMind's h5 file into `out`."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            for key in ("images", "labels"):
                if key not in h5:
                    raise DataFormatError(
                        f"{path} has no dataset {key!r} (found {sorted(h5)}); is it {H5_NAME}?"
                    )
            images = h5["images"]
            if images.shape != out.shape or images.dtype != np.uint8:
                raise DataFormatError(
                    f"{path}: images is {images.dtype}{list(images.shape)}, expected uint8{list(out.shape)}"
                )
            check_labels(path, h5["labels"][()], factor_sizes)
            for start in range(0, out.shape[0], 4096):
                out[start : start + 4096] = images[start : start + 4096]
    except DataFormatError:
        raise
    except (OSError, KeyError, ValueError) as err:
        raise unreadable(path, "HDF5 file", err, PUBLIC_URL) from err


def _copy_npz(path: Path, out: np.ndarray, factor_sizes: tuple[int, ...]) -> None:
    """Check `labels` and stream `images` of disentanglement_lib's npz into `out`."""
    try:
        with np.load(path) as archive:
            labels = archive["labels"]
    except (*READ_ERRORS, KeyError) as err:
        raise unreadable(path, "3D Shapes .npz with 'labels'", err, PUBLIC_URL) from err
    check_labels(path, labels.reshape(-1, labels.shape[-1]), factor_sizes)
    with open_npz_member(path, "images") as images:
        if images.dtype != np.uint8:
            raise DataFormatError(f"{path}: images is {images.dtype}, expected uint8")
        images.copy_into(out)


def check_labels(path: Path, labels: np.ndarray, factor_sizes: tuple[int, ...]) -> None:
    """Raise DataFormatError unless `labels` [N, K] lists the factor grid in row-major order."""
    num = int(np.prod(factor_sizes))
    if labels.shape != (num, len(factor_sizes)):
        raise DataFormatError(
            f"{path}: labels has shape {list(labels.shape)}, expected {[num, len(factor_sizes)]}"
        )
    grid = np.unravel_index(np.arange(num), factor_sizes)
    for k, name in enumerate(FACTOR_NAMES[: len(factor_sizes)]):
        _, level = np.unique(labels[:, k], return_inverse=True)
        if not np.array_equal(level.ravel(), grid[k]):
            raise DataFormatError(
                f"{path}: labels column {k} ({name}) does not follow the row-major grid "
                f"{list(factor_sizes)}; the file is not in the published order"
            )


def render(cache_dir: Path) -> np.ndarray:
    """The look-alike 3D Shapes grid, uint8 [480000, 64, 64, 3], rendered once and cached memory-mapped."""
    return cached_array(
        cache_dir / f"shapes3d_v{_shapes3d_render.RENDER_VERSION}.npy",
        (int(np.prod(FACTOR_SIZES)), *IMAGE_SHAPE),
        np.uint8,
        lambda out: fill_in_chunks(
            out,
            lambda rows: _shapes3d_render.render_factors(
                np.stack(np.unravel_index(rows, FACTOR_SIZES), axis=1)
            ),
            chunk=2400,
        ),
    )
