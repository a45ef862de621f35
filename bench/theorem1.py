"""Theorem 1 of Locatello et al. (2019), shown: f(z) keeps the distribution of z while the metrics fall.

    .venv/bin/python bench/theorem1.py [--sizes 8,8,8,8] [--json]

z is uniform on [0, 1]^K with factor k = floor(z_k * size_k); f is the entangling map g^-1 h^-1 A h g with a
Householder A that has no zero entry. z and f(z) are scored as two replicas of one `evaluate` call (small
profile sizes), and the marginals of f(z) are checked against z's (Kolmogorov-Smirnov against U[0, 1]).
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
from scipy import stats

from evaluation import METRICS as ALL_METRICS
from evaluation import MetricsConfig, evaluate
from evaluation.theorem1 import FactorizedUniform, latent_representation, uniform_entangling_map

# The disentanglement and unsupervised scores; the downstream tasks say nothing about Theorem 1.
METRICS = tuple(name for name in ALL_METRICS if not name.startswith("downstream"))


def marginal_checks(data: FactorizedUniform, f, n: int = 20_000) -> dict[str, float]:
    """KS statistic of each f(z)_i against U[0, 1], and the largest |correlation| between coordinates."""
    rng = np.random.default_rng(0)
    z = data.observations_from_factors(data.sample_factors(n, rng), rng).reshape(n, -1).astype(np.float64)
    fz = f(z)
    corr = np.corrcoef(fz.T) - np.eye(fz.shape[1])
    return {
        "max_ks_statistic_f(z)_vs_uniform": float(
            max(stats.kstest(fz[:, i], "uniform").statistic for i in range(fz.shape[1]))
        ),
        "max_abs_correlation_within_f(z)": float(np.abs(corr).max()),
        "min_abs_correlation_f(z)_with_z": float(
            np.abs(np.corrcoef(z.T, fz.T)[: z.shape[1], z.shape[1] :]).min()
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="8,8,8,8", help="factor sizes, comma-separated")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = FactorizedUniform(tuple(int(s) for s in args.sizes.split(",")))
    f = uniform_entangling_map(len(data.factor_sizes))
    config = dataclasses.replace(
        MetricsConfig.small(),
        metrics=METRICS,
        sap_score=dataclasses.replace(MetricsConfig.small().sap_score, continuous=True),
    )
    z_rows, fz_rows = evaluate(data, latent_representation([lambda z: z, f]), config, seed=0)
    rows = [
        {"metric": a.metric, "score": a.score, "z": a.value, "f(z)": b.value}
        for a, b in zip(z_rows, fz_rows, strict=True)
    ]
    checks = marginal_checks(data, f)
    if args.json:
        print(json.dumps({"factor_sizes": data.factor_sizes, "scores": rows, "marginals": checks}, indent=1))
        return
    print(f"factor sizes {data.factor_sizes}; marginal checks: {checks}")
    print(f"{'metric':25s} {'score':40s} {'z':>8s} {'f(z)':>8s}")
    for row in rows:
        print(f"{row['metric']:25s} {row['score']:40s} {row['z']:8.3f} {row['f(z)']:8.3f}")


if __name__ == "__main__":
    main()
