"""Cars3D: the `.mat` loader, its sorted object order, and bad or incomplete folders."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
from PIL import Image
from published_formats import write_cars3d_mat

import data
from data import _cars3d
from data._cache import source_key


def _views(value: int) -> np.ndarray:
    """Views [4 elevations, 24 azimuths, 128, 128, 3], each a flat grey of value + 4 * azimuth + elevation."""
    levels = value + 4 * np.arange(24)[None, :] + np.arange(4)[:, None]
    return np.broadcast_to(levels[:, :, None, None, None], (4, 24, 128, 128, 3)).astype(np.uint8)


def test_objects_follow_sorted_file_names_in_row_major_order(tmp_path, rng):
    folder = tmp_path / "cars"
    for name, value in (("car_003_mesh.mat", 140), ("car_001_mesh.mat", 0), ("car_002_mesh.mat", 70)):
        write_cars3d_mat(folder / name, _views(value))  # written out of order on purpose
    paths = _cars3d.find_files(tmp_path)
    assert [p.name for p in paths] == ["car_001_mesh.mat", "car_002_mesh.mat", "car_003_mesh.mat"]
    images = _cars3d.load_files(paths, tmp_path / "cache")
    assert images.shape == (4 * 24 * 3, 64, 64, 3)
    grid = np.asarray(images).reshape(4, 24, 3, 64, 64, 3)  # elevation, azimuth, object
    elevation, azimuth, obj = np.meshgrid(np.arange(4), np.arange(24), np.arange(3), indexing="ij")
    np.testing.assert_array_equal(grid[..., 0, 0, 0], 70 * obj + 4 * azimuth + elevation)


def test_views_are_shrunk_like_disentanglement_lib(tmp_path, rng):
    views = rng.integers(0, 256, size=(4, 24, 128, 128, 3), dtype=np.uint8)
    path = write_cars3d_mat(tmp_path / "cars" / "car_001_mesh.mat", views)
    images = _cars3d.load_files([path], tmp_path / "cache").reshape(4, 24, 64, 64, 3)
    expected = Image.fromarray(views[2, 17])
    expected.thumbnail((64, 64), Image.LANCZOS)
    np.testing.assert_array_equal(images[2, 17], np.asarray(expected))


@pytest.mark.parametrize(
    "content, message",
    [
        ({"other": np.zeros(3)}, "no variable 'im'"),
        ({"im": np.zeros((128, 128, 3, 24), np.uint8)}, r"expected uint8 \[H, W, 3, 24, 4\]"),
        (b"not a mat file at all", "not a readable .mat file"),
    ],
    ids=["no_im", "wrong_shape", "garbage"],
)
def test_bad_mat_files_are_a_clear_error(tmp_path, content, message):
    path = tmp_path / "car_001_mesh.mat"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        scipy.io.savemat(path, content)
    with pytest.raises(data.DataFormatError, match=message) as err:
        _cars3d.load_files([path], tmp_path / "cache")
    assert str(path) in str(err.value)


def test_an_incomplete_folder_is_a_clear_error(tmp_path):
    for k in range(3):
        write_cars3d_mat(tmp_path / "cars" / f"car_{k:03d}_mesh.mat", _views(0))
    with pytest.raises(data.DataFormatError, match="found 3 .mat files, Cars3D has 183"):
        data.load_dataset("cars3d", tmp_path)


def test_missing_files_make_it_unavailable(tmp_path):
    availability = data.dataset_availability("cars3d", tmp_path)
    assert not availability.available and availability.source == "none"
    with pytest.raises(data.DatasetUnavailableError, match="183 .mat files") as err:
        data.load_dataset("cars3d", tmp_path)
    assert str(tmp_path / "cars") in str(err.value) and "scottreed.info" in str(err.value)


def test_183_files_give_the_published_grid(tmp_path):
    folder = tmp_path / "cars"
    folder.mkdir()
    paths = [folder / f"car_{k:03d}_mesh.mat" for k in range(183)]
    for path in paths:
        scipy.io.savemat(path, {"im": np.zeros((1, 1), np.uint8)})
    # Stand in the converted cache an earlier load made, so the 17,568 blank views need not be shrunk again.
    cache = tmp_path / "converted" / f"cars3d_{source_key(*paths)}.npy"
    cache.parent.mkdir()
    np.lib.format.open_memmap(cache, mode="w+", dtype=np.uint8, shape=(17_568, 64, 64, 3)).flush()
    cars = data.load_dataset("cars3d", tmp_path)
    assert cars.factor_names == ("elevation", "azimuth", "object")
    assert cars.factor_sizes == (4, 24, 183) and cars.num_images == 17_568
    assert cars.observation_shape == (64, 64, 3) and cars.source == "file"
    all_factors = np.stack(np.unravel_index(np.arange(17_568), cars.factor_sizes), axis=1)
    np.testing.assert_array_equal(cars.index_of(all_factors), np.arange(17_568))  # a bijection
    np.testing.assert_array_equal(cars.index_of(np.array([[3, 23, 182], [0, 1, 0]])), [17_567, 183])
