"""Grid expansion, run identity, packing and plan: known counts, disentanglement_lib's model_num order."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import REPO, run_cli, sweep_env

from study import DATASETS as STUDY_DATASETS
from study import OBJECTIVE_NAMES as STUDY_OBJECTIVES
from study import model_num
from sweep.cli import main
from sweep.errors import SweepConfigError
from sweep.grid import expand_grid
from sweep.packing import pack

STUDY_STRENGTHS = {
    "beta_vae": (1, 2, 4, 6, 8, 16),
    "factor_vae": (10, 20, 30, 40, 50, 100),
    "dip_vae_i": (1, 2, 5, 10, 20, 50),
    "dip_vae_ii": (1, 2, 5, 10, 20, 50),
    "beta_tc_vae": (1, 2, 4, 6, 8, 10),
    "annealed_vae": (5, 10, 25, 50, 75, 100),
}


@pytest.fixture(scope="module")
def paper_grid():
    return expand_grid(["sweep=locatello2019"])


def test_paper_grid_is_12600_runs_in_model_num_order(paper_grid):
    root, runs = paper_grid
    assert len(runs) == 12_600
    assert [r.model_num for r in runs] == list(range(12_600))
    assert len({r.run_id for r in runs}) == 12_600
    r = runs[1801]  # data set 1, objective 0, strength 0, seed 1
    assert (r.dataset, r.objective, r.strength_name, r.strength, r.seed) == (
        "color_dsprites",
        "beta_vae",
        "beta",
        1.0,
        1,
    )
    last = runs[-1]
    assert (last.dataset, last.objective, last.strength, last.seed) == ("shapes3d", "annealed_vae", 100.0, 49)
    for run in runs[::97]:
        idx = STUDY_STRENGTHS[run.objective].index(run.strength)
        expected = (
            STUDY_DATASETS.index(run.dataset) * 1800
            + (STUDY_OBJECTIVES.index(run.objective) * 6 + idx) * 50
            + run.seed
        )
        assert run.model_num == expected


def test_study_run_ids_are_unchanged(paper_grid):
    """A resumed sweep finds its runs only if every run_id stays what it was (golden_run_ids.json beside this
    file). A change meant to alter results, and so the ids, regenerates that file in the same commit."""
    golden = json.loads((Path(__file__).parent / "golden_run_ids.json").read_text())
    ids = [r.run_id for r in paper_grid[1]]
    assert (len(ids), ids[:50], ids[-50:]) == (golden["count"], golden["first"], golden["last"])
    assert hashlib.sha256("\n".join(ids).encode()).hexdigest() == golden["sha256"]


@pytest.mark.oracle
def test_model_num_matches_disentanglement_lib_sweep(paper_grid):
    sweep = pytest.importorskip("disentanglement_lib.config.unsupervised_study_v1.sweep")
    theirs = sweep.get_config()
    strength_keys = (
        "vae.beta",
        "factor_vae.gamma",
        "dip_vae.lambda_od",
        "beta_tc_vae.beta",
        "annealed_vae.c_max",
    )
    for run in paper_grid[1]:
        config = theirs[run.model_num]
        dataset = {"dsprites_full": "dsprites"}.get(config["dataset.name"], config["dataset.name"])
        objective = config["model.name"]
        if objective == "dip_vae":
            objective = f"dip_vae_{config['dip_vae.dip_type']}"
        strength = next(config[k] for k in strength_keys if k in config)
        assert (dataset, objective, strength, config["model.random_seed"]) == (
            run.dataset,
            run.objective,
            run.strength,
            run.seed,
        ), run.model_num


def test_model_num_outside_the_study_is_none():
    assert model_num("dsprites", "beta_vae", 1.0, 49) == 49
    assert model_num("dsprites", "beta_vae", 1.0, 50) is None
    assert model_num("dsprites", "beta_vae", 3.0, 0) is None  # not one of the study's strengths
    assert model_num("dsprites", "new_vae", 1.0, 0) is None


def test_run_id_depends_on_results_not_on_host_loop_knobs():
    base = ["grid.seeds=2"]
    _, a = expand_grid(base)
    _, same = expand_grid([*base, "train.checkpoint_every=7", "launcher.replicas_per_job=3", "out=elsewhere"])
    _, longer = expand_grid([*base, "train.steps=1000"])
    _, other_metrics = expand_grid([*base, "metrics=small"])
    ids = [r.run_id for r in a]
    assert ids == [r.run_id for r in same]
    assert not set(ids) & {r.run_id for r in longer}
    assert not set(ids) & {r.run_id for r in other_metrics}


def test_a_fixed_hyperparameter_is_typed_and_joins_the_run_id_only_when_changed():
    base = ["model=annealed_vae", "grid.strengths={annealed_vae:[25.0]}"]
    _, study = expand_grid(base)
    _, restated = expand_grid([*base, "model.hyperparameters.gamma=1000.0"])
    _, changed = expand_grid([*base, "model.hyperparameters.gamma=500"])
    assert [r.run_id for r in restated] == [r.run_id for r in study]
    assert changed[0].run_id != study[0].run_id
    objective = changed[0].base.engine_objective()
    fixed = objective.hyperparameters
    assert (fixed.gamma, fixed.iteration_threshold) == (500.0, 100_000)
    assert json.loads(changed[0].base.config_json(25.0, 0))["model"]["hyperparameters"]["gamma"] == 500.0


@pytest.mark.parametrize("profile", ["study", "small"])
def test_each_metrics_option_is_its_profile_and_keys_can_be_overridden(profile):
    from evaluation import MetricsConfig

    _, [run, *_] = expand_grid([f"metrics={profile}"])
    assert run.base.metrics == getattr(MetricsConfig, profile)()
    _, [tuned, *_] = expand_grid([f"metrics={profile}", "metrics.mig.num_train=123", "metrics.n_jobs=1"])
    assert (tuned.base.metrics.mig.num_train, tuned.base.metrics.n_jobs) == (123, 1)
    assert isinstance(tuned.base.metrics.downstream.train_sizes, tuple)


def test_matmul_precision_joins_the_run_id_only_when_set():
    _, unset = expand_grid([])
    _, highest = expand_grid(["train.matmul_precision=highest"])
    assert unset[0].base.train.matmul_precision is None
    assert unset[0].run_id != highest[0].run_id


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.stepz=3", "Could not override 'train.stepz'"),
        ("+train.warmup=3", "unknown key(s) ['train.warmup']"),
        ("train.steps=abc", "could not be converted to Integer"),
        ("train.loop_form=bogus", "train.loop_form must be one of"),
        ("+model.hyperparameters.gama=1", "unknown key(s) ['model.hyperparameters.gama']"),
        ("model.hyperparameters.lambda_d_factor=x", "Error merging override"),
        ("metrics.gbt_backend=xgboost", "gbt_backend must be one of"),
        ("+metrics.mig.num_bins=3", "unknown key(s) ['metrics.mig.num_bins']"),
        ("metrics.mig.num_train=1", "too small"),
    ],
)
def test_wrong_keys_types_and_values_are_refused_when_the_grid_is_expanded(override, message):
    objective = "model=dip_vae_i" if "lambda_d" in override else "model=beta_vae"
    with pytest.raises(SweepConfigError, match=re.escape(message)):
        expand_grid([objective, override])


def test_run_id_is_stable_across_processes():
    code = "from sweep.grid import expand_grid; print(expand_grid(['grid.seeds=3'])[1][-1].run_id)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=sweep_env(), capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == expand_grid(["grid.seeds=3"])[1][-1].run_id


def test_user_grid_from_overrides():
    _, runs = expand_grid(
        [
            "grid.datasets=[dsprites,shapes3d]",
            "grid.objectives=[factor_vae,beta_tc_vae]",
            "grid.seeds=[3,7]",
            "grid.strengths={factor_vae:[10,35]}",
        ]
    )
    assert len(runs) == 2 * (2 * 2 + 6 * 2)
    factor = [r for r in runs if r.objective == "factor_vae" and r.dataset == "dsprites"]
    assert [(r.strength, r.seed) for r in factor] == [(10.0, 3), (10.0, 7), (35.0, 3), (35.0, 7)]
    assert [r.model_num for r in factor] == [300 + 3, 300 + 7, None, None]


def test_packing_keeps_jobs_within_one_dataset_and_objective(paper_grid):
    runs = paper_grid[1]
    jobs = pack(runs, 32)
    assert sum(len(j.runs) for j in jobs) == 12_600
    assert [r.run_id for j in jobs for r in j.runs] == [r.run_id for r in runs]
    assert all({(r.dataset, r.objective) for r in j.runs} == {(j.dataset, j.objective)} for j in jobs)
    assert max(len(j.runs) for j in jobs) == 32
    assert len(jobs) == 42 * -(-300 // 32)
    assert len({j.job_id for j in jobs}) == len(jobs)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["dataset=mnist"], "dataset/mnist"),
        (["grid.objectives=[beta_vae,vq_vae]"], "model/vq_vae"),
        (["grid.strengths={beta_vae:[1,-2]}"], "invalid strengths for beta_vae"),
        (["grid.strengths={beta_vae:[1,abc]}"], "must be numbers"),
        (["grid.seeds=[0,0]"], "lists a seed twice"),
        (["grid.strengths={factor_vae:[1]}"], "not in grid.objectives"),
    ],
)
def test_bad_grid_is_refused_with_a_clear_message(overrides, message):
    with pytest.raises(SweepConfigError, match=message.replace("[", r"\[")):
        expand_grid(overrides)


def test_plan_cli_counts_the_paper_grid():
    result = run_cli("plan", "sweep=locatello2019", "launcher.platform=cpu", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["runs"] == 12_600 and plan["jobs"] == 12_600 and plan["replicas_per_job"] == 1
    assert plan["by_dataset"] == {d: 1800 for d in STUDY_DATASETS}
    assert list(plan["by_objective"]) == list(STUDY_OBJECTIVES)
    assert {(s["objective"], s["strength"]): s["runs"] for s in plan["by_strength"]} == {
        (o, float(v)): 350 for o, values in STUDY_STRENGTHS.items() for v in values
    }
    assert plan["seeds"] == list(range(50))
    assert plan["estimated_device_hours"] > 0


def test_plan_without_bench_figures_says_unknown(capsys):
    assert main(["plan", "grid.seeds=3", "launcher.platform=tpu"]) == 0
    text = capsys.readouterr().out
    assert "18 runs in 1 jobs of up to 64 replicas (tpu)" in text
    assert "estimated device-hours on tpu: unknown (no bench figure for tpu" in text


def test_plan_without_an_evaluation_figure_estimates_training_only(capsys):
    assert main(["plan", "sweep=locatello2019", "launcher.platform=gpu", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["jobs"] == 7 * 6 * 5  # 300 runs per (data set, objective) in jobs of up to 64
    assert plan["estimate_includes_evaluation"] is False
    assert plan["estimated_device_hours"] == pytest.approx(12_600 * 300_000 * 64 / 261_000 / 3600)
    assert main(["plan", "grid.seeds=3", "launcher.platform=gpu"]) == 0
    assert "(training only: evaluation not benchmarked there)" in capsys.readouterr().out


def test_plan_prices_evaluation_only_at_the_study_metric_settings(capsys):
    assert main(["plan", "sweep=replication_cpu", "launcher.platform=cpu", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["runs"] == 36 and plan["estimate_includes_evaluation"] is False
    assert plan["estimated_device_hours"] == pytest.approx(36 * 3000 * 64 / 730 / 3600)
    assert "study's metric settings" in plan["estimate_scope"]
    # speed-only settings (fit processes, encoding batch) leave the study's figure in force
    assert main(["plan", "grid.seeds=1", "launcher.platform=cpu", "metrics.n_jobs=1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["estimate_includes_evaluation"] is True
