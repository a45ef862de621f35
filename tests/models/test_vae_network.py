"""The study network's layer shapes, initialisation, and the matmul rewrite of its convolutions."""

import re

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from models.network import (
    Decoder,
    Discriminator,
    DownConv,
    Encoder,
    UpConv,
    conv2x2,
    conv_stride2_from_blocks,
    conv_stride2_into_blocks,
    conv_stride2_same,
    conv_transpose_stride2_same,
)

NHWC = ("NHWC", "HWIO", "NHWC")


def lax_transposed(x, k):
    return jax.lax.conv_transpose(x, k, (2, 2), "SAME", dimension_numbers=NHWC)


def lax_strided(x, k):
    return jax.lax.conv_general_dilated(x, k, (2, 2), "SAME", dimension_numbers=NHWC)


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


def test_encoder_kernel_34_is_configurable():
    params = jax.eval_shape(Encoder(10, kernel_34=4).init, jax.random.PRNGKey(0), jnp.zeros((1, 64, 64, 1)))
    assert params["params"]["Conv_2"]["kernel"].shape == (4, 4, 32, 64)


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


@pytest.mark.parametrize(
    ("rewritten", "reference", "x_shape", "k_shape"),
    [
        # Each rewrite on both sides of conv2x2: output side where C_out < C_in, input side otherwise.
        (conv_transpose_stride2_same, lax_transposed, (2, 8, 8, 16), (4, 4, 16, 8)),
        (conv_transpose_stride2_same, lax_transposed, (2, 6, 10, 8), (4, 4, 8, 1)),  # the decoder's last
        (conv_transpose_stride2_same, lax_transposed, (2, 8, 8, 4), (4, 4, 4, 8)),
        (conv_stride2_same, lax_strided, (2, 16, 16, 8), (4, 4, 8, 16)),
        (conv_stride2_same, lax_strided, (2, 16, 16, 2), (4, 4, 2, 16)),
        (conv_stride2_same, lax_strided, (2, 16, 16, 8), (2, 2, 8, 16)),
    ],
)
def test_rewritten_convolutions_have_the_same_gradients(rewritten, reference, x_shape, k_shape):
    key_x, key_k, key_t = jax.random.split(jax.random.PRNGKey(2), 3)
    x, kernel = jax.random.normal(key_x, x_shape), jax.random.normal(key_k, k_shape)
    target = jax.random.normal(key_t, jax.eval_shape(reference, x, kernel).shape)

    def grads(fn):
        return jax.jit(jax.grad(lambda xx, kk: jnp.sum(fn(xx, kk) * target), argnums=(0, 1)))(x, kernel)

    for got, want in zip(grads(rewritten), grads(reference), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("pad", [0, 1])
@pytest.mark.parametrize("output_side", [False, True])
def test_conv2x2_equals_lax_on_both_sides_with_gradients(pad, output_side):
    key_x, key_k, key_t = jax.random.split(jax.random.PRNGKey(5), 3)
    x, kernel = jax.random.normal(key_x, (3, 7, 6, 5)), jax.random.normal(key_k, (2, 2, 5, 4))

    def reference(xx, kk):
        return jax.lax.conv_general_dilated(xx, kk, (1, 1), [(pad, pad), (pad, pad)], dimension_numbers=NHWC)

    assert conv2x2(x, kernel, pad, output_side).shape == (3, 6 + 2 * pad, 5 + 2 * pad, 4)
    np.testing.assert_allclose(conv2x2(x, kernel, pad, output_side), reference(x, kernel), atol=1e-5)
    target = jax.random.normal(key_t, (3, 6 + 2 * pad, 5 + 2 * pad, 4))

    def grads(fn):
        return jax.grad(lambda xx, kk: jnp.sum(fn(xx, kk) * target), argnums=(0, 1))(x, kernel)

    got, want = grads(lambda xx, kk: conv2x2(xx, kk, pad, output_side)), grads(reference)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("channels", "kernel_34"), [(1, 2), (3, 4)])
def test_matmul_encoder_equals_the_lax_encoder_with_gradients(channels, kernel_34):
    key_x, key_p, key_b = jax.random.split(jax.random.PRNGKey(7), 3)
    x = jax.random.uniform(key_x, (3, 64, 64, channels))
    variables = jax.jit(Encoder(10, kernel_34, "xla").init)(key_p, x)
    # Non-zero biases: the blocks layout must keep its padding zero whatever the bias.
    variables = jax.tree.map(lambda leaf: leaf + 0.1 * jax.random.normal(key_b, leaf.shape), variables)

    def outputs_and_grads(impl):
        def total(v):
            mean, log_var = Encoder(10, kernel_34, impl).apply(v, x)
            return jnp.sum(jnp.sin(mean)) + jnp.sum(jnp.cos(log_var)), (mean, log_var)

        return jax.jit(jax.grad(total, has_aux=True))(variables)

    (got_grads, got), (want_grads, want) = outputs_and_grads("matmul"), outputs_and_grads("xla")
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    # Gradients to 1e-5 of each parameter's largest (float32 sums of ~10^5 terms round differently).
    for g, w in zip(jax.tree.leaves(got_grads), jax.tree.leaves(want_grads), strict=True):
        np.testing.assert_allclose(g, w, atol=1e-5 * float(jnp.max(jnp.abs(w))))


def test_conv_into_blocks_is_the_padded_space_to_depth_of_the_convolution_plus_bias():
    key_x, key_k, key_b = jax.random.split(jax.random.PRNGKey(8), 3)
    x, kernel = jax.random.normal(key_x, (2, 16, 12, 3)), jax.random.normal(key_k, (4, 4, 3, 5))
    bias = jax.random.normal(key_b, (5,))
    padded = jnp.pad(lax_strided(x, kernel) + bias, ((0, 0), (1, 1), (1, 1), (0, 0)))  # [2, 10, 8, 5]
    expected = padded.reshape(2, 5, 2, 4, 2, 5).transpose(0, 1, 3, 2, 4, 5).reshape(2, 5, 4, 20)
    blocks = conv_stride2_into_blocks(x, kernel, bias)
    np.testing.assert_allclose(blocks, expected, atol=1e-5)
    kernel_2 = jax.random.normal(key_k, (4, 4, 5, 6))
    np.testing.assert_allclose(
        conv_stride2_from_blocks(blocks, kernel_2), lax_strided(padded[:, 1:-1, 1:-1], kernel_2), atol=1e-4
    )


def test_rewrites_reject_shapes_they_do_not_cover():
    with pytest.raises(ValueError, match="sides divisible by 4"):
        conv_stride2_into_blocks(jnp.zeros((1, 6, 8, 2)), jnp.zeros((4, 4, 2, 2)), jnp.zeros(2))
    with pytest.raises(ValueError, match="4x4 kernel"):
        conv_transpose_stride2_same(jnp.zeros((1, 4, 4, 2)), jnp.zeros((3, 3, 2, 2)))
    with pytest.raises(ValueError, match="2x2 or 4x4 kernel and an even image"):
        conv_stride2_same(jnp.zeros((1, 5, 4, 2)), jnp.zeros((4, 4, 2, 2)))
    with pytest.raises(ValueError, match="2x2 or 4x4 kernel and an even image"):
        conv_stride2_same(jnp.zeros((1, 4, 4, 2)), jnp.zeros((6, 6, 2, 2)))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="XLA:CPU's fusion decisions")
def test_xla_cpu_fuses_every_shifted_view_of_the_network_into_its_consumer():
    """The rewrite's shifted, zero-padded views only pay off if XLA never writes them out on their own.

    XLA:CPU materializes a view when it cannot fuse it: a concatenation along the channels of 128 or more
    (left as a plain copy), or a sum of views that several slices then read. Compiled forward and backward,
    the network should keep exactly one padding of its own: the input image's, for the first convolution.
    """
    x = jnp.zeros((4, 64, 64, 1))
    encoder, decoder = Encoder(), Decoder()
    params = (encoder.init(jax.random.PRNGKey(0), x), decoder.init(jax.random.PRNGKey(1), jnp.zeros((4, 10))))

    def loss(p):
        mean, log_var = encoder.apply(p[0], x)
        return jnp.sum(decoder.apply(p[1], mean + log_var) ** 2)

    program = jax.jit(jax.grad(loss)).lower(params).compile().as_text()
    entry = program[program.index("ENTRY") :]
    written = [line.split(" = ")[0].split()[-1] for line in entry.splitlines() if " = " in line]
    assert not [name for name in written if re.fullmatch(r"%concatenate(\.\d+)?", name)]
    assert len([name for name in written if "pad" in name]) == 1
