"""Cars3D from the 183 published `.mat` files (key `im`: 128 x 128 x 3 x 24 azimuths x 4 elevations).

Factors, row-major: elevation 4, azimuth 24, object 183; images shrunk to 64 x 64 as disentanglement_lib does.
Object ids follow the **sorted** file names. disentanglement_lib enumerated an unsorted directory listing, so
its ids depended on the file system; ours do not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from data._base import GroundTruthData
from data._cache import cached_array, source_key
from data._errors import DataFormatError, unreadable

PUBLIC_URL = "http://www.scottreed.info/files/nips2015-analogy-data.tar.gz (folder data/cars)"
FACTOR_NAMES = ("elevation", "azimuth", "object")
NUM_OBJECTS = 183
FACTOR_SIZES = (4, 24, NUM_OBJECTS)
SUBDIRS = ("cars", "cars3d")  # a folder of its own: SmallNORB files are .mat files too


def find_files(root: Path) -> list[Path]:
    """The sorted `.mat` files of the first of `root`/cars, `root`/cars3d that has any."""
    for sub in SUBDIRS:
        files = sorted((root / sub).glob("*.mat")) if (root / sub).is_dir() else []
        if files:
            return files
    return []


def from_files(paths: list[Path], cache_dir: Path) -> GroundTruthData:
    """Cars3D from its 183 `.mat` files (resized once into `cache_dir`)."""
    if len(paths) != NUM_OBJECTS:
        raise DataFormatError(
            f"{paths[0].parent}: found {len(paths)} .mat files, Cars3D has {NUM_OBJECTS}; "
            f"unpack the complete archive from {PUBLIC_URL}"
        )
    return GroundTruthData("cars3d", FACTOR_NAMES, FACTOR_SIZES, load_files(paths, cache_dir), source="file")


def load_files(paths: list[Path], cache_dir: Path) -> np.ndarray:
    """Images uint8 [4 * 24 * len(paths), 64, 64, 3], (elevation, azimuth, object) row-major, cached."""
    num = len(paths)

    def convert(out: np.ndarray) -> None:
        grid = out.reshape(FACTOR_SIZES[0], FACTOR_SIZES[1], num, 64, 64, 3)
        for obj, path in enumerate(paths):
            grid[:, :, obj] = _read_object(path)

    return cached_array(
        cache_dir / f"cars3d_{source_key(*paths)}.npy", (4 * 24 * num, 64, 64, 3), np.uint8, convert
    )


def _read_object(path: Path) -> np.ndarray:
    """One car's views as uint8 [elevation 4, azimuth 24, 64, 64, 3]."""
    import scipy.io

    try:
        mesh = scipy.io.loadmat(path)["im"]
    except KeyError as err:
        raise DataFormatError(f"{path} has no variable 'im'; is it a Cars3D file from {PUBLIC_URL}?") from err
    except (ValueError, OSError, TypeError, IndexError, scipy.io.matlab.MatReadError) as err:
        raise unreadable(path, ".mat file", err, PUBLIC_URL) from err
    if mesh.ndim != 5 or mesh.shape[2:] != (3, 24, 4) or mesh.dtype != np.uint8:
        raise DataFormatError(
            f"{path}: 'im' is {mesh.dtype}{list(mesh.shape)}, expected uint8 [H, W, 3, 24, 4]"
        )
    views = np.empty((4, 24, 64, 64, 3), dtype=np.uint8)
    for azimuth in range(24):
        for elevation in range(4):
            picture = Image.fromarray(np.ascontiguousarray(mesh[:, :, :, azimuth, elevation]))
            picture.thumbnail((64, 64), Image.LANCZOS)
            if picture.size != (64, 64):
                raise DataFormatError(
                    f"{path}: views are {mesh.shape[1]}x{mesh.shape[0]}; they must be square"
                )
            views[elevation, azimuth] = np.asarray(picture)
    return views
