"""dSprites: the procedural grid's order and geometry, and the loader of the published `.npz`."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from published_formats import write_dsprites_npz

import data
from data import _dsprites


def test_grid_sizes_and_order(dsprites):
    assert dsprites.factor_names == ("shape", "scale", "orientation", "position_x", "position_y")
    assert dsprites.factor_sizes == (3, 6, 40, 32, 32)
    assert dsprites.num_images == 737_280 and dsprites.images.shape == (737_280, 64, 64, 1)
    assert dsprites.observation_shape == (64, 64, 1)
    all_factors = np.stack(np.unravel_index(np.arange(737_280), dsprites.factor_sizes), axis=1)
    np.testing.assert_array_equal(dsprites.index_of(all_factors), np.arange(737_280))  # a bijection
    np.testing.assert_array_equal(all_factors @ np.array([245_760, 40_960, 1024, 32, 1]), np.arange(737_280))


def test_images_are_binary_0_255_and_match_the_renderer(dsprites, rng):
    factors = dsprites.sample_factors(200, rng)
    rows = np.asarray(dsprites.images[dsprites.index_of(factors)])
    assert set(np.unique(rows)) == {0, 255}
    np.testing.assert_array_equal(rows, _dsprites.render_factors(factors))
    _dsprites._stamps.cache_clear()  # render the sprites afresh: the same pixels again
    np.testing.assert_array_equal(rows, _dsprites.render_factors(factors))


def test_observations_from_factors_are_the_indexed_rows(dsprites, rng):
    factors = dsprites.sample_factors(32, rng)
    observations = dsprites.observations_from_factors(factors, rng)
    assert observations.dtype == np.float32 and observations.shape == (32, 64, 64, 1)
    np.testing.assert_array_equal(observations, dsprites.images[dsprites.index_of(factors)] / 255.0)


def _centre_and_area(image: np.ndarray) -> tuple[float, float, int]:
    """Column centre, row centre and pixel count of a binary sprite."""
    rows, cols = np.nonzero(image[..., 0])
    return cols.mean() + 0.5, rows.mean() + 0.5, rows.size


def test_position_moves_the_centre_across_the_frame():
    # Square, largest scale, upright: its centre sits at 8.75 + 1.5 i pixels, x along columns, y along rows.
    images = _dsprites.render_factors(np.array([[0, 5, 0, 0, 0], [0, 5, 0, 31, 0], [0, 5, 0, 10, 21]]))
    centres = [_centre_and_area(image)[:2] for image in images]
    np.testing.assert_allclose(centres, [(8.5, 8.5), (55.5, 8.5), (23.5, 40.5)], atol=0.75)


def test_scale_grows_the_area_quadratically_and_orientation_wraps():
    for shape in range(3):
        images = _dsprites.render_factors([[shape, s, 0, 16, 16] for s in range(6)])
        areas = [_centre_and_area(image)[2] for image in images]
        assert areas == sorted(areas) and areas[0] > 0
        assert areas[-1] / areas[0] == pytest.approx(4.0, rel=0.2)  # scale 1 vs 0.5, up to pixel rounding
    first, last = _dsprites.render_factors([[2, 3, 0, 16, 16], [2, 3, 39, 16, 16]])
    np.testing.assert_array_equal(first, last)  # orientations run over [0, 2 pi] inclusive
    square, ellipse, heart = _dsprites.render_factors([[k, 5, 0, 16, 16] for k in range(3)])
    assert not np.array_equal(square, ellipse) and not np.array_equal(ellipse, heart)
    cols = np.nonzero(ellipse[..., 0].any(axis=0))[0]
    rows = np.nonzero(ellipse[..., 0].any(axis=1))[0]
    assert cols.size == pytest.approx(2 * rows.size, rel=0.15)  # an upright ellipse is twice as wide as tall


SMALL = (3, 2, 2, 2, 2)


def test_published_npz_loads_scaled_to_255(tmp_path, rng):
    imgs = rng.integers(0, 2, size=(int(np.prod(SMALL)), 64, 64), dtype=np.uint8)
    path = write_dsprites_npz(tmp_path / "d.npz", imgs, SMALL)
    images = _dsprites.load_file(path, tmp_path / "cache", SMALL)
    assert isinstance(images, np.memmap) and images.shape == (imgs.shape[0], 64, 64, 1)
    np.testing.assert_array_equal(images[..., 0], imgs * 255)
    again = _dsprites.load_file(path, tmp_path / "cache", SMALL)  # converted once, then reused
    assert again.filename == images.filename


@pytest.mark.parametrize(
    "case, message",
    [
        ("wrong_sizes", "latents_sizes is"),
        ("not_binary", "values above 1"),
        ("truncated", "truncated or corrupt"),
        ("not_a_zip", "not a readable dSprites .npz"),
        ("no_imgs", "no array 'imgs'"),
    ],
)
def test_bad_published_npz_is_a_clear_error(tmp_path, rng, case, message):
    imgs = rng.integers(0, 2, size=(int(np.prod(SMALL)), 64, 64), dtype=np.uint8)
    path = tmp_path / "d.npz"
    if case == "not_binary":
        imgs[3, 5, 5] = 7
    write_dsprites_npz(path, imgs, (3, 2, 2, 2, 3) if case == "wrong_sizes" else SMALL)
    if case == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    if case == "not_a_zip":
        path.write_bytes(b"this is not a zip archive")
    if case == "no_imgs":
        with zipfile.ZipFile(path) as archive:
            kept = {name: archive.read(name) for name in archive.namelist() if name != "imgs.npy"}
        with zipfile.ZipFile(path, "w") as archive:
            for name, content in kept.items():
                archive.writestr(name, content)
    with pytest.raises(data.DataFormatError, match=message) as err:
        _dsprites.load_file(path, tmp_path / "cache", SMALL)
    assert str(path) in str(err.value)
    assert not list((tmp_path / "cache").glob("*"))  # no cache, not even a temporary, is left behind


def test_a_published_file_takes_precedence_and_is_checked(tmp_path, rng):
    imgs = rng.integers(0, 2, size=(int(np.prod(SMALL)), 64, 64), dtype=np.uint8)
    write_dsprites_npz(tmp_path / "dsprites" / _dsprites.FILE_NAME, imgs, SMALL)
    availability = data.dataset_availability("color_dsprites", tmp_path)
    assert availability.available and availability.source == "file"
    with pytest.raises(data.DataFormatError, match=r"expected \[1, 3, 6, 40, 32, 32\]"):
        data.load_dataset("dsprites", tmp_path)
