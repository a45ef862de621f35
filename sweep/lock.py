"""One writer per out= directory: `run` and `compact` hold an exclusive lock on `<out>/sweep.lock`.

The lock is an `flock` on that file, taken atomically by the kernel and released by it when the holder exits,
however it exits; the file's content names the holder (host, pid, command, start time) for the messages. A
second writer is refused naming the holder. A lock file still naming a process that is gone (a driver killed
with SIGKILL, whose flock the kernel released) is taken over with a line saying so. Readers (`status`,
`report`, DuckDB, pandas) never take it: committed files are complete, whatever a writer is doing.

On a shared file system whose locks do not work across hosts (an NFS mount with `nolock`), the content is the
second line of defence: a lock file naming a live process on this host, or a process on another host, is
refused even when flock succeeds; delete the file by hand once that driver is known to be gone.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psutil

from sweep.errors import StoreLockedError

LOCK_NAME = "sweep.lock"


def lock_path(out: Path) -> Path:
    """The lock file of an out= directory."""
    return Path(out) / LOCK_NAME


def read_holder(out: Path) -> dict | None:
    """What the lock file says about its holder (host, pid, command, started), or None when it is empty."""
    try:
        text = lock_path(out).read_text()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        holder = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return {"host": "?", "pid": None, "command": "?", "started": None}
    return holder if isinstance(holder, dict) else None


def describe(holder: dict | None) -> str:
    """`sweep run` (pid 123 on host, started 2025-01-02 10:11:12) for messages."""
    if not holder:
        return "a process that is just starting (it has not written its name yet)"
    started = holder.get("started")
    when = datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M:%S") if started else "?"
    command, pid, host = holder.get("command"), holder.get("pid"), holder.get("host")
    return f"`sweep {command}` (pid {pid} on {host}, started {when})"


def holder_alive(holder: dict) -> bool | None:
    """Whether the holder's process still runs: True/False on this host, None (unknown) on another."""
    if holder.get("host") != socket.gethostname():
        return None
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return None
    try:
        process = psutil.Process(pid)
        started = holder.get("process_started")
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.NoSuchProcess:
        return False


@contextmanager
def exclusive(out: Path, command: str) -> Iterator[None]:
    """Hold the out= directory's lock for the duration; raise StoreLockedError naming another holder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = lock_path(out)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by the processes the driver starts
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            time.sleep(0.2)  # a holder that just took it writes its name right after
            raise StoreLockedError(
                f"{out} is in use by {describe(read_holder(out))}; one `run` or `compact` at a time may "
                f"write to an out= directory. Wait for it to end, or stop it and rerun (status and report "
                f"need no lock)"
            ) from None
        previous = read_holder(out)
        if previous and previous.get("pid") != os.getpid():
            alive = holder_alive(previous)
            if alive is not False:
                where = "is still running" if alive else "may still be running on another host"
                raise StoreLockedError(
                    f"{out} is in use by {describe(previous)}, which {where} (its lock is not held: the file "
                    f"system may not support locks). If that driver is gone, delete {path} and rerun"
                )
            print(
                f"taking over the lock of {out} from {describe(previous)}, which is no longer running",
                file=sys.stderr,
                flush=True,
            )
        me = psutil.Process()
        _rewrite(
            fd,
            json.dumps(
                {
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "command": command,
                    "started": time.time(),
                    "process_started": me.create_time(),
                }
            ),
        )
        try:
            yield
        finally:
            _rewrite(fd, "")
    finally:
        os.close(fd)  # releases the flock


def _rewrite(fd: int, text: str) -> None:
    """Replace the lock file's content (flushed, so another host reads it)."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)
    os.fsync(fd)
