#!/usr/bin/env bash
# One set-up for a fresh checkout: libtorch (Debian's, when no other is given), Python torch for the
# model scripts, Snakemake and a one-node Slurm for the scale-out workflow, the npm dependencies and the native build.
set -euo pipefail
cd "$(dirname "$0")/.."

have_system_libtorch() {
  compgen -G '/usr/lib/*/cmake/Torch/TorchConfig.cmake' >/dev/null ||
    compgen -G '/usr/lib/cmake/Torch/TorchConfig.cmake' >/dev/null
}
have_python_torch() { /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; }

needed=()
if [ -z "${LIBTORCH:-}" ] && [ "${VIRNUCPRO_USE_PYTORCH:-}" != 1 ] && ! have_system_libtorch; then
  needed+=(libtorch-dev)
fi
have_python_torch || needed+=(python3-torch)
# Debian's torch calls the system libblas.so.3; the reference BLAS there is several times slower than
# OpenBLAS on the CPU forward passes (docs/benchmarks.md), and the OpenMP build shares torch's libgomp.
if command -v dpkg >/dev/null && ! dpkg -s libopenblas0-openmp >/dev/null 2>&1 &&
  [ -z "${LIBTORCH:-}" ] && [ "${VIRNUCPRO_USE_PYTORCH:-}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    needed+=(libopenblas0-openmp)
  else
    echo "virnucpro setup: hint: 'apt-get install libopenblas0-openmp' makes CPU inference several times faster" >&2
  fi
fi
[ -f /usr/include/nlohmann/json.hpp ] || needed+=(nlohmann-json3-dev)
command -v cmake >/dev/null || needed+=(cmake)
command -v g++ >/dev/null || needed+=(g++)
command -v clang-format >/dev/null || needed+=(clang-format)
# the scale-out workflow (workflow/Snakefile, its tests) and its DAG figure (snakemake --dag | dot)
command -v snakemake >/dev/null || needed+=(snakemake)
command -v dot >/dev/null || needed+=(graphviz)
# the one-node Slurm cluster of the scale-out tests (scripts/slurm-cluster.sh)
[ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmdbd ] && [ -x /usr/sbin/munged ] && [ -x /usr/sbin/mariadbd ] || needed+=(slurm-wlm slurmdbd munge mariadb-server)
# the FASTQ reading bench (bench/fastq-read.ts) compares with seqkit stats
command -v seqkit >/dev/null || needed+=(seqkit)
# the run report's browser tests and the README's screenshot; the MultiQC custom-content test
command -v chromium >/dev/null || needed+=(chromium)
command -v multiqc >/dev/null || needed+=(multiqc)

if [ ${#needed[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "virnucpro setup: installing ${needed[*]} with apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
  else
    cat >&2 <<MSG
virnucpro setup: missing ${needed[*]}.
On Debian/Ubuntu run as root: apt-get install ${needed[*]}
Elsewhere give libtorch one of three ways before 'npm ci':
  LIBTORCH=/path/to/libtorch            an unpacked libtorch folder (CPU or CUDA)
  VIRNUCPRO_USE_PYTORCH=1               the libtorch inside an installed PyTorch
  a system libtorch that CMake's find_package(Torch) finds
and a Python 3 with torch for scripts/export-models.py (set VIRNUCPRO_PYTHON to it).
MSG
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build:native
fi
npm run build:ts
