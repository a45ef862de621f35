"""Synthetic result stores with planted structure, for tests, benchmarks and trying the report offline.

Each disentanglement metric of a run is `0.5 + 0.15 * z` with

    z = sqrt(a) * A[objective] + sqrt(b) * B[objective, strength] + sqrt(1 - a - b) * noise

where A is standardised over the objectives and B over the strengths of each objective, so on a full
(balanced) grid the objective explains a share `a` of the metric's variance and objective x strength a
share `a + b`; the rest is the seed. The metrics share part of their effects and noise (`metric_coupling`),
so they are correlated but not identical. The other scores (unsupervised, downstream, training curves) follow
simple trends of the paper: sampled TC falls and mean TC rises with the strength; downstream accuracy rises
with the run's quality. Files are written through `results_schema.write_table`, so the layout is the store's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

import study
from analysis.quantities import DOWNSTREAM_SIZES, STUDY_DATASETS, STUDY_OBJECTIVES, STUDY_SIZES
from results_schema import SCHEMA_VERSION, layout, write_table

# The study's strength parameter and values per objective (Locatello et al. 2019, Table 1 of the appendix).
STUDY_STRENGTHS: dict[str, tuple[str, tuple[float, ...]]] = {
    o.name: (o.strength_name, o.strengths) for o in study.OBJECTIVES
}
NUM_FACTORS = {
    "dsprites": 5,
    "color_dsprites": 5,
    "noisy_dsprites": 5,
    "scream_dsprites": 5,
    "smallnorb": 4,
    "cars3d": 3,
    "shapes3d": 6,
}
# (metric, score) of the six planted metrics, in METRICS order; every other score is derived from them.
PLANTED = (
    ("beta_vae_score", "eval_accuracy"),
    ("factor_vae_score", "eval_accuracy"),
    ("mig", "discrete_mig"),
    ("dci", "disentanglement"),
    ("modularity_explicitness", "modularity_score"),
    ("sap_score", "SAP_score"),
)
_EPOCH = datetime(2026, 11, 27, tzinfo=UTC)


@dataclass(frozen=True)
class SyntheticSpec:
    """What to generate: the grid, the planted variance shares, and the defects a real store may have."""

    datasets: tuple[str, ...] = STUDY_DATASETS
    objectives: tuple[str, ...] = STUDY_OBJECTIVES
    seeds: int = 50
    objective_share: float = 0.4
    strength_share: float = 0.3
    metric_coupling: float = 0.7
    replicas_per_job: int = 50
    curve_points: int = 10
    diverged_every: int = 0  # every n-th run diverged (no scores); 0: none
    missing_metrics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # data set -> metric names
    uncommitted_jobs: int = 0  # extra jobs whose scores were written but whose runs file was not
    sweep: str = "synthetic"
    # The evaluation profile recorded in the score rows' params_json (as a sweep records it): the sizes per
    # metric, the downstream training-set sizes and the two sizes of the sample efficiency, the GBT backend,
    # and the metrics also scored on the sampled representation (None: all, as the study).
    metric_sizes: Mapping[str, Mapping[str, int]] = field(default_factory=lambda: STUDY_SIZES)
    downstream_sizes: tuple[int, ...] = DOWNSTREAM_SIZES
    efficiency_sizes: tuple[int, int] = (100, 10000)
    gbt_backend: str = "sklearn"
    sampled_metrics: tuple[str, ...] | None = None
    steps: int | None = None  # training steps recorded per run; None: 1,000 per curve point
    procedural: bool | None = True  # the runs' dataset.procedural setting in config_json
    strength_indices: tuple[int, ...] = (0, 1, 2, 3, 4, 5)  # which of each objective's 6 study strengths

    def __post_init__(self) -> None:
        if (
            not 0 <= self.objective_share + self.strength_share <= 1
            or min(self.objective_share, self.strength_share) < 0
        ):
            raise ValueError("objective_share and strength_share must be >= 0 with a sum of at most 1")
        unknown = [o for o in self.objectives if o not in STUDY_STRENGTHS]
        if unknown:
            raise ValueError(f"unknown objectives {unknown}; choose from {list(STUDY_STRENGTHS)}")


@dataclass(frozen=True)
class SyntheticStore:
    """What was written: where, how many committed runs, and the planted variance shares."""

    root: Path
    num_runs: int
    objective_share: float
    objective_strength_share: float


def write_synthetic_store(
    store_root: str | Path, spec: SyntheticSpec = SyntheticSpec(), seed: int = 0
) -> SyntheticStore:
    """Write a synthetic store at `store_root` following `spec`; deterministic for a given `seed`."""
    root = Path(store_root)
    rng = np.random.default_rng(seed)
    num_runs = 0
    for dataset in spec.datasets:
        effects = _planted_effects(spec, rng)
        for objective in spec.objectives:
            grid = _grid(spec, dataset, objective)
            z = _planted_z(spec, effects, objective, grid, rng)
            for start in range(0, len(grid["seed"]), spec.replicas_per_job):
                part = slice(start, start + spec.replicas_per_job)
                job = {k: v[part] for k, v in grid.items()}
                job_id = f"{dataset}-{objective}-{start // spec.replicas_per_job}"
                keys = dict(dataset=dataset, objective=objective, job_id=job_id)
                diverged = _diverged(spec, job)
                write_table(root, "scores", _scores(spec, dataset, job, z[:, part], diverged, rng), **keys)
                write_table(root, "train_curves", _curves(spec, job, rng), **keys)
                write_table(root, "runs", _runs(spec, job_id, job, diverged), **keys)
                num_runs += len(job["seed"])
        _write_interrupted(root, spec, dataset, effects, rng)
    return SyntheticStore(root, num_runs, spec.objective_share, spec.objective_share + spec.strength_share)


def _standardise(x: np.ndarray, axis: int = -1) -> np.ndarray:
    centred = x - x.mean(axis=axis, keepdims=True)
    return centred / centred.std(axis=axis, keepdims=True)


def _coupled(rng: np.random.Generator, shape: tuple[int, ...], coupling: float) -> np.ndarray:
    """Standard normal draws for the 6 metrics (axis 0) that share a fraction `coupling` of their variance."""
    shared, own = rng.standard_normal(shape[1:]), rng.standard_normal(shape)
    return np.sqrt(coupling) * shared + np.sqrt(1 - coupling) * own


def _planted_effects(spec: SyntheticSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n_obj = len(spec.objectives)
    return {
        "objective": _standardise(_coupled(rng, (len(PLANTED), n_obj), spec.metric_coupling)),
        "strength": _standardise(_coupled(rng, (len(PLANTED), n_obj, 6), spec.metric_coupling)),
    }


def _grid(spec: SyntheticSpec, dataset: str, objective: str) -> dict[str, np.ndarray]:
    strength_name, strengths = STUDY_STRENGTHS[objective]
    s_idx, seed = np.meshgrid(np.asarray(spec.strength_indices), np.arange(spec.seeds), indexing="ij")
    s_idx, seed = s_idx.ravel(), seed.ravel()
    d, o = STUDY_DATASETS.index(dataset), STUDY_OBJECTIVES.index(objective)
    model_num = d * 1800 + (o * 6 + s_idx) * 50 + seed
    run_id = np.array(
        [
            hashlib.sha1(f"{spec.sweep}/{dataset}/{objective}/{i}/{s}".encode()).hexdigest()[:16]
            for i, s in zip(s_idx, seed, strict=True)
        ]
    )
    return {
        "run_id": run_id,
        "dataset": np.full(s_idx.size, dataset),
        "objective": np.full(s_idx.size, objective),
        "strength_idx": s_idx,
        "strength": np.asarray(strengths, float)[s_idx],
        "seed": seed,
        "model_num": model_num,
        "strength_name": np.full(s_idx.size, strength_name),
    }


def _planted_z(
    spec: SyntheticSpec,
    effects: dict[str, np.ndarray],
    objective: str,
    grid: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """[6 metrics, runs] standardised planted scores of one objective's runs."""
    o, s_idx = spec.objectives.index(objective), grid["strength_idx"]
    noise = _coupled(rng, (len(PLANTED), s_idx.size), spec.metric_coupling)
    a, b = spec.objective_share, spec.strength_share
    return (
        np.sqrt(a) * effects["objective"][:, o, None]
        + np.sqrt(b) * effects["strength"][:, o, s_idx]
        + np.sqrt(1 - a - b) * noise
    )


def _diverged(spec: SyntheticSpec, job: dict[str, np.ndarray]) -> np.ndarray:
    if not spec.diverged_every:
        return np.zeros(job["seed"].size, bool)
    return job["model_num"] % spec.diverged_every == spec.diverged_every - 1


def _score_values(
    dataset: str,
    z: np.ndarray,
    strength_idx: np.ndarray,
    rng: np.random.Generator,
    sizes: tuple[int, ...] = DOWNSTREAM_SIZES,
    efficiency: tuple[int, int] = (100, 10000),
) -> dict[tuple[str, str], np.ndarray]:
    """(metric, score) -> values of the mean representation for runs with planted scores `z`."""
    n = z.shape[1]
    noise = lambda scale: scale * rng.standard_normal(n)
    values = {key: 0.5 + 0.15 * z[i] for i, key in enumerate(PLANTED)}
    quality = z.mean(axis=0)
    values[("beta_vae_score", "train_accuracy")] = values[PLANTED[0]] + noise(0.01)
    values[("factor_vae_score", "train_accuracy")] = values[PLANTED[1]] + noise(0.01)
    values[("factor_vae_score", "num_active_dims")] = np.round(10 - strength_idx + noise(0.5))
    for score in ("completeness", "informativeness_train", "informativeness_test"):
        values[("dci", score)] = values[PLANTED[3]] + noise(0.05)
    for score in ("explicitness_score_train", "explicitness_score_test"):
        values[("modularity_explicitness", score)] = 0.8 + 0.05 * quality + noise(0.02)
    values[("unsupervised", "gaussian_total_correlation")] = 0.5 + 0.3 * strength_idx + noise(0.2)
    values[("unsupervised", "gaussian_wasserstein_correlation")] = 1 + 0.2 * strength_idx + noise(0.1)
    values[("unsupervised", "gaussian_wasserstein_correlation_norm")] = (
        0.1 + 0.02 * strength_idx + noise(0.01)
    )
    values[("unsupervised", "mutual_info_score")] = 0.3 + 0.05 * strength_idx + noise(0.05)
    for metric, base in (("downstream_lr", 0.35), ("downstream_gbt", 0.45)):
        for n_train in sizes:
            gain = 0.4 * np.log10(n_train / 10) / 3
            acc = np.clip(base + gain + 0.05 * quality + noise(0.02), 0, 1)
            values[(metric, f"{n_train}:mean_test_accuracy")] = acc
            values[(metric, f"{n_train}:min_test_accuracy")] = acc - 0.1
            values[(metric, f"{n_train}:mean_train_accuracy")] = np.minimum(acc + 0.1, 1)
            for k in range(NUM_FACTORS[dataset]):
                values[(metric, f"{n_train}:test_accuracy_factor_{k}")] = np.clip(acc + noise(0.03), 0, 1)
        small, large = efficiency
        values[(metric, "sample_efficiency")] = (
            values[(metric, f"{small}:mean_test_accuracy")] / values[(metric, f"{large}:mean_test_accuracy")]
        )
    return values


def _scores(
    spec: SyntheticSpec,
    dataset: str,
    job: dict[str, np.ndarray],
    z: np.ndarray,
    diverged: np.ndarray,
    rng: np.random.Generator,
) -> pa.Table:
    s_idx = job["strength_idx"]
    sizes, efficiency = spec.downstream_sizes, spec.efficiency_sizes
    mean = _score_values(dataset, z, s_idx, rng, sizes, efficiency)
    sampled = _score_values(dataset, z + 0.1 * rng.standard_normal(z.shape), s_idx, rng, sizes, efficiency)
    sampled[("unsupervised", "gaussian_total_correlation")] = np.exp(1.5 - 0.5 * s_idx) + 0.05 * np.abs(
        rng.standard_normal(s_idx.size)
    )
    skip = set(spec.missing_metrics.get(dataset, ()))
    blocks = [("mean", key, v) for key, v in mean.items() if key[0] not in skip]
    blocks += [
        ("sampled", key, v)
        for key, v in sampled.items()
        if key[0] not in skip and (spec.sampled_metrics is None or key[0] in spec.sampled_metrics)
    ]
    model = {
        "reconstruction_loss": 30 + 4 * s_idx + rng.standard_normal(s_idx.size),
        "kl_loss": 25 - 3 * s_idx + rng.standard_normal(s_idx.size),
    }
    model["elbo"] = model["reconstruction_loss"] + model["kl_loss"]
    blocks += [("mean", ("model", score), v) for score, v in model.items()]
    keep = ~diverged
    runs = int(keep.sum())
    column = lambda key: np.tile(job[key][keep], len(blocks))
    return pa.table(
        {
            "run_id": column("run_id"),
            "model_num": column("model_num"),
            "dataset": column("dataset"),
            "objective": column("objective"),
            "strength_name": column("strength_name"),
            "strength": column("strength"),
            "seed": column("seed"),
            "representation": np.repeat([b[0] for b in blocks], runs),
            "metric": np.repeat([b[1][0] for b in blocks], runs),
            "score": np.repeat([b[1][1] for b in blocks], runs),
            "value": np.concatenate([b[2][keep] for b in blocks]),
            "backend": np.repeat(
                [spec.gbt_backend if b[1][0] in ("dci", "downstream_gbt") else None for b in blocks], runs
            ),
            "sklearn_version": ["synthetic"] * (runs * len(blocks)),
            "params_json": np.repeat([_params(spec, b[1][0]) for b in blocks], runs),
            "eval_seed": column("seed"),
        }
    )


def _params(spec: SyntheticSpec, metric: str) -> str:
    """The params_json a sweep records for `metric` under `spec`'s profile (sizes only, no estimator)."""
    params: dict = dict(spec.metric_sizes.get(metric, {}))
    if metric in ("downstream_lr", "downstream_gbt"):
        params.update(train_sizes=list(spec.downstream_sizes), efficiency_sizes=list(spec.efficiency_sizes))
    if metric in ("dci", "downstream_gbt"):
        params["backend"] = spec.gbt_backend
    return json.dumps(params, sort_keys=True)


def _curves(spec: SyntheticSpec, job: dict[str, np.ndarray], rng: np.random.Generator) -> pa.Table:
    """Loss terms that fall exponentially over `spec.curve_points` logged steps, higher at higher strength."""
    runs, points = job["seed"].size, spec.curve_points
    step = np.tile(np.arange(1, points + 1) * 1000, runs)
    at = lambda key: np.repeat(job[key], points)
    decay = np.exp(-step / 3000.0)
    reconstruction = 30 + 4 * at("strength_idx") + 200 * decay + rng.standard_normal(step.size)
    kl = 25 - 3 * at("strength_idx") + 20 * decay
    regularizer = 0.5 * at("strength_idx") * kl / 6
    tc = np.abs(2 - 0.3 * at("strength_idx") + 0.1 * rng.standard_normal(step.size))
    return pa.table(
        {
            "run_id": at("run_id"),
            "dataset": at("dataset"),
            "objective": at("objective"),
            "strength": at("strength"),
            "seed": at("seed"),
            "step": step,
            "loss": reconstruction + kl + regularizer,
            "reconstruction": reconstruction,
            "kl": kl,
            "regularizer": regularizer,
            "elbo": reconstruction + kl,
            "tc": tc
            if job["objective"][0] in ("factor_vae", "beta_tc_vae")
            else pa.nulls(step.size, pa.float64()),
        }
    )


def _runs(spec: SyntheticSpec, job_id: str, job: dict[str, np.ndarray], diverged: np.ndarray) -> pa.Table:
    runs = job["seed"].size
    steps = spec.steps or spec.curve_points * 1000
    const = lambda value: [value] * runs
    final = lambda value: pa.array(np.where(diverged, np.nan, value), pa.float64(), mask=diverged)
    config = [
        json.dumps(
            {
                "objective": o,
                "strength": float(s),
                "seed": int(d),
                "dataset": {"name": str(job["dataset"][0]), "procedural": spec.procedural},
            }
        )
        for o, s, d in zip(job["objective"], job["strength"], job["seed"], strict=True)
    ]
    return pa.table(
        {
            "schema_version": const(SCHEMA_VERSION),
            "run_id": job["run_id"],
            "model_num": job["model_num"],
            "sweep": const(spec.sweep),
            "job_id": const(job_id),
            "dataset": job["dataset"],
            "objective": job["objective"],
            "strength_name": job["strength_name"],
            "strength": job["strength"],
            "seed": job["seed"],
            "status": np.where(diverged, "diverged", "done"),
            "error": pa.nulls(runs, pa.string()),
            "steps": np.where(diverged, steps // 2, steps),
            "diverged_step": pa.array(np.full(runs, steps // 2), pa.int64(), mask=~diverged),
            "train_seconds": np.full(runs, 3600.0),
            "eval_seconds": np.full(runs, 600.0),
            "device": const("synthetic"),
            "host": const("synthetic"),
            "package_version": const("synthetic"),
            "jax_version": const("synthetic"),
            "sklearn_version": const("synthetic"),
            "checkpoint_path": pa.nulls(runs, pa.string()),
            "final_loss": final(60.0),
            "final_reconstruction": final(32.0),
            "final_kl": final(24.0),
            "final_regularizer": final(4.0),
            "final_elbo": final(56.0),
            "config_json": config,
            "finished_at": pa.array(
                [_EPOCH + timedelta(seconds=int(m)) for m in job["model_num"]], pa.timestamp("us", tz="UTC")
            ),
        }
    )


def _write_interrupted(
    root: Path, spec: SyntheticSpec, dataset: str, effects: dict[str, np.ndarray], rng: np.random.Generator
) -> None:
    """Leave `spec.uncommitted_jobs` jobs as a crash would: scores written, runs file never committed, and a
    half-written temporary file; a correct reader ignores all of it."""
    objective = spec.objectives[0]
    grid = {k: v[: spec.replicas_per_job] for k, v in _grid(spec, dataset, objective).items()}
    for number in range(spec.uncommitted_jobs):
        job = {k: np.char.add(v, f"-lost{number}") if k == "run_id" else v for k, v in grid.items()}
        job_id = f"{dataset}-{objective}-lost{number}"
        z = _planted_z(spec, effects, objective, job, rng) + 100.0  # far off: visible if it ever leaks in
        write_table(
            root,
            "scores",
            _scores(spec, dataset, job, z, _diverged(spec, job), rng),
            dataset=dataset,
            objective=objective,
            job_id=job_id,
        )
        temporary = layout.partition_dir(root, "runs", dataset, objective) / layout.temp_name(job_id)
        temporary.write_bytes(b"PAR1 half-written")
