"""The study's convolutional Gaussian encoder, deconvolutional Bernoulli decoder and FactorVAE discriminator.

Layer for layer disentanglement_lib's `conv_encoder`, `deconv_decoder` and `fc_discriminator`: Glorot-uniform
kernels, zero biases, SAME padding. The decoder's stride-2 transposed convolutions are computed as sub-pixel
convolutions by default (`subpixel_conv_transpose`): the same function of the same parameters, several times
faster to differentiate on XLA:CPU than `lax.conv_transpose` (docs/bench/train.md).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from models.config import TransposedConv

glorot = nn.initializers.glorot_uniform()
zeros = nn.initializers.zeros_init()
_NHWC = ("NHWC", "HWIO", "NHWC")


def subpixel_conv_transpose(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """`lax.conv_transpose(x, kernel, (2, 2), "SAME")` for a 4x4 kernel, computed as one 2x2 convolution.

    With stride 2 and SAME padding, output row 2i+r only sees input rows i-1+r and i+r through kernel taps r and
    r+2 (likewise for columns). So all four output phases come from one stride-1 2x2 VALID convolution of the
    input padded by one on each side, with the 4x4 kernel regrouped into a 2x2 kernel of 4·C_out channels; the
    phases are then interleaved (depth-to-space). Same multiply-adds as the transposed convolution, no zeros.
    """
    if kernel.shape[:2] != (4, 4):
        raise ValueError(f"subpixel_conv_transpose expects a 4x4 kernel, got {kernel.shape[:2]}")
    batch, height, width, _ = x.shape
    c_in, c_out = kernel.shape[2:]
    # kernel tap t = 2a + r: a indexes the 2x2 window, r the output phase.
    phased = kernel.reshape(2, 2, 2, 2, c_in, c_out).transpose(0, 2, 4, 1, 3, 5).reshape(2, 2, c_in, 4 * c_out)
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    z = lax.conv_general_dilated(padded, phased, (1, 1), "VALID", dimension_numbers=_NHWC)
    z = z.reshape(batch, height + 1, width + 1, 2, 2, c_out)
    rows = [jnp.stack([z[:, rh:rh + height, rw:rw + width, rh, rw] for rw in (0, 1)], axis=3) for rh in (0, 1)]
    return jnp.stack(rows, axis=2).reshape(batch, 2 * height, 2 * width, c_out)


class UpConv(nn.Module):
    """Stride-2, 4x4, SAME transposed convolution with `nn.ConvTranspose`'s parameters (`kernel`, `bias`)."""

    features: int
    method: TransposedConv = "subpixel"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param("kernel", glorot, (4, 4, x.shape[-1], self.features))
        bias = self.param("bias", zeros, (self.features,))
        if self.method == "subpixel":
            y = subpixel_conv_transpose(x, kernel)
        else:
            y = lax.conv_transpose(x, kernel, (2, 2), "SAME", dimension_numbers=_NHWC)
        return y + bias


class Encoder(nn.Module):
    """Images [B, 64, 64, C] -> (mean, log variance) [B, num_latents] of the Gaussian posterior."""

    num_latents: int = 10
    kernel_34: int = 2

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        for features, k in ((32, 4), (32, 4), (64, self.kernel_34), (64, self.kernel_34)):
            x = nn.relu(nn.Conv(features, (k, k), (2, 2), "SAME", kernel_init=glorot, bias_init=zeros)(x))
        x = nn.relu(nn.Dense(256, kernel_init=glorot, bias_init=zeros)(x.reshape(x.shape[0], -1)))
        mean = nn.Dense(self.num_latents, kernel_init=glorot, bias_init=zeros, name="means")(x)
        log_var = nn.Dense(self.num_latents, kernel_init=glorot, bias_init=zeros, name="log_var")(x)
        return mean, log_var


class Decoder(nn.Module):
    """Latents [B, num_latents] -> Bernoulli logits [B, 64, 64, channels]."""

    channels: int = 1
    method: TransposedConv = "subpixel"

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        x = nn.relu(nn.Dense(256, kernel_init=glorot, bias_init=zeros)(z))
        x = nn.relu(nn.Dense(1024, kernel_init=glorot, bias_init=zeros)(x))
        x = x.reshape(z.shape[0], 4, 4, 64)
        for features in (64, 32, 32):
            x = nn.relu(UpConv(features, self.method)(x))
        return UpConv(self.channels, self.method)(x)


class Discriminator(nn.Module):
    """FactorVAE's discriminator: 6 x dense 1000 leaky-ReLU(0.2) -> 2 logits (0: q(z), 1: product of marginals)."""

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        x = z
        for _ in range(6):
            x = nn.leaky_relu(nn.Dense(1000, kernel_init=glorot, bias_init=zeros)(x), 0.2)
        return nn.Dense(2, kernel_init=glorot, bias_init=zeros)(x)
