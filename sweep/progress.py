"""The sweep's progress bar: training steps over the whole grid, with the runs' outcomes and an ETA.

A run recorded by an earlier session counts as all its steps from the start; a committed job adds all its
runs' steps; a job in flight adds the steps its worker last wrote to its marker file (every 2 s of training),
so the bar moves from the first step of the first job. Steps are `train.steps` per run (a diverged or failed
run counts in full once recorded). The ETA is tqdm's, from the average rate since this session started
(smoothing 0), which includes the first compilation and settles as jobs go on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from tqdm import tqdm

OUTCOMES = ("done", "diverged", "failed")


class Progress:
    """A tqdm bar over the grid's training steps; finished runs and their outcomes in the postfix."""

    def __init__(self, total_runs: int, steps_per_run: int, recorded: Counter, enabled: bool = True) -> None:
        self.counts = Counter(recorded)
        self.total_runs, self._steps = total_runs, max(1, int(steps_per_run))
        self._finished = sum(recorded.values()) * self._steps
        self.steps, self.total_steps = self._finished, total_runs * self._steps  # shown, and the grid's
        self._bar = tqdm(
            total=self.total_steps,
            initial=self._finished,
            unit="step",
            unit_scale=self.total_steps >= 100_000,
            dynamic_ncols=True,
            disable=not enabled,
            desc="steps",
            smoothing=0,
        )
        self._show()

    def _show(self) -> None:
        runs = sum(self.counts[s] for s in OUTCOMES)
        self._bar.set_postfix_str(
            f"runs {runs}/{self.total_runs}: " + ", ".join(f"{s}={self.counts[s]}" for s in OUTCOMES),
            refresh=True,
        )

    def _advance(self, steps: float) -> None:
        target = min(self.total_steps, steps)
        if target > self.steps:
            self._bar.update(target - self.steps)
            self.steps = target

    def update(self, statuses: Iterable[str]) -> None:
        """Count the statuses of a committed job's runs and add their steps."""
        statuses = list(statuses)
        self.counts.update(statuses)
        self._finished += len(statuses) * self._steps
        self._advance(self._finished)
        self._show()

    def in_flight(self, fractions: Mapping[str, tuple[float, int]]) -> None:
        """Show jobs in flight: job_id -> (fraction of training done, runs in the job)."""
        self._advance(self._finished + sum(f * n * self._steps for f, n in fractions.values()))

    def close(self) -> None:
        """Finish the bar's line."""
        self._bar.close()
