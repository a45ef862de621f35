"""The study's VAE: convolutional Gaussian encoder, deconvolutional Bernoulli decoder, reparameterized sample,
and FactorVAE's discriminator, built once from the config by `VAE.from_config`.

Layer for layer disentanglement_lib's `conv_encoder`, `deconv_decoder` and `fc_discriminator`: Glorot-uniform
kernels, zero biases, SAME padding. The convolutions themselves are `models.conv.conv`; the module and
parameter names (`Conv_0`, `UpConv_3`, `means`, ...) are those of every checkpoint written so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.config import ConvImpl, TrainConfig
from models.conv import Layout, conv

Params = Any  # a flax parameter tree
IMAGE_SIDE = 64  # the study network's input height and width

glorot = nn.initializers.glorot_uniform()
zeros = nn.initializers.zeros_init()


class DownConv(nn.Module):
    """Stride-2 SAME convolution with `nn.Conv`'s parameters (`kernel`, `bias`); `layout` as in `conv`."""

    features: int
    kernel_size: int
    impl: ConvImpl = "matmul"
    layout: Layout = "pixels"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c_in = x.shape[-1] // 4 if self.layout == "from_blocks" else x.shape[-1]
        kernel = self.param("kernel", glorot, (self.kernel_size, self.kernel_size, c_in, self.features))
        bias = self.param("bias", zeros, (self.features,))
        return conv(x, kernel, bias, impl=self.impl, layout=self.layout)


class UpConv(nn.Module):
    """Stride-2, 4x4, SAME transposed convolution with `nn.ConvTranspose`'s parameters (`kernel`, `bias`)."""

    features: int
    impl: ConvImpl = "matmul"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param("kernel", glorot, (4, 4, x.shape[-1], self.features))
        bias = self.param("bias", zeros, (self.features,))
        return conv(x, kernel, bias, transpose=True, impl=self.impl)


class Encoder(nn.Module):
    """Images [B, 64, 64, C] -> (mean, log variance) [B, num_latents] of the Gaussian posterior."""

    num_latents: int = 10
    kernel_34: int = 2
    impl: ConvImpl = "matmul"

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        layers = ((32, 4), (32, 4), (64, self.kernel_34), (64, self.kernel_34))
        # The two 4x4 layers meet in the second one's padded space-to-depth layout (matmul only).
        blocks = ("into_blocks", "from_blocks", "pixels", "pixels")
        layouts = blocks if self.impl == "matmul" else ("pixels",) * 4
        for i, ((features, k), layout) in enumerate(zip(layers, layouts, strict=True)):
            x = nn.relu(DownConv(features, k, self.impl, layout, name=f"Conv_{i}")(x))
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


def sample(key: jax.Array, mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """Reparameterized sample mean + exp(log_var / 2) * eps, eps ~ N(0, I): z ~ q(z|x), differentiable."""
    return mean + jnp.exp(log_var / 2.0) * jax.random.normal(key, mean.shape, mean.dtype)


@dataclass(frozen=True)
class VAE:
    """The study's networks for one observation shape. Parameters are {"encoder": ..., "decoder": ...}; the
    discriminator's are kept apart (only FactorVAE trains it). Hashable, so compiled functions can be cached
    per VAE."""

    encoder: Encoder
    decoder: Decoder
    discriminator: Discriminator
    observation_shape: tuple[int, int, int]

    @classmethod
    def from_config(cls, config: TrainConfig, observation_shape: Sequence[int]) -> VAE:
        """The networks `config` describes for images of `observation_shape` (H, W, C): the data's channels
        size the decoder's output; `conv_impl` left at None takes the platform default."""
        shape = tuple(int(n) for n in observation_shape)
        if len(shape) != 3 or shape[:2] != (IMAGE_SIDE, IMAGE_SIDE):
            raise ValueError(
                f"the study network needs 64x64 images, the data set has {shape}; "
                "resize the data set's images to 64x64"
            )
        impl = config.resolved(jax.default_backend()).conv_impl
        return cls(
            encoder=Encoder(config.num_latents, config.encoder_kernel_34, impl),
            decoder=Decoder(shape[2], impl),
            discriminator=Discriminator(),
            observation_shape=shape,
        )

    @property
    def num_latents(self) -> int:
        """Dimension of the latent code."""
        return self.encoder.num_latents

    def init(self, key: jax.Array, *, discriminator: bool) -> tuple[Params, Params]:
        """Glorot-initialised (VAE parameters, discriminator parameters or {} without `discriminator`)."""
        k_enc, k_dec, k_disc = jax.random.split(key, 3)
        params = {
            "encoder": self.encoder.init(k_enc, jnp.zeros((1, *self.observation_shape)))["params"],
            "decoder": self.decoder.init(k_dec, jnp.zeros((1, self.num_latents)))["params"],
        }
        if not discriminator:
            return params, {}
        return params, self.discriminator.init(k_disc, jnp.zeros((1, self.num_latents)))["params"]

    def encode(self, params: Params, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(mean, log variance) [B, d] of q(z|x) for images x [B, 64, 64, C]."""
        return self.encoder.apply({"params": params["encoder"]}, x)

    def decode(self, params: Params, z: jax.Array) -> jax.Array:
        """Bernoulli logits [B, 64, 64, C] of p(x|z) for codes z [B, d]."""
        return self.decoder.apply({"params": params["decoder"]}, z)

    def discriminate(self, disc_params: Params, z: jax.Array) -> jax.Array:
        """FactorVAE discriminator logits [B, 2] of codes z [B, d]."""
        return self.discriminator.apply({"params": disc_params}, z)
