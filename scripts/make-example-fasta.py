#!/usr/bin/env python3
"""Writes examples/demo.fa: a few synthetic reads and contigs for the demo (run once; the output is
committed). Sequences are random but gene-like (long stop-free stretches in one frame), so that the
six-frame step keeps frames as it does on real data; they come from no organism."""

import os
import random

STOPS = {"TAA", "TAG", "TGA"}
CODONS = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in STOPS]


def gene_like(rng: random.Random, length: int) -> str:
    """Stop-free codons in frame 0, random bases elsewhere in a few short spacers."""
    out = []
    while sum(map(len, out)) < length:
        if rng.random() < 0.1:
            out.append("".join(rng.choice("ACGT") for _ in range(rng.randint(1, 5))))
        else:
            out.extend(rng.choice(CODONS) for _ in range(rng.randint(30, 120)))
    return "".join(out)[:length]


def main() -> None:
    rng = random.Random(1997)
    records = []
    for i, length in enumerate([280, 300, 450, 500, 720, 1001, 1500, 2300, 3000, 640, 360, 910], start=1):
        seq = gene_like(rng, length)
        if i % 4 == 0:  # a run of unknown bases, as assemblies have
            at = rng.randint(0, length - 20)
            seq = seq[:at] + "N" * 12 + seq[at + 12 :]
        if i % 5 == 0:  # soft-masked (lower-case) stretch
            at = rng.randint(0, length - 60)
            seq = seq[:at] + seq[at : at + 60].lower() + seq[at + 60 :]
        kind = "contig" if length > 1000 else "read"
        records.append((f"demo_{kind}_{i}", f"synthetic {length} nt", seq))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "demo.fa")
    with open(path, "w") as out:
        for name, description, seq in records:
            out.write(f">{name} {description}\n")
            for start in range(0, len(seq), 70):
                out.write(seq[start : start + 70] + "\n")


if __name__ == "__main__":
    main()
