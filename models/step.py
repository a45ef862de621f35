"""The functional core: one replica's state, its initialisation and its pure training step, and the compiled
replica-batched program (vmap over replicas, K steps per host call as a Python loop or `lax.scan`).

A step is `(state, strength, train_key, target, images) -> (state, logs)`. The strength and the target number
of updates are array inputs, so one compilation serves every strength and every resume point; the step's key
is `fold_in(train_key, step)`, so a run resumed from a checkpoint draws exactly the batches it would have.
A replica whose step reaches its target, or whose loss or parameters stop being finite, is frozen by a mask:
replicas that diverged or finished share the program with the ones still training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax import lax

from models.config import TrainConfig
from models.losses import bernoulli_reconstruction, gaussian_kl
from models.network import VAE, sample
from models.objectives import Objective, RegularizerInputs
from models.objectives.factor_vae import discriminator_loss, shuffle_codes
from models.precision import at_precision

Observe = Callable[[jax.Array, jax.Array], jax.Array]
Logs = dict[str, jax.Array]


class TrainState(NamedTuple):
    """One replica's training state (stacked along a leading replica axis inside a job)."""

    step: jax.Array  # int32: updates made so far
    diverged_step: jax.Array  # int32: the update at which loss/params became non-finite, -1 while healthy
    params: Any  # {"encoder": ..., "decoder": ...}
    opt_state: Any
    disc_params: Any  # FactorVAE's discriminator, {} otherwise
    disc_opt_state: Any


def run_keys(seed: int) -> tuple[jax.Array, jax.Array]:
    """(init key, train key) of a run: the seed alone fixes its initial parameters and its batches."""
    init_key, train_key = jax.random.split(jax.random.PRNGKey(seed))
    return init_key, train_key


@dataclass(frozen=True)
class Networks:
    """The study VAE a program trains and its two optimizers, from the config and the observation shape."""

    vae: VAE
    vae_optimizer: optax.GradientTransformation
    disc_optimizer: optax.GradientTransformation

    @classmethod
    def build(cls, config: TrainConfig, observation_shape: tuple[int, int, int]) -> Networks:
        """`VAE.from_config` and Adam optimizers exactly as the study configures them."""
        return cls(
            vae=VAE.from_config(config, observation_shape),
            vae_optimizer=optax.adam(config.learning_rate, config.adam_b1, config.adam_b2, config.adam_eps),
            disc_optimizer=optax.adam(
                config.discriminator_learning_rate,
                config.discriminator_b1,
                config.discriminator_b2,
                config.adam_eps,
            ),
        )


def init_state(nets: Networks, objective: Objective, init_key: jax.Array) -> TrainState:
    """A fresh replica: Glorot-initialised networks, zeroed Adam moments, step 0."""
    params, disc_params = nets.vae.init(init_key, discriminator=objective.uses_discriminator)
    disc_opt_state: Any = nets.disc_optimizer.init(disc_params) if objective.uses_discriminator else {}
    return TrainState(
        jnp.int32(0), jnp.int32(-1), params, nets.vae_optimizer.init(params), disc_params, disc_opt_state
    )


def _all_finite(tree: Any) -> jax.Array:
    leaves = jax.tree.leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves])) if leaves else jnp.bool_(True)


def make_step(
    nets: Networks, objective: Objective, config: TrainConfig, observe: Observe, dataset_size: int
) -> Callable[..., tuple[TrainState, Logs]]:
    """The pure single-replica step `(state, strength, train_key, target, images) -> (state, logs)`."""

    def vae_loss(params, disc_params, x, key_sample, step, strength):
        mean, log_var = nets.vae.encode(params, x)
        z = sample(key_sample, mean, log_var)
        logits = nets.vae.decode(params, z)
        reconstruction = jnp.mean(bernoulli_reconstruction(x, logits))
        kl = gaussian_kl(mean, log_var)
        disc_logits = nets.vae.discriminate(disc_params, z) if objective.uses_discriminator else None
        regularizer, extra = objective.regularize(
            RegularizerInputs(kl, mean, log_var, z, step, strength, dataset_size, disc_logits)
        )
        loss = reconstruction + regularizer
        logs = {
            "loss": loss,
            "reconstruction": reconstruction,
            "kl": kl,
            "regularizer": regularizer,
            "elbo": reconstruction + kl,
            **extra,
        }
        return loss, (logs, z)

    def discriminator_objective(disc_params, z, key_shuffle):
        logits_z = nets.vae.discriminate(disc_params, z)
        logits_shuffled = nets.vae.discriminate(disc_params, shuffle_codes(key_shuffle, z))
        return discriminator_loss(logits_z, logits_shuffled)

    def step(state: TrainState, strength, train_key, target, images) -> tuple[TrainState, Logs]:
        key_batch, key_observe, key_sample, key_shuffle = jax.random.split(
            jax.random.fold_in(train_key, state.step), 4
        )
        index = jax.random.randint(key_batch, (config.batch_size,), 0, images.shape[0])
        x = observe(images[index], key_observe)
        (loss, (logs, z)), grads = jax.value_and_grad(vae_loss, has_aux=True)(
            state.params, state.disc_params, x, key_sample, state.step, strength
        )
        updates, opt_state = nets.vae_optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        disc_params, disc_opt_state = state.disc_params, state.disc_opt_state
        if objective.uses_discriminator:
            disc_grads = jax.grad(discriminator_objective)(
                state.disc_params, lax.stop_gradient(z), key_shuffle
            )
            disc_updates, disc_opt_state = nets.disc_optimizer.update(disc_grads, disc_opt_state, disc_params)
            disc_params = optax.apply_updates(disc_params, disc_updates)
        finite = jnp.isfinite(loss) & _all_finite(params) & _all_finite(disc_params)
        active = (state.step < target) & (state.diverged_step < 0)
        commit = active & finite
        candidate = TrainState(
            state.step + 1, state.diverged_step, params, opt_state, disc_params, disc_opt_state
        )
        new_state = jax.tree.map(lambda new, old: jnp.where(commit, new, old), candidate, state)
        new_state = new_state._replace(
            diverged_step=jnp.where(active & ~finite, state.step, state.diverged_step)
        )
        logs = {**logs, "step": new_state.step, "committed": commit}
        return new_state, logs

    return step


class Program:
    """The compiled replica-batched program of one (objective, config, data set): init and K-step advance."""

    def __init__(
        self,
        objective: Objective,
        config: TrainConfig,
        observe: Observe,
        observation_shape: tuple[int, int, int],
        dataset_size: int,
    ):
        self.objective = objective
        self.config = config
        self.nets = Networks.build(config, observation_shape)
        single = make_step(self.nets, objective, config, observe, dataset_size)
        step = jax.vmap(single, in_axes=(0, 0, 0, 0, None))

        def jit_at_precision(fn, **jit_kwargs):
            return at_precision(jax.jit(fn, **jit_kwargs), config.matmul_precision)

        self._init = jit_at_precision(lambda key: init_state(self.nets, objective, key))
        self._step = jit_at_precision(step, donate_argnums=0)
        # One replica runs unbatched: XLA:CPU's vmapped dots miss its fast matmul path (docs/benchmarks.md).
        self._single_step = jit_at_precision(single, donate_argnums=0)
        self._scan = jit_at_precision(self._make_scan(step, config.steps_per_call), donate_argnums=0)

    @staticmethod
    def _make_scan(step, length: int):
        def scanned(state, strengths, keys, targets, images):
            return lax.scan(
                lambda s, _: step(s, strengths, keys, targets, images), state, None, length=length
            )

        return scanned

    def init(self, init_key: jax.Array) -> TrainState:
        """A fresh single-replica state (compiled once, whatever the number of replicas)."""
        return self._init(init_key)

    def advance(
        self,
        state: TrainState,
        strengths: jax.Array,
        train_keys: jax.Array,
        targets: jax.Array,
        images: jax.Array,
        num_steps: int,
    ) -> tuple[TrainState, Logs]:
        """Run `num_steps` masked steps of every replica; logs come back stacked [num_steps, R].

        The scan form always runs `steps_per_call` steps (replicas past their target are frozen by the mask);
        the Python form dispatches `num_steps` single steps asynchronously and stacks their logs once.
        """
        if self.config.loop_form == "scan":
            return self._scan(state, strengths, train_keys, targets, images)
        step, squeeze = self._step, strengths.shape[0] == 1
        if squeeze:
            step = self._single_step
            state, strengths, train_keys, targets = jax.tree.map(
                lambda x: x[0], (state, strengths, train_keys, targets)
            )
        history = []
        for _ in range(num_steps):
            state, logs = step(state, strengths, train_keys, targets, images)
            history.append(logs)
        logs = jax.tree.map(lambda *xs: jnp.stack(xs), *history)
        if squeeze:
            state, logs = jax.tree.map(lambda x: x[None], state), jax.tree.map(lambda x: x[:, None], logs)
        return state, logs
