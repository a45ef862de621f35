"""The paired timing comparison the benches report (bench/_paired.py): known answers on small cases."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))  # bench scripts import it flat

from _paired import paired_speed  # noqa: E402


def test_a_constant_ratio_gives_that_speed_and_an_interval_of_zero_width():
    result = paired_speed([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert result == {
        "paired_speed": 2.0,
        "paired_speed_low": 2.0,
        "paired_speed_high": 2.0,
        "share_of_rounds_faster": 1.0,
    }


def test_the_ratio_is_taken_within_rounds_so_load_shared_by_a_round_cancels():
    # Both contenders slow down together in rounds 2 and 3; within every round `timed` is 10% slower.
    reference = [0.050, 0.090, 0.070, 0.055]
    timed = [t * 1.1 for t in reference]
    result = paired_speed(reference, timed)
    assert result["paired_speed"] == pytest.approx(1 / 1.1)
    assert result["share_of_rounds_faster"] == 0.0
    assert result["paired_speed_high"] == pytest.approx(1 / 1.1)


def test_the_interval_brackets_the_median_and_is_reproducible():
    reference = [1.0] * 9
    timed = [0.8, 0.9, 1.0, 1.1, 1.2, 0.95, 1.05, 0.85, 1.15]
    result = paired_speed(reference, timed)
    assert result["paired_speed"] == pytest.approx(1.0)
    assert result["paired_speed_low"] < 1.0 < result["paired_speed_high"]
    assert result["share_of_rounds_faster"] == pytest.approx(4 / 9)
    assert paired_speed(reference, timed) == result


@pytest.mark.parametrize(("reference", "timed"), [([], []), ([1.0, 1.0], [1.0])])
def test_unpaired_or_empty_samples_are_refused(reference, timed):
    with pytest.raises(ValueError, match="same number"):
        paired_speed(reference, timed)
