"""The study's convolutional Gaussian encoder, deconvolutional Bernoulli decoder and FactorVAE discriminator.

Layer for layer disentanglement_lib's `conv_encoder`, `deconv_decoder` and `fc_discriminator`: Glorot-uniform
kernels, zero biases, SAME padding. With `impl="matmul"` the strided convolutions are computed as
space-to-depth convolutions and the transposed ones as sub-pixel convolutions, both as patch matrix products:
the same functions of the same parameters (tested to 1e-5), several times faster to differentiate on XLA:CPU
than `lax`'s convolutions (docs/benchmarks.md). `impl="xla"` uses `lax`'s convolutions as flax does.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from models.config import ConvImpl

glorot = nn.initializers.glorot_uniform()
zeros = nn.initializers.zeros_init()
_NHWC = ("NHWC", "HWIO", "NHWC")


def conv_valid_matmul(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """Stride-1 VALID convolution as one matrix product of the image patches (im2col) with the kernel.

    For this network's small kernels and images, XLA:CPU differentiates a dot product much faster than a
    convolution; the patches are the kh·kw shifted views of `x`, concatenated in the kernel's (h, w, c) order.
    """
    kh, kw, c_in, c_out = kernel.shape
    batch, height, width, _ = x.shape
    out_h, out_w = height - kh + 1, width - kw + 1
    patches = jnp.concatenate(
        [x[:, i : i + out_h, j : j + out_w] for i in range(kh) for j in range(kw)], axis=-1
    )
    product = patches.reshape(-1, kh * kw * c_in) @ kernel.reshape(kh * kw * c_in, c_out)
    return product.reshape(batch, out_h, out_w, c_out)


def conv_stride2_same(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """`lax.conv_general_dilated(x, kernel, (2, 2), "SAME")` for an even kernel and even image, via matmuls.

    SAME padding of an even image for an even kernel k pads (k-2)/2 on each side; the padded image is
    rearranged space-to-depth (2x2 blocks become 4·C channels) and convolved, stride 1, with the k/2 x k/2
    kernel whose tap (a, b) on block channel (ph, pw, c) is the original tap (2a+ph, 2b+pw) on c.
    """
    k = kernel.shape[0]
    batch, height, width, c_in = x.shape
    if k % 2 or kernel.shape[1] != k or height % 2 or width % 2:
        raise ValueError(
            f"conv_stride2_same needs an even square kernel and image, got {kernel.shape}, {x.shape}"
        )
    pad = (k - 2) // 2
    padded = jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ph, pw = padded.shape[1] // 2, padded.shape[2] // 2
    blocks = (
        padded.reshape(batch, ph, 2, pw, 2, c_in).transpose(0, 1, 3, 2, 4, 5).reshape(batch, ph, pw, 4 * c_in)
    )
    half = k // 2
    regrouped = kernel.reshape(half, 2, half, 2, c_in, -1).transpose(0, 2, 1, 3, 4, 5)
    return conv_valid_matmul(blocks, regrouped.reshape(half, half, 4 * c_in, -1))


def subpixel_conv_transpose(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """`lax.conv_transpose(x, kernel, (2, 2), "SAME")` for a 4x4 kernel, computed as one 2x2 convolution.

    With stride 2 and SAME padding, output row 2i+r only sees input rows i-1+r and i+r, through kernel taps r
    and r+2 (likewise for columns). So all four output phases come from one stride-1 2x2 VALID convolution of
    the input padded by one on each side, with the 4x4 kernel regrouped into a 2x2 kernel of 4·C_out channels;
    the phases are then interleaved (depth-to-space). The multiply-adds of the transposed conv, no zeros.
    """
    if kernel.shape[:2] != (4, 4):
        raise ValueError(f"subpixel_conv_transpose expects a 4x4 kernel, got {kernel.shape[:2]}")
    batch, height, width, _ = x.shape
    c_in, c_out = kernel.shape[2:]
    # kernel tap t = 2a + r: a indexes the 2x2 window, r the output phase.
    phased = (
        kernel.reshape(2, 2, 2, 2, c_in, c_out).transpose(0, 2, 4, 1, 3, 5).reshape(2, 2, c_in, 4 * c_out)
    )
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    z = conv_valid_matmul(padded, phased).reshape(batch, height + 1, width + 1, 2, 2, c_out)
    rows = [
        jnp.stack([z[:, rh : rh + height, rw : rw + width, rh, rw] for rw in (0, 1)], axis=3) for rh in (0, 1)
    ]
    return jnp.stack(rows, axis=2).reshape(batch, 2 * height, 2 * width, c_out)


class DownConv(nn.Module):
    """Stride-2 SAME convolution with `nn.Conv`'s parameters (`kernel`, `bias`).

    With impl "matmul" it is computed by `conv_stride2_same` where that is the faster form on XLA:CPU: 2x2
    kernels (space-to-depth makes them a single matrix product) and narrow inputs (the first layer). For a 4x4
    kernel over 32 channels, copying the patches out costs more than `lax`'s convolution (see the bench).
    """

    features: int
    kernel_size: int
    impl: ConvImpl = "matmul"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param(
            "kernel", glorot, (self.kernel_size, self.kernel_size, x.shape[-1], self.features)
        )
        bias = self.param("bias", zeros, (self.features,))
        if self.impl == "matmul" and (self.kernel_size == 2 or x.shape[-1] < 8):
            y = conv_stride2_same(x, kernel)
        else:
            y = lax.conv_general_dilated(x, kernel, (2, 2), "SAME", dimension_numbers=_NHWC)
        return y + bias


class UpConv(nn.Module):
    """Stride-2, 4x4, SAME transposed convolution with `nn.ConvTranspose`'s parameters (`kernel`, `bias`).

    With impl "matmul" it is computed as a sub-pixel convolution, except for a single output channel, where
    XLA:CPU's own transposed convolution is the faster of the two (docs/benchmarks.md).
    """

    features: int
    impl: ConvImpl = "matmul"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param("kernel", glorot, (4, 4, x.shape[-1], self.features))
        bias = self.param("bias", zeros, (self.features,))
        if self.impl == "matmul" and self.features > 1:
            y = subpixel_conv_transpose(x, kernel)
        else:
            y = lax.conv_transpose(x, kernel, (2, 2), "SAME", dimension_numbers=_NHWC)
        return y + bias


class Encoder(nn.Module):
    """Images [B, 64, 64, C] -> (mean, log variance) [B, num_latents] of the Gaussian posterior."""

    num_latents: int = 10
    kernel_34: int = 2
    impl: ConvImpl = "matmul"

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        layers = ((32, 4), (32, 4), (64, self.kernel_34), (64, self.kernel_34))
        for i, (features, k) in enumerate(layers):
            x = nn.relu(DownConv(features, k, self.impl, name=f"Conv_{i}")(x))
        x = nn.relu(nn.Dense(256, kernel_init=glorot, bias_init=zeros)(x.reshape(x.shape[0], -1)))
        mean = nn.Dense(self.num_latents, kernel_init=glorot, bias_init=zeros, name="means")(x)
        log_var = nn.Dense(self.num_latents, kernel_init=glorot, bias_init=zeros, name="log_var")(x)
        return mean, log_var


class Decoder(nn.Module):
    """Latents [B, num_latents] -> Bernoulli logits [B, 64, 64, channels]."""

    channels: int = 1
    impl: ConvImpl = "matmul"

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        x = nn.relu(nn.Dense(256, kernel_init=glorot, bias_init=zeros)(z))
        x = nn.relu(nn.Dense(1024, kernel_init=glorot, bias_init=zeros)(x))
        x = x.reshape(z.shape[0], 4, 4, 64)
        for features in (64, 32, 32):
            x = nn.relu(UpConv(features, self.impl)(x))
        return UpConv(self.channels, self.impl)(x)


class Discriminator(nn.Module):
    """FactorVAE's discriminator: 6 x dense 1000 leaky-ReLU(0.2) -> 2 logits (0: q(z), 1: Π_l q(z_l))."""

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        x = z
        for _ in range(6):
            x = nn.leaky_relu(nn.Dense(1000, kernel_init=glorot, bias_init=zeros)(x), 0.2)
        return nn.Dense(2, kernel_init=glorot, bias_init=zeros)(x)
