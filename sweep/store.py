"""The sweep's side of the Parquet result store: commit a job's rows, recover interrupted writes, compact.

Layout and schemas belong to `results_schema`; this module adds the protocol that keeps the store trustworthy
when a driver is killed at any instant:
- a job writes `scores` and `train_curves` first and `runs` last; the `runs` file is the commit record, so
  data files whose job has no `runs` file are leftovers of an interrupted commit and `recover` removes them;
- every file is written under a dot-prefixed temporary name and renamed (`results_schema.write_table`);
- `compact` journals what it merges, so an interrupted compaction is finished or rolled back by `recover`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from results_schema import (
    RUNS_SCHEMA,
    CorruptFileError,
    committed_files,
    file_schema,
    job_path,
    read_table,
    write_table,
)
from sweep.errors import StoreError

COMMIT_TABLE = "runs"
DATA_TABLES = ("scores", "train_curves")
WRITE_ORDER = (*DATA_TABLES, COMMIT_TABLE)
TEMP_GLOB = "*/dataset=*/objective=*/.*.inprogress"
JOURNAL_GLOB = ".compact-*.json"


def commit_job(root: Path, dataset: str, objective: str, job_id: str, tables: Mapping[str, pa.Table],
               recorded: set[str]) -> None:
    """Write one job's rows: data tables first, `runs` last (the commit record); empty ones are skipped.

    `recorded` holds the run_ids already in the store; a job that would record one of them again is refused
    (run_id is unique across the store), and on success its run_ids are added to the set.
    """
    run_ids = tables[COMMIT_TABLE].column("run_id").to_pylist()
    if not run_ids:
        raise StoreError(f"job {job_id} has no runs rows to commit")
    again = sorted(recorded.intersection(run_ids))
    if again:
        raise StoreError(f"job {job_id} would record run(s) {again[:3]} a second time; each run_id is "
                         "recorded once. Is a second sweep writing to the same out= directory?")
    for name in WRITE_ORDER:
        if tables[name].num_rows:
            write_table(root, name, tables[name], dataset=dataset, objective=objective, job_id=job_id)
    recorded.update(run_ids)


def temp_files(root: Path) -> list[Path]:
    """Temporary files of interrupted writes (never read; removed by `recover`)."""
    return sorted(Path(root).glob(TEMP_GLOB))


def orphan_files(root: Path) -> list[Path]:
    """Committed `scores`/`train_curves` files whose job has no `runs` file: an interrupted commit."""
    committed = {(p.parent.parent.name, p.parent.name, p.name) for p in committed_files(root, COMMIT_TABLE)}
    return [p for name in DATA_TABLES for p in committed_files(root, name)
            if (p.parent.parent.name, p.parent.name, p.name) not in committed]


def recover(root: Path) -> list[Path]:
    """Make the store consistent after a crash: settle compaction journals, drop temp and orphan files.

    Returns the paths removed. Called by `run` and `compact` before they write.
    """
    removed = []
    for journal in sorted(Path(root).glob(JOURNAL_GLOB)):
        removed += _settle_compaction(Path(root), journal)
    for path in [*temp_files(root), *orphan_files(root)]:
        path.unlink()
        removed.append(path)
    return removed


def recorded_runs(root: Path) -> pa.Table:
    """The committed `runs` table (validated; a corrupt or foreign file raises naming it)."""
    if not Path(root).is_dir():
        return RUNS_SCHEMA.empty_table()
    return read_table(root, COMMIT_TABLE)


def retire_runs(root: Path, run_ids: set[str]) -> int:
    """Remove the `runs` rows of `run_ids` (failed runs about to be retried); returns how many were removed.

    Each affected job's `runs` file is rewritten without them, or deleted when nothing is left; failed runs
    have no scores or curves, so the job's data files stay consistent.
    """
    removed = 0
    for path in committed_files(root, COMMIT_TABLE):
        rows = _read_file(path, COMMIT_TABLE)
        keep = pa.array([r not in run_ids for r in rows.column("run_id").to_pylist()], pa.bool_())
        kept = rows.filter(keep)
        if kept.num_rows == rows.num_rows:
            continue
        removed += rows.num_rows - kept.num_rows
        if kept.num_rows == 0:
            path.unlink()
        else:
            dataset, objective = _partition(path)
            write_table(root, COMMIT_TABLE, _with_partition(kept, dataset, objective), dataset=dataset,
                        objective=objective, job_id=_job_id(path))
    return removed


@dataclass(frozen=True)
class CompactionReport:
    """What `compact` did: files before and after, per table, and the rows it carried over."""

    files_before: dict[str, int]
    files_after: dict[str, int]
    rows: dict[str, int]


def compact(root: Path) -> CompactionReport:
    """Merge each partition's job files into one file per table, without changing, adding or losing a row."""
    root = Path(root)
    recover(root)
    before = {name: len(committed_files(root, name)) for name in WRITE_ORDER}
    rows = {name: 0 for name in WRITE_ORDER}
    partitions = sorted({_partition(p) for p in committed_files(root, COMMIT_TABLE)})
    for dataset, objective in partitions:
        sources = {name: [p for p in committed_files(root, name) if _partition(p) == (dataset, objective)]
                   for name in WRITE_ORDER}
        if len(sources[COMMIT_TABLE]) > 1:
            _compact_partition(root, dataset, objective, sources)
    for name in WRITE_ORDER:
        rows[name] = sum(pq.ParquetFile(p).metadata.num_rows for p in committed_files(root, name))
    return CompactionReport(before, {name: len(committed_files(root, name)) for name in WRITE_ORDER}, rows)


def _compact_partition(root: Path, dataset: str, objective: str, sources: dict[str, list[Path]]) -> None:
    """Merge one partition's files under a journal: merged files first (runs last), then the sources go."""
    names = sorted(p.name for p in sources[COMMIT_TABLE])
    merged_id = "compact-" + hashlib.sha256("|".join(names).encode()).hexdigest()[:16]
    journal = root / f".compact-{dataset}-{objective}-{merged_id}.json"
    listed = {name: [str(p.relative_to(root)) for p in paths] for name, paths in sources.items()}
    _write_atomic(journal, {"dataset": dataset, "objective": objective, "merged_id": merged_id,
                            "sources": listed})
    for name in WRITE_ORDER:
        if sources[name]:
            merged = pa.concat_tables([_read_file(p, name) for p in sources[name]])
            write_table(root, name, _with_partition(merged, dataset, objective), dataset=dataset,
                        objective=objective, job_id=merged_id)
    _settle_compaction(root, journal)


def _settle_compaction(root: Path, journal: Path) -> list[Path]:
    """Finish a journaled compaction whose merged `runs` file exists (drop sources), else roll it back."""
    entry = json.loads(journal.read_text())
    merged = {name: job_path(root, name, entry["dataset"], entry["objective"], entry["merged_id"])
              for name in WRITE_ORDER}
    if merged[COMMIT_TABLE].exists():
        doomed = [root / p for ps in entry["sources"].values() for p in ps]
        doomed = [p for p in doomed if p not in merged.values()]
    else:
        doomed = list(merged.values())
    removed = [p for p in doomed if p.exists()]
    for path in removed:
        path.unlink()
    journal.unlink()
    return removed


def _read_file(path: Path, name: str) -> pa.Table:
    """One committed file's rows with the table's file schema; a file that cannot be read raises naming it."""
    try:
        return pq.read_table(path, schema=file_schema(name))
    except (OSError, pa.ArrowException) as err:
        raise CorruptFileError(path, str(err)) from err


def _with_partition(rows: pa.Table, dataset: str, objective: str) -> pa.Table:
    """Rows of one partition's file with the partition columns added back (what write_table expects)."""
    n = rows.num_rows
    return rows.append_column("dataset", pa.array([dataset] * n, pa.string())).append_column(
        "objective", pa.array([objective] * n, pa.string()))


def _partition(path: Path) -> tuple[str, str]:
    """(data set, objective) of a store file, from its hive directory names."""
    return path.parent.parent.name.split("=", 1)[1], path.parent.name.split("=", 1)[1]


def _job_id(path: Path) -> str:
    """The job id in a committed file name `job-<id>.parquet`."""
    return path.name.removeprefix("job-").removesuffix(".parquet")


def _write_atomic(path: Path, content: dict) -> None:
    """Write a small JSON file under a temporary name and rename it into place."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(content))
    os.replace(temporary, path)
