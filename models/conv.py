"""Stride-2 SAME convolutions of the study network, as matrix products with hand-written gradients.

`conv` is the one entry point. With `impl="xla"` it calls `lax`'s convolutions, as flax does. With
`impl="matmul"` every convolution becomes one stride-1 2x2 convolution (`_conv2x2`: a matrix product plus
shifted copies): strided ones after a space-to-depth rearrangement, transposed ones as sub-pixel
convolutions. The same function of the same parameters (tested to 1e-5), and much faster to differentiate on
XLA:CPU than `lax`'s convolutions (docs/benchmarks.md, "Why our own convolutions").
"""

from __future__ import annotations

import functools
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from models.config import ConvImpl

Layout = Literal["pixels", "into_blocks", "from_blocks"]
_NHWC = ("NHWC", "HWIO", "NHWC")


def conv(
    x: jax.Array,
    kernel: jax.Array,
    bias: jax.Array,
    *,
    transpose: bool = False,
    impl: ConvImpl = "matmul",
    layout: Layout = "pixels",
) -> jax.Array:
    """Stride-2 SAME convolution (transposed with `transpose`) of NHWC `x` by an HWIO `kernel`, plus `bias`.

    `layout` lets two consecutive 4x4 strided convolutions (impl "matmul") skip the rearrangement between
    them: "into_blocks" returns the output zero-padded by one and space-to-depth (2x2 blocks as 4·C channels),
    "from_blocks" takes its input in that form. The matmul forms need an even image and a 2x2 or 4x4 kernel
    (4x4 and sides divisible by 4 for "into_blocks"; 4x4 when transposed).
    """
    if layout != "pixels" and (transpose or impl != "matmul"):
        raise ValueError(f"layout {layout!r} exists only for impl='matmul' strided convolutions")
    if impl == "xla":
        if transpose:
            return lax.conv_transpose(x, kernel, (2, 2), "SAME", dimension_numbers=_NHWC) + bias
        return lax.conv_general_dilated(x, kernel, (2, 2), "SAME", dimension_numbers=_NHWC) + bias
    if transpose:
        return _transpose_stride2(x, kernel) + bias
    if layout == "into_blocks":
        return _stride2_into_blocks(x, kernel, bias)
    if layout == "from_blocks":
        return _stride2_from_blocks(x, kernel) + bias
    return _stride2(x, kernel) + bias


def _shifted(x: jax.Array, di: int, dj: int, height: int, width: int) -> jax.Array:
    """`x[:, i + di, j + dj]` for i < height, j < width, zero where that falls outside `x`.

    A slice and a pad that XLA fuses into its consumer, so shifted views are never materialized padded.
    """
    rows, cols = x.shape[1], x.shape[2]
    i0, i1 = max(0, di), min(rows, height + di)
    j0, j1 = max(0, dj), min(cols, width + dj)
    pads = ((0, 0), (i0 - di, height + di - i1), (j0 - dj, width + dj - j1)) + ((0, 0),) * (x.ndim - 3)
    return jnp.pad(x[:, i0:i1, j0:j1], pads)


def _tap_offsets(pad: int, sign: int) -> list[tuple[int, int]]:
    """Offsets sign·(a - pad, b - pad) of the 2x2 taps (a, b) in (row, column) order."""
    return [(sign * (a - pad), sign * (b - pad)) for a in (0, 1) for b in (0, 1)]


def _gather_shifts(
    x: jax.Array | list[jax.Array], offsets: list[tuple[int, int]], height: int, width: int
) -> jax.Array:
    """[B, height, width, k·C]: the k shifted views side by side, of `x` (im2col of a 2x2 window) or of x[k].

    Stacked on a new axis and merged into the channels (the memory order of a channel concatenation)
    because XLA:CPU does not fuse a wide concatenation along the channels: it would write every view out.
    """
    sources = x if isinstance(x, list) else [x] * len(offsets)
    views = [_shifted(src, di, dj, height, width) for src, (di, dj) in zip(sources, offsets, strict=True)]
    stacked = jnp.stack(views, axis=-2)
    return stacked.reshape(*stacked.shape[:-2], -1)


def _add_shifts(product: jax.Array, offsets: list[tuple[int, int]], height: int, width: int) -> jax.Array:
    """Σ_k shifted(k-th quarter of `product`'s channels, offsets[k]): [..., 4·C] -> [..., C] (col2im)."""
    parts = jnp.split(product, 4, axis=-1)
    return sum(_shifted(part, di, dj, height, width) for part, (di, dj) in zip(parts, offsets, strict=True))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _conv2x2(x: jax.Array, kernel: jax.Array, pad: int, output_side: bool) -> jax.Array:
    """Stride-1 2x2 convolution of `x` zero-padded by `pad` (0 or 1) on every side, as one matrix product.

    `x` [B, H, W, C_in], `kernel` [2, 2, C_in, C_out] -> [B, H + 2·pad - 1, W + 2·pad - 1, C_out].
    Input side (im2col): copy out the 2x2 patches, 4·C_in numbers per output pixel, and multiply. Output side
    (col2im): multiply every input pixel by all four taps, 4·C_out numbers per pixel, and add the shifted
    products. The caller picks the side that copies fewer numbers. The hand-written gradient takes the
    input gradient in the other side's form, so neither pass materializes a padded or zero-stuffed array.
    """
    return _conv2x2_forward(x, kernel, pad, output_side)[0]


def _conv2x2_forward(x, kernel, pad, output_side):
    batch, height, width, c_in = x.shape
    c_out = kernel.shape[-1]
    out_h, out_w = height + 2 * pad - 1, width + 2 * pad - 1
    if output_side:
        taps = kernel.transpose(2, 0, 1, 3).reshape(c_in, 4 * c_out)
        product = (x.reshape(-1, c_in) @ taps).reshape(batch, height, width, 4 * c_out)
        y = _add_shifts(product, _tap_offsets(pad, 1), out_h, out_w)
    else:
        patches = _gather_shifts(x, _tap_offsets(pad, 1), out_h, out_w).reshape(-1, 4 * c_in)
        y = (patches @ kernel.reshape(4 * c_in, c_out)).reshape(batch, out_h, out_w, c_out)
    return y, (x, kernel)


def _conv2x2_backward(pad, output_side, residuals, dy):
    x, kernel = residuals
    batch, height, width, c_in = x.shape
    c_out = kernel.shape[-1]
    out_h, out_w = dy.shape[1], dy.shape[2]
    if output_side:
        d_product = _gather_shifts(dy, _tap_offsets(pad, -1), height, width).reshape(-1, 4 * c_out)
        taps = kernel.transpose(2, 0, 1, 3).reshape(c_in, 4 * c_out)
        dx = (d_product @ taps.T).reshape(x.shape)
        d_taps = x.reshape(-1, c_in).T @ d_product
        return dx, d_taps.reshape(c_in, 2, 2, c_out).transpose(1, 2, 0, 3)
    flat_dy = dy.reshape(-1, c_out)
    d_patches = (flat_dy @ kernel.reshape(4 * c_in, c_out).T).reshape(batch, out_h, out_w, 4 * c_in)
    dx = _add_shifts(d_patches, _tap_offsets(pad, -1), height, width)
    patches = _gather_shifts(x, _tap_offsets(pad, 1), out_h, out_w).reshape(-1, 4 * c_in)
    return dx, (patches.T @ flat_dy).reshape(kernel.shape)


_conv2x2.defvjp(_conv2x2_forward, _conv2x2_backward)


def _space_to_depth(x: jax.Array, block: int = 2) -> jax.Array:
    """[B, nH, nW, C] -> [B, H, W, n²C] (n = block): each block becomes one pixel, channels (row, col, c)."""
    batch, height, width, channels = x.shape
    rows, cols = height // block, width // block
    blocks = x.reshape(batch, rows, block, cols, block, channels).transpose(0, 1, 3, 2, 4, 5)
    return blocks.reshape(batch, rows, cols, block * block * channels)


def _stride2(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """`lax.conv_general_dilated(x, kernel, (2, 2), "SAME")` for a 2x2 or 4x4 kernel and an even image.

    SAME padding of an even image pads (k-2)/2 on each side; rearranged space-to-depth (2x2 blocks become
    4·C channels) the convolution becomes a stride-1 one with a k/2 x k/2 kernel whose tap (a, b) on block
    channel (ph, pw, c) is the original tap (2a+ph, 2b+pw) on c: a plain matrix product for k = 2, `_conv2x2`
    for k = 4.
    """
    k = kernel.shape[0]
    batch, height, width, c_in = x.shape
    if k not in (2, 4) or kernel.shape[1] != k or height % 2 or width % 2:
        raise ValueError(
            f"conv (matmul) needs a 2x2 or 4x4 kernel and an even image, got {kernel.shape}, {x.shape}"
        )
    pad = (k - 2) // 2
    blocks = _space_to_depth(jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0))))
    if k == 2:
        c_out = kernel.shape[-1]
        flat = blocks.reshape(-1, 4 * c_in) @ _regroup_stride2(kernel)[0, 0]
        return flat.reshape(batch, height // 2, width // 2, c_out)
    return _stride2_from_blocks(blocks, kernel)


def _regroup_stride2(kernel: jax.Array) -> jax.Array:
    """[k, k, C, O] -> [k/2, k/2, 4C, O]: tap (a, b), block channel (ph, pw, c) = kernel[2a+ph, 2b+pw, c]."""
    k, _, c_in, c_out = kernel.shape
    half = k // 2
    regrouped = kernel.reshape(half, 2, half, 2, c_in, c_out).transpose(0, 2, 1, 3, 4, 5)
    return regrouped.reshape(half, half, 4 * c_in, c_out)


def _stride2_into_blocks(x: jax.Array, kernel: jax.Array, bias: jax.Array) -> jax.Array:
    """`_stride2(x, kernel) + bias` (4x4 kernel), zero-padded by one and rearranged space-to-depth.

    [B, H, W, C] -> [B, H/4 + 1, W/4 + 1, 4·C_out]: block (I, J) holds output pixels (2I+ph-1, 2J+pw-1),
    zero outside the image, channels (ph, pw, c): the input `_stride2_from_blocks` wants. The matrix
    product writes its rows in that order, so the layer after it needs no space-to-depth transposition of
    this output nor of its gradient. Output pixel
    2I+ph-1 reads input rows 4I+2ph-3 .. 4I+2ph: the 4x4 blocks of the input padded by three and shifted by
    2·ph, so four space-to-depth views of the (small) input, one per (ph, pw), give the patches in order.
    The bias enters the product through a column that is 1 inside the image and 0 outside, where the patches
    are zero too: the padding comes out exactly zero with no masking pass over the output.
    """
    batch, height, width, c_in = x.shape
    c_out = kernel.shape[-1]
    if kernel.shape[:2] != (4, 4) or height % 4 or width % 4:
        raise ValueError(
            f"conv into blocks needs a 4x4 kernel, sides divisible by 4: {kernel.shape}, {x.shape}"
        )
    rows, cols = height // 4 + 1, width // 4 + 1
    padded = jnp.pad(x, ((0, 0), (3, 3), (3, 3), (0, 0)))
    views = [
        _space_to_depth(padded[:, 2 * ph : 2 * ph + 4 * rows, 2 * pw : 2 * pw + 4 * cols], 4)
        for ph in (0, 1)
        for pw in (0, 1)
    ]
    inside = jnp.broadcast_to(_inside_blocks(rows, cols, height // 2, width // 2), (batch, rows, cols, 4, 1))
    patches = jnp.where(inside, jnp.stack(views, axis=3), 0.0)
    patches = jnp.concatenate([patches, inside.astype(x.dtype)], axis=-1).reshape(-1, 16 * c_in + 1)
    y = patches @ jnp.concatenate([kernel.reshape(16 * c_in, c_out), bias[None]])
    return y.reshape(batch, rows, cols, 4 * c_out)


def _inside_blocks(rows: int, cols: int, height: int, width: int) -> np.ndarray:
    """[rows, cols, 4, 1]: is pixel (2I+ph-1, 2J+pw-1) of block (I, J), slot (ph, pw), inside the image."""
    i = 2 * np.arange(rows)[:, None] + np.arange(2)[None, :] - 1  # [rows, ph]
    j = 2 * np.arange(cols)[:, None] + np.arange(2)[None, :] - 1
    inside = ((i >= 0) & (i < height))[:, None, :, None] & ((j >= 0) & (j < width))[None, :, None, :]
    return inside.reshape(rows, cols, 4, 1)


def _stride2_from_blocks(blocks: jax.Array, kernel: jax.Array) -> jax.Array:
    """`_stride2` for a 4x4 kernel of an image given as `_stride2_into_blocks` lays it out."""
    c_in, c_out = kernel.shape[2:]
    return _conv2x2(blocks, _regroup_stride2(kernel), 0, c_out < 4 * c_in)


def _transpose_stride2(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """`lax.conv_transpose(x, kernel, (2, 2), "SAME")` for a 4x4 kernel, as one 2x2 convolution (sub-pixel).

    With stride 2 and SAME padding, output row 2i+r only sees input rows i-1+r and i+r, through kernel taps
    r and r+2 (likewise for columns). So all four output phases come from one stride-1 2x2 convolution of the
    input padded by one, with the 4x4 kernel regrouped into a 2x2 kernel of 4·C_out channels; the phases are
    then interleaved (depth-to-space). The multiply-adds of the transposed convolution and no zeros. With
    fewer output than input channels the 2x2 convolution is taken from its output side, and its shifted sums
    and the interleaving are one pass (`_phases_from_taps`).
    """
    if kernel.shape[:2] != (4, 4):
        raise ValueError(f"conv (matmul, transposed) needs a 4x4 kernel, got {kernel.shape[:2]}")
    batch, height, width, c_in = x.shape
    c_out = kernel.shape[-1]
    # kernel tap t = 2a + r: a indexes the 2x2 window, r the output phase.
    phased = (
        kernel.reshape(2, 2, 2, 2, c_in, c_out).transpose(0, 2, 4, 1, 3, 5).reshape(2, 2, c_in, 4 * c_out)
    )
    if c_out < c_in:
        # Output side (fewer numbers to copy): every input pixel times all 16 (tap, phase) kernel slices.
        taps = phased.transpose(2, 0, 1, 3).reshape(c_in, 16 * c_out)
        return _phases_from_taps((x.reshape(-1, c_in) @ taps).reshape(batch, height, width, 16 * c_out))
    return _interleave_phases(_conv2x2(x, phased, 1, False))


@jax.custom_vjp
def _interleave_phases(z: jax.Array) -> jax.Array:
    """[B, H+1, W+1, (r, s, C)] -> [B, 2H, 2W, C] with output pixel (2i+r, 2j+s) = z[:, i+r, j+s, (r, s)].

    Depth-to-space of the four phases, each read at its own offset. Its gradient is written out as one
    gather of the four shifted phases of the output gradient; autodiff would instead add four zero-padded
    copies of the whole [B, H+1, W+1, 4C] array.
    """
    batch, rows, cols, channels = z.shape
    height, width, c_out = rows - 1, cols - 1, channels // 4
    z = z.reshape(batch, rows, cols, 2, 2, c_out)
    phases = [jnp.stack([z[:, r : r + height, s : s + width, r, s] for s in (0, 1)], axis=3) for r in (0, 1)]
    return jnp.stack(phases, axis=2).reshape(batch, 2 * height, 2 * width, c_out)


def _output_phases(dy: jax.Array) -> list[jax.Array]:
    """The four phases of an output gradient [B, 2H, 2W, C]: dy[:, r::2, s::2] for (r, s) in order."""
    batch, height2, width2, c_out = dy.shape
    by_phase = dy.reshape(batch, height2 // 2, 2, width2 // 2, 2, c_out)
    return [by_phase[:, :, r, :, s] for r in (0, 1) for s in (0, 1)]


def _interleave_phases_backward(_, dy: jax.Array) -> tuple[jax.Array]:
    height, width = dy.shape[1] // 2, dy.shape[2] // 2
    offsets = [(-r, -s) for r in (0, 1) for s in (0, 1)]
    return (_gather_shifts(_output_phases(dy), offsets, height + 1, width + 1),)


_interleave_phases.defvjp(lambda z: (_interleave_phases(z), None), _interleave_phases_backward)


@jax.custom_vjp
def _phases_from_taps(product: jax.Array) -> jax.Array:
    """Col2im and depth-to-space of an output-side sub-pixel convolution in one pass.

    [B, H, W, (a, b, r, s, C)] -> [B, 2H, 2W, C]: output pixel (2i+r, 2j+s) is the sum over the window taps
    (a, b) of product[i+r+a-1, j+s+b-1, (a, b, r, s)], zero outside the image. The same values as
    `_interleave_phases` of the shifted sums `_conv2x2(..., output_side=True)` forms, but each phase is summed
    straight from the product: summed first, the four zero-padded partial sums feed four phase slices, and
    XLA:CPU then writes each of them out in full rather than repeat it in every slice. The gradient gathers
    the 16 shifted phase views of the output gradient, which is the product's gradient.
    """
    batch, height, width, channels = product.shape
    by_phase = product.reshape(batch, height, width, 2, 2, 2, 2, channels // 16)

    def phase(r: int, s: int) -> jax.Array:
        taps = by_phase[:, :, :, :, :, r, s].reshape(batch, height, width, channels // 4)
        return _add_shifts(taps, [(r + a - 1, s + b - 1) for a in (0, 1) for b in (0, 1)], height, width)

    rows = [jnp.stack([phase(r, s) for s in (0, 1)], axis=3) for r in (0, 1)]
    return jnp.stack(rows, axis=2).reshape(batch, 2 * height, 2 * width, channels // 16)


def _phases_from_taps_backward(_, dy: jax.Array) -> tuple[jax.Array]:
    batch, height2, width2, c_out = dy.shape
    height, width = height2 // 2, width2 // 2
    phases = _output_phases(dy)

    def tap(a: int, b: int) -> jax.Array:  # [B, H, W, (r, s, C)]
        offsets = [(1 - r - a, 1 - s - b) for r in (0, 1) for s in (0, 1)]
        return _gather_shifts(phases, offsets, height, width)

    # Two levels of four: XLA:CPU fuses no concatenation of more than eight pieces.
    taps = jnp.stack([tap(a, b) for a in (0, 1) for b in (0, 1)], axis=-2)
    return (taps.reshape(batch, height, width, 16 * c_out),)


_phases_from_taps.defvjp(lambda product: (_phases_from_taps(product), None), _phases_from_taps_backward)
