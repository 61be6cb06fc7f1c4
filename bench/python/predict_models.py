#!/usr/bin/env python3
"""Writes a predict model folder (esm2/, dnabert-s/, classifier/) with random weights: ESM-2 with the
shape of a named architecture, the tiny DNABERT-S of `export-models.py tiny`, and a classifier over
both. The ESM-2 side then costs what that architecture costs, while DNABERT-S stays cheap enough for a
CPU benchmark. The folder is written whole or not at all.

Usage: predict_models.py --esm2 esm2_t6_8M --out DIR
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))

from virnucpro_models import export, manifest  # noqa: E402

CHUNK_SIZE = 300


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--esm2", required=True, choices=sorted(export.ESM2_ARCHS))
    parser.add_argument("--out", required=True, help="folder to write")
    args = parser.parse_args(argv)
    esm2 = export.ESM2_ARCHS[args.esm2]
    with manifest.atomic_directory(args.out) as staging:
        export.write_random_esm2(esm2, args.esm2, os.path.join(staging, "esm2"), 0)
        dnabert_s = export.TINY_DNABERT_S
        export.write_random_dnabert_s(dnabert_s, "dnabert-s-tiny", os.path.join(staging, "dnabert-s"), 1)
        export.write_random_classifier(
            {"dnabert-s": dnabert_s.dim, "esm2": esm2.dim},
            f"virnucpro-mlp-random-{CHUNK_SIZE}",
            os.path.join(staging, "classifier"),
            2,
            CHUNK_SIZE,
        )
    print(f"predict_models: wrote {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
