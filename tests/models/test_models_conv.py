"""models/conv.py: every form of `conv` equals `lax`'s convolution, in value and gradient, and the kernels
reject the shapes they do not cover."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from models.conv import _conv2x2, conv

NHWC = ("NHWC", "HWIO", "NHWC")


def lax_transposed(x, k):
    return jax.lax.conv_transpose(x, k, (2, 2), "SAME", dimension_numbers=NHWC)


def lax_strided(x, k):
    return jax.lax.conv_general_dilated(x, k, (2, 2), "SAME", dimension_numbers=NHWC)


@pytest.mark.parametrize(
    ("transpose", "reference", "x_shape", "k_shape"),
    [
        # Each rewrite on both sides of the 2x2 convolution: output side where C_out < C_in, else input side.
        (True, lax_transposed, (2, 8, 8, 16), (4, 4, 16, 8)),
        (True, lax_transposed, (2, 6, 10, 8), (4, 4, 8, 1)),  # the decoder's last
        (True, lax_transposed, (2, 8, 8, 4), (4, 4, 4, 8)),
        (False, lax_strided, (2, 16, 16, 8), (4, 4, 8, 16)),
        (False, lax_strided, (2, 16, 16, 2), (4, 4, 2, 16)),
        (False, lax_strided, (2, 16, 16, 8), (2, 2, 8, 16)),
    ],
)
def test_the_matmul_forms_have_lax_values_and_gradients(transpose, reference, x_shape, k_shape):
    key_x, key_k, key_b, key_t = jax.random.split(jax.random.PRNGKey(2), 4)
    x, kernel = jax.random.normal(key_x, x_shape), jax.random.normal(key_k, k_shape)
    bias = jax.random.normal(key_b, k_shape[-1:])
    target = jax.random.normal(key_t, jax.eval_shape(reference, x, kernel).shape)

    def ours(xx, kk, bb):
        return conv(xx, kk, bb, transpose=transpose, impl="matmul")

    def theirs(xx, kk, bb):
        return reference(xx, kk) + bb

    np.testing.assert_allclose(jax.jit(ours)(x, kernel, bias), theirs(x, kernel, bias), atol=1e-4)

    def grads(fn):
        return jax.jit(jax.grad(lambda *a: jnp.sum(fn(*a) * target), argnums=(0, 1, 2)))(x, kernel, bias)

    for got, want in zip(grads(ours), grads(theirs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("pad", [0, 1])
@pytest.mark.parametrize("output_side", [False, True])
def test_the_2x2_kernel_equals_lax_on_both_sides_with_gradients(pad, output_side):
    key_x, key_k, key_t = jax.random.split(jax.random.PRNGKey(5), 3)
    x, kernel = jax.random.normal(key_x, (3, 7, 6, 5)), jax.random.normal(key_k, (2, 2, 5, 4))

    def reference(xx, kk):
        return jax.lax.conv_general_dilated(xx, kk, (1, 1), [(pad, pad), (pad, pad)], dimension_numbers=NHWC)

    assert _conv2x2(x, kernel, pad, output_side).shape == (3, 6 + 2 * pad, 5 + 2 * pad, 4)
    np.testing.assert_allclose(_conv2x2(x, kernel, pad, output_side), reference(x, kernel), atol=1e-5)
    target = jax.random.normal(key_t, (3, 6 + 2 * pad, 5 + 2 * pad, 4))

    def grads(fn):
        return jax.grad(lambda xx, kk: jnp.sum(fn(xx, kk) * target), argnums=(0, 1))(x, kernel)

    got, want = grads(lambda xx, kk: _conv2x2(xx, kk, pad, output_side)), grads(reference)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


def test_the_blocks_layout_is_the_padded_space_to_depth_of_the_convolution_plus_bias():
    key_x, key_k, key_b = jax.random.split(jax.random.PRNGKey(8), 3)
    x, kernel = jax.random.normal(key_x, (2, 16, 12, 3)), jax.random.normal(key_k, (4, 4, 3, 5))
    bias = jax.random.normal(key_b, (5,))
    padded = jnp.pad(lax_strided(x, kernel) + bias, ((0, 0), (1, 1), (1, 1), (0, 0)))  # [2, 10, 8, 5]
    expected = padded.reshape(2, 5, 2, 4, 2, 5).transpose(0, 1, 3, 2, 4, 5).reshape(2, 5, 4, 20)
    blocks = conv(x, kernel, bias, layout="into_blocks")
    np.testing.assert_allclose(blocks, expected, atol=1e-5)
    kernel_2, bias_2 = jax.random.normal(key_k, (4, 4, 5, 6)), jax.random.normal(key_b, (6,))
    np.testing.assert_allclose(
        conv(blocks, kernel_2, bias_2, layout="from_blocks"),
        lax_strided(padded[:, 1:-1, 1:-1], kernel_2) + bias_2,
        atol=1e-4,
    )


def test_conv_rejects_shapes_and_options_it_does_not_cover():
    zeros = jnp.zeros(2)
    with pytest.raises(ValueError, match="sides divisible by 4"):
        conv(jnp.zeros((1, 6, 8, 2)), jnp.zeros((4, 4, 2, 2)), zeros, layout="into_blocks")
    with pytest.raises(ValueError, match="4x4 kernel"):
        conv(jnp.zeros((1, 4, 4, 2)), jnp.zeros((3, 3, 2, 2)), zeros, transpose=True)
    with pytest.raises(ValueError, match="2x2 or 4x4 kernel and an even image"):
        conv(jnp.zeros((1, 5, 4, 2)), jnp.zeros((4, 4, 2, 2)), zeros)
    with pytest.raises(ValueError, match="2x2 or 4x4 kernel and an even image"):
        conv(jnp.zeros((1, 4, 4, 2)), jnp.zeros((6, 6, 2, 2)), zeros)
    with pytest.raises(ValueError, match="layout 'into_blocks' exists only"):
        conv(jnp.zeros((1, 8, 8, 2)), jnp.zeros((4, 4, 2, 2)), zeros, impl="xla", layout="into_blocks")
