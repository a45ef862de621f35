"""The metric registry: it defines METRICS, MetricsConfig's defaults and profiles, and what evaluate runs."""

import dataclasses

import pytest

from evaluation import METRICS, MetricsConfig, evaluate, registry
from evaluation.metrics.sizes import SampleConfig
from evaluation.plan import MetricPlan, no_fits, per_replica
from evaluation.sampling import sample_codes
from evaluation.theorem1 import latent_representation


def test_metrics_keep_their_order():
    assert METRICS == (
        "beta_vae_score",
        "factor_vae_score",
        "mig",
        "dci",
        "modularity_explicitness",
        "sap_score",
        "unsupervised",
        "downstream_lr",
        "downstream_gbt",
    )
    assert registry.names() == METRICS


def test_every_registered_field_is_a_metrics_config_field_of_its_type():
    fields = {f.name: f.type for f in dataclasses.fields(MetricsConfig)}
    study, small = MetricsConfig.study(), MetricsConfig.small()
    for name in METRICS:
        spec = registry.get(name)
        assert fields[spec.field] == spec.config_type.__name__
        assert getattr(study, spec.field) == spec.study and getattr(small, spec.field) == spec.small
    assert {registry.get(name).field for name in METRICS} == set(registry.profile("study"))


def test_defaults_are_the_study_profile():
    assert MetricsConfig() == MetricsConfig.study()
    assert MetricsConfig.small().encode_batch_size == 1_024


def test_registration_errors_are_named(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    sizes = {"config": SampleConfig, "small": SampleConfig(num_train=10), "scores": ("s",)}
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("mig", study=SampleConfig(), **sizes)(lambda *a: None)
    with pytest.raises(TypeError, match="study sizes must be a SampleConfig"):
        registry.register("toy", study={"num_train": 10}, **sizes)(lambda *a: None)
    with pytest.raises(ValueError, match="share field 'mig' but not its sizes"):
        registry.register("toy", field="mig", study=SampleConfig(), **sizes)(lambda *a: None)
    with pytest.raises(ValueError, match="unknown metric 'irs'"):
        registry.get("irs")
    with pytest.raises(ValueError, match="profile must be one of"):
        registry.profile("tiny")


def test_evaluate_runs_what_is_registered(monkeypatch, small_data):
    """A new metric is one registered planner (here sharing MIG's settings field): evaluate runs it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    mig = registry.get("mig")

    @registry.register(
        "toy_mean",
        config=SampleConfig,
        field="mig",
        study=mig.study,
        small=mig.small,
        scores=("code_mean", "num_points"),
    )
    def plan(data, represent, rng, config):
        codes, _ = sample_codes(data, represent, config.mig.num_train, rng, config.encode_batch_size)
        jobs = per_replica(
            codes.shape[0],
            lambda r: no_fits(lambda: {"code_mean": codes[r].mean(), "num_points": codes.shape[1]}),
        )
        return MetricPlan({"num_train": config.mig.num_train}, jobs)

    config = dataclasses.replace(MetricsConfig.small(), metrics=("toy_mean", "mig"), n_jobs=1)
    rows = evaluate(small_data, latent_representation([lambda z: z, lambda z: 0 * z]), config, seed=0)
    assert [(r.metric, r.score) for r in rows[0]] == [
        ("toy_mean", "code_mean"),
        ("toy_mean", "num_points"),
        ("mig", "discrete_mig"),
    ]
    assert rows[0][1].value == 1_000 and rows[0][1].params == {"sample_seed": 0, "num_train": 1_000}
    assert rows[1][0].value == 0.0


def test_an_opt_in_metric_changes_no_identity_until_a_run_uses_it(monkeypatch):
    """Registering a metric outside the study leaves the study's metrics and every run_id's settings as they
    were; a config that chooses it carries its settings into the identity."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    mig = registry.get("mig")
    registry.register(
        "toy_variance",
        config=SampleConfig,
        field="toy",
        study=mig.study,
        small=mig.small,
        scores=("variance",),
        in_study=False,
    )(mig.plan)
    assert registry.study_names() == METRICS and "toy_variance" in registry.names()
    assert registry.unused_opt_in_fields(METRICS) == {"toy"}
    assert registry.unused_opt_in_fields((*METRICS, "toy_variance")) == set()
