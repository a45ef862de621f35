"""Each objective lowers its loss within 150 updates on procedural dSprites (a fixed subset of it)."""

import jax
import numpy as np
import pytest

import data
from models import OBJECTIVES, ReplicaSpec, TrainConfig, train_replicas


class DspritesSubset:
    """2,048 fixed rows of procedural dSprites with the data set's own observation function."""

    def __init__(self, dsprites, num_images: int = 2048):
        rows = np.sort(np.random.default_rng(0).choice(dsprites.num_images, num_images, replace=False))
        self.name = "dsprites-subset"
        self.images = np.asarray(dsprites.images[rows])
        self.observation_shape = dsprites.observation_shape
        self.jax_observations = dsprites.jax_observations


@pytest.fixture(scope="module")
def dsprites_subset():
    return DspritesSubset(data.load_dataset("dsprites", procedural=True))


@pytest.mark.slow
@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_each_objective_lowers_its_loss(dsprites_subset, objective):
    strength = OBJECTIVES[objective].study_strengths[2]
    config = TrainConfig(steps=150, batch_size=16, log_every=15, factor_vae_step_semantics="updates")
    (result,) = train_replicas(dsprites_subset, objective, [ReplicaSpec("r", 0, strength)], config)
    losses = [entry["loss"] for entry in result.curve]
    assert result.status == "done" and len(losses) == 10
    assert all(np.isfinite(losses))
    # From ~4096·ln 2 (p = 0.5 per pixel) to a fraction of it once the black background is learnt.
    assert max(losses[-3:]) < 0.5 * losses[0], losses
    assert result.curve[-1]["reconstruction"] < 0.5 * result.curve[0]["reconstruction"]
    assert jax.tree.leaves(result.params)
