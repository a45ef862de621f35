"""GroundTruthData on a small hand-made grid: sampling, indexing, nuisance factors and bad input."""

from __future__ import annotations

import pickle

import jax
import numpy as np
import pytest

from data import GroundTruthData


def _grid(nuisance: bool = False) -> GroundTruthData:
    """A 2 x 3 grid (x a nuisance factor of 2) whose image r is filled with the value r."""
    sizes, extra = (2, 3), (2,) if nuisance else ()
    num = 12 if nuisance else 6
    images = np.broadcast_to(np.arange(num, dtype=np.uint8)[:, None, None, None], (num, 4, 4, 1)).copy()
    lookup = np.arange(num)[::-1].copy() if nuisance else None  # rows stored in reverse grid order
    return GroundTruthData("toy", ("a", "b"), sizes, images, nuisance_sizes=extra, row_of_grid=lookup)


def test_index_of_is_row_major(rng):
    toy = _grid()
    factors = np.array([[0, 0], [0, 2], [1, 0], [1, 2]])
    np.testing.assert_array_equal(toy.index_of(factors), [0, 2, 3, 5])
    np.testing.assert_array_equal(toy.observations_from_factors(factors, rng)[:, 0, 0, 0] * 255, [0, 2, 3, 5])
    assert toy.observation_shape == (4, 4, 1) and toy.num_images == 6 and toy.num_factors == 2


def test_sample_factors_covers_the_grid_uniformly(rng):
    factors = _grid().sample_factors(6000, rng)
    assert factors.dtype == np.int64 and factors.shape == (6000, 2)
    counts = np.bincount(factors[:, 0] * 3 + factors[:, 1], minlength=6)
    assert counts.min() > 900 and counts.max() < 1100


def test_nuisance_factors_are_drawn_from_the_rng(rng):
    toy = _grid(nuisance=True)
    with pytest.raises(ValueError, match="pass an rng"):
        toy.index_of(np.array([[0, 0]]))
    rows = toy.index_of(np.array([[1, 2]] * 200), rng)
    # grid cells (1, 2, n) are 10 and 11; stored in reverse order they are rows 1 and 0.
    assert set(rows.tolist()) == {0, 1}


@pytest.mark.parametrize(
    "factors, message",
    [
        (np.array([[0, 3]]), r"factor b must lie in \[0, 2\], got 3"),
        (np.array([[-1, 0]]), r"factor a must lie in \[0, 1\], got -1"),
        (np.array([0, 1]), r"factors must be \[n, 2\]"),
        (np.array([[0.0, 1.0]]), "integer class indices"),
    ],
)
def test_bad_factors_name_the_problem(factors, message):
    with pytest.raises(ValueError, match=message):
        _grid().index_of(factors)


def test_inconsistent_builds_fail_early():
    images = np.zeros((5, 4, 4, 1), np.uint8)
    with pytest.raises(ValueError, match="5 images for a grid of 6"):
        GroundTruthData("toy", ("a", "b"), (2, 3), images)
    with pytest.raises(ValueError, match="uint8"):
        GroundTruthData("toy", ("a", "b"), (2, 3), np.zeros((6, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="2 factor names for 1 sizes"):
        GroundTruthData("toy", ("a", "b"), (6,), np.zeros((6, 4, 4, 1), np.uint8))


def test_jax_observations_scale_to_unit_range():
    toy = _grid()
    batch = jax.jit(toy.jax_observations)(toy.images[[0, 5]], jax.random.key(0))
    assert batch.dtype == np.float32
    np.testing.assert_allclose(np.asarray(batch)[:, 0, 0, 0], [0.0, 5 / 255], rtol=1e-6)


def test_pickles_memory_mapped_images_by_file(tmp_path):
    path = tmp_path / "images.npy"
    np.save(path, np.full((6, 4, 4, 1), 0xAB, dtype=np.uint8))
    mapped = GroundTruthData("toy", ("a", "b"), (2, 3), np.load(path, mmap_mode="r"))
    restored = pickle.loads(pickle.dumps(mapped))
    assert isinstance(restored.images, np.memmap) and str(restored.images.filename) == str(path)
    np.testing.assert_array_equal(restored.images, mapped.images)
    pixels = b"\xab" * 16
    assert pixels not in pickle.dumps(mapped)  # the file, not its pixels
    in_memory = GroundTruthData("toy", ("a", "b"), (2, 3), np.array(mapped.images))
    assert pixels in pickle.dumps(in_memory)  # an array in memory travels whole
