"""The sweep's progress bar: runs finished out of the grid, with done/diverged/failed counts and an ETA."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tqdm import tqdm


class Progress:
    """A tqdm bar over runs; runs recorded before this session count as finished from the start."""

    def __init__(self, total: int, recorded: Counter, enabled: bool = True) -> None:
        self.counts = Counter(recorded)
        self._bar = tqdm(total=total, initial=sum(recorded.values()), unit="run", dynamic_ncols=True,
                         disable=not enabled, desc="runs")
        self._show()

    def _show(self) -> None:
        self._bar.set_postfix({s: self.counts[s] for s in ("done", "diverged", "failed")}, refresh=True)

    def update(self, statuses: Iterable[str]) -> None:
        """Count the statuses of a committed job's runs and advance the bar."""
        statuses = list(statuses)
        self.counts.update(statuses)
        self._bar.update(len(statuses))
        self._show()

    def close(self) -> None:
        """Finish the bar's line."""
        self._bar.close()
