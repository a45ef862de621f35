"""SmallNORB: the NORB binary-matrix reader, the two-chunk loader, the nuisance instance, and bad files."""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image
from published_formats import write_norb_chunk, write_norb_matrix

import data
from data import _smallnorb
from data._base import to_unit_np
from data._cache import source_key

TRAIN, TEST = _smallnorb.CHUNKS


def test_binary_matrix_round_trip(tmp_path, rng):
    images = rng.integers(0, 256, size=(3, 2, 96, 96), dtype=np.uint8)
    np.testing.assert_array_equal(
        _smallnorb.read_binary_matrix(write_norb_matrix(tmp_path / "a", images)), images
    )
    labels = np.array([4, 0, 2], dtype="<i4")  # one dimension, stored with three dims in the header
    np.testing.assert_array_equal(
        _smallnorb.read_binary_matrix(write_norb_matrix(tmp_path / "b", labels)), labels
    )


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda raw: b"\x00\x01\x02\x03" + raw[4:], "not a NORB binary matrix"),
        (lambda raw: raw[:-10], "truncated or corrupt"),
        (lambda raw: raw[:6], "not a NORB binary matrix"),
    ],
    ids=["wrong_magic", "truncated", "no_header"],
)
def test_bad_binary_matrix_is_a_clear_error(tmp_path, mangle, message):
    path = write_norb_matrix(tmp_path / "m.mat", np.zeros((4, 2, 96, 96), np.uint8))
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(data.DataFormatError, match=message) as err:
        _smallnorb.read_binary_matrix(path)
    assert str(path) in str(err.value)


def _write_small(directory, rng):
    """Both chunks over a small grid: category 2, elevation 1, azimuth 2, lighting 1, instance 0 or 1."""
    all_dat = []
    for chunk, instance in ((TRAIN, 0), (TEST, 1)):
        cells = np.array(
            list(itertools.product(range(2), [0], [0, 2], [0]))
        )  # category, elevation, azimuth, light
        info = np.column_stack([np.full(len(cells), instance), cells[:, 1:]])
        dat = rng.integers(0, 256, size=(len(cells), 2, 96, 96), dtype=np.uint8)
        write_norb_chunk(directory, chunk, dat, cells[:, 0], info)
        all_dat.append(dat)
    return np.concatenate(all_dat)


def dlib_images(dat_path) -> np.ndarray:
    """disentanglement_lib's SmallNORB images of one dat file, by its own steps (norb.py, without TF's GFile):
    the matrix read as int8, PIL.Image.fromarray of each first-camera image, resize((64, 64), ANTIALIAS)
    (ANTIALIAS is LANCZOS, renamed in Pillow 10), divided by 255. float64 [n, 64, 64]."""
    raw = dat_path.read_bytes()
    ndim = int(np.frombuffer(raw, "int32", 1, 4)[0])
    eff_dim = max(3, ndim)
    dims = np.frombuffer(raw, "int32", eff_dim, 8)[:ndim]
    norb = np.frombuffer(raw, "int8", offset=8 + eff_dim * 4).reshape(tuple(dims))
    integer_images = norb[:, 0]
    resized = np.zeros((integer_images.shape[0], 64, 64))
    for i in range(integer_images.shape[0]):
        resized[i] = Image.fromarray(integer_images[i, :, :]).resize((64, 64), Image.LANCZOS)
    return resized / 255.0


def _write_hard_edges(directory, rng):
    """Both chunks of `_write_small`'s grid with images of hard-edged blocks (0 or 255), which ring."""
    for chunk, instance in ((TRAIN, 0), (TEST, 1)):
        cells = np.array(list(itertools.product(range(2), [0], [0, 2], [0])))
        info = np.column_stack([np.full(len(cells), instance), cells[:, 1:]])
        blocks = rng.integers(0, 2, size=(len(cells), 2, 12, 12), dtype=np.uint8) * 255
        dat = np.kron(blocks, np.ones((1, 1, 8, 8), np.uint8))
        dat[:, :, :4] = 173  # and a flat band
        write_norb_chunk(directory, chunk, dat, cells[:, 0], info)


def test_default_resize_is_disentanglement_libs_unclipped_int32_lanczos(tmp_path, rng):
    directory = tmp_path / "small_norb"
    _write_hard_edges(directory, rng)
    images, _ = _smallnorb.load_files(directory, tmp_path / "cache")
    assert images.dtype == np.uint8 and images.shape == (8, 64, 64, 2)
    dats = [directory / f"smallnorb-{chunk}-dat.mat" for chunk in (TRAIN, TEST)]
    expected = np.concatenate([dlib_images(path) for path in dats])
    assert expected.min() < -0.1 and expected.max() > 1.1  # the ringing disentanglement_lib keeps
    variant = _smallnorb.Int32Resize()
    observed = variant.numpy(to_unit_np(images), rng)
    assert observed.shape == (8, 64, 64, 1) and observed.dtype == np.float32
    # The same integers over 255, to float32 rounding (disentanglement_lib divides in float64).
    np.testing.assert_array_equal(np.rint(observed[..., 0].astype(np.float64) * 255), np.rint(expected * 255))
    np.testing.assert_allclose(observed[..., 0], expected, rtol=0, atol=2.5e-7)
    in_jit = np.asarray(variant.jax(jnp.asarray(images, jnp.float32) / 255.0, None))
    np.testing.assert_allclose(in_jit[..., 0], expected, rtol=0, atol=2.5e-7)
    clipped, _ = _smallnorb.load_files(directory, tmp_path / "cache", "uint8_clipped")
    assert clipped.shape == (8, 64, 64, 1)
    difference = np.abs(clipped[..., 0] / 255.0 - expected)
    assert difference.max() > 20 / 255  # the clipped variant parts from it at hard edges, on flat bands only
    assert difference[:, :2].max() <= 2 / 255 + 1e-12  # by the rounding of PIL's 8-bit fixed-point arithmetic
    with pytest.raises(ValueError, match="resize must be one of"):
        _smallnorb.load_files(directory, tmp_path / "cache", "bicubic")


def test_loader_resizes_the_first_camera_and_halves_the_azimuth(tmp_path, rng):
    dat = _write_small(tmp_path / "small_norb", rng)
    images, factors = _smallnorb.load_files(tmp_path / "small_norb", tmp_path / "cache", "uint8_clipped")
    assert images.shape == (8, 64, 64, 1)
    expected = np.asarray(Image.fromarray(dat[5, 0]).resize((64, 64), Image.LANCZOS))
    np.testing.assert_array_equal(images[5, :, :, 0], expected)
    # factors: category, elevation, azimuth index, lighting, instance; training chunk first.
    np.testing.assert_array_equal(
        factors[:4], [[0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [1, 0, 1, 0, 0]]
    )
    np.testing.assert_array_equal(factors[4:, 4], 1)


def test_instance_is_a_nuisance_drawn_per_image(tmp_path, rng):
    _write_small(tmp_path / "small_norb", rng)
    images, factors = _smallnorb.load_files(tmp_path / "small_norb", tmp_path / "cache", "uint8_clipped")
    lookup = _smallnorb.row_of_grid(factors, (2, 1, 2, 1, 2))
    norb = data.GroundTruthData(
        "norb", ("c", "e", "a", "l"), (2, 1, 2, 1), images, nuisance_sizes=(2,), row_of_grid=lookup
    )
    rows = norb.index_of(np.array([[1, 0, 1, 0]] * 100), rng)
    assert set(rows.tolist()) == {3, 7}  # the same view of instance 0 (training) and instance 1 (testing)
    np.testing.assert_array_equal(factors[rows, :4], [[1, 0, 1, 0]] * 100)


def test_incomplete_grid_is_a_clear_error(tmp_path, rng):
    _write_small(tmp_path / "small_norb", rng)
    with pytest.raises(data.DataFormatError, match="cover 8 of the 48600 factor combinations"):
        data.load_dataset("smallnorb", tmp_path)


def test_mismatched_files_are_a_clear_error(tmp_path, rng):
    _write_small(tmp_path / "small_norb", rng)
    write_norb_matrix(
        tmp_path / "small_norb" / f"smallnorb-{TEST}-dat.mat", np.zeros((3, 2, 96, 96), np.uint8)
    )
    with pytest.raises(data.DataFormatError, match=r"hold \[4, 3\] images but the cat/info files describe 8"):
        _smallnorb.load_files(tmp_path / "small_norb", tmp_path / "cache")


def test_missing_files_make_it_unavailable(tmp_path):
    availability = data.dataset_availability("smallnorb", tmp_path)
    assert not availability.available and availability.source == "none"
    with pytest.raises(data.DatasetUnavailableError) as err:
        data.load_dataset("smallnorb", tmp_path)
    assert isinstance(err.value, FileNotFoundError)
    for text in (str(tmp_path / "small_norb"), "{dat,cat,info}.mat", TRAIN, _smallnorb.PUBLIC_URL):
        assert text in str(err.value)


def test_full_size_files_load_with_the_published_grid(tmp_path):
    # The published row count with blank images: the dat files are sparse, the labels enumerate the real grid.
    directory = tmp_path / "small_norb"
    for chunk, instances in ((TRAIN, (4, 6, 7, 8, 9)), (TEST, (0, 1, 2, 3, 5))):
        cells = np.array(list(itertools.product(range(5), instances, range(9), range(0, 36, 2), range(6))))
        write_norb_matrix(directory / f"smallnorb-{chunk}-cat.mat", cells[:, 0].astype("<i4"))
        write_norb_matrix(directory / f"smallnorb-{chunk}-info.mat", cells[:, 1:].astype("<i4"))
        dat = directory / f"smallnorb-{chunk}-dat.mat"
        write_norb_matrix(dat, np.zeros((1, 2, 96, 96), np.uint8))
        with open(dat, "r+b") as f:  # rewrite the header for 24300 rows and extend the file sparsely
            np.array([0x1E3D4C55, 4, 24300, 2, 96, 96], "<i4").tofile(f)
            f.truncate(24 + 24300 * 2 * 96 * 96)
    # Resizing 48,600 blank images would only cost time: stand in the caches an earlier load converted them to
    # (the default resize stores value + 256 as two bytes: a black pixel is high byte 1, low byte 0).
    key = source_key(*_smallnorb.file_paths(directory))
    (tmp_path / "converted").mkdir()
    clipped = np.lib.format.open_memmap(
        tmp_path / "converted" / f"smallnorb_{key}.npy", mode="w+", dtype=np.uint8, shape=(48_600, 64, 64, 1)
    )
    clipped.flush()
    unclipped = np.lib.format.open_memmap(
        tmp_path / "converted" / f"smallnorb_{key}_int32.npy",
        mode="w+",
        dtype=np.uint8,
        shape=(48_600, 64, 64, 2),
    )
    unclipped[..., 0] = 1
    unclipped.flush()
    del clipped, unclipped
    assert data.dataset_availability("smallnorb", tmp_path).source == "file"
    assert data.load_dataset("smallnorb", tmp_path, resize="uint8_clipped").observation_shape == (64, 64, 1)
    norb = data.load_dataset("smallnorb", tmp_path)
    assert norb.variant == _smallnorb.Int32Resize()
    assert norb.factor_names == ("category", "elevation", "azimuth", "lighting")
    assert norb.factor_sizes == (5, 9, 18, 6) and norb.num_images == 48_600
    assert norb.observation_shape == (64, 64, 1)
    np.testing.assert_array_equal(np.sort(norb.row_of_grid), np.arange(48_600))  # every image, once
    rng = np.random.default_rng(0)
    factors = norb.sample_factors(64, rng)
    np.testing.assert_array_equal(norb.observations_from_factors(factors, rng), 0.0)
