#!/usr/bin/env bash
# One short lease of a GPU machine: the training bench grid, the side-by-side PyTorch step and the numerics
# checks, most important first, each row kept under $OUT as soon as it is measured (a phase cut off by its
# time limit keeps its finished rows). Run from the repository root with the machine's own python3, which must
# have jax[cuda], flax, optax and orbax-checkpoint (and torch for the PyTorch row):
#
#     OUT=/tmp/gpu bash bench/gpu.sh          # about 9 minutes; DEADLINE=<seconds> to change
#     OUT=/tmp/gpu bash bench/gpu.sh checks float32 loop      # only these phases, in this order
#
# Phases: checks (numerics), grid (R x convolution implementation), tf32 (the opt-in precision), objectives,
# colour, torch (one model against the PyTorch twin), float32 (FactorVAE and 3-channel images at the default
# float32 products, plus "high" = bf16x3 products), loop (the Python loop at R = 1). Default: all but the last two.
#
# Budgets are the compile and run times seen on an H200 (2026-11-28, docs/benchmarks.md): a float32-precision
# program took 69 s to compile, R=128 36 s, the numerics checks over 80 s. The first lease ran out before the
# checks, so they now come first.
#
# Files: env.txt (GPU and versions), train.jsonl (bench/train.py rows), vs_torch.json, checks.json,
# stderr.txt (the last lines of every phase's stderr).
set -u
OUT=${OUT:-/tmp/gpu_bench}
PY=${PYTHON:-python3}
DEADLINE=$((SECONDS + ${DEADLINE:-540}))
mkdir -p "$OUT"
export PYTHONPATH="$PWD:$PWD/bench" PYTHONUNBUFFERED=1
rows="$OUT/train.jsonl"

# Run one phase for at most $1 seconds (less if the deadline is nearer); its stderr tail goes to stderr.txt.
phase() {
    local budget=$1 left=$((DEADLINE - SECONDS))
    shift
    ((left < budget)) && budget=$left
    ((budget < 15)) && { echo "skipped (deadline): $*" | tee -a "$OUT/stderr.txt" >&2; return; }
    echo "== $(date +%T) [${budget}s] $*" >&2
    timeout "$budget" "$@" 2> >(tail -n 20 >>"$OUT/stderr.txt") || echo "   exit $? : $*" >&2
}
train() { phase "$1" "$PY" bench/train.py --jsonl "$rows" --steps-per-call 100 --calls 2 "${@:2}" >/dev/null; }

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv 2>&1 |
    tee "$OUT/env.txt"
"$PY" -c "import jax, flax, optax, orbax.checkpoint, models; print('jax', jax.__version__, 'flax',
flax.__version__, 'optax', optax.__version__, jax.devices())" 2>&1 | tee -a "$OUT/env.txt"
((PIPESTATUS[0] == 0)) || exit 1

# Numerics on the device: conv rewrite against lax, replica independence, TF32 against full float32.
checks() { phase 150 "$PY" bench/device_checks.py --json >"$OUT/checks.json"; }

# The replica grid of the β-VAE step in one compiled scan, both convolution implementations.
grid() { train 170 --objectives beta_vae --replicas 1 8 32 64 --loop-forms scan --conv-impls xla matmul; }

# The best convolution implementation at R=64 in the rows so far (matmul unless the grid says otherwise).
best() {
    "$PY" - "$rows" <<'EOF'
import json, sys
from pathlib import Path
lines = Path(sys.argv[1]).read_text().splitlines() if Path(sys.argv[1]).exists() else []
rows = [r for r in map(json.loads, lines) if r["replicas"] == 64 and r["loop_form"] == "scan"]
print(max(rows, key=lambda r: r["images_per_s"])["conv_impl"] if rows else "matmul")
EOF
}

# TF32 (opt-in; the other rows use the GPU default, float32 products), the other objectives, colour images.
tf32() {
    train 90 --objectives beta_vae factor_vae --replicas 64 --loop-forms scan --conv-impls "$(best)" \
        --precision default
}
objectives() {
    train 100 --objectives annealed_vae factor_vae beta_tc_vae dip_vae_i dip_vae_ii --replicas 64 \
        --loop-forms scan --conv-impls "$(best)"
}
colour() { train 40 --objectives beta_vae --replicas 64 --loop-forms scan --conv-impls "$(best)" --channels 3; }

# One model, batch 64: our step (both implementations and loop forms) against the PyTorch twin.
torch() {
    phase 120 env XLA_PYTHON_CLIENT_MEM_FRACTION=0.5 "$PY" bench/train.py --json --vs-torch --rounds 3 \
        --steps-per-call 100 >"$OUT/vs_torch.json"
}

# The rows the first lease could not reach: FactorVAE and colour at float32 products, bf16x3 ("high")
# products and their numerics.
float32() {
    train 100 --objectives factor_vae --replicas 64 --loop-forms scan --conv-impls matmul
    train 100 --objectives beta_vae --replicas 64 --loop-forms scan --conv-impls matmul --channels 3
    train 100 --objectives beta_vae --replicas 64 --loop-forms scan --conv-impls matmul --precision high
    phase 60 "$PY" bench/device_checks.py --json --precisions high --conv-impls matmul >"$OUT/checks_high.json"
}
loop() { train 60 --objectives beta_vae --replicas 1 --loop-forms python scan --conv-impls matmul; }

for name in ${@:-checks grid tf32 objectives colour torch}; do "$name"; done

echo "== $(date +%T) done"
[[ -f $rows ]] && "$PY" - "$rows" <<'EOF'
import json, sys
for r in map(json.loads, open(sys.argv[1])):
    print("{objective:12} R={replicas:<4} {loop_form:6} {conv_impl:6} C={channels} {precision:8} "
          "{images_per_s:10.0f} img/s  {seconds_per_step:.5f} s/step  compile {compile_s:.1f} s".format(**r))
EOF
cat "$OUT"/vs_torch.json "$OUT"/checks*.json 2>/dev/null
