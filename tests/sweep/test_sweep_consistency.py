"""Issue 19 and 20.5 on real Ray, training and Parquet: a lost scores file is re-evaluated, failed runs give a
non-zero exit, Ctrl-C is one line, a killed driver leaves no process behind and its lock is taken over.

One tiny store (beta_vae, 2 seeds, 20 steps, MIG only) is trained once per module and copied for each case.
"""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from sweep_helpers import run_cli, start_cli, sweep_env

from results_schema import committed_files
from sweep.lock import LOCK_NAME

pytestmark = [pytest.mark.ray, pytest.mark.slow]
KEYS = {
    "runs": ["run_id"],
    "scores": ["run_id", "representation", "metric", "score"],
    "train_curves": ["run_id", "step"],
}


def grid(out: Path, cache: Path, *extra: str) -> list[str]:
    return [
        f"out={out}",
        f"compilation_cache={cache}",
        "grid.objectives=[beta_vae]",
        "grid.strengths={beta_vae:[4.0]}",
        "grid.seeds=2",
        "train.steps=20",
        "train.log_every=10",
        "metrics=small",
        "metrics.metrics=[mig]",
        "metrics.n_jobs=1",
        "heldout.observations=200",
        "launcher.num_cpus=2",
        *extra,
    ]


def table(store: Path, name: str) -> pd.DataFrame:
    if not committed_files(store, name):
        return pd.DataFrame(columns=KEYS[name])
    frame = pd.read_parquet(store / name)
    return frame.sort_values(KEYS[name]).reset_index(drop=True)


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr[-3000:]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, jax_cache) -> Path:
    out = tmp_path_factory.mktemp("trained") / "out"
    result = run_cli("run", *grid(out, jax_cache), timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 done" in result.stdout
    return out


def copy_of(trained: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(trained, out, ignore=shutil.ignore_patterns(LOCK_NAME))
    return out


def test_a_moved_corrupt_scores_file_is_re_evaluated_from_the_checkpoint(trained, tmp_path, jax_cache):
    out = copy_of(trained, tmp_path)
    store = out / "store"
    before = {name: table(store, name) for name in KEYS}
    victim = committed_files(store, "scores")[0]
    victim.write_bytes(victim.read_bytes()[:2000])
    for command in ("status", "run"):  # both read every scores file and name the corrupt one
        extra = grid(out, jax_cache)[1:] if command == "run" else []
        result = run_cli(command, f"out={out}", *extra, timeout=600)
        no_traceback(result)
        assert result.returncode == 1 and str(victim) in result.stderr and "corrupt" in result.stderr
    shutil.move(victim, tmp_path / "moved.parquet")  # the documented fix
    status = run_cli("status", f"out={out}")
    assert status.returncode == 3 and "1 run(s) recorded done have no scores rows" in status.stdout
    assert len(table(store, "scores")) == len(before["scores"]) // 2
    result = run_cli("run", *grid(out, jax_cache), timeout=600)
    no_traceback(result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 run(s) recorded done lack scores" in result.stdout and "2 done" in result.stdout
    for name, frame in before.items():  # every row back, the same values (evaluation is deterministic)
        after = table(store, name)
        columns = [
            c
            for c in frame.columns
            if c not in ("finished_at", "train_seconds", "eval_seconds", "job_id", "checkpoint_path")
        ]
        pd.testing.assert_frame_equal(after[columns], frame[columns])
    assert run_cli("status", f"out={out}").returncode == 0


def test_failed_runs_make_the_exit_status_non_zero(tmp_path, jax_cache):
    data = tmp_path / "data"
    data.mkdir()
    (data / "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz").write_bytes(b"PK\x03\x04 truncated")
    env = {**sweep_env(), "DISENTANGLEMENT_DATA": str(data)}
    out = tmp_path / "out"
    result = run_cli("run", *grid(out, jax_cache, "dataset.procedural=false"), env=env, timeout=600)
    no_traceback(result)
    assert result.returncode == 3, result.stderr[-3000:]
    assert "2 run(s) failed" in result.stderr and "rerun the same command to retry them" in result.stderr
    runs = table(out / "store", "runs")
    assert list(runs["status"]) == ["failed", "failed"]
    assert runs["error"].str.contains("dsprites_ndarray").all()


def ray_descendants(proc) -> list[psutil.Process]:
    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def wait_for_job(out: Path, proc, timeout: float = 600) -> None:
    """Until a job of this driver runs: a marker written after it started (the Ctrl-C case leaves its own)."""
    deadline = time.monotonic() + timeout
    started = psutil.Process(proc.pid).create_time()
    while not [m for m in (out / "running").glob("job-*.json") if m.stat().st_mtime > started]:
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "no job started"
        time.sleep(0.3)


def test_ctrl_c_then_sigkill_then_resume(tmp_path, jax_cache):
    out = tmp_path / "out"
    overrides = grid(out, jax_cache, "launcher.num_cpus=1")  # one job at a time: the second waits
    # Ctrl-C: one line, exit 130, Ray shut down.
    driver = start_cli("run", *overrides)
    wait_for_job(out, driver)
    children = ray_descendants(driver)
    driver.send_signal(signal.SIGINT)
    output, _ = driver.communicate(timeout=120)
    assert driver.returncode == 130, output[-3000:]
    assert output.rstrip().splitlines()[-1] == "interrupted; rerun the same command to resume"
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, [command_line(p)[:80] for p in alive]
    assert (out / LOCK_NAME).read_text() == ""  # released

    # SIGKILL: the watchdog ends Ray's processes (agents included); the lock stays, naming the dead driver.
    driver = start_cli("run", *overrides)
    wait_for_job(out, driver)
    time.sleep(2)  # the watchdog lists the driver's processes every second
    children = ray_descendants(driver)
    assert any("raylet" in command_line(p) for p in children)
    psutil.Process(driver.pid).kill()
    driver.wait(timeout=30)
    _, alive = psutil.wait_procs([p for p in children if "sweep.watchdog" not in command_line(p)], timeout=30)
    left = [command_line(p)[:80] for p in alive]
    for process in alive:  # the test cleans up what the watchdog missed, then fails
        process.kill()
    assert not left, left
    status = run_cli("status", f"out={out}")
    assert status.returncode == 0 and "left the lock behind" in status.stdout
    assert "abandoned (its process is gone" in status.stdout or not list((out / "running").glob("*.json"))

    result = run_cli("run", *overrides, timeout=900)
    no_traceback(result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"taking over the lock of {out}" in result.stderr and "no longer running" in result.stderr
    runs = table(out / "store", "runs")
    assert len(runs) == 2 and set(runs["status"]) == {"done"} and runs["run_id"].is_unique
