"""The study's seven data sets by name: where their files are looked for, what stands in when absent."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from data import _cars3d, _dsprites, _shapes3d, _smallnorb
from data._base import GroundTruthData
from data._cache import data_root
from data._errors import DatasetUnavailableError
from data._variants import Color, Noisy, Plain, Scream, Variant, load_scream_texture

DATASET_NAMES = (
    "dsprites",
    "color_dsprites",
    "noisy_dsprites",
    "scream_dsprites",
    "shapes3d",
    "smallnorb",
    "cars3d",
)
PROCEDURAL_DIR, CONVERTED_DIR = "procedural", "converted"


class Availability(NamedTuple):
    """Whether a data set can be loaded, from where ("file", "procedural" or "none"), and why."""

    available: bool
    source: str
    message: str


@dataclasses.dataclass(frozen=True)
class _Source:
    """How one base data set is found, loaded from its published files, or rendered offline."""

    public_url: str
    expected: Callable[[Path], str]  # the files looked for and where, for error messages
    find: Callable[[Path], object]  # the published file(s) under a root, falsy when absent
    from_files: Callable[[object, Path], GroundTruthData]  # (found, converted-cache dir) -> data
    procedural: Callable[[Path], GroundTruthData] | None  # procedural-cache dir -> data


def _first_file(paths: list[Path]) -> Path | None:
    """The first of `paths` that is a file."""
    return next((path for path in paths if path.is_file()), None)


def _single_file_source(module: ModuleType) -> _Source:
    """A data set published as one file (any of `module.candidate_paths(root)`) with an offline renderer."""
    return _Source(
        module.PUBLIC_URL,
        lambda root: " or ".join(map(str, module.candidate_paths(root))),
        lambda root: _first_file(module.candidate_paths(root)),
        module.from_file,
        module.procedural,
    )


_SOURCES = {
    "dsprites": _single_file_source(_dsprites),
    "shapes3d": _single_file_source(_shapes3d),
    "smallnorb": _Source(
        _smallnorb.PUBLIC_URL,
        lambda root: (
            f"the six files smallnorb-{{{','.join(_smallnorb.CHUNKS)}}}-{{{','.join(_smallnorb.KINDS)}}}.mat "
            f"(decompressed) in {' or '.join(str(root / sub) for sub in _smallnorb.SUBDIRS)}"
        ),
        _smallnorb.find_directory,
        _smallnorb.from_files,
        None,
    ),
    "cars3d": _Source(
        _cars3d.PUBLIC_URL,
        lambda root: (
            f"the {_cars3d.NUM_OBJECTS} .mat files in "
            + " or ".join(str(root / sub) for sub in _cars3d.SUBDIRS)
        ),
        _cars3d.find_files,
        _cars3d.from_files,
        None,
    ),
}
_VARIANTS: dict[str, tuple[str, Callable[[Path], Variant]]] = {
    "dsprites": ("dsprites", lambda root: Plain()),
    "color_dsprites": ("dsprites", lambda root: Color()),
    "noisy_dsprites": ("dsprites", lambda root: Noisy()),
    "scream_dsprites": ("dsprites", lambda root: Scream(*load_scream_texture(root))),
    "shapes3d": ("shapes3d", lambda root: Plain()),
    "smallnorb": ("smallnorb", lambda root: None),  # None: the loader's own (it depends on the resize)
    "cars3d": ("cars3d", lambda root: Plain()),
}


def load_dataset(
    name: str, data_dir: str | Path | None = None, *, procedural: bool | None = None, **options: object
) -> GroundTruthData:
    """Load a ground-truth data set by name (one of DATASET_NAMES).

    `data_dir` defaults to $DISENTANGLEMENT_DATA, then ~/.cache/disentanglement_sweep; published files
    are looked for there and caches are written under it. procedural=None uses the published file when
    present, else the offline renderer where one exists (dSprites family, Shapes3D); True forces the
    renderer, False the file. A data set that cannot be had raises DatasetUnavailableError naming the file,
    the place looked in and the public URL. `options` go to the published files' loader: SmallNORB's
    `resize` ("int32", disentanglement_lib's and the default, or "uint8_clipped"; docs/data.md).
    """
    base, make_variant = _lookup(name)
    root = data_root(data_dir)
    source = _SOURCES[base]
    options = {k: v for k, v in options.items() if v is not None}
    if options and base != "smallnorb":
        raise ValueError(f"data set {name!r} takes no options, got {sorted(options)}")
    found = source.find(root) if procedural is not True else None
    if found:
        loaded = source.from_files(found, root / CONVERTED_DIR, **options)
    elif procedural is not False and source.procedural is not None:
        loaded = source.procedural(root / PROCEDURAL_DIR)
    else:
        raise DatasetUnavailableError(_unavailable_message(name, base, root, procedural))
    return dataclasses.replace(loaded, name=name, variant=make_variant(root) or loaded.variant)


def dataset_availability(name: str, data_dir: str | Path | None = None) -> Availability:
    """Whether `load_dataset(name, data_dir)` can succeed, by file presence only: cheap, before any job."""
    base, _ = _lookup(name)
    root = data_root(data_dir)
    source = _SOURCES[base]
    found = source.find(root)
    if found:
        where = found if isinstance(found, Path) else Path(found[0]).parent
        return Availability(True, "file", f"{name}: published files at {where}")
    if source.procedural is not None:
        return Availability(
            True,
            "procedural",
            f"{name}: no published file under {root}; the offline renderer "
            f"is used (cached in {root / PROCEDURAL_DIR})",
        )
    return Availability(False, "none", _unavailable_message(name, base, root, None))


def _lookup(name: str) -> tuple[str, Callable[[Path], Variant]]:
    """(base data set, variant factory) of a data set name, or a ValueError listing the names."""
    if name not in _VARIANTS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASET_NAMES)}")
    return _VARIANTS[name]


def _unavailable_message(name: str, base: str, root: Path, procedural: bool | None) -> str:
    """Why a data set cannot be loaded: what was looked for, where, and where to get it."""
    source = _SOURCES[base]
    looked = source.expected(root)
    if procedural is True:
        return f"{name} has no offline renderer; provide the files ({looked}) from {source.public_url}"
    return (
        f"{name} is not available: looked for {looked} (data directory {root}, set by data_dir or "
        f"$DISENTANGLEMENT_DATA); download it from {source.public_url}"
    )
