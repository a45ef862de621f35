"""SmallNORB from its six published binary-matrix files (first camera, 96 -> 64 px, train and test joined).

Ground-truth factors: category 5, elevation 9, azimuth 18 (stored as 0, 2, .., 34), lighting 6. The instance
(10 per category) is a nuisance factor, drawn at random whenever an image is picked, as in
disentanglement_lib.

Two resizes (`dataset.resize`, the `resize=` option of `load_dataset`):
- "int32" (default), disentanglement_lib's: it reads the pixels as int8 arrays, which PIL takes as 32-bit
  integer images (mode "I", the bytes read unsigned); Lanczos then works in double precision and rounds to
  integers *without clipping*, so edges ring below 0 and above 255 (observations about -0.17 to 1.17). The
  published scores were computed on these images. They are stored as two uint8 channels (value + 256 split
  into high and low byte, which `Int32Resize` decodes exactly), since the training loop keeps uint8 rows.
- "uint8_clipped": PIL's 8-bit mode, clipped to [0, 255] (observations in [0, 1]); it differs from the
  default by up to 43/255 at hard edges and is identical on smooth images.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from data._base import GroundTruthData
from data._cache import cached_array, source_key
from data._errors import DataFormatError

RESIZES = ("int32", "uint8_clipped")
DEFAULT_RESIZE = "int32"
# "int32" stores value + OFFSET as two bytes: -256 to 65,279 fit (Lanczos-3 stays within about -175..430).
OFFSET = 256

CHUNKS = ("5x46789x9x18x6x2x96x96-training", "5x01235x9x18x6x2x96x96-testing")
KINDS = ("dat", "cat", "info")
PUBLIC_URL = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
FACTOR_NAMES = ("category", "elevation", "azimuth", "lighting")
FACTOR_SIZES = (5, 9, 18, 6)
NUISANCE_SIZES = (10,)  # instance
SUBDIRS = ("small_norb", "smallnorb", ".")
# Magic numbers of the NORB binary-matrix format, by element type.
DTYPES = {
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C55: np.dtype("u1"),
    0x1E3D4C56: np.dtype("<i2"),
}


def file_paths(directory: Path) -> list[Path]:
    """The six files in `directory`, chunk by chunk (training first), each as dat, cat, info."""
    return [directory / f"smallnorb-{chunk}-{kind}.mat" for chunk, kind in itertools.product(CHUNKS, KINDS)]


def find_directory(root: Path) -> Path | None:
    """The directory under `root` holding all six files, or None."""
    for sub in SUBDIRS:
        if all(path.is_file() for path in file_paths(root / sub)):
            return (root / sub).resolve()
    return None


def from_files(directory: Path, cache_dir: Path, resize: str = DEFAULT_RESIZE) -> GroundTruthData:
    """SmallNORB from the six files in `directory` (images resized once into `cache_dir`, see RESIZES)."""
    images, factors = load_files(directory, cache_dir, resize)
    lookup = row_of_grid(factors, FACTOR_SIZES + NUISANCE_SIZES)
    return GroundTruthData(
        "smallnorb",
        FACTOR_NAMES,
        FACTOR_SIZES,
        images,
        nuisance_sizes=NUISANCE_SIZES,
        row_of_grid=lookup,
        source="file",
        variant=variant(resize),
    )


def variant(resize: str):
    """The observation recipe of a resize: `Int32Resize` decodes the two-byte rows, else plain."""
    from data._variants import Plain

    return Int32Resize() if resize == "int32" else Plain()


@dataclass(frozen=True)
class Int32Resize:
    """Observations of "int32"-resized rows: (256 high + low - OFFSET) / 255, one channel, unclipped."""

    name: str = "smallnorb_int32"

    def channels(self, stored: int) -> int:
        """One channel from the two stored bytes."""
        return 1

    def numpy(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Decode a float32 [B, H, W, 2] batch of bytes / 255 (exact: the bytes are recovered by rounding)."""
        b = np.rint(x * np.float32(255.0))
        value = b[..., :1] * np.float32(256.0) + b[..., 1:2] - np.float32(OFFSET)
        return (value / np.float32(255.0)).astype(np.float32)

    def jax(self, x, key):
        """The same decoding inside jit."""
        import jax.numpy as jnp

        b = jnp.round(x * 255.0)
        return (b[..., :1] * 256.0 + b[..., 1:2] - float(OFFSET)) / 255.0


def resize_image(image: np.ndarray, resize: str = DEFAULT_RESIZE) -> np.ndarray:
    """One 96 x 96 uint8 image resized to 64 x 64: int32 [64, 64] unclipped ("int32"), or uint8 clipped."""
    if resize == "int32":
        # disentanglement_lib: PIL.Image.fromarray(int8 pixels) is mode "I" (bytes read unsigned), LANCZOS.
        return np.asarray(Image.fromarray(image.view(np.int8)).resize((64, 64), Image.LANCZOS), np.int32)
    if resize == "uint8_clipped":
        return np.asarray(Image.fromarray(image).resize((64, 64), Image.LANCZOS))
    raise ValueError(f"smallnorb resize must be one of {RESIZES}, got {resize!r}")


def read_binary_matrix(path: Path) -> np.ndarray:
    """A NORB binary matrix (int32 magic, int32 ndim, max(3, ndim) int32 dims, data), memory-mapped."""
    with open(path, "rb") as f:
        raw = f.read(8)
        header = np.frombuffer(raw, "<i4") if len(raw) == 8 else np.zeros(0, "<i4")
        if header.size != 2 or int(header[0]) not in DTYPES:
            raise DataFormatError(
                f"{path}: not a NORB binary matrix (magic {header[:1].tolist()}, expected one of "
                f"{sorted(DTYPES)}); decompress the .gz download from {PUBLIC_URL}"
            )
        magic, ndim = int(header[0]), int(header[1])
        if not 1 <= ndim <= 8:
            raise DataFormatError(f"{path}: implausible number of dimensions {ndim}")
        dims = np.frombuffer(f.read(4 * max(3, ndim)), "<i4")[:ndim]
    offset = 8 + 4 * max(3, ndim)
    if dims.size != ndim or (dims < 0).any():
        raise DataFormatError(f"{path}: truncated or corrupt header")
    dtype = DTYPES[magic]
    expected = offset + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = path.stat().st_size
    if actual != expected:
        raise DataFormatError(
            f"{path}: {actual} bytes, but its header {dims.tolist()} of {dtype} needs {expected}; "
            f"the file is truncated or corrupt: download it again from {PUBLIC_URL}"
        )
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=tuple(int(d) for d in dims))


def load_files(
    directory: Path, cache_dir: Path, resize: str = DEFAULT_RESIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Images (cached) and factors int64 [n, 5] of both chunks, training first.

    Images are uint8 [n, 64, 64, 1] for "uint8_clipped" and [n, 64, 64, 2] (value + OFFSET as high and low
    byte) for "int32". The factor columns are category, elevation, azimuth index, lighting and instance.
    """
    if resize not in RESIZES:
        raise ValueError(f"smallnorb resize must be one of {RESIZES}, got {resize!r}")
    paths = dict(zip(itertools.product(CHUNKS, KINDS), file_paths(directory), strict=True))
    factors = np.concatenate([_chunk_factors(paths[chunk, "cat"], paths[chunk, "info"]) for chunk in CHUNKS])
    images = [read_binary_matrix(paths[chunk, "dat"]) for chunk in CHUNKS]
    for chunk, dat in zip(CHUNKS, images, strict=True):
        if dat.ndim != 4 or dat.shape[1:] != (2, 96, 96) or dat.dtype != np.uint8:
            raise DataFormatError(
                f"{paths[chunk, 'dat']}: expected uint8 [n, 2, 96, 96], got {dat.dtype}{list(dat.shape)}"
            )
    if sum(dat.shape[0] for dat in images) != factors.shape[0]:
        raise DataFormatError(
            f"{directory}: the dat files hold {[d.shape[0] for d in images]} images but the "
            f"cat/info files describe {factors.shape[0]}"
        )

    def convert(out: np.ndarray) -> None:
        left_camera = np.concatenate([dat[:, 0] for dat in images])
        for i, image in enumerate(left_camera):
            resized = resize_image(np.ascontiguousarray(image), resize)
            if resize == "int32":
                out[i, :, :, 0], out[i, :, :, 1] = np.divmod(resized + OFFSET, 256)
            else:
                out[i, :, :, 0] = resized

    suffix = "" if resize == "uint8_clipped" else f"_{resize}"
    cache = cache_dir / f"smallnorb_{source_key(*file_paths(directory))}{suffix}.npy"
    channels = 2 if resize == "int32" else 1
    return cached_array(cache, (factors.shape[0], 64, 64, channels), np.uint8, convert), factors


def _chunk_factors(cat_path: Path, info_path: Path) -> np.ndarray:
    """Factors [n, 5] of one chunk from its category and info files, with the azimuth halved to an index."""
    category, info = read_binary_matrix(cat_path), read_binary_matrix(info_path)
    if category.ndim != 1 or info.ndim != 2 or info.shape != (category.shape[0], 4):
        raise DataFormatError(
            f"{cat_path} / {info_path}: expected [n] categories and [n, 4] info, got "
            f"{list(category.shape)} and {list(info.shape)}"
        )
    instance, elevation, azimuth, lighting = np.asarray(info, dtype=np.int64).T
    if (azimuth % 2).any():
        raise DataFormatError(f"{info_path}: azimuths must be even (0, 2, .., 34)")
    return np.stack([np.asarray(category, np.int64), elevation, azimuth // 2, lighting, instance], axis=1)


def row_of_grid(factors: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    """Lookup int64 [prod(sizes)] from a row-major grid index of `factors` [n, len(sizes)] to its row.

    Every grid cell must be present exactly once, otherwise the files are incomplete or not SmallNORB.
    """
    if (factors < 0).any() or (factors >= np.array(sizes)).any():
        raise DataFormatError(f"SmallNORB factors fall outside the grid {list(sizes)}")
    flat = np.ravel_multi_index(tuple(factors.T), sizes)
    cells = int(np.prod(sizes))
    if flat.size != cells or np.unique(flat).size != cells:
        raise DataFormatError(
            f"SmallNORB files cover {np.unique(flat).size} of the {cells} factor combinations "
            f"{list(sizes)} ({flat.size} images); a file is missing rows or duplicated"
        )
    lookup = np.empty(cells, dtype=np.int64)
    lookup[flat] = np.arange(flat.size)
    return lookup
