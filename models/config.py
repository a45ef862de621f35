"""Training configuration: the study's hyperparameters, the host-loop knobs and per-platform defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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


# All from `bench/train.py` (docs/benchmarks.md); every value can be overridden in TrainConfig.
# CPU (2 cores): with XLA's scratch memory kept between steps (models/host_memory.py) the Python loop is 16%
# faster than scan at R=1; XLA:CPU computes float32 products in float32 at any precision setting.
# GPU (H200): our matmul convolutions are 4.4x (R=1) to 9.9x (R=64) faster than cuDNN's under vmap; R=64
# gives 97% of R=128's images/s at a third of its compile time; scan and the Python loop tie at R=64.
# "highest" keeps float32 products in float32 like disentanglement_lib's runs; TF32 ("default") is 1.7x
# faster, opt-in.
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


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines how one run is trained; defaults are disentanglement_lib's study values.

    `steps` counts training steps as the study does. For FactorVAE, `factor_vae_step_semantics` decides what
    a step is: "global_step" (default) reproduces disentanglement_lib's code, whose global step advances twice
    per iteration (once per optimizer), so 300k steps are 150k updates of each network; "updates" makes every
    step one update of both networks, i.e. the 300k updates the paper's text describes.
    """

    steps: int = 300_000
    batch_size: int = 64
    learning_rate: float = 1e-4
    adam_b1: float = 0.9
    adam_b2: float = 0.999
    adam_eps: float = 1e-8
    discriminator_learning_rate: float = 1e-4
    discriminator_b1: float = 0.5
    discriminator_b2: float = 0.9
    num_latents: int = 10
    encoder_kernel_34: int = 2
    conv_impl: ConvImpl | None = None
    matmul_precision: MatmulPrecision | None = None
    factor_vae_step_semantics: FactorVaeStepSemantics = "global_step"
    checkpoint_every: int = 10_000
    log_every: int = 1_000
    steps_per_call: int | None = None
    loop_form: LoopForm | None = None
    represent_batch_size: int = 256

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
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive integer, got {value!r}")
        if self.steps_per_call is not None and self.steps_per_call < 1:
            raise ValueError(f"TrainConfig.steps_per_call must be >= 1 or None, got {self.steps_per_call!r}")
        choices = {
            "loop_form": ("python", "scan", None),
            "conv_impl": ("matmul", "xla", None),
            "matmul_precision": ("default", "high", "highest", None),
            "factor_vae_step_semantics": ("global_step", "updates"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"TrainConfig.{name} must be one of {allowed}, got {getattr(self, name)!r}")

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
