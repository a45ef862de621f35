"""The training step's matrix products on this CPU: which library XLA gives each one, and how fast it runs.

    JAX_PLATFORMS=cpu .venv/bin/python bench/products.py            # a table, one row per product
    JAX_PLATFORMS=cpu .venv/bin/python bench/products.py --json

With `conv_impl="matmul"` every convolution of the study network is a matrix product (models/network.py),
so the products are most of our CPU step. XLA:CPU (jaxlib 0.10.2) gives a product to YNNPACK only when
its left operand contracts its last, contiguous dimension (`IsDotSupportedByYnn`: "we don't currently
support generating the necessary transposes"); every other product goes to the Eigen contraction compiled
into jaxlib. Each weight gradient contracts the rows (batch x pixels) of both operands, so all of them go
to Eigen, which spends a third of such a product copying the transposed operand into its kernel's layout
(docs/benchmarks.md, run M). This script reads the products from the compiled β-VAE step (R = 1, batch
64), times each alone in XLA with the same shapes and dimension numbers, and, where torch is installed
(dev-only), `torch.mm` on the same operands (transposed views, which MKL reads without copying). The last
rows sum them by library: how much of the step's product time the Eigen products take, and what PyTorch
takes for the same products.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np
from _output import machine, print_rows
from jax import lax
from train import compiled_single_step  # the step compiled as training compiles it

from models.host_memory import keep_scratch_memory

_INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%(\S+) = \w+\[([\d,]*)\]\S* (\w[\w-]*)\(([^)]*)\)(.*)$")
_CONTRACTING = re.compile(r"(lhs|rhs)_contracting_dims=\{([\d,]*)\}")
_BATCH = re.compile(r"(lhs|rhs)_batch_dims=\{([\d,]*)\}")
_OP_NAME = re.compile(r'op_name="([^"]*)"')


@dataclass(frozen=True)
class Product:
    """One dot of a compiled program: operand shapes, dimension numbers, where it comes from, its library."""

    layer: str
    backward: bool
    lhs: tuple[int, ...]
    rhs: tuple[int, ...]
    lhs_contracting: tuple[int, ...]
    rhs_contracting: tuple[int, ...]
    library: str

    @property
    def form(self) -> str:
        """NN, NT, TN or TT: T where an operand contracts its leading dimension (rank-2 products)."""
        return ("T" if self.lhs_contracting == (0,) else "N") + ("N" if self.rhs_contracting == (0,) else "T")

    @property
    def flops(self) -> int:
        """Multiply-adds times two: output elements times the contracted length, twice."""
        contracted = math.prod(self.lhs[d] for d in self.lhs_contracting)
        return 2 * math.prod(self.lhs) * math.prod(self.rhs) // contracted


def products_of(hlo_text: str) -> list[Product]:
    """The rank-2 dots of an optimized XLA:CPU HLO module without batch dimensions, in program order.

    A dot inside a YNNPACK fusion runs in YNNPACK ("ynnpack"), one inside another fusion in code XLA emits
    ("xla"); a dot at the top level runs in Eigen or, when tiny, in code XLA emits ("eigen" covers both).
    Operand shapes are looked up in the computation the dot sits in, which declares every operand.
    """
    shapes: dict[str, tuple[int, ...]] = {}
    fused_into: dict[str, str] = {}  # fused computation -> the library its fusion runs in
    found: list[tuple[str, str, str]] = []  # (computation, dot line's operands, the rest of its line)
    computation = ""
    for line in hlo_text.splitlines():
        if not line.startswith(" ") and "{" in line:
            computation = line.split()[1] if line.startswith("ENTRY") else line.split()[0]
            computation = computation.lstrip("%")
            continue
        match = _INSTRUCTION.match(line)
        if not match:
            continue
        name, dims, opcode, operands, rest = match.groups()
        shapes[f"{computation}/{name}"] = _integers(dims)
        if opcode == "fusion":
            called = re.search(r"calls=%([\w.\-]+)", rest)
            if called:
                fused_into[called.group(1)] = "ynnpack" if '"kind":"__ynn_fusion"' in rest else "xla"
        if opcode == "dot" and not _BATCH.search(rest):
            found.append((computation, operands, rest))
    products = []
    for computation, operands, rest in found:
        lhs, rhs = (shapes[f"{computation}/{op.strip().lstrip('%')}"] for op in operands.split(","))
        if len(lhs) != 2 or len(rhs) != 2:
            continue
        dims = {side: _integers(text) for side, text in _CONTRACTING.findall(rest)}
        op_name = _OP_NAME.search(rest)
        path = op_name.group(1).split("/") if op_name else ["(unnamed)"]
        products.append(
            Product(
                layer=path[-2] if len(path) > 1 else path[0],
                backward=any(part.startswith("transpose(") for part in path),
                lhs=lhs,
                rhs=rhs,
                lhs_contracting=dims["lhs"],
                rhs_contracting=dims["rhs"],
                library=fused_into.get(computation, "eigen"),
            )
        )
    return products


def _integers(text: str) -> tuple[int, ...]:
    """Integers of an HLO list: "18496,128" -> (18496, 128); "" (a scalar's dimensions) -> ()."""
    return tuple(int(d) for d in text.split(",") if d)


def _median_seconds(run: Callable[[], object], calls: int) -> float:
    run()
    run()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_in_xla(product: Product, calls: int) -> float:
    """Median seconds of the product alone, jitted with its shapes and dimension numbers."""
    rng = np.random.default_rng(0)
    lhs, rhs = (jax.device_put(rng.random(shape, np.float32)) for shape in (product.lhs, product.rhs))
    numbers = ((product.lhs_contracting, product.rhs_contracting), ((), ()))
    dot = jax.jit(lambda a, b: lax.dot_general(a, b, numbers))
    return _median_seconds(lambda: dot(lhs, rhs).block_until_ready(), calls)


def time_in_torch(product: Product, calls: int) -> float | None:
    """Median seconds of `torch.mm` on the same operands (transposed views where XLA contracts dim 0)."""
    try:
        import torch
    except ImportError:
        return None
    lhs, rhs = (torch.rand(shape) for shape in (product.lhs, product.rhs))
    lhs = lhs.T if product.lhs_contracting == (0,) else lhs
    rhs = rhs.T if product.rhs_contracting == (1,) else rhs
    return _median_seconds(lambda: torch.mm(lhs, rhs), calls)


def measure(calls: int) -> list[dict]:
    """One row per product of the compiled β-VAE step, then one total row per library and one overall."""
    program, _ = compiled_single_step()
    rows = []
    for product in products_of(program.as_text()):
        xla_s, torch_s = time_in_xla(product, calls), time_in_torch(product, calls)
        rows.append(
            {
                "layer": product.layer,
                "pass": "backward" if product.backward else "forward",
                "shape": f"{'x'.join(map(str, product.lhs))} . {'x'.join(map(str, product.rhs))}",
                "form": product.form,
                "library": product.library,
                "mflop": product.flops / 1e6,
                "xla_ms": xla_s * 1e3,
                "xla_gflops": product.flops / xla_s / 1e9,
                "torch_ms": None if torch_s is None else torch_s * 1e3,
                "torch_gflops": None if torch_s is None else product.flops / torch_s / 1e9,
            }
        )
    return rows + _totals(rows)


def _totals(rows: list[dict]) -> list[dict]:
    """Summed milliseconds and MFLOP per library, and for all products together."""
    groups = {
        f"all {library}": [r for r in rows if r["library"] == library] for library in ("ynnpack", "eigen")
    }
    groups["all"] = rows
    totals = []
    for name, members in groups.items():
        mflop = sum(r["mflop"] for r in members)
        xla_ms = sum(r["xla_ms"] for r in members)
        torch_ms = (
            None if any(r["torch_ms"] is None for r in members) else sum(r["torch_ms"] for r in members)
        )
        totals.append(
            {
                "layer": name,
                "products": len(members),
                "mflop": mflop,
                "xla_ms": xla_ms,
                "xla_gflops": mflop / xla_ms if xla_ms else None,
                "torch_ms": torch_ms,
                "torch_gflops": mflop / torch_ms if torch_ms else None,
                "machine": machine(),
            }
        )
    return totals


def _line(row: dict) -> str:
    cells = [f"{row['layer']:<12}", f"{row.get('pass', ''):<8}", f"{row.get('shape', ''):<22}"]
    cells += [f"{row.get('form', ''):<4}", f"{row.get('library', row.get('products', '')):<8}"]
    for key, width in (("mflop", 7), ("xla_ms", 7), ("xla_gflops", 6), ("torch_ms", 7), ("torch_gflops", 6)):
        value = row.get(key)
        cells.append(
            f"{'-' if value is None else f'{value:.2f}' if 'ms' in key else f'{value:.0f}':>{width}}"
        )
    return " ".join(cells) + (f"  ({row['machine']})" if "machine" in row else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON list of result rows")
    parser.add_argument("--calls", type=int, default=30, help="timed calls per product (the median is kept)")
    args = parser.parse_args()
    keep_scratch_memory()
    rows = measure(args.calls)
    if not args.json:
        print(
            "layer        pass     operands               form lib/n      MFLOP  XLA ms  GF/s torch ms  GF/s"
        )
    print_rows(rows, args.json, _line)


if __name__ == "__main__":
    main()
