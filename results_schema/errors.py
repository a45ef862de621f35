"""Errors raised for tables that break their schema and for store files that cannot be read."""

from __future__ import annotations

from pathlib import Path


class SchemaError(ValueError):
    """A table breaks its declared schema; `column` names the column at fault, `path` the file if known."""

    def __init__(self, message: str, column: str | None = None, path: Path | None = None) -> None:
        where = f"{path}: " if path is not None else ""
        super().__init__(where + message)
        self.column = column
        self.path = path


class CorruptFileError(OSError):
    """A committed Parquet file in the store cannot be read; `path` names it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"{path}: corrupt or unreadable Parquet file ({reason}). Move it out of the store (or delete it) "
            f"and rerun the sweep so the job that wrote it runs again."
        )
        self.path = path
