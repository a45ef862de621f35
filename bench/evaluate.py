"""Benchmark the evaluation: seconds per metric per model at the study's sizes, ours beside
disentanglement_lib 1.5 on the same representation in the same run; and the fast GBT backend against the
faithful one (speed-up and Spearman rank correlation of the scores over varied representations).

    .venv/bin/python bench/evaluate.py [--json] [--metrics dci,mig,...] [--jobs 1,2] [--no-dlib]
                                       [--gbt-backends sklearn,lightgbm]
    .venv/bin/python bench/evaluate.py --compare-backends 8 [--json]
    .venv/bin/python bench/evaluate.py --trained-runs demo_out/checkpoints [--dataset dsprites] [--json]

Sizes are the study's; --dci-train/--dci-test, --downstream-sizes and --num-test shrink DCI and the
downstream tasks (for ours and disentanglement_lib alike) where the study's sizes take too long.

The representation is synthetic: ground-truth factors with dSprites' sizes (3, 6, 40, 32, 32) drawn from
`theorem1.FactorizedUniform`, whose observation is the latent z itself, and a model-like 10-dimensional code
(z mixed by a near-identity matrix, with noise, plus 5 noise dimensions). No trained models are involved, so
the numbers time the metrics alone, without encoder cost. Each row: suite, metric, n_jobs, gbt_backend,
seconds, scores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _output import machine, print_rows

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(
    0, str(ROOT / "tests" / "evaluation")
)  # the disentanglement_lib import shim of the oracle tests

import dlib_oracle  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from evaluation import METRICS, MetricsConfig, evaluate, local_map  # noqa: E402
from evaluation.config import DownstreamConfig, SplitConfig  # noqa: E402
from evaluation.theorem1 import FactorizedUniform  # noqa: E402

DSPRITES_SIZES = (3, 6, 40, 32, 32)


def synthetic_representation(mixing: float, noise: float, seed: int):
    """A batched (R = 1) representation of z: ((z - .5) M^T + noise, 5 noise dims), M = (1-a) I + a Q."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    matrix = (1.0 - mixing) * np.eye(5) + mixing * q

    def represent(observations: np.ndarray) -> np.ndarray:
        z = observations.reshape(observations.shape[0], -1).astype(np.float64) - 0.5
        signal = z @ matrix.T + noise * rng.normal(size=z.shape)
        codes = np.hstack([signal, 0.05 * rng.normal(size=z.shape)])
        return codes[None].astype(np.float32)

    return represent


class DlibData:
    """Our toy ground truth behind disentanglement_lib's GroundTruthData interface (RandomState)."""

    def __init__(self, data: FactorizedUniform):
        self._data = data
        self.num_factors = len(data.factor_sizes)

    def sample_factors(self, num, random_state):
        return np.column_stack([random_state.randint(s, size=num) for s in self._data.factor_sizes])

    def sample_observations_from_factors(self, factors, random_state):
        z = (factors + random_state.random_sample(factors.shape)) / np.asarray(self._data.factor_sizes)
        return z.astype(np.float32).reshape(-1, *self._data.observation_shape)

    def sample(self, num, random_state):
        factors = self.sample_factors(num, random_state)
        return factors, self.sample_observations_from_factors(factors, random_state)

    def sample_observations(self, num, random_state):
        return self.sample(num, random_state)[1]


def dlib_metric(dl, metric: str, config: MetricsConfig):
    """disentanglement_lib's function for `metric` at the study's sizes: fn(data, represent, rs)."""
    gin = dl.gin
    gin.parse_config(["prune_dims.threshold = 0.05"])
    sizes = list(config.downstream.train_sizes)
    calls = {
        "beta_vae_score": lambda d, r, rs: dl.beta_vae.compute_beta_vae_sklearn(
            d, r, rs, None, 64, 10_000, 5_000
        ),
        "factor_vae_score": lambda d, r, rs: dl.factor_vae.compute_factor_vae(
            d, r, rs, None, 64, 10_000, 5_000, 10_000
        ),
        "mig": lambda d, r, rs: dl.mig.compute_mig(d, r, rs, None, 10_000),
        "dci": lambda d, r, rs: dl.dci.compute_dci(d, r, rs, None, config.dci.num_train, config.dci.num_test),
        "modularity_explicitness": lambda d, r, rs: (
            dl.modularity_explicitness.compute_modularity_explicitness(d, r, rs, None, 10_000, 5_000)
        ),
        "sap_score": lambda d, r, rs: dl.sap_score.compute_sap(
            d, r, rs, None, 10_000, 5_000, continuous_factors=False
        ),
        "unsupervised": lambda d, r, rs: dl.unsupervised_metrics.unsupervised_metrics(d, r, rs, None, 10_000),
    }
    predictors = {
        "downstream_lr": "@logistic_regression_cv",
        "downstream_gbt": "@gradient_boosting_classifier",
    }
    if metric in predictors:

        def run(d, r, rs):
            gin.parse_config([f"predictor.predictor_fn = {predictors[metric]}"])
            return dl.downstream_task.compute_downstream_task(
                d, r, rs, None, sizes, config.downstream.num_test
            )

        return run
    return calls[metric]


def warm_pools(jobs) -> None:
    """Start the worker pools before timing: a sweep worker starts its pool once and reuses it per job."""
    for n_jobs in jobs:
        if n_jobs is not None and n_jobs > 1:
            local_map(n_jobs)(abs, range(2 * n_jobs))


def time_suite(metrics, jobs, backends, with_dlib: bool, base: MetricsConfig) -> list[dict]:
    """Seconds per metric: ours for each n_jobs (and GBT backend), then disentanglement_lib on one core."""
    data = FactorizedUniform(DSPRITES_SIZES)
    represent = synthetic_representation(mixing=0.2, noise=0.1, seed=0)
    dl = dlib_oracle.load() if with_dlib else None
    if with_dlib and dl is None:
        raise SystemExit("disentanglement_lib is not installed: pip install '.[oracle]' or pass --no-dlib")
    warm_pools(jobs)
    rows = []
    for metric in metrics:
        for backend in backends if metric in ("dci", "downstream_gbt") else ["sklearn"]:
            for n_jobs in jobs:
                config = dataclasses.replace(base, metrics=(metric,), n_jobs=n_jobs, gbt_backend=backend)
                start = time.perf_counter()
                records = evaluate(data, represent, config, seed=0)[0]
                scores = {r.score: r.value for r in records}
                rows.append(_row("ours", metric, n_jobs, backend, time.perf_counter() - start, scores))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        if dl is not None:
            run = dlib_metric(dl, metric, base)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scores = run(DlibData(data), lambda obs: represent(obs)[0], np.random.RandomState(0))
            scores = {k: float(v) for k, v in scores.items()}
            rows.append(
                _row("disentanglement_lib", metric, 1, "sklearn", time.perf_counter() - start, scores)
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def synthetic_suite(count: int) -> tuple[FactorizedUniform, list[tuple[dict, Callable]]]:
    """`count` synthetic representations of dSprites-sized factors: mixing a in [0, 1] x noise {0.05, 0.3}."""
    settings = [
        (mixing, noise) for mixing in np.linspace(0.0, 1.0, (count + 1) // 2) for noise in (0.05, 0.3)
    ]
    return FactorizedUniform(DSPRITES_SIZES), [
        ({"mixing": float(mixing), "noise": noise}, synthetic_representation(mixing, noise, seed=i))
        for i, (mixing, noise) in enumerate(settings[:count])
    ]


def trained_suite(checkpoints: Path, dataset: str) -> tuple[Any, list[tuple[dict, Callable]]]:
    """Every finished run under a sweep's `checkpoints/` folder, scored on `dataset` (mean codes)."""
    from data import load_dataset
    from models import TrainConfig, represent_fn
    from models.checkpoint import load_final_params, read_result

    runs = []
    for directory in sorted(p for p in checkpoints.iterdir() if p.is_dir()):
        if read_result(directory) is not None:
            params = load_final_params(checkpoints, directory.name)
            runs.append(({"run_id": directory.name}, represent_fn([params], TrainConfig())))
    if len(runs) < 3:
        raise SystemExit(f"{checkpoints} holds {len(runs)} finished runs; a rank correlation needs 3 or more")
    return load_dataset(dataset), runs


def compare_backends(data, representations, config: MetricsConfig, jobs: int) -> list[dict]:
    """Time DCI + downstream GBT with each backend on each representation; Spearman per score over them."""
    warm_pools([jobs])
    rows, values = [], {"sklearn": [], "lightgbm": []}
    for label, represent in representations:
        for backend in ("sklearn", "lightgbm"):
            cfg = dataclasses.replace(
                config, gbt_backend=backend, n_jobs=jobs, metrics=("dci", "downstream_gbt")
            )
            start = time.perf_counter()
            records = evaluate(data, represent, cfg, seed=0)[0]
            scores = {f"{r.metric}/{r.score}": r.value for r in records if "factor_" not in r.score}
            values[backend].append(scores)
            rows.append(
                _row(
                    "ours",
                    "dci+downstream_gbt",
                    jobs,
                    backend,
                    time.perf_counter() - start,
                    scores,
                    representation=label,
                )
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    summary = {
        "suite": "backend_comparison",
        "representations": len(values["sklearn"]),
        "speedup": sum(r["seconds"] for r in rows if r["gbt_backend"] == "sklearn")
        / sum(r["seconds"] for r in rows if r["gbt_backend"] == "lightgbm"),
        "spearman": {},
    }
    for name in values["sklearn"][0]:
        a = [s[name] for s in values["sklearn"]]
        b = [s[name] for s in values["lightgbm"]]
        summary["spearman"][name] = float(stats.spearmanr(a, b).statistic)
    return [*rows, summary]


def _row(suite, metric, n_jobs, backend, seconds, scores, **extra) -> dict:
    return {
        "suite": suite,
        "metric": metric,
        "n_jobs": n_jobs,
        "gbt_backend": backend,
        "seconds": round(seconds, 3),
        "scores": scores,
        "machine": machine(),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print the result rows as one JSON list")
    parser.add_argument("--metrics", default=",".join(METRICS), help="comma-separated metrics to time")
    parser.add_argument("--jobs", default="1,2", help="n_jobs values for our suite")
    parser.add_argument("--gbt-backends", default="sklearn,lightgbm", help="backends timed for DCI/GBT")
    parser.add_argument("--no-dlib", action="store_true", help="skip disentanglement_lib")
    parser.add_argument(
        "--compare-backends",
        type=int,
        default=0,
        metavar="N",
        help="instead: sklearn vs lightgbm GBT on N varied representations",
    )
    parser.add_argument("--dci-train", type=int, default=10_000)
    parser.add_argument("--dci-test", type=int, default=5_000)
    parser.add_argument(
        "--trained-runs",
        metavar="CHECKPOINTS",
        help="compare the GBT backends on every finished run under a sweep's checkpoints/ folder",
    )
    parser.add_argument("--dataset", default="dsprites", help="the data set of --trained-runs")
    parser.add_argument("--downstream-sizes", default="10,100,1000,10000")
    parser.add_argument("--num-test", type=int, default=5_000)
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.downstream_sizes.split(","))
    config = dataclasses.replace(
        MetricsConfig.study(),
        dci=SplitConfig(args.dci_train, args.dci_test),
        downstream=DownstreamConfig(sizes, args.num_test, (sizes[1], sizes[-1])),
    )
    jobs = [int(j) for j in args.jobs.split(",")]
    if args.trained_runs:
        data, representations = trained_suite(Path(args.trained_runs), args.dataset)
        rows = compare_backends(data, representations, config, jobs[-1])
    elif args.compare_backends:
        data, representations = synthetic_suite(args.compare_backends)
        rows = compare_backends(data, representations, config, jobs[-1])
    else:
        rows = time_suite(
            args.metrics.split(","), jobs, args.gbt_backends.split(","), not args.no_dlib, config
        )
    print_rows(rows, args.json, lambda row: str({k: v for k, v in row.items() if k != "scores"}))


if __name__ == "__main__":
    main()
