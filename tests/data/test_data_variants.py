"""Color-, Noisy- and Scream-dSprites: value ranges and per-image randomness, on numpy and on JAX."""

from __future__ import annotations

import functools

import jax
import numpy as np
import pytest

import data
from data._variants import Color, Noisy, Scream, load_scream_texture


def _sprites(n: int = 16) -> np.ndarray:
    """n binary float images [n, 64, 64, 1]: a square at a different place in each."""
    x = np.zeros((n, 64, 64, 1), np.float32)
    for i in range(n):
        x[i, 10 + i : 30 + i, 5 + 2 * i : 25 + 2 * i] = 1.0
    return x


@functools.cache
def _jitted(variant):
    """One compiled JAX recipe per variant for the whole module (compiling is the slow part)."""
    return jax.jit(variant.jax)


def _apply(variant, x: np.ndarray, path: str, seed: int = 0) -> np.ndarray:
    """The variant applied by numpy or by jitted JAX."""
    if path == "numpy":
        return variant.numpy(x, np.random.default_rng(seed))
    return np.asarray(_jitted(variant)(x, jax.random.key(seed)))


@pytest.mark.parametrize("path", ["numpy", "jax"])
def test_color_gives_one_colour_in_half_to_one_per_image(path):
    x = _sprites()
    out = _apply(Color(), x, path)
    sprite = x[..., 0] == 1
    assert out.shape == (16, 64, 64, 3) and out.dtype == np.float32
    assert (out[~sprite] == 0).all()  # the background stays black
    colours = np.stack([out[i][sprite[i]] for i in range(16)])  # [16, pixels, 3]
    assert (colours == colours[:, :1]).all()  # one colour per image
    assert colours.min() >= 0.5 and colours.max() <= 1.0
    assert np.unique(colours[:, 0], axis=0).shape[0] == 16  # drawn afresh per image


@pytest.mark.parametrize("path", ["numpy", "jax"])
def test_noisy_keeps_the_sprite_white_and_noises_the_background(path):
    x = _sprites()
    out = _apply(Noisy(), x, path)
    sprite = x[..., 0] == 1
    assert (out[sprite] == 1.0).all()
    background = out[~sprite]
    assert background.min() >= 0.0 and background.max() < 1.0
    assert background.mean() == pytest.approx(0.5, abs=0.01)  # U(0, 1)
    assert not np.array_equal(out[0, :5, :5], out[1, :5, :5])  # fresh noise per image


@pytest.mark.parametrize("path", ["numpy", "jax"])
def test_scream_inverts_a_random_texture_crop_under_the_sprite(path):
    height, width = 200, 300
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    texture = np.stack([rows / height, cols / width, np.full(rows.shape, 0.4)], axis=-1).astype(np.float32)
    x = _sprites()
    out = _apply(Scream(texture), x, path)
    sprite = x[..., 0] == 1
    background = np.where(sprite[..., None], 1.0 - out, out)  # undo the inversion
    # (crop + c) / 2: one colour offset per image, a contiguous crop of the gradient texture.
    np.testing.assert_allclose(np.diff(background[..., 0], axis=1), 0.5 / height, atol=1e-5)
    np.testing.assert_allclose(np.diff(background[..., 1], axis=2), 0.5 / width, atol=1e-5)
    blue = background[..., 2].reshape(16, -1)
    np.testing.assert_allclose(blue - blue[:, :1], 0.0, atol=1e-6)
    assert ((blue[:, 0] >= 0.2) & (blue[:, 0] <= 0.7)).all()  # (0.4 + U(0, 1)) / 2
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert np.unique(background[:, 0, 0, 0]).size == 16  # a different crop and colour per image


def test_jax_path_is_deterministic_per_key():
    x = _sprites()
    first, again = (_apply(Noisy(), x, "jax", seed=3) for _ in range(2))
    other = _apply(Noisy(), x, "jax", seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_scream_texture_prefers_the_users_file(tmp_path):
    texture, source = load_scream_texture(tmp_path)
    assert source.endswith("grace_hopper.jpg")  # the public-domain stand-in shipped with matplotlib
    assert (
        texture.shape == (274, 234, 3) and texture.dtype == np.float32
    )  # 512x600 thumbnailed to fit 350x274
    from PIL import Image

    (tmp_path / "scream").mkdir()
    Image.fromarray(np.full((300, 500, 3), 51, np.uint8)).save(tmp_path / "scream" / "scream.jpg")
    texture, source = load_scream_texture(tmp_path)
    assert source == str(tmp_path / "scream" / "scream.jpg")
    assert texture.shape == (210, 350, 3)
    np.testing.assert_allclose(texture, 0.2, atol=0.01)


def test_a_texture_too_small_to_crop_is_a_clear_error(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((60, 80, 3), np.uint8)).save(tmp_path / "scream.jpg")
    with pytest.raises(data.DataFormatError, match="must exceed 64x64"):
        load_scream_texture(tmp_path)


@pytest.mark.parametrize("name", ["color_dsprites", "noisy_dsprites", "scream_dsprites"])
def test_variant_data_sets_share_the_dsprites_grid(dsprites, name, rng):
    variant = data.load_dataset(name, procedural=True)
    assert variant.factor_sizes == dsprites.factor_sizes and variant.num_images == dsprites.num_images
    assert variant.observation_shape == (64, 64, 3) and variant.name == name
    observations = variant.sample_observations(8, rng)
    assert observations.shape == (8, 64, 64, 3) and observations.dtype == np.float32
    assert observations.min() >= 0.0 and observations.max() <= 1.0
    batch = jax.jit(variant.jax_observations)(variant.images[:8], jax.random.key(0))
    assert batch.shape == (8, 64, 64, 3) and batch.dtype == np.float32
