#!/usr/bin/env bash
# Every check that needs the GPU, in one call (on the GPU machine, from any folder):
#
#     bash benchmarks/gpu_check.sh [DATA_DIR]
#
# First the library's CUDA probe on this checkout (CuPy, a driver, a GPU, a first kernel): without a usable GPU the
# script stops at once with one line saying why and exit status 2, having installed and written nothing. Then:
# (a) installs this checkout (pip install -e ., no dependencies) when autograd_lite does not import, and puts it
#     first on PYTHONPATH either way, so every part runs this checkout's code;
# (b) the CUDA tests: pytest -m cuda with AUTOGRAD_LITE_REQUIRE_GPU=1 (a missing GPU fails them), and
#     AUTOGRAD_LITE_DATA=DATA_DIR when one is given (the MNIST test on the GPU runs instead of skipping);
# (c) benchmarks/gpu_bench.py --require-gpu;
# (d) with DATA_DIR (else $AUTOGRAD_LITE_DATA, when set): examples/mnist.py --device cuda --epochs 3 on the MNIST
#     IDX files there (DATA_DIR, DATA_DIR/mnist or DATA_DIR/MNIST/raw: the example's --data-dir), then the CNN
#     (--model cnn) for one epoch;
# (e) a table of the outcomes, printed last, and everything in ${OUT:-benchmarks}/gpu_results.md; the logs and the
#     benchmark's own markdown go beside it when OUT is set (the device machine's folder that comes back), else to a
#     temporary folder.
# Each part runs under its own `timeout`: 8 minutes at most in all. Exit status 2 without a usable GPU, 1 when the
# tests failed or did not finish, else 0. PYTHON names the interpreter (default python3, else python).
set -u -o pipefail

T_PROBE=15 T_INSTALL=30 T_TESTS=190 T_BENCH=90 T_MNIST=60 T_CNN=45   # seconds; with 5 s of grace each: 460 s at most

DATA=${1:-${AUTOGRAD_LITE_DATA:-}}
if [ -n "$DATA" ] && [ -d "$DATA" ]; then
    DATA=$(cd "$DATA" && pwd)
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 2
cd "$ROOT" || exit 2
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=python

# ---- no usable GPU: one line, exit status 2, nothing installed or written ------------------------------------
# The probe prints "available" or "unavailable: REASON" (stderr mixed in); no bytecode, so no __pycache__ here.
PROBE_PY='import autograd_lite.cuda as c; r = c.unavailable_reason()
print("unavailable: " + " ".join(r.split()) if r else "available")'
PROBE=$(PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
    timeout -k 5 "$T_PROBE" "$PY" -c "$PROBE_PY" 2>&1)
PROBE_RC=$?
PROBE_REASON=$(sed -n 's/^unavailable: //p' <<<"$PROBE" | tail -n 1)
if grep -qx available <<<"$PROBE"; then
    :
elif [ -n "$PROBE_REASON" ]; then
    echo "gpu_check.sh: no usable CUDA GPU, nothing run: $PROBE_REASON" >&2
    exit 2
elif [ "$PROBE_RC" -eq 124 ] || [ "$PROBE_RC" -eq 137 ]; then
    echo "CUDA probe: not finished in $T_PROBE s; going on (the CUDA tests probe again)"
else
    echo "gpu_check.sh: the CUDA probe failed ($PY, exit status $PROBE_RC), nothing run: $(tail -n 1 <<<"$PROBE")" >&2
    exit 2
fi

DEST=${OUT:-benchmarks}
LOGS=${OUT:-$(mktemp -d)}
RESULTS=$DEST/gpu_results.md
mkdir -p "$DEST" "$LOGS"
export PYTHONUNBUFFERED=1

# run LIMIT LOG COMMAND...: COMMAND under timeout, its output in LOG; returns its exit status
run() {
    local limit=$1 log=$2
    shift 2
    timeout -k 5 "$limit" "$@" >"$log" 2>&1
}

# outcome RC LIMIT: an exit status in words
outcome() {
    case $1 in
        0) echo "ok" ;;
        124 | 137) echo "timed out after $2 s" ;;
        *) echo "exit status $1" ;;
    esac
}

# ---- (a) this checkout's autograd_lite -----------------------------------------------------------------
echo "== (a) autograd_lite: $ROOT ($("$PY" --version 2>&1))"
if ! (cd / && "$PY" -c "import autograd_lite") >/dev/null 2>&1; then
    run "$T_INSTALL" "$LOGS/install.log" "$PY" -m pip install --no-deps --no-build-isolation -e . -q
    echo "pip install -e .: $(outcome $? "$T_INSTALL")"
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)
echo "GPU: ${GPU:-nvidia-smi gave nothing}"

# ---- (b) the CUDA tests ---------------------------------------------------------------------------------
echo "== (b) CUDA tests: pytest -m cuda, AUTOGRAD_LITE_REQUIRE_GPU=1"
TEST_ENV=(AUTOGRAD_LITE_REQUIRE_GPU=1)
[ -n "$DATA" ] && TEST_ENV+=("AUTOGRAD_LITE_DATA=$DATA")
run "$T_TESTS" "$LOGS/gpu_tests.log" env "${TEST_ENV[@]}" \
    "$PY" -m pytest -o addopts= -m cuda -q -rfE -p no:cacheprovider tests/
TESTS_RC=$?
TESTS_LINE=$(grep -E ' in [0-9.]+s( \([0-9:]+\))?( =+)?$' "$LOGS/gpu_tests.log" | tail -n 1 |
    sed -E 's/^=+ //; s/ =+$//')
TESTS="${TESTS_LINE:-no summary line} ($(outcome "$TESTS_RC" "$T_TESTS"))"
grep -E '^(FAILED|ERROR) ' "$LOGS/gpu_tests.log" | head -n 30
echo "$TESTS"

# ---- (c) the benchmarks ---------------------------------------------------------------------------------
echo "== (c) benchmarks/gpu_bench.py"
run "$T_BENCH" "$LOGS/gpu_bench.log" "$PY" benchmarks/gpu_bench.py --require-gpu --out "$LOGS/gpu_bench.md"
BENCH_RC=$?
SUMMARY_FROM=$LOGS/gpu_bench.log
[ -s "$LOGS/gpu_bench.md" ] && SUMMARY_FROM=$LOGS/gpu_bench.md    # rewritten after each section: partial runs too
BENCH_SUMMARY=$(sed -n '/^## gpu_bench summary/,$p' "$SUMMARY_FROM")
MET=$(grep -c '| yes |$' <<<"$BENCH_SUMMARY")
MISSED=$(grep -c '| \*\*no\*\* |$' <<<"$BENCH_SUMMARY")
UNMEASURED=$(grep -c '| - |$' <<<"$BENCH_SUMMARY")
BENCH="$(outcome "$BENCH_RC" "$T_BENCH"); goals met: $MET of $((MET + MISSED + UNMEASURED))"
[ "$UNMEASURED" -eq 0 ] || BENCH="$BENCH ($UNMEASURED not measured)"
[ "$BENCH_RC" -eq 0 ] || tail -n 5 "$LOGS/gpu_bench.log"
echo "$BENCH"

# ---- (d) MNIST on the GPU -------------------------------------------------------------------------------
MNIST="not run: no data folder given (first argument or AUTOGRAD_LITE_DATA)"
CNN=$MNIST
if [ -n "$DATA" ]; then
    echo "== (d) examples/mnist.py --device cuda --epochs 3 --data-dir $DATA"
    run "$T_MNIST" "$LOGS/mnist.log" "$PY" examples/mnist.py --device cuda --epochs 3 --data-dir "$DATA"
    MNIST_RC=$?
    EPOCH=$(grep -E '^epoch [0-9]+/[0-9]+ ' "$LOGS/mnist.log" | tail -n 1)
    ELAPSED=$(grep -E '^[0-9]+ epochs in ' "$LOGS/mnist.log" | tail -n 1)
    MNIST="${EPOCH:-no epoch finished}${ELAPSED:+; $ELAPSED} ($(outcome "$MNIST_RC" "$T_MNIST"))"
    [ "$MNIST_RC" -eq 0 ] || tail -n 5 "$LOGS/mnist.log"
    echo "$MNIST"
    echo "== (d) examples/mnist.py --device cuda --model cnn --epochs 1 --data-dir $DATA"
    run "$T_CNN" "$LOGS/mnist_cnn.log" "$PY" examples/mnist.py --device cuda --model cnn --epochs 1 --data-dir "$DATA"
    CNN_RC=$?
    EPOCH=$(grep -E '^epoch [0-9]+/[0-9]+ ' "$LOGS/mnist_cnn.log" | tail -n 1)
    ELAPSED=$(grep -E '^[0-9]+ epochs? in ' "$LOGS/mnist_cnn.log" | tail -n 1)
    CNN="${EPOCH:-no epoch finished}${ELAPSED:+; $ELAPSED} ($(outcome "$CNN_RC" "$T_CNN"))"
    [ "$CNN_RC" -eq 0 ] || tail -n 5 "$LOGS/mnist_cnn.log"
    echo "$CNN"
fi

# ---- (e) the outcomes -----------------------------------------------------------------------------------
TABLE=$(printf '| check | outcome |\n|---|---|\n| CUDA tests (pytest -m cuda) | %s |\n' "$TESTS"
    printf '| benchmarks/gpu_bench.py | %s |\n| MNIST, 3 epochs, cuda | %s |\n' "$BENCH" "$MNIST"
    printf '| MNIST CNN, 1 epoch, cuda | %s |\n' "$CNN")
{
    echo "# GPU check: benchmarks/gpu_check.sh"
    echo
    COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on ${GPU:-an unknown GPU}; commit $COMMIT."
    echo
    echo "$TABLE"
    echo
    echo "${BENCH_SUMMARY:-(no benchmark summary)}"
    echo
    echo "## CUDA tests: the end of the log"
    echo
    echo '```'
    tail -n 40 "$LOGS/gpu_tests.log"
    echo '```'
    if [ -s "$LOGS/mnist.log" ]; then
        echo
        echo "## MNIST on the GPU"
        echo
        echo '```'
        tail -n 12 "$LOGS/mnist.log"
        echo '```'
    fi
    if [ -s "$LOGS/mnist_cnn.log" ]; then
        echo
        echo "## MNIST CNN on the GPU"
        echo
        echo '```'
        tail -n 8 "$LOGS/mnist_cnn.log"
        echo '```'
    fi
    echo
    if [ -s "$LOGS/gpu_bench.md" ]; then
        sed 's/^#/##/' "$LOGS/gpu_bench.md"
    else
        echo "## benchmarks: the end of the log"
        echo
        echo '```'
        tail -n 40 "$LOGS/gpu_bench.log"
        echo '```'
    fi
} >"$RESULTS"

echo
echo "${BENCH_SUMMARY:-(no benchmark summary)}"
echo
echo "results: $RESULTS; logs: $LOGS"
echo
echo "$TABLE"
[ "$TESTS_RC" -eq 0 ] || exit 1
