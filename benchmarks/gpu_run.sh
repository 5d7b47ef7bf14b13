#!/usr/bin/env bash
# The GPU run of issue 29, as one prepared script (run from the repository root on the device machine,
# $OUT an empty folder whose files come back; a wheel folder .whl with array-api-compat and
# array-api-strict carried beside it). Every step has its own time limit, writes its log under
# $OUT/gpu, and the folder is packed after each step, so what finished comes back even if a later
# step is cut. TINY=1 tries the script on a CPU at the quick profile's sizes (numpy and jax only).
set -u
OUT=${OUT:-/tmp/gpu_out}
R=$OUT/gpu
mkdir -p "$R"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1 MPLBACKEND=Agg
TINY=${TINY:-0}
END=$(( $(date +%s) + ${BUDGET:-380} ))  # the whole script's budget in seconds: later steps get what is left
PROFILE=large; BACKEND=cupy; T=1
if [ "$TINY" = 1 ]; then PROFILE=quick; BACKEND=numpy; T=0.2; fi

pack() { tar -czf "$OUT/gpu.tar.gz" -C "$OUT" gpu; }
step() {  # step NAME SECONDS COMMAND...: time-limited, logged, timed
  local name=$1 secs=$2; shift 2
  local left=$(( END - $(date +%s) ))
  if [ "$left" -lt 5 ]; then echo "$name skipped: the script's budget is spent :: $*" >> "$R/steps.txt"; return; fi
  local limit; limit=$(python3 -c "print(min($left, max(5, int($secs * $T))))")
  local t0; t0=$(date +%s.%N)
  timeout "$limit" "$@" > "$R/$name.log" 2>&1
  local rc=$?
  echo "$name rc=$rc seconds=$(python3 -c "print(round($(date +%s.%N) - $t0, 1))") limit=$limit :: $*" >> "$R/steps.txt"
  pack
}

{
  date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  python3 - <<'EOF'
import platform, importlib
print("python", platform.python_version(), platform.machine())
for m in ("numpy", "scipy", "cupy", "jax", "jaxlib", "torch", "numba", "array_api_compat", "array_api_strict"):
    try:
        print(m, importlib.import_module(m).__version__)
    except Exception as exc:
        print(m, "missing:", exc)
try:
    import jax
    print("jax devices", jax.devices())
except Exception as exc:
    print("jax devices: none", exc)
EOF
} > "$R/env.txt" 2>&1
pack

# 1. the large profile on CuPy, claim by claim (a claim cut by its limit is named in steps.txt)
for c in linear-min-norm linear-span-projection thm1-adaptive-step cor-phi-span thm3-homogeneity thm3-stable-fixed-points \
         lemma-forced-zero appg-downsampling-memorizes; do
  step "large64_$c" 30 python3 -m verify --profile $PROFILE --backend $BACKEND --claim "$c" --json "$R/large64_$c.json"
done
for c in linear-min-norm thm1-adaptive-step thm3-homogeneity; do
  step "large32_$c" 20 python3 -m verify --profile $PROFILE --backend $BACKEND --dtype float32 --claim "$c" \
    --json "$R/large32_$c.json"
done

# 2. the cross-backend test: every claim on CuPy, then on JAX, against NumPy (same seed and sizes)
step test_cupy 80 python3 -m pytest -q -x -p no:cacheprovider tests/test_claims.py -k "cupy" tests/test_backend.py
step test_jax 60 python3 -m pytest -q -p no:cacheprovider tests/test_claims.py -k "jax and test_claim_holds"


# 3. benchmarks: NumPy vs CuPy vs JAX (paper-profile claims), the GPU step against the GPU's matmul peak, PyTorch, the deep trainer
if [ "$TINY" = 1 ]; then
  step bench_backends 30 python3 benchmarks/bench_scale.py backends --d 64 --n 8 --backends numpy --profile quick \
    --claim linear-min-norm
  step bench_throughput 30 python3 benchmarks/bench_scale.py throughput --d 256 --n 32
else
  step bench_backends 60 python3 benchmarks/bench_scale.py backends --d 16384 --n 1024 --backends numpy cupy jax \
    --profile paper --claim linear-min-norm --claim thm1-adaptive-step --claim thm3-homogeneity
  step bench_throughput 40 python3 benchmarks/bench_scale.py throughput --backend cupy --d 4096 8192 16384 --n 1024
  step bench_torch 30 python3 benchmarks/bench_scale.py torch --d 4096 8192 --n 1024
fi
step bench_time_to_target 60 python3 benchmarks/bench_time_to_target.py --repeats 1
step bench_deep_fc 30 python3 benchmarks/bench_deep_fc.py --d 784 --width 1024 --depth 6 --batch 200 --steps 20 --repeats 3
echo done >> "$R/steps.txt"
pack
