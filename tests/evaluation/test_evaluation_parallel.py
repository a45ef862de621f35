"""The evaluation's process pool: started once and reused, replaced after a worker dies."""

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from evaluation.parallel import local_map


def worker_pid(_: object) -> int:
    return os.getpid()


def die_in_worker(_: object) -> None:
    os._exit(3)


def test_pool_is_reused_across_calls_and_replaced_after_a_worker_dies():
    pool_map = local_map(2)
    first = set(pool_map(worker_pid, range(6)))
    assert os.getpid() not in first and 1 <= len(first) <= 2
    assert set(local_map(2)(worker_pid, range(6))) <= first  # the same workers, no new spawn
    with pytest.raises(BrokenProcessPool):
        pool_map(die_in_worker, range(2))
    fresh = set(pool_map(worker_pid, range(6)))
    assert fresh and not fresh & first
