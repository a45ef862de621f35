"""MetricsConfig: profiles, clear errors on bad values, and the OmegaConf structured-config round trip (the
sweep registers the profiles as Hydra's `metrics` options)."""

import pytest
from omegaconf import OmegaConf

from evaluation import MetricsConfig


def test_study_profile_is_the_papers_setting():
    study = MetricsConfig.study()
    assert (
        study.beta_vae_score.batch_size,
        study.beta_vae_score.num_train,
        study.beta_vae_score.num_eval,
    ) == (64, 10_000, 5_000)
    assert study.factor_vae_score.prune_threshold == 0.05
    assert study.downstream.train_sizes == (10, 100, 1_000, 10_000)
    assert (study.dci.num_train, study.dci.num_test, study.num_bins, study.gbt_backend) == (
        10_000,
        5_000,
        20,
        "sklearn",
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"gbt_backend": "xgboost"}, "gbt_backend must be one of"),
        ({"metrics": ["mig", "irs"]}, r"unknown metric\(s\) \['irs'\]"),
        ({"dci": {"num_train": 1}}, "num_train = 1 is too small"),
        ({"dci": {"num_tests": 5}}, r"unknown key\(s\) \['num_tests'\] in metrics.dci"),
        (
            {"downstream": {"train_sizes": [10, 100], "efficiency_sizes": [100, 1000]}},
            "must be two of train_sizes",
        ),
        ({"n_jobs": 0}, "n_jobs must be >= 1"),
        ({"metrics": ["mig"], "sampled_metrics": ["dci"]}, r"sampled_metrics \['dci'\] are not in metrics"),
    ],
)
def test_bad_values_are_named(values, message):
    with pytest.raises(ValueError, match=message):
        MetricsConfig.from_dict(values)


def test_sampled_metrics_choose_what_the_sampled_codes_are_scored_on():
    study = MetricsConfig.study()
    assert study.for_representation("sampled") is study  # null: every metric, as disentanglement_lib does
    chosen = MetricsConfig.from_dict({"sampled_metrics": ["unsupervised"]})
    assert chosen.sampled_metrics == ("unsupervised",)
    assert chosen.for_representation("sampled").metrics == ("unsupervised",)
    assert chosen.for_representation("mean").metrics == study.metrics
    assert MetricsConfig.from_dict(chosen.to_dict()) == chosen


@pytest.mark.parametrize("profile", ["study", "small"])
def test_omegaconf_structured_round_trip(profile):
    config = getattr(MetricsConfig, profile)()
    back = OmegaConf.to_object(OmegaConf.structured(config))
    assert back == config
    assert isinstance(back.metrics, tuple) and isinstance(back.downstream.train_sizes, tuple)
    assert back.to_dict() == config.to_dict()


def test_lists_from_yaml_or_omegaconf_become_tuples():
    config = MetricsConfig(metrics=["mig", "dci"], sampled_metrics=["mig"])
    assert config.metrics == ("mig", "dci") and config.sampled_metrics == ("mig",)
    assert config.for_representation("sampled").metrics == ("mig",)
