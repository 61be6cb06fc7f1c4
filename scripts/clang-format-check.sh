#!/usr/bin/env bash
# Fails when any C++ file under cpp/ differs from clang-format's output.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'cpp/*.cpp' 'cpp/*.h')
[ ${#files[@]} -eq 0 ] || clang-format --dry-run --Werror "${files[@]}"
