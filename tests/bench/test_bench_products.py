"""bench/products.py reads the matrix products of compiled programs: known answers, fixed and live."""

import sys
from pathlib import Path

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))  # bench scripts import it flat

from products import Product, products_of  # noqa: E402

# Optimized XLA:CPU HLO of jit(lambda a, b, c: (a @ b, a.T @ c)), a [256, 32], b [32, 16], c [256, 8]
# (jaxlib 0.10.2; metadata shortened). The first product went to YNNPACK, the transposed one to Eigen.
HLO = """HloModule jit__lambda, is_scheduled=true, entry_computation_layout={(f32[256,32]{1,0})->f32[]}

%fused_computation (param_0: f32[256,32], param_1: f32[32,16]) -> f32[256,16] {
  %param_0 = f32[256,32]{1,0} parameter(0)
  %param_1 = f32[32,16]{1,0} parameter(1)
  ROOT %dot_general.0 = f32[256,16]{1,0} dot(%param_0, %param_1), lhs_contracting_dims={1}, \
rhs_contracting_dims={0}, metadata={op_name="jit(step)/jvp(Encoder)/Conv_1/dot_general" stack_frame_id=2}
}

ENTRY %main.1 (a.1: f32[256,32], b.1: f32[32,16], c.1: f32[256,8]) -> (f32[256,16], f32[32,8]) {
  %a.1 = f32[256,32]{1,0} parameter(0), metadata={op_name="a"}
  %b.1 = f32[32,16]{1,0} parameter(1), metadata={op_name="b"}
  %c.1 = f32[256,8]{1,0} parameter(2), metadata={op_name="c"}
  %ynn_fusion = f32[256,16]{1,0} fusion(%a.1, %b.1), kind=kCustom, calls=%fused_computation, \
backend_config={"fusion_config":{"kind":"__ynn_fusion"},"outer_dimension_partitions":[]}
  %dot_general.3 = f32[32,8]{1,0} dot(%a.1, %c.1), lhs_contracting_dims={0}, rhs_contracting_dims={0}, \
metadata={op_name="jit(step)/transpose(jvp(Encoder))/Conv_1/transpose" stack_frame_id=3}
  ROOT %tuple.1 = (f32[256,16]{1,0}, f32[32,8]{1,0}) tuple(%ynn_fusion, %dot_general.3)
}
"""


def test_products_are_read_with_shapes_forms_layers_and_libraries():
    forward, weight_gradient = products_of(HLO)
    assert forward == Product("Conv_1", False, (256, 32), (32, 16), (1,), (0,), "ynnpack")
    assert weight_gradient == Product("Conv_1", True, (256, 32), (256, 8), (0,), (0,), "eigen")
    assert (forward.form, weight_gradient.form) == ("NN", "TN")
    assert (forward.flops, weight_gradient.flops) == (2 * 256 * 32 * 16, 2 * 32 * 8 * 256)


def test_a_live_program_yields_each_of_its_products_once():
    a, b, c = jnp.ones((256, 32)), jnp.ones((32, 16)), jnp.ones((16, 32))
    program = jax.jit(lambda a, b, c: (a @ b, a.T @ a, b @ c.T.T)).lower(a, b, c).compile()
    found = sorted((p.lhs, p.rhs, p.form) for p in products_of(program.as_text()))
    assert found == sorted(
        [((256, 32), (32, 16), "NN"), ((256, 32), (256, 32), "TN"), ((32, 16), (16, 32), "NN")]
    )
