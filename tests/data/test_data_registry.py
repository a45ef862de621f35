"""The registry: the seven names, where files are looked for, and what happens when they are not there."""

from __future__ import annotations

import pytest

import data
from data import _cars3d, _dsprites, _shapes3d, _smallnorb

EXPECTED_GRIDS = {
    "dsprites": ((3, 6, 40, 32, 32), 737_280),
    "color_dsprites": ((3, 6, 40, 32, 32), 737_280),
    "noisy_dsprites": ((3, 6, 40, 32, 32), 737_280),
    "scream_dsprites": ((3, 6, 40, 32, 32), 737_280),
    "shapes3d": ((10, 10, 10, 8, 4, 15), 480_000),
    "smallnorb": ((5, 9, 18, 6), 48_600),  # x 10 instances, the nuisance factor
    "cars3d": ((4, 24, 183), 17_568),
}


def test_the_seven_names():
    assert data.DATASET_NAMES == tuple(EXPECTED_GRIDS)


def test_module_grids_match_the_study():
    grids = {
        "dsprites": _dsprites.FACTOR_SIZES,
        "shapes3d": _shapes3d.FACTOR_SIZES,
        "smallnorb": _smallnorb.FACTOR_SIZES,
        "cars3d": _cars3d.FACTOR_SIZES,
    }
    for name, sizes in grids.items():
        assert sizes == EXPECTED_GRIDS[name][0]
    assert 48_600 == 5 * 9 * 18 * 6 * _smallnorb.NUISANCE_SIZES[0]


def test_availability_in_an_empty_data_directory(tmp_path):
    sources = {name: data.dataset_availability(name, tmp_path) for name in data.DATASET_NAMES}
    assert {name: (a.available, a.source) for name, a in sources.items()} == {
        "dsprites": (True, "procedural"),
        "color_dsprites": (True, "procedural"),
        "noisy_dsprites": (True, "procedural"),
        "scream_dsprites": (True, "procedural"),
        "shapes3d": (True, "procedural"),
        "smallnorb": (False, "none"),
        "cars3d": (False, "none"),
    }
    assert str(tmp_path / "procedural") in sources["shapes3d"].message


def test_the_environment_variable_sets_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("DISENTANGLEMENT_DATA", str(tmp_path))
    assert str(tmp_path / "small_norb") in data.dataset_availability("smallnorb").message


def test_a_missing_file_names_file_place_and_url(tmp_path):
    with pytest.raises(data.DatasetUnavailableError) as err:
        data.load_dataset("dsprites", tmp_path, procedural=False)
    message = str(err.value)
    assert str(tmp_path / "dsprites" / _dsprites.FILE_NAME) in message and _dsprites.PUBLIC_URL in message


def test_no_renderer_for_smallnorb_or_cars3d(tmp_path):
    for name in ("smallnorb", "cars3d"):
        with pytest.raises(data.DatasetUnavailableError, match="has no offline renderer"):
            data.load_dataset(name, tmp_path, procedural=True)


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match="unknown data set 'mnist'; choose one of dsprites, color_dsprites"):
        data.load_dataset("mnist")
    with pytest.raises(ValueError, match="unknown data set"):
        data.dataset_availability("dsprites_full")


@pytest.mark.parametrize("name", ["dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites"])
def test_dsprites_family_grid(dsprites, name):
    loaded = data.load_dataset(name, procedural=True)
    assert (loaded.factor_sizes, loaded.num_images) == EXPECTED_GRIDS[name]
    assert loaded.images.shape[1:] == (64, 64, 1) and loaded.observation_shape[2] == (
        1 if name == "dsprites" else 3
    )
