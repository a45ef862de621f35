"""The sweep's entry point: `python -m sweep <train|plan|run|status|compact|report> [--json] [overrides]`."""

from __future__ import annotations

import errno
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from results_schema import CorruptFileError, SchemaError
from sweep.errors import ExecutorError, RunsFailedError, StoreError, StoreLockedError, SweepConfigError

USAGE = """usage: python -m sweep <command> [--json] [key=value ...]

commands:
  train    train one run         e.g. model=beta_vae model.strength=4 dataset=dsprites seed=0 train.steps=1000
  plan     show what a grid expands to and its estimated device-hours (--json for machine-readable output)
  run      run a grid (resumable) e.g. sweep=smoke out=demo_out
  status   summarize a results directory (--json)
  compact  merge each partition's small Parquet files without changing a row
  report   build the tables, figures and HTML report from the store

common keys: model=<objective> dataset=<name> seed=<int> sweep=<grid> train.steps=<int> out=<dir>

exit status: 0 success (run: every run of the grid recorded done or diverged); 1 the store, a data file or
the disk failed (one line says which); 2 bad command line or configuration; 3 run ended with failed
runs (rerun to retry them) or status found an inconsistent store; 130 interrupted (rerun the same
command to resume)
"""

EXIT_STORE, EXIT_CONFIG, EXIT_RUNS_FAILED, EXIT_INTERRUPTED = 1, 2, 3, 130


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
    _emit(
        {
            "grid": summary.grid,
            "runs": summary.total,
            "by_status": summary.counts,
            "store": str(summary.store),
            "recovered_files": summary.recovered,
            "reevaluated": summary.reevaluated,
            "complete": summary.complete,
        },
        lambda _: summary.render(),
        as_json,
    )
    failed = summary.counts.get("failed", 0)
    if failed:
        raise RunsFailedError(
            f"{failed} run(s) failed (`python -m sweep status out=...` shows why); "
            "rerun the same command to retry them"
        )


def cmd_status(overrides: Sequence[str], as_json: bool) -> None:
    """Print what the results directory holds."""
    from sweep.status import render, store_status

    status = store_status(_out(overrides))
    _emit(status, render, as_json)
    if status["problems"]:
        raise RunsFailedError(
            "the store breaks its consistency rules (listed above); rerun the sweep's "
            "`run` command to repair it"
        )


def cmd_compact(overrides: Sequence[str], as_json: bool) -> None:
    """Compact the store: one file per table and partition, every row kept."""
    from dataclasses import asdict

    from sweep.lock import exclusive
    from sweep.store import compact

    out = _out(overrides)
    if not (out / "store").is_dir():
        raise SweepConfigError(f"no result store at {out / 'store'} (check out=)")
    with exclusive(out, "compact"):
        report = asdict(compact(out / "store"))
    _emit(
        report,
        lambda r: "\n".join(
            f"{name}: {r['files_before'][name]} -> {r['files_after'][name]} files, {r['rows'][name]} rows"
            for name in r["rows"]
        ),
        as_json,
    )


def cmd_train(overrides: Sequence[str], as_json: bool) -> None:
    """Train one run and print its summary."""
    from sweep.train_one import train_one

    result = train_one(overrides, show_progress=not as_json)
    _emit(result, lambda r: "\n".join(f"{k}: {v}" for k, v in r.items()), as_json)


def cmd_report(overrides: Sequence[str], as_json: bool) -> None:
    """Build the report from the store into out/report (with latent traversals of chosen runs)."""
    from analysis import build_report
    from sweep.config import compose_config
    from sweep.store import check_store
    from sweep.traversals import traversal_figures

    root = compose_config(overrides)
    out = Path(root.out).resolve()
    if not (out / "store").is_dir():
        raise SweepConfigError(f"no result store at {out / 'store'}; run a sweep with out={root.out} first")
    for problem in check_store(out / "store").problems():  # corrupt files raise here, named
        print(
            f"warning: {problem}; the report leaves these runs' missing rows out (a rerun of the sweep's "
            "`run` command re-evaluates them)",
            file=sys.stderr,
        )
    report = build_report(
        out / "store", out / "report", extra_figures=traversal_figures(out, data_dir=root.data_dir)
    )
    _emit(
        {"report": str(report.html), "runs": report.runs_used, "not_computed": list(report.not_computed)},
        lambda r: "\n".join(
            [
                f"report: {r['report']} ({r['runs']} runs)",
                *(f"  not computed: {line}" for line in r["not_computed"]),
            ]
        ),
        as_json,
    )


COMMANDS: dict[str, Callable[[Sequence[str], bool], None]] = {
    "train": cmd_train,
    "plan": cmd_plan,
    "run": cmd_run,
    "status": cmd_status,
    "compact": cmd_compact,
    "report": cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch a command; every expected problem prints one line (no traceback) and exits non-zero."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else EXIT_CONFIG
    if args[0] not in COMMANDS:
        print(f"error: unknown command {args[0]!r}\n\n{USAGE}", file=sys.stderr)
        return EXIT_CONFIG
    as_json = "--json" in args[1:]
    unknown = [a for a in args[1:] if a.startswith("--") and a != "--json"]
    if unknown:
        print(f"error: unknown option(s) {unknown}; options: --json\n\n{USAGE}", file=sys.stderr)
        return EXIT_CONFIG
    overrides = [a for a in args[1:] if a != "--json"]
    code, message = _dispatch(args[0], overrides, as_json)
    if message:
        print(message, file=sys.stderr, flush=True)
    return code


def _dispatch(command: str, overrides: list[str], as_json: bool) -> tuple[int, str | None]:
    """Run one command; map the errors users can meet to (exit status, one-line message)."""
    previous = _terminate_as_interrupt()
    try:
        COMMANDS[command](overrides, as_json)
    except KeyboardInterrupt:
        resume = command in ("run", "train", "compact")
        return EXIT_INTERRUPTED, "interrupted" + ("; rerun the same command to resume" if resume else "")
    except SweepConfigError as err:
        return EXIT_CONFIG, f"error: {err}"
    except RunsFailedError as err:
        return EXIT_RUNS_FAILED, f"error: {err}"
    except (StoreError, CorruptFileError, SchemaError) as err:
        return EXIT_STORE, f"error: the result store cannot be trusted as is: {err}"
    except (StoreLockedError, ExecutorError) as err:
        return EXIT_STORE, f"error: {err}"
    except Exception as err:
        data_errors = _data_errors()
        if isinstance(err, data_errors[0]):  # unavailable: the message says where to get the files
            return EXIT_CONFIG, f"error: {err}"
        if isinstance(err, data_errors[1]):  # a data file that is truncated or corrupt
            return EXIT_STORE, f"error: {err}"
        if not isinstance(err, OSError):
            raise
        return EXIT_STORE, f"error: {_os_error(err)}"
        return EXIT_STORE, f"error: {_os_error(err)}"
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0, None


def _data_errors() -> tuple[type, type]:
    """The data layer's (DatasetUnavailableError, DataFormatError), if it was imported (it imports JAX)."""
    module = sys.modules.get("data._errors")
    if module is None:
        return (), ()
    return module.DatasetUnavailableError, module.DataFormatError


def _os_error(err: OSError) -> str:
    """An OSError as one line: what failed, on which file, and what to do about a full disk."""
    where = f" ({err.filename})" if err.filename else ""
    text = f"{err.strerror}{where}" if err.strerror else str(err)
    if err.errno == errno.ENOSPC:
        text += (
            "; nothing committed was lost (files are written under temporary names and renamed). "
            "Free space or choose another out=, then rerun the same command"
        )
    return text


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _terminate_as_interrupt():
    """Make SIGTERM end a command as Ctrl-C does (cleanup runs, one line); returns the previous handler."""
    try:
        return signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread (a test calling main)
        return None
