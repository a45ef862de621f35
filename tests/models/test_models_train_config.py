"""Training config: platform defaults fill what a config leaves open, and programs run at its precision."""

import dataclasses

import jax
import jax.numpy as jnp
import pytest
from training_fixtures import SMALL_CONFIG, TinyGroundTruth

from models import OBJECTIVES, TrainConfig
from models.step import Program, run_keys


def test_unset_fields_take_the_platform_defaults_and_set_fields_win():
    gpu = TrainConfig().resolved("cuda")
    assert (gpu.conv_impl, gpu.loop_form, gpu.matmul_precision) == ("matmul", "scan", "highest")
    cpu = TrainConfig().resolved("cpu")
    assert (cpu.conv_impl, cpu.loop_form, cpu.matmul_precision) == ("matmul", "python", "default")
    chosen = TrainConfig(matmul_precision="default", conv_impl="xla").resolved("gpu")
    assert (chosen.conv_impl, chosen.matmul_precision) == ("xla", "default")


def test_field_metadata_decides_run_identity_and_the_compiled_program():
    base = TrainConfig()
    host_loop = TrainConfig(
        checkpoint_every=7, steps_per_call=3, loop_form="scan", conv_impl="xla", represent_batch_size=9
    )
    assert host_loop.identity() == base.identity()
    assert "matmul_precision" not in base.identity()
    assert TrainConfig(matmul_precision="highest").identity()["matmul_precision"] == "highest"
    assert TrainConfig(steps=5).identity() != base.identity()
    # one program serves every value of a host-only field; a field the program reads compiles another
    assert TrainConfig(steps=5, log_every=2, checkpoint_every=3).for_program() == base.for_program()
    assert TrainConfig(loop_form="scan").for_program() != base.for_program()
    assert TrainConfig(learning_rate=1e-3).for_program() != base.for_program()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("steps", 0),
        ("batch_size", True),
        ("learning_rate", -1e-4),
        ("adam_b1", 1.0),
        ("loop_form", "bogus"),
    ],
)
def test_values_the_study_cannot_train_are_refused(field, value):
    with pytest.raises(ValueError, match=f"train.{field}"):
        TrainConfig(**{field: value})


def test_unknown_precision_or_platform_is_refused():
    with pytest.raises(ValueError, match="matmul_precision must be one of"):
        TrainConfig(matmul_precision="tf32")
    with pytest.raises(ValueError, match="no training defaults for platform 'ipu'"):
        TrainConfig().resolved("ipu")


def test_program_is_traced_at_the_configured_matmul_precision():
    data = TinyGroundTruth(num_images=8)
    seen = []

    def observe(images_u8, key):
        seen.append(jax.config.jax_default_matmul_precision)
        return data.jax_observations(images_u8, key)

    config = dataclasses.replace(SMALL_CONFIG, matmul_precision="highest", conv_impl="matmul")
    program = Program(OBJECTIVES["beta_vae"], config, observe, data.observation_shape, data.num_images)
    state = jax.tree.map(lambda x: x[None], program.init(run_keys(0)[0]))
    one = jnp.ones((1,), jnp.float32)
    program.advance(state, one, run_keys(0)[1][None], one.astype(jnp.int32), jnp.asarray(data.images), 1)
    assert seen == ["highest"]
