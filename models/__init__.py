"""Training core: the study's conv VAE, its six objectives, replica-batched training, checkpoints and the
representation functions the evaluation calls. Imports only `data`-shaped objects, never `sweep` or Ray."""

from models.checkpoint import load_final_params, load_final_result
from models.config import PLATFORM_DEFAULTS, ReplicaSpec, TrainConfig, platform_defaults
from models.objectives import OBJECTIVES, Objective
from models.representation import heldout_scores, represent_fn
from models.train import RunResult, train_replicas

__all__ = [
    "OBJECTIVES",
    "PLATFORM_DEFAULTS",
    "Objective",
    "ReplicaSpec",
    "RunResult",
    "TrainConfig",
    "heldout_scores",
    "load_final_params",
    "load_final_result",
    "platform_defaults",
    "represent_fn",
    "train_replicas",
]
