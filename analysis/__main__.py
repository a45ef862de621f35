"""`python -m analysis STORE OUT_DIR`: build the report of a result store without the sweep's machinery."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.report import build_report, checkpoints_on_disk
from results_schema import CorruptFileError, SchemaError, read_table


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, build the report and print where it is and what could not be computed.

    A missing, corrupt or foreign store (and any other OSError, e.g. a full disk) prints one line naming the
    problem and exits 1, without a traceback.
    """
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("store", help="the result store (a sweep's <out>/store directory)")
    parser.add_argument("out_dir", help="where to write tables/, figures/ and index.html")
    parser.add_argument(
        "--traversal",
        action="append",
        default=[],
        metavar="RUN_ID",
        help="also draw this run's latent traversals (repeatable); the report picks the best and worst run "
        "by FactorVAE score per data set. Drawn only where a run's final checkpoint is on disk.",
    )
    parser.add_argument("--no-traversals", action="store_true", help="read no checkpoint (Parquet only)")
    args = parser.parse_args(argv)
    try:
        summary = build_report(args.store, args.out_dir, *_traversals(args))
    except (CorruptFileError, SchemaError) as err:
        print(f"error: the result store cannot be trusted as is: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # FileNotFoundError for a missing store, ENOSPC, permissions
        where = f" ({err.filename})" if err.filename and str(err.filename) not in str(err) else ""
        print(f"error: {err.strerror + where if err.strerror and err.filename else err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(
        f"report: {summary.html} ({len(summary.tables)} tables, {len(summary.figures)} figures, "
        f"{summary.runs_used} done runs)"
    )
    for line in summary.not_computed:
        print(f"not computed: {line}")
    return 0


def _traversals(args: argparse.Namespace) -> tuple[list, str | None]:
    """(figures, note) of the latent traversals: drawn (JAX is imported only then) where done runs have
    checkpoints on disk and --no-traversals is not given."""
    if args.no_traversals:
        return [], "--no-traversals was given"
    if checkpoints_on_disk(read_table(args.store, "runs").to_pandas()) == 0:
        return [], None  # the report says that no checkpoint is on disk
    from sweep.traversals import traversal_report

    return traversal_report(
        None, run_ids=args.traversal, store=args.store, target=Path(args.out_dir) / "traversals"
    )


if __name__ == "__main__":
    sys.exit(main())
