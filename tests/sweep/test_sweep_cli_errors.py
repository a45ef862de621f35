"""Issue 19's cases that need no training, on the real CLI (subprocesses) and real Parquet stores.

Every expected problem ends in one line on stderr, a documented exit status and no traceback; a store is never
changed by a command that refuses.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import REPO, run_cli, sweep_env
from test_sweep_store import commit_all

from results_schema import committed_files
from sweep.driver import WARN_DEVICE_HOURS, _warn_if_long
from sweep.grid import expand_grid
from sweep.lock import LOCK_NAME
from sweep.packing import pack
from sweep.preflight import check_out_dir, size_text
from sweep.progress import Progress

TABLES = ("runs", "scores", "train_curves")


@pytest.fixture(scope="module")
def jobs():
    """8 real RunSpecs (beta_vae on dsprites, 2 strengths x 4 seeds) in 2 jobs of 4."""
    return pack(expand_grid(["grid.seeds=4", "grid.strengths={beta_vae:[1.0,4.0]}"])[1], 4)


def rows(store: Path) -> dict[str, int]:
    """Rows per table as pandas reads them (what an analyst sees)."""
    return {
        name: len(pd.read_parquet(store / name)) if committed_files(store, name) else 0 for name in TABLES
    }


def one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    message = result.stderr.strip()
    assert message.startswith("error: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("seed=abc", "seed must be a non-negative integer, got 'abc'"),
        ("seed=1.5", "seed must be a non-negative integer, got 1.5"),
        ("seed=-3", "seed must be a non-negative integer, got -3"),
        ("train.steps=0", "train.steps must be a positive integer, got 0"),
        ("train.batch_size=0", "train.batch_size must be a positive integer, got 0"),
        ("train.learning_rate=-0.0001", "train.learning_rate must be a positive finite number"),
        ("dataset=cars3d", "'cars3d' is unavailable"),
    ],
)
def test_train_refuses_bad_values_in_one_message(tmp_path, override, fragment):
    env = {**sweep_env(), "DISENTANGLEMENT_DATA": str(tmp_path / "data")}
    result = run_cli("train", f"out={tmp_path / 'out'}", "train.steps=5", override, env=env)
    one_line_error(result, 2, fragment)
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_train_on_a_corrupt_data_file_names_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz").write_bytes(b"PK\x03\x04 not a zip archive")
    env = {**sweep_env(), "DISENTANGLEMENT_DATA": str(data)}
    result = run_cli(
        "train",
        f"out={tmp_path / 'out'}",
        "train.steps=5",
        "dataset=dsprites",
        "dataset.procedural=false",
        env=env,
    )
    one_line_error(result, 1, "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz")


def test_plan_refuses_zero_steps():
    one_line_error(run_cli("plan", "train.steps=0"), 2, "train.steps must be a positive integer")


def test_status_of_a_directory_that_does_not_exist(tmp_path):
    one_line_error(run_cli("status", f"out={tmp_path / 'typo'}"), 2, "no sweep output at", "typo")


def test_preflight_prints_small_sizes_in_mib(tmp_path):
    assert size_text(20 * 2**20) == "20.0 MiB" and size_text(3.25 * 2**30) == "3.2 GiB"
    [message] = check_out_dir(tmp_path, 3, 2**60)
    assert "TiB needed" in message and "0.0 GiB" not in message


def test_run_warns_when_the_plan_exceeds_a_day(capsys):
    grid = ["grid.seeds=2"]  # 12 runs of 300,000 steps: days on a CPU
    _, runs = expand_grid(grid)
    _warn_if_long(pack(runs, 1), "cpu")
    warning = capsys.readouterr().err
    assert warning.startswith("warning: the 12 runs to do are planned at ") and "more than a day" in warning
    figure = float(warning.split("planned at ")[1].split(" device-hours")[0].replace(",", ""))
    assert figure > WARN_DEVICE_HOURS
    plan = json.loads(run_cli("plan", "--json", "launcher.platform=cpu", *grid).stdout)
    assert figure == pytest.approx(plan["estimated_device_hours"], abs=0.06)  # the plan's figure
    _, few = expand_grid(["grid.seeds=2", "train.steps=20"])
    _warn_if_long(pack(few, 1), "cpu")
    assert capsys.readouterr().err == ""


def test_progress_counts_steps_of_jobs_in_flight():
    from collections import Counter

    progress = Progress(4, 100, Counter(done=1), enabled=False)
    assert progress.steps == 100
    progress.in_flight({"a": (0.5, 2)})  # a job of two runs half trained
    assert progress.steps == 200
    progress.update(["done", "diverged"])
    assert progress.steps == 300 and progress.counts == Counter(done=2, diverged=1)
    progress.close()


def test_compact_refuses_a_corrupt_file_before_writing_anything(tmp_path, jobs):
    out = tmp_path / "out"
    store = out / "store"
    commit_all(store, jobs)
    victim = committed_files(store, "runs")[1]
    victim.write_bytes(b"not parquet at all")
    files = sorted(p.relative_to(store) for p in store.rglob("*"))
    result = run_cli("compact", f"out={out}")
    one_line_error(result, 1, str(victim), "corrupt")
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == files  # nothing written, nothing removed
    assert {name: len(committed_files(store, name)) for name in TABLES} == {n: 2 for n in TABLES}


def test_status_and_report_name_a_corrupt_scores_file(tmp_path, jobs):
    out = tmp_path / "out"
    store = out / "store"
    commit_all(store, jobs)
    victim = committed_files(store, "scores")[0]
    victim.write_bytes(victim.read_bytes()[:200])
    for command in ("status", "report"):
        one_line_error(run_cli(command, f"out={out}"), 1, str(victim), "corrupt")
    result = subprocess.run(
        [sys.executable, "-m", "analysis", str(store), str(tmp_path / "report")],
        cwd=REPO,
        env=sweep_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    one_line_error(result, 1, str(victim))


def test_analysis_on_a_missing_store_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "analysis", str(tmp_path / "nowhere"), str(tmp_path / "r")],
        cwd=REPO,
        env=sweep_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    one_line_error(result, 1, "no result store at")


def test_status_lists_incomplete_runs_and_exits_non_zero(tmp_path, jobs):
    out = tmp_path / "out"
    store = out / "store"
    commit_all(store, jobs)
    committed_files(store, "scores")[0].unlink()  # the documented fix for a corrupt scores file: move it out
    result = run_cli("status", f"out={out}")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "inconsistent: 4 run(s) recorded done have no scores rows" in result.stdout
    assert "rerun the sweep's `run` command" in result.stderr


def test_compact_refuses_an_inconsistent_store(tmp_path, jobs):
    out = tmp_path / "out"
    store = out / "store"
    commit_all(store, jobs)
    committed_files(store, "train_curves")[0].unlink()
    before = rows(store)
    one_line_error(run_cli("compact", f"out={out}"), 1, "have no train_curves rows", "nothing was changed")
    assert rows(store) == before and len(committed_files(store, "runs")) == 2


def test_a_full_disk_is_one_line_and_loses_nothing(tmp_path, jobs):
    out = tmp_path / "out"
    store = out / "store"
    commit_all(store, jobs)
    before = rows(store)
    # compact writes its journal first, under a temporary name: make that name a link to /dev/full (ENOSPC).
    names = sorted(p.name for p in committed_files(store, "runs"))
    merged_id = "compact-" + hashlib.sha256("|".join(names).encode()).hexdigest()[:16]
    (store / f".compact-dsprites-beta_vae-{merged_id}.json.tmp").symlink_to("/dev/full")
    result = run_cli("compact", f"out={out}")
    one_line_error(result, 1, "No space left on device", "nothing committed was lost")
    assert rows(store) == before and len(committed_files(store, "runs")) == 2


def hold_lock(out: Path) -> subprocess.Popen:
    """A process holding out's lock as `run` does, until killed; returns once it holds it."""
    code = (
        "import sys, time; from pathlib import Path; from sweep.lock import exclusive\n"
        "with exclusive(Path(sys.argv[1]), 'run'):\n    print('held', flush=True); time.sleep(300)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(out)], cwd=REPO, env=sweep_env(), stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_writer_is_refused_naming_the_holder_and_a_stale_lock_is_taken_over(tmp_path, jobs):
    out = tmp_path / "out"
    store = out / "store"
    commit_all(store, jobs)
    holder = hold_lock(out)
    try:
        before = rows(store)
        for command in ("run", "compact"):
            extra = ["train.steps=20", "grid.seeds=1"] if command == "run" else []
            result = run_cli(command, f"out={out}", *extra)
            one_line_error(result, 1, "is in use by `sweep run`", f"pid {holder.pid} on ")
        assert rows(store) == before and len(committed_files(store, "runs")) == 2
        status = run_cli("status", f"out={out}")  # readers need no lock
        assert status.returncode == 0 and "holds the lock" in status.stdout
        assert f"pid {holder.pid}" in status.stdout
    finally:
        holder.send_signal(signal.SIGKILL)  # a driver killed without releasing: its content stays
        holder.wait(timeout=30)
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == holder.pid
    assert "left the lock behind" in run_cli("status", f"out={out}").stdout
    result = run_cli("compact", f"out={out}")
    assert result.returncode == 0, result.stderr
    assert f"taking over the lock of {out} from `sweep run` (pid {holder.pid}" in result.stderr
    assert "no longer running" in result.stderr
    assert (out / LOCK_NAME).read_text() == ""  # released
    assert len(committed_files(store, "runs")) == 1 and rows(store) == before


def test_status_says_abandoned_when_a_jobs_pid_is_dead(tmp_path):
    out = tmp_path / "out"
    (out / "running").mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = __import__("socket").gethostname()
    for job_id, pid in (("dead", gone.pid), ("live", os.getpid())):
        marker = {
            "job_id": job_id,
            "pid": pid,
            "host": host,
            "started": time.time(),
            "runs": ["r1"],
            "step": 50,
            "total": 200,
        }
        (out / "running" / f"job-{job_id}.json").write_text(json.dumps(marker))
    result = run_cli("status", f"out={out}")
    assert result.returncode == 0, result.stderr
    assert f"job dead (1 runs) started on {host} pid {gone.pid}, step 50 of 200: abandoned" in result.stdout
    assert f"job live (1 runs) started on {host} pid {os.getpid()}, step 50 of 200: running" in result.stdout


def test_the_watchdog_ends_a_killed_drivers_ray_processes_only(tmp_path):
    import psutil

    sleeper = "import time; time.sleep(120)"
    code = (
        f"import subprocess, sys, time\n"
        f"for tag in ('ray::DashboardAgent', 'other'):\n"
        f"    subprocess.Popen([sys.executable, '-c', {sleeper!r}, tag], start_new_session=True)\n"
        f"time.sleep(120)\n"
    )
    driver = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=sweep_env())
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "sweep.watchdog", str(driver.pid)],
        cwd=REPO,
        env=sweep_env(),
        start_new_session=True,
    )
    children: dict[str, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 60
        while len(psutil.Process(driver.pid).children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        children = {" ".join(p.cmdline()).split()[-1]: p for p in psutil.Process(driver.pid).children()}
        time.sleep(8)  # the watchdog starts and lists the driver's processes every second
        driver.kill()  # SIGKILL: the driver cleans up nothing
        driver.wait(timeout=30)
        assert watchdog.wait(timeout=60) == 0
        assert not children["ray::DashboardAgent"].is_running()
        assert children["other"].is_running()  # not Ray's: left alone
    finally:
        for process in [driver, watchdog]:
            if process.poll() is None:
                process.kill()
        for process in children.values():
            if process.is_running():
                process.kill()
