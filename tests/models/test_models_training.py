"""Replica-batched training: a run independent of its job, divergence, logs, checkpoints, kill and resume.

Two compiled programs serve the whole module (β-VAE with R = 3 and R = 1), shared through module fixtures.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest
from training_fixtures import RUN_A, RUN_B, RUN_DIVERGING, SMALL_CONFIG, TinyGroundTruth

from models import ReplicaSpec, TrainConfig, heldout_scores, load_final_params, represent_fn, train_replicas

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def data():
    return TinyGroundTruth()


@pytest.fixture(scope="module")
def group(data, tmp_path_factory):
    root = tmp_path_factory.mktemp("group")
    return root, train_replicas(data, "beta_vae", [RUN_A, RUN_B, RUN_DIVERGING], SMALL_CONFIG, root)


@pytest.fixture(scope="module")
def alone(data, tmp_path_factory):
    root = tmp_path_factory.mktemp("alone")
    return root, train_replicas(data, "beta_vae", [RUN_A], SMALL_CONFIG, root)[0]


def assert_same_params(a, b, atol=1e-5):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=atol, rtol=0)


def test_a_run_inside_a_group_of_three_equals_the_same_run_alone(group, alone):
    in_group = group[1][0]
    _, single = alone
    assert in_group.steps == single.steps == SMALL_CONFIG.steps
    assert_same_params(in_group.params, single.params)
    assert [e["step"] for e in in_group.curve] == [e["step"] for e in single.curve] == [2.0, 4.0, 6.0, 8.0]
    np.testing.assert_allclose(
        [e["loss"] for e in in_group.curve], [e["loss"] for e in single.curve], rtol=1e-5
    )


def test_a_diverging_replica_is_frozen_and_its_neighbours_finish(group):
    a, b, bad = group[1]
    assert (bad.status, bad.diverged_step, bad.steps) == ("diverged", 0, 0)
    assert (a.status, b.status, a.steps, b.steps) == ("done", "done", 8, 8)
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(bad.params))
    assert not np.allclose(a.params["encoder"]["means"]["kernel"], b.params["encoder"]["means"]["kernel"])


def test_logged_terms_are_consistent(group):
    a = group[1][0]
    assert a.final_logs == {k: v for k, v in a.curve[-1].items() if k != "step"}
    for entry in a.curve:
        assert set(entry) == {"step", "loss", "reconstruction", "kl", "regularizer", "elbo"}
        assert entry["elbo"] == pytest.approx(entry["reconstruction"] + entry["kl"], rel=1e-5)
        assert entry["regularizer"] == pytest.approx(RUN_A.strength * entry["kl"], rel=1e-5)
        assert entry["loss"] == pytest.approx(entry["reconstruction"] + entry["regularizer"], rel=1e-5)
    assert a.train_seconds > 0


def test_finished_runs_are_exported_and_not_retrained(data, group):
    root, results = group
    for result in results:
        assert_same_params(load_final_params(root, result.run_id), result.params, atol=0)
    again = train_replicas(data, "beta_vae", [RUN_B, RUN_A], SMALL_CONFIG, root)
    assert [r.run_id for r in again] == [RUN_B.run_id, RUN_A.run_id]
    assert again[1].curve == results[0].curve and again[1].train_seconds == results[0].train_seconds
    assert_same_params(again[1].params, results[0].params, atol=0)
    assert again[1].observation_shape == results[0].observation_shape == [64, 64, 1]  # from the export
    with pytest.raises(FileNotFoundError, match="no final export"):
        load_final_params(root, "never-trained")


def test_killed_job_resumes_next_to_other_replicas_and_matches_uninterrupted(data, group, alone, tmp_path):
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(HERE)])}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "train_until_killed.py"), str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    first_checkpoint = tmp_path / RUN_A.run_id / "checkpoints" / str(SMALL_CONFIG.checkpoint_every)
    deadline = time.monotonic() + 240
    while not first_checkpoint.is_dir():
        assert proc.poll() is None, proc.stdout.read().decode()
        assert time.monotonic() < deadline, "the training subprocess wrote no checkpoint"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / RUN_A.run_id / "result.json").exists()
    # Resume RUN_A (at step 4) in a job beside two fresh replicas: per-replica steps share one program.
    resumed = train_replicas(data, "beta_vae", [RUN_A, RUN_B, RUN_DIVERGING], SMALL_CONFIG, tmp_path)
    assert [r.steps for r in resumed] == [8, 8, 0]
    assert_same_params(resumed[0].params, alone[1].params)
    assert_same_params(resumed[1].params, group[1][1].params)
    assert [e["step"] for e in resumed[0].curve] == [2.0, 4.0, 6.0, 8.0]


def test_represent_fn_batches_runs_and_matches_the_encoder(data, group):
    a, b, _ = group[1]
    observations = data.images[:20].astype(np.float32) / 255.0
    config = SMALL_CONFIG
    codes = represent_fn([a.params, b.params], config, "mean")(observations)
    assert codes.shape == (2, 20, config.num_latents) and codes.dtype == np.float32
    alone_b = represent_fn([b.params], config, "mean")(observations)
    np.testing.assert_allclose(codes[1], alone_b[0], atol=1e-5)
    small_chunks = TrainConfig(num_latents=config.num_latents, represent_batch_size=7)
    np.testing.assert_allclose(
        represent_fn([a.params], small_chunks, "mean")(observations)[0], codes[0], atol=1e-5
    )
    sampled = represent_fn([a.params], config, "sampled", seed=3)
    first, second = sampled(observations), sampled(observations)
    assert not np.allclose(first, second) and not np.allclose(first, codes[:1])
    np.testing.assert_allclose(represent_fn([a.params], config, "sampled", seed=3)(observations), first)


def test_heldout_scores_follow_disentanglement_lib_signs(data, group):
    a, b, _ = group[1]
    observations = data.images.astype(np.float32) / 255.0
    scores = heldout_scores([a.params, b.params], SMALL_CONFIG, observations, seed=0)
    assert len(scores) == 2
    for score in scores:
        assert score["reconstruction_loss"] > 0 and score["kl_loss"] >= 0
        assert score["elbo"] == pytest.approx(-(score["reconstruction_loss"] + score["kl_loss"]))
    assert scores[0] == pytest.approx(
        heldout_scores([a.params], SMALL_CONFIG, observations, seed=0)[0], rel=1e-5, abs=1e-6
    )


def test_bad_input_is_refused_with_a_clear_message(data):
    with pytest.raises(ValueError, match="unknown objective 'vae'"):
        train_replicas(data, "vae", [RUN_A], SMALL_CONFIG)
    with pytest.raises(ValueError, match="unique"):
        train_replicas(data, "beta_vae", [RUN_A, RUN_A], SMALL_CONFIG)
    with pytest.raises(ValueError, match="positive integer"):
        TrainConfig(steps=0)
    with pytest.raises(ValueError, match="cannot name a directory"):
        train_replicas(data, "beta_vae", [ReplicaSpec("a/b", 0, 1.0)], SMALL_CONFIG, Path("unused"))
