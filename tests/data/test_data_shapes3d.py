"""3D Shapes: the look-alike renderer on chosen rows, the loaders of `3dshapes.h5` and the `.npz` form."""

from __future__ import annotations

import colorsys

import h5py
import numpy as np
import pytest
from published_formats import shapes3d_labels, write_shapes3d_h5

import data
from data import _shapes3d, _shapes3d_render


def _hue(pixel: np.ndarray) -> float:
    """Hue in [0, 1) of a uint8 RGB pixel."""
    return colorsys.rgb_to_hsv(*(pixel / 255.0))[0]


def _changed(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pixels [H, W] where two images differ."""
    return (first != second).any(axis=-1)


def test_renderer_is_deterministic_and_uint8():
    factors = np.array([[0, 1, 2, 3, 0, 4], [9, 8, 7, 6, 3, 14]])
    first = _shapes3d_render.render_factors(factors)
    assert first.dtype == np.uint8 and first.shape == (2, 64, 64, 3)
    _shapes3d_render._view_coverage.cache_clear()  # trace the views afresh: the same pixels again
    np.testing.assert_array_equal(first, _shapes3d_render.render_factors(factors))


def test_floor_and_wall_take_their_hues():
    for hue in range(10):
        image = _shapes3d_render.render_factors(np.array([[hue, (hue + 3) % 10, 5, 4, 1, 7]]))[0]
        assert _hue(image[63, 32]) == pytest.approx(hue / 10, abs=0.02)  # bottom centre: floor
        assert _hue(image[2, 32]) == pytest.approx(((hue + 3) % 10) / 10, abs=0.02)  # top centre: back wall


def test_object_hue_changes_only_a_central_object_that_grows_with_scale():
    areas = []
    for scale in (0, 7):
        red, blue = _shapes3d_render.render_factors(
            np.array([[4, 4, 0, scale, 0, 7], [4, 4, 6, scale, 0, 7]])
        )
        mask = _changed(red, blue)
        rows, cols = np.nonzero(mask)
        assert 20 < rows.mean() < 50 and 24 < cols.mean() < 40  # in the middle, on the floor
        object_pixel = red[rows[mask.sum() // 2], cols[mask.sum() // 2]]
        assert _hue(object_pixel) == pytest.approx(0.0, abs=0.02)
        areas.append(mask.sum())
    assert areas[1] > 1.8 * areas[0]  # scale 1.25 vs 0.75: (5/3)^2 = 2.8 in area


def test_shapes_differ_and_azimuths_mirror():
    objects = []
    for shape in range(4):
        a, b = _shapes3d_render.render_factors(np.array([[1, 1, 0, 7, shape, 7], [1, 1, 5, 7, shape, 7]]))
        objects.append(_changed(a, b))
    assert len({mask.tobytes() for mask in objects}) == 4
    floor = []
    for azimuth in (0, 14):  # -30 and +30 degrees: the room is symmetric, so the floor outline mirrors
        a, b = _shapes3d_render.render_factors(np.array([[0, 1, 0, 3, 2, azimuth], [5, 1, 0, 3, 2, azimuth]]))
        floor.append(_changed(a, b))
    assert floor[0].sum() > 500
    assert (floor[0] != floor[1][:, ::-1]).mean() < 0.01


SMALL = (2, 2, 2, 2, 2, 2)


def _small_images(rng) -> np.ndarray:
    return rng.integers(0, 256, size=(64, 64, 64, 3), dtype=np.uint8)


def test_h5_loads_in_row_major_order(tmp_path, rng):
    images = _small_images(rng)
    path = write_shapes3d_h5(tmp_path / "3dshapes.h5", images, shapes3d_labels(SMALL))
    loaded = _shapes3d.load_file(path, tmp_path / "cache", SMALL)
    assert isinstance(loaded, np.memmap)
    np.testing.assert_array_equal(loaded, images)


def test_disentanglement_lib_npz_loads(tmp_path, rng):
    images = _small_images(rng)
    path = tmp_path / _shapes3d.NPZ_NAME
    np.savez(path, images=images.reshape(*SMALL, 64, 64, 3), labels=shapes3d_labels(SMALL).reshape(*SMALL, 6))
    np.testing.assert_array_equal(_shapes3d.load_file(path, tmp_path / "cache", SMALL), images)


@pytest.mark.parametrize(
    "case, message",
    [
        ("shuffled", "does not follow the row-major grid"),
        ("no_labels", "no dataset 'labels'"),
        ("wrong_shape", r"expected uint8\[64, 64, 64, 3\]"),
        ("garbage", "not a readable HDF5 file"),
        ("truncated", "not a readable HDF5 file"),
    ],
)
def test_bad_h5_is_a_clear_error(tmp_path, rng, case, message):
    path = tmp_path / "3dshapes.h5"
    images, labels = _small_images(rng), shapes3d_labels(SMALL)
    if case == "shuffled":
        labels = labels[rng.permutation(64)]
    if case == "wrong_shape":
        images = images[:, :32]
    write_shapes3d_h5(path, images, labels)
    if case == "no_labels":
        with h5py.File(path, "a") as h5:
            del h5["labels"]
    if case == "garbage":
        path.write_bytes(b"\x00" * 1000)
    if case == "truncated":
        path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(data.DataFormatError, match=message) as err:
        _shapes3d.load_file(path, tmp_path / "cache", SMALL)
    assert str(path) in str(err.value)


def test_registry_serves_the_cached_render_with_the_published_grid(tmp_path):
    # A pre-built cache (a sparse file: no render, no disk) stands for an earlier offline render.
    cache = tmp_path / "procedural" / f"shapes3d_v{_shapes3d_render.RENDER_VERSION}.npy"
    cache.parent.mkdir()
    np.lib.format.open_memmap(cache, mode="w+", dtype=np.uint8, shape=(480_000, 64, 64, 3)).flush()
    assert data.dataset_availability("shapes3d", tmp_path).source == "procedural"
    shapes = data.load_dataset("shapes3d", tmp_path)
    assert shapes.factor_names == ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
    assert shapes.factor_sizes == (10, 10, 10, 8, 4, 15) and shapes.num_images == 480_000
    assert shapes.observation_shape == (64, 64, 3) and shapes.source == "procedural"
    all_factors = np.stack(np.unravel_index(np.arange(480_000), shapes.factor_sizes), axis=1)
    np.testing.assert_array_equal(shapes.index_of(all_factors), np.arange(480_000))
