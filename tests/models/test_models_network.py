"""The study network: the factory, layer shapes and parameter names, initialisation, and its convolutions
against flax's (the kernels themselves: test_models_conv.py)."""

import json
import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from golden_params import CONFIG as GOLDEN_CONFIG
from golden_params import GOLDEN_FILE

from models import TrainConfig
from models.network import VAE, Decoder, Discriminator, DownConv, Encoder, UpConv, sample


def _shapes(tree):
    return {
        "/".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path): tuple(leaf.shape)
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
    }


def _intermediate_shapes(module, x):
    def run(inputs):
        variables = module.init(jax.random.PRNGKey(0), inputs)
        return module.apply(variables, inputs, capture_intermediates=True, mutable=["intermediates"])[1]

    return _shapes(jax.eval_shape(run, x)["intermediates"])


def test_the_factory_builds_the_configured_networks_for_the_data_channels():
    config = TrainConfig(num_latents=6, encoder_kernel_34=4, conv_impl="xla")
    vae = VAE.from_config(config, (64, 64, 3))
    assert (vae.encoder.impl, vae.decoder.impl, vae.num_latents) == ("xla", "xla", 6)
    params, disc_params = jax.eval_shape(lambda key: vae.init(key, discriminator=True), jax.random.PRNGKey(0))
    assert params["encoder"]["Conv_2"]["kernel"].shape == (4, 4, 32, 64)
    assert params["decoder"]["UpConv_3"]["kernel"].shape == (4, 4, 32, 3)  # the observations' channels
    assert disc_params["Dense_0"]["kernel"].shape == (6, 1000)
    mean, log_var = jax.eval_shape(vae.encode, params, jnp.zeros((2, 64, 64, 3)))
    assert mean.shape == log_var.shape == (2, 6)
    assert jax.eval_shape(vae.decode, params, mean).shape == (2, 64, 64, 3)
    assert jax.eval_shape(vae.discriminate, disc_params, mean).shape == (2, 2)
    assert vae.init(jax.random.PRNGKey(0), discriminator=False)[1] == {}
    assert VAE.from_config(TrainConfig(), (64, 64, 1)).encoder.impl in ("matmul", "xla")  # platform default


def test_the_factory_keeps_the_parameter_paths_checkpoints_were_written_with():
    golden_paths = sorted(json.loads(GOLDEN_FILE.read_text())["beta_vae"])
    vae = VAE.from_config(GOLDEN_CONFIG, (64, 64, 1))
    params, _ = jax.eval_shape(lambda key: vae.init(key, discriminator=False), jax.random.PRNGKey(0))
    paths = sorted(jax.tree_util.keystr(path) for path, _ in jax.tree_util.tree_leaves_with_path(params))
    assert paths == golden_paths


@pytest.mark.parametrize("shape", [(32, 32, 1), (64, 64), (64, 48, 3)])
def test_the_factory_rejects_images_that_are_not_64x64(shape):
    with pytest.raises(ValueError, match="needs 64x64 images"):
        VAE.from_config(TrainConfig(), shape)


def test_sample_is_the_reparameterized_gaussian():
    mean, log_var = jnp.array([[1.0, -2.0]]), jnp.log(jnp.array([[4.0, 0.25]]))
    z = jax.vmap(lambda key: sample(key, mean, log_var))(jax.random.split(jax.random.PRNGKey(0), 20_000))
    np.testing.assert_allclose(z.mean(axis=0), mean, atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), jnp.exp(log_var / 2), rtol=0.03)
    gradient = jax.grad(lambda m: jnp.sum(sample(jax.random.PRNGKey(1), m, log_var)))(mean)
    np.testing.assert_allclose(gradient, jnp.ones_like(mean))


def test_encoder_layer_shapes_follow_disentanglement_lib_code():
    x = jnp.zeros((2, 64, 64, 3))
    params = _shapes(jax.eval_shape(Encoder(10).init, jax.random.PRNGKey(0), x)["params"])
    assert params == {
        "Conv_0/kernel": (4, 4, 3, 32),
        "Conv_0/bias": (32,),
        "Conv_1/kernel": (4, 4, 32, 32),
        "Conv_1/bias": (32,),
        "Conv_2/kernel": (2, 2, 32, 64),
        "Conv_2/bias": (64,),
        "Conv_3/kernel": (2, 2, 64, 64),
        "Conv_3/bias": (64,),
        "Dense_0/kernel": (1024, 256),
        "Dense_0/bias": (256,),
        "means/kernel": (256, 10),
        "means/bias": (10,),
        "log_var/kernel": (256, 10),
        "log_var/bias": (10,),
    }
    outputs = _intermediate_shapes(Encoder(10, impl="xla"), x)  # "matmul" hands layer 0 to 1 as blocks
    assert [outputs[f"Conv_{i}/__call__/0"] for i in range(4)] == [
        (2, 32, 32, 32),
        (2, 16, 16, 32),
        (2, 8, 8, 64),
        (2, 4, 4, 64),
    ]
    assert outputs["means/__call__/0"] == outputs["log_var/__call__/0"] == (2, 10)


def test_decoder_layer_shapes():
    z = jnp.zeros((2, 10))
    params = _shapes(jax.eval_shape(Decoder(3).init, jax.random.PRNGKey(0), z)["params"])
    assert params == {
        "Dense_0/kernel": (10, 256),
        "Dense_0/bias": (256,),
        "Dense_1/kernel": (256, 1024),
        "Dense_1/bias": (1024,),
        "UpConv_0/kernel": (4, 4, 64, 64),
        "UpConv_0/bias": (64,),
        "UpConv_1/kernel": (4, 4, 64, 32),
        "UpConv_1/bias": (32,),
        "UpConv_2/kernel": (4, 4, 32, 32),
        "UpConv_2/bias": (32,),
        "UpConv_3/kernel": (4, 4, 32, 3),
        "UpConv_3/bias": (3,),
    }
    outputs = _intermediate_shapes(Decoder(3), z)
    assert [outputs[f"UpConv_{i}/__call__/0"] for i in range(4)] == [
        (2, 8, 8, 64),
        (2, 16, 16, 32),
        (2, 32, 32, 32),
        (2, 64, 64, 3),
    ]


def test_discriminator_is_six_dense_1000_then_two_logits():
    params = _shapes(
        jax.eval_shape(Discriminator().init, jax.random.PRNGKey(0), jnp.zeros((5, 10)))["params"]
    )
    kernels = [params[f"Dense_{i}/kernel"] for i in range(7)]
    assert kernels == [(10, 1000)] + [(1000, 1000)] * 5 + [(1000, 2)]


@pytest.mark.parametrize(
    ("module", "x_shape", "fan_in", "fan_out"),
    [
        (DownConv(64, 4), (1, 8, 8, 32), 4 * 4 * 32, 4 * 4 * 64),
        (UpConv(64), (1, 4, 4, 64), 4 * 4 * 64, 4 * 4 * 64),
    ],
)
def test_initialisation_is_glorot_uniform_with_zero_biases(module, x_shape, fan_in, fan_out):
    params = module.init(jax.random.PRNGKey(0), jnp.zeros(x_shape))["params"]
    kernel = np.asarray(params["kernel"])
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    assert kernel.max() <= limit and kernel.min() >= -limit
    assert kernel.std() == pytest.approx(limit / np.sqrt(3.0), rel=0.02)  # uniform(-a, a) has std a/√3
    assert not np.any(params["bias"])


@pytest.mark.parametrize(("shape", "features"), [((3, 4, 4, 64), 64), ((2, 8, 8, 64), 32), ((2, 5, 7, 6), 3)])
def test_upconv_equals_flax_conv_transpose(shape, features):
    key_x, key_p = jax.random.split(jax.random.PRNGKey(1))
    x = jax.random.normal(key_x, shape)
    reference = nn.ConvTranspose(features, (4, 4), (2, 2), padding="SAME")
    variables = jax.jit(reference.init)(key_p, x)  # random Glorot kernel, as in training
    variables["params"]["bias"] = jax.random.normal(key_p, (features,))
    expected = jax.jit(reference.apply)(variables, x)
    for impl in ("matmul", "xla"):
        np.testing.assert_allclose(jax.jit(UpConv(features, impl).apply)(variables, x), expected, atol=1e-5)


@pytest.mark.parametrize(
    ("shape", "kernel", "features"), [((2, 64, 64, 1), 4, 32), ((3, 8, 8, 32), 2, 64), ((2, 8, 6, 5), 4, 7)]
)
def test_downconv_equals_flax_strided_conv(shape, kernel, features):
    key_x, key_p = jax.random.split(jax.random.PRNGKey(3))
    x = jax.random.normal(key_x, shape)
    reference = nn.Conv(features, (kernel, kernel), (2, 2), padding="SAME")
    variables = jax.jit(reference.init)(key_p, x)
    variables["params"]["bias"] = jax.random.normal(key_p, (features,))
    expected = jax.jit(reference.apply)(variables, x)
    for impl in ("matmul", "xla"):
        got = jax.jit(DownConv(features, kernel, impl).apply)(variables, x)
        np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize(("channels", "kernel_34"), [(1, 2), (3, 4)])
def test_matmul_encoder_equals_the_lax_encoder_with_gradients(channels, kernel_34):
    key_x, key_p, key_b = jax.random.split(jax.random.PRNGKey(7), 3)
    x = jax.random.uniform(key_x, (3, 64, 64, channels))

    def encoder(impl):
        config = TrainConfig(encoder_kernel_34=kernel_34, conv_impl=impl)
        return VAE.from_config(config, (64, 64, channels)).encoder

    variables = jax.jit(encoder("xla").init)(key_p, x)
    # Non-zero biases: the blocks layout must keep its padding zero whatever the bias.
    variables = jax.tree.map(lambda leaf: leaf + 0.1 * jax.random.normal(key_b, leaf.shape), variables)

    def outputs_and_grads(impl):
        def total(v):
            mean, log_var = encoder(impl).apply(v, x)
            return jnp.sum(jnp.sin(mean)) + jnp.sum(jnp.cos(log_var)), (mean, log_var)

        return jax.jit(jax.grad(total, has_aux=True))(variables)

    (got_grads, got), (want_grads, want) = outputs_and_grads("matmul"), outputs_and_grads("xla")
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    # Gradients to 1e-5 of each parameter's largest (float32 sums of ~10^5 terms round differently).
    for g, w in zip(jax.tree.leaves(got_grads), jax.tree.leaves(want_grads), strict=True):
        np.testing.assert_allclose(g, w, atol=1e-5 * float(jnp.max(jnp.abs(w))))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="XLA:CPU's fusion decisions")
def test_xla_cpu_fuses_every_shifted_view_of_the_network_into_its_consumer():
    """The rewrite's shifted, zero-padded views only pay off if XLA never writes them out on their own.

    XLA:CPU materializes a view when it cannot fuse it: a concatenation along the channels of 128 or more
    (left as a plain copy), or a sum of views that several slices then read. Compiled forward and backward,
    the network should keep exactly one padding of its own: the input image's, for the first convolution.
    """
    x = jnp.zeros((4, 64, 64, 1))
    vae = VAE.from_config(TrainConfig(conv_impl="matmul"), (64, 64, 1))
    params, _ = vae.init(jax.random.PRNGKey(0), discriminator=False)

    def loss(p):
        mean, log_var = vae.encode(p, x)
        return jnp.sum(vae.decode(p, mean + log_var) ** 2)

    program = jax.jit(jax.grad(loss)).lower(params).compile().as_text()
    entry = program[program.index("ENTRY") :]
    written = [line.split(" = ")[0].split()[-1] for line in entry.splitlines() if " = " in line]
    assert not [name for name in written if re.fullmatch(r"%concatenate(\.\d+)?", name)]
    assert len([name for name in written if "pad" in name]) == 1
