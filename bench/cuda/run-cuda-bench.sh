#!/usr/bin/env bash
# The GPU benchmark in one run, for a machine with a CUDA PyTorch and no Node:
#  1. builds cpp/core, virnucpro-run and the N-API addon (compiled and linked against node-api-headers
#     and node-addon-api from node_modules, never loaded) against that PyTorch, in the background;
#  2. bench/cuda/cuda_bench.py measure: random ESM-2 3B and DNABERT-S models with the real shapes, the
#     device's matmul peak, SDPA against explicit attention (fp32), length-sorted passes in fp32, fp16
#     and bf16, bf16 against fp32 on pooled embeddings and classifier calls, peak memory;
#  3. virnucpro-run on the exported models (fp32, fp16 and the default dtype, cache clears counted);
#  4. the summary JSON (default bench/results/cuda/summary.json).
# Anywhere with Node, `npm run bench -- --only cuda --cuda-results OUTDIR` tables the runner reports.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/cuda/run-cuda-bench.sh [options] OUTDIR
  --python PY     Python with torch (default: $VIRNUCPRO_PYTHON, else python3)
  --build DIR     CMake build folder, reused between runs (default: OUTDIR/build)
  --summary FILE  summary to write (default: bench/results/cuda/summary.json;
                  with --cpu-smoke OUTDIR/smoke-summary.json, and never the GPU summary)
  --cpu-smoke     the same flow on the CPU with the tiny shapes: checks the script, the builds
                  and the output format where there is no GPU
Build: VIRNUCPRO_USE_PYTORCH=1 (the libtorch inside that Python's torch) unless LIBTORCH is set;
with --cpu-smoke the usual discovery (LIBTORCH, VIRNUCPRO_USE_PYTORCH, system) applies.
USAGE
}

die() {
  echo "run-cuda-bench: $*" >&2
  exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
gpu_summary="$repo/bench/results/cuda/summary.json"
python="${VIRNUCPRO_PYTHON:-python3}"
build=""
summary=""
smoke=0
out=""
command_line="bench/cuda/run-cuda-bench.sh $*"
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python="${2:?--python needs a command}"; shift ;;
    --build) build="${2:?--build needs a folder}"; shift ;;
    --summary) summary="${2:?--summary needs a file}"; shift ;;
    --cpu-smoke) smoke=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) [ -z "$out" ] || die "one OUTDIR only"; out="$1" ;;
  esac
  shift
done
[ -n "$out" ] || { usage >&2; exit 2; }

"$python" -c 'import torch' 2>/dev/null || die "'$python' cannot import torch; give --python"
if [ "$smoke" = 0 ]; then
  "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
    die "torch in '$python' sees no CUDA device (use --cpu-smoke to check the flow on a CPU)"
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
build="${build:-$out/build}"
if [ "$smoke" = 1 ]; then
  summary="${summary:-$out/smoke-summary.json}"
  [ "$(realpath -m "$summary")" != "$(realpath -m "$gpu_summary")" ] ||
    die "a --cpu-smoke summary never goes to $gpu_summary"
else
  summary="${summary:-$gpu_summary}"
fi
rm -rf "$out/raw" "$out/manifests" "$out"/build-*.status "$out/python-results.json"
mkdir -p "$out/raw" "$out/manifests" "$out/models"
: >"$out/runs.jsonl"
started=$SECONDS

# The addon's rule (cpp/core/alloc_conf.h) for this script's Python too: expandable segments on
# unless the caller chose a value for them.
case "${PYTORCH_CUDA_ALLOC_CONF:-}" in
  *expandable_segments*) ;;
  "") export PYTORCH_CUDA_ALLOC_CONF="expandable_segments:True" ;;
  *) export PYTORCH_CUDA_ALLOC_CONF="$PYTORCH_CUDA_ALLOC_CONF,expandable_segments:True" ;;
esac

# ---- 1. builds, in the background while the GPU works ----
build_all() {
  local generator=() log="$out/build.log"
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  if [ "$smoke" = 0 ] && [ -z "${LIBTORCH:-}" ]; then
    export VIRNUCPRO_USE_PYTORCH=1 PYTHON="$python"
  fi
  local napi_headers="$repo/node_modules/node-api-headers/include;$repo/node_modules/node-addon-api"
  if ! cmake -S "$repo" -B "$build" ${generator[@]+"${generator[@]}"} -DCMAKE_BUILD_TYPE=Release \
    "-DVIRNUCPRO_NAPI_HEADERS=$napi_headers" >"$log" 2>&1; then
    echo "failed: cmake configure, see build.log" | tee "$out/build-core.status" >"$out/build-napi.status"
    return
  fi
  if cmake --build "$build" --target virnucpro-run --parallel >>"$log" 2>&1; then
    echo ok >"$out/build-core.status"
  else
    echo "failed: see build.log" >"$out/build-core.status"
  fi
  if [ ! -f "$repo/node_modules/node-addon-api/napi.h" ]; then
    echo "failed: node_modules lacks node-addon-api (copy node_modules along)" >"$out/build-napi.status"
  elif cmake --build "$build" --target virnucpro_native --parallel >>"$log" 2>&1; then
    echo ok >"$out/build-napi.status"
  else
    echo "failed: see build.log" >"$out/build-napi.status"
  fi
}
echo "== building cpp/core, virnucpro-run and the addon in $build (log: $out/build.log)"
build_all &
build_pid=$!

# ---- 2. the Python measurements ----
failures=()
smoke_flag=()
if [ "$smoke" = 1 ]; then smoke_flag=(--cpu-smoke); fi
"$python" "$repo/bench/cuda/cuda_bench.py" measure --out "$out" --models "$out/models" ${smoke_flag[@]+"${smoke_flag[@]}"} ||
  failures+=("measure")

wait "$build_pid"
echo "== build: core $(cat "$out/build-core.status"), addon $(cat "$out/build-napi.status")"
[ "$(cat "$out/build-core.status")" = ok ] || failures+=("build core")
[ "$(cat "$out/build-napi.status")" = ok ] || failures+=("build addon")

# ---- 3. virnucpro-run, the addon's own inference path ----
manifest_field() { # DIR FIELD
  "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/manifest.json" "$2"
}

run_one() { # LABEL DIR DTYPE ROWSxLENGTH [EMPTY_EVERY]
  local label="$1" dir="$2" dtype="$3" shape="$4" every="${5:-0}"
  local name="${label}_${dtype}_${shape}_clear${every}"
  local args=("$dir/$(manifest_field "$dir" module)" --device "$device" --dtype "$dtype")
  args+=(--pooling "$(manifest_field "$dir" pooling)" --batch "${shape%x*}" --length "${shape#*x}")
  args+=(--iters 5 --warmup 2 --json)
  if [ "$every" -gt 0 ]; then args+=(--cache-clear-interval "$every"); fi
  if "$build/virnucpro-run" "${args[@]}" >"$out/raw/$name.json" 2>"$out/raw/$name.err"; then
    printf '{"model":"%s","file":"raw/%s.json","dtype":"%s","requestedAllocConf":"%s"}\n' \
      "$label" "$name" "$dtype" "$PYTORCH_CUDA_ALLOC_CONF" >>"$out/runs.jsonl"
  else
    failures+=("virnucpro-run $name")
    echo "FAILED $name: $(tail -n 1 "$out/raw/$name.err")"
  fi
}

if [ "$(cat "$out/build-core.status")" = ok ] && [ -f "$out/models/esm2/manifest.json" ]; then
  echo "== virnucpro-run"
  if [ "$smoke" = 1 ]; then
    device=cpu esm2_shape=4x32 dnabert_shape=4x32
    dtypes=(fp32)
  else
    device=cuda:0 esm2_shape=256x168 dnabert_shape=1024x130
    dtypes=(fp32 fp16)
  fi
  for model in esm2 dnabert-s; do
    cp "$out/models/$model/manifest.json" "$out/manifests/$model.json"
    shape="$esm2_shape"
    if [ "$model" = dnabert-s ]; then shape="$dnabert_shape"; fi
    for dtype in "${dtypes[@]}"; do run_one "$model" "$out/models/$model" "$dtype" "$shape"; done
    # The default dtype (bf16 on CUDA, fp32 on the CPU), emptying the cache every 2 iterations.
    run_one "$model" "$out/models/$model" auto "$shape" 2
  done
fi

# ---- 4. summary ----
if [ -f "$out/python-results.json" ]; then
  "$python" "$repo/bench/cuda/cuda_bench.py" summarize --out "$out" --summary "$summary" --command "$command_line" ||
    failures+=("summarize")
fi
echo "== $((SECONDS - started)) s; torch $("$python" -c 'import torch; print(torch.__version__)')"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'run-cuda-bench: failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
