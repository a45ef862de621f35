"""Subprocess of the kill/resume test: trains RUN_A under the given checkpoint root, slowing down after its
first checkpoint so that the parent can SIGKILL it mid-run."""

import sys
import time
from pathlib import Path

from training_fixtures import RUN_A, SMALL_CONFIG, TinyGroundTruth

from models import train_replicas


def slow_after_first_checkpoint(done: int, total: int) -> None:
    if done >= SMALL_CONFIG.checkpoint_every:
        time.sleep(3.0)


if __name__ == "__main__":
    train_replicas(
        TinyGroundTruth(),
        "beta_vae",
        [RUN_A],
        SMALL_CONFIG,
        Path(sys.argv[1]),
        progress=slow_after_first_checkpoint,
    )
