"""The sweep's entry point: `python -m sweep <train|plan|run|status|compact|report> [--json] [overrides]`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from results_schema import CorruptFileError, SchemaError
from sweep.errors import StoreError, SweepConfigError

USAGE = """usage: python -m sweep <command> [--json] [key=value ...]

commands:
  train    train one run         e.g. model=beta_vae model.beta=4 dataset=dsprites seed=0 train.steps=1000
  plan     show what a grid expands to and its estimated device-hours (--json for machine-readable output)
  run      run a grid (resumable) e.g. sweep=smoke out=demo_out
  status   summarize a results directory (--json)
  compact  merge each partition's small Parquet files without changing a row
  report   build the tables, figures and HTML report from the store

common keys: model=<objective> dataset=<name> seed=<int> sweep=<grid> train.steps=<int> out=<dir>
"""


def _out(overrides: Sequence[str]) -> Path:
    """The out= directory the overrides name (composing the config resolves its default)."""
    from sweep.config import compose_config

    return Path(compose_config(overrides).out).resolve()


def _emit(data: dict, text: Callable[[dict], str], as_json: bool) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text(data))


def cmd_plan(overrides: Sequence[str], as_json: bool) -> None:
    """Expand and pack the grid without running it; print the counts and the device-hour estimate."""
    from sweep.grid import expand_grid
    from sweep.launcher import replicas_per_job, resolve_platform, throughput
    from sweep.packing import pack
    from sweep.plan import render, summarize

    root, runs = expand_grid(overrides)
    platform = resolve_platform(root.launcher)
    replicas = replicas_per_job(root.launcher, platform)
    jobs = pack(runs, replicas)
    _emit(summarize(root, runs, jobs, platform, replicas, throughput(platform)), render, as_json)


def cmd_run(overrides: Sequence[str], as_json: bool) -> None:
    """Run the grid; print the final counts and where the results are."""
    from sweep.driver import run_sweep

    summary = run_sweep(overrides, show_progress=not as_json)
    _emit({"grid": summary.grid, "runs": summary.total, "by_status": summary.counts,
           "store": str(summary.store), "recovered_files": summary.recovered},
          lambda _: summary.render(), as_json)


def cmd_status(overrides: Sequence[str], as_json: bool) -> None:
    """Print what the results directory holds."""
    from sweep.status import render, store_status

    _emit(store_status(_out(overrides)), render, as_json)


def cmd_compact(overrides: Sequence[str], as_json: bool) -> None:
    """Compact the store: one file per table and partition, every row kept."""
    from dataclasses import asdict

    from sweep.store import compact

    report = asdict(compact(_out(overrides) / "store"))
    _emit(report, lambda r: "\n".join(f"{name}: {r['files_before'][name]} -> {r['files_after'][name]} files, "
                                      f"{r['rows'][name]} rows" for name in r["rows"]), as_json)


def cmd_train(overrides: Sequence[str], as_json: bool) -> None:
    """Train one run and print its summary."""
    from sweep.train_one import train_one

    result = train_one(overrides, show_progress=not as_json)
    _emit(result, lambda r: "\n".join(f"{k}: {v}" for k, v in r.items()), as_json)


def cmd_report(overrides: Sequence[str], as_json: bool) -> None:
    """Build the report from the store into out/report (with latent traversals of chosen runs)."""
    from analysis import build_report
    from sweep.config import compose_config
    from sweep.traversals import traversal_figures

    root = compose_config(overrides)
    out = Path(root.out).resolve()
    if not (out / "store").is_dir():
        raise SweepConfigError(f"no result store at {out / 'store'}; run a sweep with out={root.out} first")
    report = build_report(out / "store", out / "report",
                          extra_figures=traversal_figures(out, data_dir=root.data_dir))
    _emit({"report": str(report.html), "runs": report.runs_used, "not_computed": list(report.not_computed)},
          lambda r: "\n".join([f"report: {r['report']} ({r['runs']} runs)",
                               *(f"  not computed: {line}" for line in r["not_computed"])]), as_json)


COMMANDS: dict[str, Callable[[Sequence[str], bool], None]] = {
    "train": cmd_train, "plan": cmd_plan, "run": cmd_run, "status": cmd_status, "compact": cmd_compact,
    "report": cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch a command; configuration and store problems print one clear message and exit non-zero."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    if args[0] not in COMMANDS:
        print(f"error: unknown command {args[0]!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    as_json = "--json" in args[1:]
    unknown = [a for a in args[1:] if a.startswith("--") and a != "--json"]
    if unknown:
        print(f"error: unknown option(s) {unknown}; options: --json\n\n{USAGE}", file=sys.stderr)
        return 2
    overrides = [a for a in args[1:] if a != "--json"]
    try:
        COMMANDS[args[0]](overrides, as_json)
    except SweepConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (StoreError, CorruptFileError, SchemaError) as err:
        print(f"error: the result store cannot be trusted as is: {err}", file=sys.stderr)
        return 1
    return 0
