"""Paired comparison of timings taken in turns: per-round speed ratios, their median and a bootstrap interval.

On the shared 2-core machines a step's time moves by 10-25% from one second to the next, more than the
differences worth measuring. Two contenders timed back to back in the same round see nearly the same load,
so the ratio of their times within each round cancels most of it; the median of those ratios, with a
bootstrap interval over the rounds, says whether a difference is larger than what remains of the noise.
"""

from __future__ import annotations

import random
import statistics


def paired_speed(reference: list[float], timed: list[float], resamples: int = 2000) -> dict[str, float]:
    """How much faster `timed` ran than `reference`, round by round (ratios reference / timed > 1: faster).

    Returns the median ratio, the 95% percentile-bootstrap interval of that median (resampling rounds;
    seeded, so the same samples give the same interval) and the share of rounds in which `timed` was faster.
    """
    if len(reference) != len(timed) or not timed:
        raise ValueError(f"need the same number (> 0) of rounds, got {len(reference)} and {len(timed)}")
    ratios = [ref / t for ref, t in zip(reference, timed, strict=True)]
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(resamples))
    return {
        "paired_speed": statistics.median(ratios),
        "paired_speed_low": medians[int(0.025 * resamples)],
        "paired_speed_high": medians[int(0.975 * resamples) - 1],
        "share_of_rounds_faster": sum(ratio > 1 for ratio in ratios) / len(ratios),
    }
