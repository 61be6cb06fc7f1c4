#!/usr/bin/env bash
# The CUDA part of the benchmark for a GPU machine without Node: builds cpp/core and virnucpro-run
# against the installed PyTorch, exports random models with the real ESM-2 3B and DNABERT-S shapes,
# times forward over dtypes, batch shapes, allocator settings and cache-clear intervals, and writes
# one JSON file per run plus an index (runs.jsonl) into OUTDIR. On any machine with Node,
#   npm run bench -- --only cuda --cuda-results OUTDIR
# turns that folder into the table, the achieved fraction of peak matrix throughput, and the chart.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/cuda/run-cuda-bench.sh [options] OUTDIR
  --runner PATH   an already built virnucpro-run (default: build one in OUTDIR/build)
  --models DIR    where exported models are kept between runs (default: OUTDIR/models)
  --python PY     Python with torch (default: $VIRNUCPRO_PYTHON, else python3)
  --iters N       timed iterations per run (default 10)
  --cpu-smoke     the same flow on the CPU with the tiny models and small shapes, fp32 only:
                  checks the script, the build and the output format where there is no GPU
Build: VIRNUCPRO_USE_PYTORCH=1 (the libtorch inside that Python's torch) unless LIBTORCH is set;
with --cpu-smoke the usual discovery (LIBTORCH, VIRNUCPRO_USE_PYTORCH, system) applies.
USAGE
}

die() {
  echo "run-cuda-bench: $*" >&2
  exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${VIRNUCPRO_PYTHON:-python3}"
runner=""
models=""
iters=10
smoke=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runner) runner="${2:?--runner needs a path}"; shift ;;
    --models) models="${2:?--models needs a folder}"; shift ;;
    --python) python="${2:?--python needs a command}"; shift ;;
    --iters) iters="${2:?--iters needs a number}"; shift ;;
    --cpu-smoke) smoke=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) [ -z "$out" ] || die "one OUTDIR only"; out="$1" ;;
  esac
  shift
done
[ -n "$out" ] || { usage >&2; exit 2; }
[[ "$iters" =~ ^[1-9][0-9]*$ ]] || die "--iters needs a positive integer, got '$iters'"

"$python" -c 'import torch' 2>/dev/null || die "'$python' cannot import torch; give --python"
if [ "$smoke" = 0 ]; then
  "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
    die "torch in '$python' sees no CUDA device (use --cpu-smoke to check the flow on a CPU)"
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
models="${models:-$out/models}"
mkdir -p "$out/raw" "$out/manifests" "$models"
: >"$out/runs.jsonl"

# ---- build ----
if [ -z "$runner" ]; then
  build="$out/build"
  generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  if [ "$smoke" = 0 ] && [ -z "${LIBTORCH:-}" ]; then
    export VIRNUCPRO_USE_PYTORCH=1 PYTHON="$python"
  fi
  echo "== building virnucpro-run in $build"
  cmake -S "$repo" -B "$build" ${generator[@]+"${generator[@]}"} -DCMAKE_BUILD_TYPE=Release >"$out/build.log"
  cmake --build "$build" --target virnucpro-run --parallel >>"$out/build.log" ||
    die "build failed; see $out/build.log"
  runner="$build/virnucpro-run"
fi
[ -x "$runner" ] || die "no runnable virnucpro-run at $runner"

# ---- models ----
manifest_field() { # DIR FIELD
  "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/manifest.json" "$2"
}

export_model() { # ARCH: a random model with that architecture's shapes, reused when complete
  [ -f "$models/$1/manifest.json" ] && return
  echo "== exporting random $1 to $models/$1"
  "$python" "$repo/scripts/export-models.py" random --arch "$1" --out "$models/$1" >/dev/null
}

if [ "$smoke" = 1 ]; then
  [ -f "$models/tiny/esm2/manifest.json" ] ||
    "$python" "$repo/scripts/export-models.py" tiny --out "$models/tiny" >/dev/null
  device=cpu
  dtypes=(fp32)
  # label, folder, "rows x length" shapes smallest first
  model_labels=(esm2_tiny dnabert-s_tiny)
  model_dirs=("$models/tiny/esm2" "$models/tiny/dnabert-s")
  model_shapes=("2x16 4x32" "2x16 4x32")
  warmup=1
else
  export_model esm2_t36_3B
  export_model dnabert-s-117M
  device=cuda:0
  dtypes=(fp32 fp16 bf16)
  model_labels=(esm2_t36_3B dnabert-s-117M)
  model_dirs=("$models/esm2_t36_3B" "$models/dnabert-s-117M")
  # proteins of 300-500 nt chunks are 100-166 residues; DNABERT-S sees 60-130 BPE tokens per frame
  model_shapes=("8x160 64x160 256x160" "32x128 256x128 1024x128")
  warmup=2
fi

# ---- runs ----
failures=0
run_one() { # INDEX DTYPE SHAPE ALLOC_CONF EMPTY_EVERY
  local label="${model_labels[$1]}" dir="${model_dirs[$1]}" dtype="$2" shape="$3" conf="$4" every="$5"
  local rows="${shape%x*}" length="${shape#*x}"
  local name="${label}_${dtype}_${shape}_${conf//[^A-Za-z0-9]/-}_clear${every}"
  local args=("$dir/$(manifest_field "$dir" module)" --device "$device" --dtype "$dtype")
  args+=(--pooling "$(manifest_field "$dir" pooling)" --batch "$rows" --length "$length")
  args+=(--iters "$iters" --warmup "$warmup" --json)
  if [ "$every" -gt 0 ]; then args+=(--empty-cache-every "$every"); fi
  if PYTORCH_CUDA_ALLOC_CONF="$conf" "$runner" "${args[@]}" >"$out/raw/$name.json" 2>"$out/raw/$name.err"; then
    printf '{"model":"%s","file":"raw/%s.json","requestedAllocConf":"%s"}\n' "$label" "$name" "$conf" >>"$out/runs.jsonl"
    "$python" -c 'import json, sys; print("%s: %.0f tokens/s" % (sys.argv[2], json.load(open(sys.argv[1]))["tokensPerSecond"]))' \
      "$out/raw/$name.json" "$name"
  else
    failures=$((failures + 1))
    echo "FAILED $name: $(tail -n 1 "$out/raw/$name.err")"
  fi
}

expandable="expandable_segments:True"
for index in "${!model_labels[@]}"; do
  cp "${model_dirs[$index]}/manifest.json" "$out/manifests/${model_labels[$index]}.json"
  read -r -a shapes <<<"${model_shapes[$index]}"
  largest="${shapes[${#shapes[@]} - 1]}"
  main_dtype="${dtypes[${#dtypes[@]} - 1]}"
  echo "== ${model_labels[$index]}: dtypes x shapes, expandable segments on"
  for dtype in "${dtypes[@]}"; do
    for shape in "${shapes[@]}"; do run_one "$index" "$dtype" "$shape" "$expandable" 0; done
  done
  echo "== ${model_labels[$index]}: expandable segments off ($main_dtype)"
  for shape in "${shapes[@]}"; do run_one "$index" "$main_dtype" "$shape" "expandable_segments:False" 0; done
  echo "== ${model_labels[$index]}: cache cleared every 1 and every 10 iterations ($main_dtype, $largest)"
  for every in 1 10; do run_one "$index" "$main_dtype" "$largest" "$expandable" "$every"; done
done

"$python" -c 'import platform, sys, torch; print(f"torch {torch.__version__} on {platform.node()}: {sys.argv[1]}")' \
  "$(wc -l <"$out/runs.jsonl") runs in $out/runs.jsonl, $failures failed"
[ "$failures" = 0 ]
