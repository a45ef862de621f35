"""Training configuration: the study's hyperparameters, the host-loop knobs and per-platform defaults."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Literal

LoopForm = Literal["python", "scan"]
FactorVaeStepSemantics = Literal["global_step", "updates"]
ConvImpl = Literal["matmul", "xla"]
MatmulPrecision = Literal["default", "high", "highest"]


@dataclass(frozen=True)
class PlatformDefaults:
    """Replica count per job, steps per host call, loop form, convolution implementation and float32
    matmul precision by platform."""

    replicas: int
    steps_per_call: int
    loop_form: LoopForm
    conv_impl: ConvImpl
    matmul_precision: MatmulPrecision


# Chosen from `bench/train.py`'s measurements (docs/benchmarks.md, "Platform defaults"); every value can be
# overridden in TrainConfig. "highest" keeps float32 products in float32, as disentanglement_lib's runs did.
# TPU: not measured, so the GPU choices stand in.
PLATFORM_DEFAULTS: dict[str, PlatformDefaults] = {
    "cpu": PlatformDefaults(
        replicas=1, steps_per_call=50, loop_form="python", conv_impl="matmul", matmul_precision="default"
    ),
    "gpu": PlatformDefaults(
        replicas=64, steps_per_call=100, loop_form="scan", conv_impl="matmul", matmul_precision="highest"
    ),
    "tpu": PlatformDefaults(
        replicas=64, steps_per_call=100, loop_form="scan", conv_impl="matmul", matmul_precision="highest"
    ),
}


# Field metadata: what a TrainConfig field decides, in this one place. `run_id`: False for a field that
# changes speed, never results (tuning it does not restart a sweep); "when_set" for one that joins the run_id
# only when set, so runs made before it existed keep their ids. `compiled`: False for a field only the host
# loop reads, so one compiled program serves every value of it.
HOST_LOOP = {"run_id": False, "compiled": False}
PROGRAM_SPEED = {"run_id": False}
HOST_RESULTS = {"compiled": False}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines how one run is trained; defaults are disentanglement_lib's study values.

    It is also the schema of the `train` config group (sweep/config.py registers it with Hydra), so a wrong
    key or type is refused before a sweep starts. `steps` counts training steps as the study does. For
    FactorVAE, `factor_vae_step_semantics` decides what a step is: "global_step" (default) reproduces
    disentanglement_lib's code, whose global step advances twice per iteration (once per optimizer), so 300k
    steps are 150k updates of each network; "updates" makes every step one update of both networks, as the
    paper's text describes.
    Fields left at None take the platform's default (`resolved`).
    """

    steps: int = field(default=300_000, metadata=HOST_RESULTS)
    batch_size: int = 64
    learning_rate: float = 1e-4
    adam_b1: float = 0.9
    adam_b2: float = 0.999
    adam_eps: float = 1e-8
    discriminator_learning_rate: float = 1e-4  # FactorVAE's discriminator (Adam β1 0.5, β2 0.9: the study's)
    discriminator_b1: float = 0.5
    discriminator_b2: float = 0.9
    num_latents: int = 10
    encoder_kernel_34: int = 2  # kernel of the 3rd/4th encoder convs (disentanglement_lib's code: 2)
    conv_impl: str | None = field(default=None, metadata=PROGRAM_SPEED)  # ConvImpl
    # "highest" keeps float32 products as disentanglement_lib does; "default" lets a GPU use TF32 (faster,
    # slightly different results, so such runs get their own run_ids).
    matmul_precision: str | None = field(default=None, metadata={"run_id": "when_set"})  # MatmulPrecision
    factor_vae_step_semantics: str = field(default="global_step", metadata=HOST_RESULTS)
    checkpoint_every: int = field(default=10_000, metadata=HOST_LOOP)
    log_every: int = field(default=1_000, metadata=HOST_RESULTS)
    steps_per_call: int | None = field(default=None, metadata=PROGRAM_SPEED)
    loop_form: str | None = field(default=None, metadata=PROGRAM_SPEED)  # LoopForm
    represent_batch_size: int = field(default=256, metadata=HOST_LOOP)

    def __post_init__(self) -> None:
        positive = (
            "steps",
            "batch_size",
            "num_latents",
            "encoder_kernel_34",
            "checkpoint_every",
            "log_every",
            "represent_batch_size",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"train.{name} must be a positive integer, got {value!r}")
        if self.steps_per_call is not None and self.steps_per_call < 1:
            raise ValueError(f"train.steps_per_call must be >= 1 or null, got {self.steps_per_call!r}")
        for name in ("learning_rate", "discriminator_learning_rate", "adam_eps"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"train.{name} must be a positive finite number, got {value!r}")
        for name in ("adam_b1", "adam_b2", "discriminator_b1", "discriminator_b2"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value < 1):
                raise ValueError(f"train.{name} must lie in [0, 1), got {value!r}")
        choices = {
            "loop_form": ("python", "scan", None),
            "conv_impl": ("matmul", "xla", None),
            "matmul_precision": ("default", "high", "highest", None),
            "factor_vae_step_semantics": ("global_step", "updates"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"train.{name} must be one of {allowed}, got {getattr(self, name)!r}")

    def identity(self) -> dict[str, object]:
        """The fields that shape a run's results, as they enter its run_id (field metadata `run_id`)."""
        out = {}
        for f in dataclasses.fields(self):
            rule, value = f.metadata.get("run_id", True), getattr(self, f.name)
            if rule is True or (rule == "when_set" and value is not None):
                out[f.name] = value
        return out

    def for_program(self) -> TrainConfig:
        """This config with every host-only field at its default: equal for all configs one program serves."""
        host_only = [f for f in dataclasses.fields(self) if not f.metadata.get("compiled", True)]
        return dataclasses.replace(self, **{f.name: f.default for f in host_only})

    def updates(self, uses_discriminator: bool) -> int:
        """Number of parameter updates a run makes: `steps`, halved for FactorVAE under "global_step"."""
        if uses_discriminator and self.factor_vae_step_semantics == "global_step":
            return self.steps // 2
        return self.steps

    def resolved(self, platform: str) -> TrainConfig:
        """This config with every platform-dependent field left at None filled in from platform defaults."""
        defaults = platform_defaults(platform)
        return dataclasses.replace(
            self,
            steps_per_call=self.steps_per_call or defaults.steps_per_call,
            loop_form=self.loop_form or defaults.loop_form,
            conv_impl=self.conv_impl or defaults.conv_impl,
            matmul_precision=self.matmul_precision or defaults.matmul_precision,
        )


@dataclass(frozen=True)
class ReplicaSpec:
    """One run inside a replica-batched job: its stable id, its seed and its regularization strength."""

    run_id: str
    seed: int
    strength: float


def platform_defaults(platform: str) -> PlatformDefaults:
    """The bench-derived defaults for a JAX platform name ("cpu", "gpu"/"cuda"/"rocm", "tpu")."""
    key = "gpu" if platform in ("cuda", "rocm") else platform
    if key not in PLATFORM_DEFAULTS:
        raise ValueError(
            f"no training defaults for platform {platform!r}; known: {sorted(PLATFORM_DEFAULTS)}"
        )
    return PLATFORM_DEFAULTS[key]
