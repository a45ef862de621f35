"""`python -m analysis STORE OUT_DIR`: build the report of a result store without the sweep's machinery."""

from __future__ import annotations

import argparse
import sys

from analysis.report import build_report


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, build the report and print where it is and what could not be computed."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("store", help="the result store (a sweep's <out>/store directory)")
    parser.add_argument("out_dir", help="where to write tables/, figures/ and index.html")
    args = parser.parse_args(argv)
    summary = build_report(args.store, args.out_dir)
    print(
        f"report: {summary.html} ({len(summary.tables)} tables, {len(summary.figures)} figures, "
        f"{summary.runs_used} done runs)"
    )
    for line in summary.not_computed:
        print(f"not computed: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
