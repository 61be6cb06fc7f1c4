#!/usr/bin/env bash
# Packaging check: the package as a user gets it. Packs (prepack builds the linux-x64 prebuild,
# incrementally over an existing build/), installs the tarball into empty projects with compilers and
# cmake hidden, runs the demo through npx, imports it as CommonJS and ESM, compiles a strict TypeScript
# consumer, then installs again with --ignore-scripts and runs the demo again.
# Needs what the build needs (libtorch, a compiler) for the pack, Python with torch for the demo models,
# and the npm registry (or a warm npm cache) for the package's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "check-package: $*" >&2
  exit 1
}

echo "== npm pack"
tarball=$work/$(npm pack --pack-destination "$work" 2>/dev/null | tail -n 1)
contents=$(tar tzf "$tarball")
for entry in prebuilds/linux-x64/virnucpro.node prebuilds/linux-x64/libtorch.json examples/demo.fa \
  esm/index.mjs esm/index.d.mts dist/src/index.js dist/src/index.d.ts dist/binding/index.d.ts; do
  grep -qx "package/$entry" <<<"$contents" || fail "$entry is not in the tarball"
done
if grep -q '\.map$' <<<"$contents"; then fail 'the tarball has source maps without their sources'; fi

# Compilers and build tools that log and fail: any attempt to compile during an install is caught.
hidden=$work/hidden-tools
mkdir -p "$hidden"
for tool in cc c++ gcc g++ clang clang++ cmake make ninja; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/attempts.log"\necho "%s is hidden by check-package" >&2\nexit 127\n' \
    "$tool" "$work" "$tool" >"$hidden/$tool"
  chmod +x "$hidden/$tool"
done
export PATH="$hidden:$PATH" CC="$hidden/cc" CXX="$hidden/c++"
export XDG_CACHE_HOME="$work/cache" # the demo models, written once, shared by both projects

install_and_run_demo() {
  local project=$1
  shift
  echo "== npm install $* virnucpro.tgz into an empty project"
  mkdir -p "$project"
  (cd "$project" && npm init -y >/dev/null && npm install --no-audit --no-fund "$@" "$tarball")
  if [[ -s $work/attempts.log ]]; then fail "the install tried to compile: $(cat "$work/attempts.log")"; fi
  echo "== npx virnucpro demo"
  (cd "$project" && npx --no-install virnucpro demo --no-progress --out demo-out)
  [[ -s $project/demo-out/prediction_summary.tsv ]] || fail 'the demo wrote no prediction_summary.tsv'
}

project=$work/project
install_and_run_demo "$project"

echo "== CommonJS and ESM imports"
(
  cd "$project"
  node -e "const v = require('virnucpro');
for (const name of ['predict', 'createEmbeddingPool', 'PredictError']) {
  if (typeof v[name] !== 'function') throw new Error('require: ' + name + ' is ' + typeof v[name]);
}"
  node --input-type=module -e "import { predict, createEmbeddingPool, PredictError } from 'virnucpro';
for (const [name, value] of Object.entries({ predict, createEmbeddingPool, PredictError })) {
  if (typeof value !== 'function') throw new Error('import: ' + name + ' is ' + typeof value);
}"
)

echo "== strict TypeScript consumer (CommonJS and ESM resolution)"
cp scripts/package-check/consumer.ts "$project/consumer.cts"
cp scripts/package-check/consumer.ts "$project/consumer.mts"
cat >"$project/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "strict": true,
    "skipLibCheck": false,
    "noEmit": true
  },
  "files": ["consumer.cts", "consumer.mts"]
}
JSON
(cd "$project" && node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json)

install_and_run_demo "$work/project-ignore-scripts" --ignore-scripts
echo "check-package: ok"
