"""The array kernels as sampling metrics: draw the study's samples once for all replicas, then score each
replica's codes with the kernel (MIG, DCI, modularity/explicitness, SAP, unsupervised scores)."""

from __future__ import annotations

import numpy as np

from evaluation import _dci, _modularity, _sap
from evaluation._mig import mig
from evaluation._unsupervised import unsupervised_scores
from evaluation.config import MetricsConfig, SampleConfig, SAPConfig, SplitConfig
from evaluation.estimators import estimator_record, gbt_estimator_name
from evaluation.plan import MetricPlan, ReplicaJob, no_fits, per_replica
from evaluation.sampling import GroundTruth, Represent, sample_codes


def _split(
    data: GroundTruth,
    represent: Represent,
    rng: np.random.Generator,
    cfg: SplitConfig | SAPConfig,
    batch: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    codes_tr, f_tr = sample_codes(data, represent, cfg.num_train, rng, batch)
    codes_te, f_te = sample_codes(data, represent, cfg.num_test, rng, batch)
    return codes_tr, f_tr, codes_te, f_te


def plan_mig(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """MIG on `mig.num_train` points."""
    cfg: SampleConfig = config.mig
    codes, factors = sample_codes(data, represent, cfg.num_train, rng, config.encode_batch_size)
    jobs = per_replica(
        codes.shape[0], lambda r: no_fits(lambda: {"discrete_mig": mig(codes[r], factors, config.num_bins)})
    )
    return MetricPlan("mig", ("discrete_mig",), {**vars(cfg), "num_bins": config.num_bins}, jobs)


def plan_dci(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """DCI with one GBT per factor (backend from `gbt_backend`), fitted on `dci.num_train` points."""
    codes_tr, f_tr, codes_te, f_te = _split(data, represent, rng, config.dci, config.encode_batch_size)
    seed, backend = config.estimator_seed, config.gbt_backend

    def build(r: int) -> ReplicaJob:
        return ReplicaJob(
            _dci.dci_tasks(codes_tr[r], f_tr, codes_te[r], f_te, backend, seed), _dci.dci_from_fits
        )

    params = {**vars(config.dci), **estimator_record(gbt_estimator_name(backend), seed)}
    scores = ("disentanglement", "completeness", "informativeness_train", "informativeness_test")
    return MetricPlan("dci", scores, params, per_replica(codes_tr.shape[0], build))


def plan_modularity_explicitness(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """Modularity on the training split's binned codes, explicitness from per-factor logistic regressions."""
    cfg = config.modularity_explicitness
    codes_tr, f_tr, codes_te, f_te = _split(data, represent, rng, cfg, config.encode_batch_size)
    seed = config.estimator_seed

    def build(r: int) -> ReplicaJob:
        tasks = _modularity.explicitness_tasks(codes_tr[r], f_tr, codes_te[r], f_te, seed)
        return ReplicaJob(
            tasks,
            lambda fits: {
                "modularity_score": _modularity.modularity(codes_tr[r], f_tr, config.num_bins),
                **_modularity.explicitness_from_fits(fits),
            },
        )

    scores = ("modularity_score", "explicitness_score_train", "explicitness_score_test")
    params = {**vars(cfg), "num_bins": config.num_bins, **estimator_record("logistic", seed)}
    return MetricPlan("modularity_explicitness", scores, params, per_replica(codes_tr.shape[0], build))


def plan_sap(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """SAP, discrete (per-pair linear SVMs) or continuous (squared correlations) as `sap_score.continuous`."""
    cfg = config.sap_score
    codes_tr, f_tr, codes_te, f_te = _split(data, represent, rng, cfg, config.encode_batch_size)
    seed = config.estimator_seed

    def build(r: int) -> ReplicaJob:
        if cfg.continuous:
            return no_fits(
                lambda: {"SAP_score": _sap.sap(codes_tr[r], f_tr, codes_te[r], f_te, continuous=True)}
            )
        tasks = _sap.sap_tasks(codes_tr[r], f_tr, codes_te[r], f_te, seed)
        return ReplicaJob(tasks, lambda fits: {"SAP_score": _sap.sap_from_fits(fits, codes_tr.shape[-1])})

    params = {**vars(cfg), **({} if cfg.continuous else estimator_record("linear_svc", seed))}
    return MetricPlan("sap_score", ("SAP_score",), params, per_replica(codes_tr.shape[0], build))


def plan_unsupervised(
    data: GroundTruth, represent: Represent, rng: np.random.Generator, config: MetricsConfig
) -> MetricPlan:
    """Gaussian total/Wasserstein correlation and mean pairwise MI of `unsupervised.num_train` codes."""
    cfg = config.unsupervised
    codes, _ = sample_codes(data, represent, cfg.num_train, rng, config.encode_batch_size)
    jobs = per_replica(
        codes.shape[0], lambda r: no_fits(lambda: unsupervised_scores(codes[r], config.num_bins))
    )
    scores = (
        "gaussian_total_correlation",
        "gaussian_wasserstein_correlation",
        "gaussian_wasserstein_correlation_norm",
        "mutual_info_score",
    )
    return MetricPlan("unsupervised", scores, {**vars(cfg), "num_bins": config.num_bins}, jobs)
