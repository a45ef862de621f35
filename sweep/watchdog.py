"""`python -m sweep.watchdog PID`: when the driver PID dies, end the Ray processes it had started.

An embedded Ray's GCS and raylet die with the driver (Ray ties them to it), but Ray's DashboardAgent and
RuntimeEnvAgent poll for their parent and linger 60-150 s after a SIGKILL, and a worker may outlive its raylet
for a moment. This watchdog, started by `run` in its own session, lists the driver's descendants that belong
to Ray (their command line mentions `ray`) every `INTERVAL` seconds while the driver lives. Once the driver is
gone, or when the driver sends SIGUSR1 after its own `ray.shutdown()`, it sends SIGTERM to each of them still
running (matched by pid and start time, so a reused pid is never hit), SIGKILL 5 s later, and exits.
A process started and orphaned within the last interval before the driver died is missed, and a SIGKILL of
the watchdog itself (or of the driver's whole process group) leaves the agents to Ray's own timeout.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import psutil

INTERVAL = 1.0


def watch(pid: int, interval: float = INTERVAL) -> int:
    """Watch `pid` until it exits; then end its recorded descendants. Returns how many were still running."""
    try:
        driver = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return 0
    known: dict[int, psutil.Process] = {}
    me = os.getpid()
    asked = []
    signal.signal(signal.SIGUSR1, lambda *_: asked.append(True))
    while not asked:
        try:
            if not driver.is_running() or driver.status() == psutil.STATUS_ZOMBIE:
                break
            for child in driver.children(recursive=True):
                if child.pid != me and child.pid not in known and _is_ray(child):
                    known[child.pid] = child
        except psutil.NoSuchProcess:
            break
        time.sleep(interval)
    alive = []
    for process in known.values():
        try:
            if process.is_running():  # pid and start time: a reused pid is a different process
                process.terminate()
                alive.append(process)
        except psutil.Error:
            pass
    _, left = psutil.wait_procs(alive, timeout=5)
    for process in left:
        try:
            process.kill()
        except psutil.Error:
            pass
    return len(alive)


def _is_ray(process: psutil.Process) -> bool:
    """Whether a process is one of Ray's (GCS, raylet, agents, workers): `ray` in its command line."""
    try:
        return "ray" in " ".join(process.cmdline()).lower()
    except psutil.Error:
        return False


def main(argv: list[str]) -> int:
    """Entry point: one argument, the driver's pid."""
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m sweep.watchdog PID", file=sys.stderr)
        return 2
    try:
        os.nice(10)
    except OSError:
        pass
    watch(int(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
