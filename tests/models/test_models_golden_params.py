"""The compiled step computes what it computed before a refactor: parameters after 20 steps, to 1e-6.

The golden file was written by `golden_params.py` on the code before models/ was reorganized; the leaf paths
must match too, so checkpoints written before still restore.
"""

import json

import numpy as np
import pytest
from golden_params import GOLDEN_FILE, fingerprint, trained_params

from models import OBJECTIVES

GOLDEN = json.loads(GOLDEN_FILE.read_text())


def test_the_golden_file_covers_every_objective():
    assert sorted(GOLDEN) == sorted(OBJECTIVES)


@pytest.mark.slow
@pytest.mark.parametrize("objective", sorted(GOLDEN))
def test_parameters_after_20_steps_equal_the_golden_ones(objective):
    now, before = fingerprint(trained_params(objective)), GOLDEN[objective]
    assert sorted(now) == sorted(before), "the parameter tree changed: checkpoints would no longer restore"
    for path, leaf in before.items():
        assert now[path]["shape"] == leaf["shape"], path
        np.testing.assert_allclose(now[path]["values"], leaf["values"], atol=1e-6, rtol=0, err_msg=path)
