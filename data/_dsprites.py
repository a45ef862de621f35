"""dSprites: the published `.npz` and an offline renderer of the same 737,280-image grid.

Factors (the constant colour factor dropped): shape 3 (square, ellipse, heart), scale 6 (0.5..1), orientation
40 (0..2 pi inclusive), position x 32, position y 32 (0..1). Rows are in row-major grid order, so
row = dot(factors, [245760, 40960, 1024, 32, 1]).
"""

from __future__ import annotations

import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np

from data._base import GroundTruthData
from data._cache import cached_array, fill_in_chunks, source_key
from data._errors import DataFormatError, unreadable
from data._npz import READ_ERRORS, open_npz_member

FILE_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
PUBLIC_URL = "https://github.com/deepmind/dsprites-dataset"
FACTOR_NAMES = ("shape", "scale", "orientation", "position_x", "position_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
IMAGE_SIZE = 64
RENDER_VERSION = 1

# Renderer geometry, in pixels of the 64 px frame (pixel j covers [j, j + 1]). Position index i puts the
# sprite centre at 8.75 + 1.5 i (8.75 .. 55.25, symmetric about the frame centre); a step of 1.5 px leaves
# two sub-pixel phases per axis, so every image is a whole-pixel shift (by 3 px per two positions) of one
# of 4 stamps per (shape, scale, orientation).
POSITION_START, POSITION_STEP = 8.75, 1.5
SQUARE_HALF_SIDE, ELLIPSE_AXES, HEART_RADIUS = 5.5, (7.5, 3.75), 6.0
_SHIFTS = FACTOR_SIZES[3] // 2  # whole 3-px shifts per axis (16)
_CANVAS = IMAGE_SIZE + 3 * (_SHIFTS - 1)  # stamp canvas wide enough for every shift


def candidate_paths(root: Path) -> list[Path]:
    """Where the published file may lie under the data directory (disentanglement_lib's layout first)."""
    return [root / "dsprites" / FILE_NAME, root / FILE_NAME]


def from_file(path: Path, cache_dir: Path) -> GroundTruthData:
    """dSprites from the published `.npz` (converted once into `cache_dir`)."""
    return GroundTruthData("dsprites", FACTOR_NAMES, FACTOR_SIZES, load_file(path, cache_dir), source="file")


def procedural(cache_dir: Path) -> GroundTruthData:
    """dSprites from the offline renderer (rendered once into `cache_dir`)."""
    return GroundTruthData("dsprites", FACTOR_NAMES, FACTOR_SIZES, render(cache_dir), source="procedural")


def load_file(path: Path, cache_dir: Path, factor_sizes: tuple[int, ...] = FACTOR_SIZES) -> np.ndarray:
    """Images of the published dSprites `.npz` as uint8 [N, 64, 64, 1] with values 0/255, memory-mapped.

    Reads `metadata['latents_sizes']` (must be [1, *factor_sizes]) and streams `imgs` (0/1) into a cached
    `.npy` scaled to 0/255, converted once per file version.
    """
    sizes = _latents_sizes(path)
    if sizes != (1, *factor_sizes):
        raise DataFormatError(
            f"{path}: metadata latents_sizes is {list(sizes)}, expected {[1, *factor_sizes]}; "
            f"is it {FILE_NAME} from {PUBLIC_URL}?"
        )
    num = int(np.prod(factor_sizes))
    shape = (num, IMAGE_SIZE, IMAGE_SIZE, 1)

    def convert(out: np.ndarray) -> None:
        with open_npz_member(path, "imgs") as imgs:
            if imgs.shape != (num, IMAGE_SIZE, IMAGE_SIZE) or imgs.dtype != np.uint8:
                raise DataFormatError(
                    f"{path}: imgs is {imgs.dtype}{list(imgs.shape)}, expected uint8"
                    f"{[num, IMAGE_SIZE, IMAGE_SIZE]}"
                )
            imgs.copy_into(out, lambda rows: _binary_to_u8(rows, path))

    return cached_array(cache_dir / f"dsprites_{source_key(path)}.npy", shape, np.uint8, convert)


def _latents_sizes(path: Path) -> tuple[int, ...]:
    """`latents_sizes` from the file's pickled metadata (the file was written by Python 2, hence latin1)."""
    try:
        with np.load(path, allow_pickle=True, encoding="latin1") as archive:
            if "metadata" not in archive.files:
                raise DataFormatError(f"{path} has no 'metadata' (found {archive.files}); is it {FILE_NAME}?")
            metadata = archive["metadata"][()]
    except DataFormatError:
        raise
    except (*READ_ERRORS, KeyError, pickle.UnpicklingError) as err:
        raise unreadable(path, "dSprites .npz", err, PUBLIC_URL) from err
    if not isinstance(metadata, dict) or "latents_sizes" not in metadata:
        raise DataFormatError(f"{path}: metadata has no latents_sizes; is it {FILE_NAME}?")
    return tuple(int(s) for s in np.asarray(metadata["latents_sizes"]).ravel())


def _binary_to_u8(rows: np.ndarray, path: Path) -> np.ndarray:
    """0/1 sprite rows to 0/255, rejecting other values (a sign of a wrong or corrupt file)."""
    if rows.max(initial=0) > 1:
        raise DataFormatError(f"{path}: imgs holds values above 1; dSprites images are binary 0/1")
    return rows * np.uint8(255)


def render(cache_dir: Path) -> np.ndarray:
    """The procedural dSprites grid, uint8 [737280, 64, 64, 1] 0/255, rendered once, memory-mapped."""
    num = int(np.prod(FACTOR_SIZES))
    return cached_array(
        cache_dir / f"dsprites_v{RENDER_VERSION}.npy",
        (num, IMAGE_SIZE, IMAGE_SIZE, 1),
        np.uint8,
        lambda out: fill_in_chunks(out, lambda rows: render_factors(_factors_of_rows(rows)), chunk=16384),
    )


def render_factors(factors: np.ndarray) -> np.ndarray:
    """Procedural dSprites images for chosen factor rows [n, 5]: uint8 [n, 64, 64, 1] with values 0/255."""
    return _place(_stamps(), np.asarray(factors, dtype=np.int64))


def _factors_of_rows(rows: np.ndarray) -> np.ndarray:
    """Factor vectors [n, 5] of grid rows."""
    return np.stack(np.unravel_index(rows, FACTOR_SIZES), axis=1)


@lru_cache(maxsize=1)
def _stamps() -> np.ndarray:
    """Binary stamps uint8 [3*6*40, 2 (y phase), 2 (x phase), canvas, canvas] of every sprite, 0/255.

    Canvas pixel c, phase p corresponds to the offset c - 3 (SHIFTS - 1) - POSITION_START - 1.5 p + 0.5 from
    the sprite centre; the image for position k = 2 s + p is the 64-px window starting at 3 (SHIFTS - 1 - s).
    """
    shape_ids, scales, angles = np.meshgrid(
        np.arange(3), np.linspace(0.5, 1.0, 6), np.linspace(0.0, 2 * np.pi, 40), indexing="ij"
    )
    phase = np.arange(2)[:, None] * POSITION_STEP
    offsets = np.arange(_CANVAS)[None, :] - 3 * (_SHIFTS - 1) - POSITION_START - phase + 0.5  # [2, canvas]
    across = offsets[None, :, None, :]  # [1, x phase, 1, column]: offset to the right
    up = -offsets[:, None, :, None]  # [y phase, 1, row, 1]: offset upwards (rows grow downwards)
    masks = np.empty((shape_ids.size, 2, 2, _CANVAS, _CANVAS), dtype=np.uint8)
    for m, (shape_id, scale, angle) in enumerate(
        zip(shape_ids.ravel(), scales.ravel(), angles.ravel(), strict=True)
    ):
        # Rotate the offset into the sprite's frame (counter-clockwise on screen, y pointing up).
        cos, sin = np.cos(angle), np.sin(angle)
        u = (cos * across + sin * up) / scale
        v = (-sin * across + cos * up) / scale
        masks[m] = _inside(int(shape_id), u, v) * np.uint8(255)
    return masks


def _inside(shape_id: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether offsets (u right, v up; pixels at scale 1) from the centre lie inside the upright shape."""
    if shape_id == 0:
        return (np.abs(u) <= SQUARE_HALF_SIDE) & (np.abs(v) <= SQUARE_HALF_SIDE)
    if shape_id == 1:
        return (u / ELLIPSE_AXES[0]) ** 2 + (v / ELLIPSE_AXES[1]) ** 2 <= 1.0
    # The classic heart curve (x^2 + y^2 - 1)^3 <= x^2 y^3, spanning y in [-1, 1.25]; centred on its box.
    x, y = u / HEART_RADIUS, v / HEART_RADIUS + 0.125
    return (x * x + y * y - 1.0) ** 3 <= x * x * y**3


def _place(stamps: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Cut each image out of its stamp canvas by integer shifts: uint8 [n, 64, 64, 1]."""
    shape_id, scale, orientation, pos_x, pos_y = factors.T
    windows = np.lib.stride_tricks.sliding_window_view(stamps, (IMAGE_SIZE, IMAGE_SIZE), axis=(3, 4))
    sprite = (shape_id * FACTOR_SIZES[1] + scale) * FACTOR_SIZES[2] + orientation
    top = 3 * (_SHIFTS - 1 - pos_y // 2)
    left = 3 * (_SHIFTS - 1 - pos_x // 2)
    return windows[sprite, pos_y % 2, pos_x % 2, top, left][..., None]
