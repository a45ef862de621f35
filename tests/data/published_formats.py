"""Writers of small files in the exact published formats, for the loader tests."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import scipy.io


def write_dsprites_npz(path: Path, imgs: np.ndarray, factor_sizes: tuple[int, ...]) -> Path:
    """A dSprites `.npz` as DeepMind published it: imgs, latents_values, latents_classes, pickled metadata."""
    sizes = np.array([1, *factor_sizes])
    classes = np.stack(np.unravel_index(np.arange(imgs.shape[0]), sizes), axis=1)
    metadata = {
        "date": "April 2017",
        "latents_names": ("color", "shape", "scale", "orientation", "posX", "posY"),
        "latents_sizes": sizes,
        "title": "dSprites dataset",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        imgs=imgs,
        latents_classes=classes,
        latents_values=classes.astype(np.float64),
        metadata=np.array(metadata, dtype=object),
    )
    return path


def shapes3d_labels(factor_sizes: tuple[int, ...]) -> np.ndarray:
    """Float labels [N, 6] in the published row-major order and value ranges of 3dshapes.h5."""
    values = [
        np.linspace(0, 1, factor_sizes[0], endpoint=False),
        np.linspace(0, 1, factor_sizes[1], endpoint=False),
        np.linspace(0, 1, factor_sizes[2], endpoint=False),
        np.linspace(0.75, 1.25, factor_sizes[3]),
        np.arange(factor_sizes[4], dtype=np.float64),
        np.linspace(-30, 30, factor_sizes[5]),
    ]
    grid = np.meshgrid(*values, indexing="ij")
    return np.stack([g.ravel() for g in grid], axis=1)


def write_shapes3d_h5(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """A `3dshapes.h5` with datasets `images` and `labels`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as h5:
        h5.create_dataset("images", data=images)
        h5.create_dataset("labels", data=labels)
    return path


def write_norb_matrix(path: Path, array: np.ndarray) -> Path:
    """A NORB binary matrix: int32 magic, int32 ndim, max(3, ndim) int32 dims (unused ones 1), raw data."""
    magic = {np.dtype("u1"): 0x1E3D4C55, np.dtype("<i4"): 0x1E3D4C54}[array.dtype]
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.array([magic, array.ndim, *dims], dtype="<i4").tofile(f)
        np.ascontiguousarray(array).tofile(f)
    return path


def write_norb_chunk(
    directory: Path, chunk: str, dat: np.ndarray, category: np.ndarray, info: np.ndarray
) -> None:
    """The three files of one SmallNORB chunk: dat [n, 2, 96, 96] uint8, cat [n], info [n, 4] int32."""
    write_norb_matrix(directory / f"smallnorb-{chunk}-dat.mat", dat.astype(np.uint8))
    write_norb_matrix(directory / f"smallnorb-{chunk}-cat.mat", category.astype("<i4"))
    write_norb_matrix(directory / f"smallnorb-{chunk}-info.mat", info.astype("<i4"))


def write_cars3d_mat(path: Path, views: np.ndarray) -> Path:
    """A Cars3D `.mat`: variable `im` [H, W, 3, 24 azimuths, 4 elevations] from views [4, 24, H, W, 3]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, {"im": np.transpose(views, (2, 3, 4, 1, 0))}, do_compression=True)
    return path
