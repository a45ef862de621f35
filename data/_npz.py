"""Stream one array out of a (compressed) `.npz` in chunks, so multi-GB members never sit in memory."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from data._errors import DataFormatError, unreadable

READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


class NpzMember:
    """An open array inside an `.npz`: its shape and dtype, copied out in chunks of items."""

    def __init__(self, path: Path, key: str, stream: BinaryIO) -> None:
        self.path, self.key, self._stream = path, key, stream
        version = np.lib.format.read_magic(stream)
        reader = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        self.shape, fortran_order, self.dtype = reader(stream)
        if fortran_order or self.dtype.hasobject:
            raise DataFormatError(f"{path}: member {key!r} is not a plain C-ordered array")

    def copy_into(
        self,
        out: np.ndarray,
        transform: Callable[[np.ndarray], np.ndarray] = lambda items: items,
        chunk: int = 4096,
    ) -> None:
        """Fill `out` [N, *item] with `transform(items)` chunk by chunk; the member must hold N items."""
        if int(np.prod(self.shape)) != out.size:
            raise DataFormatError(
                f"{self.path}: {self.key!r} has shape {list(self.shape)}, which does not hold "
                f"{out.shape[0]} items of shape {list(out.shape[1:])}"
            )
        item_bytes = int(np.prod(out.shape[1:])) * self.dtype.itemsize
        for start in range(0, out.shape[0], chunk):
            stop = min(start + chunk, out.shape[0])
            wanted = (stop - start) * item_bytes
            buffer = self._stream.read(wanted)
            if len(buffer) != wanted:
                raise DataFormatError(
                    f"{self.path}: {self.key!r} ends after {start} of {out.shape[0]} items "
                    "(truncated file); download it again"
                )
            out[start:stop] = transform(
                np.frombuffer(buffer, self.dtype).reshape((stop - start, *out.shape[1:]))
            )


@contextmanager
def open_npz_member(path: Path, key: str) -> Iterator[NpzMember]:
    """Open member `key` of the `.npz` at `path`; corrupt or truncated archives raise DataFormatError."""
    try:
        with zipfile.ZipFile(path) as archive:
            if f"{key}.npy" not in archive.namelist():
                raise DataFormatError(
                    f"{path} has no array {key!r} (found {sorted(archive.namelist())}); "
                    "is it the published file?"
                )
            with archive.open(f"{key}.npy") as stream:
                yield NpzMember(path, key, stream)
    except DataFormatError:
        raise
    except READ_ERRORS as err:
        raise unreadable(path, ".npz archive", err) from err
