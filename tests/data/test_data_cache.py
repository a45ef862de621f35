"""The on-disk caches: built once, atomically, reused memory-mapped, rebuilt when stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data._cache import DEFAULT_ROOT, cached_array, data_root, fill_in_chunks


def test_built_once_then_reused_memory_mapped(tmp_path):
    calls = []

    def fill(out):
        calls.append(1)
        out[:] = np.arange(12).reshape(3, 4)

    first = cached_array(tmp_path / "a.npy", (3, 4), np.int64, fill)
    second = cached_array(tmp_path / "a.npy", (3, 4), np.int64, fill)
    assert len(calls) == 1
    assert isinstance(second, np.memmap) and not second.flags.writeable
    np.testing.assert_array_equal(first, np.arange(12).reshape(3, 4))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]  # no temporary left behind


def test_stale_or_corrupt_caches_are_rebuilt(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((2, 2), np.uint8))
    with pytest.warns(UserWarning, match="expected uint8"):
        rebuilt = cached_array(path, (3, 2), np.uint8, lambda out: out.fill(7))
    assert rebuilt.shape == (3, 2) and (rebuilt == 7).all()
    path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="unreadable"):
        rebuilt = cached_array(path, (3, 2), np.uint8, lambda out: out.fill(9))
    assert (rebuilt == 9).all()


def test_a_failed_build_leaves_nothing(tmp_path):
    def fail(out):
        raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError, match="renderer broke"):
        cached_array(tmp_path / "a.npy", (3,), np.uint8, fail)
    assert list(tmp_path.iterdir()) == []


def test_fill_in_chunks_covers_every_row():
    out = np.zeros(10, np.int64)
    fill_in_chunks(out, lambda rows: rows * 2, chunk=3)
    np.testing.assert_array_equal(out, np.arange(10) * 2)


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("DISENTANGLEMENT_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root(None) == tmp_path / "env"
    monkeypatch.delenv("DISENTANGLEMENT_DATA")
    assert data_root(None) == Path.home() / DEFAULT_ROOT.relative_to("~")
