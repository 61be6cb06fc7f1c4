#!/usr/bin/env python3
"""The Python side of the engine comparison: embeds a protein FASTA with an exported ESM-2 module the
way fair-esm's scripts/extract.py does (length-sorted batches under a token budget, one padded tensor
per batch, mean over residues), using only torch. Independent of the project's code on purpose.

Writes <out>.f32 (N x D float32, little-endian, input order) and <out>.json (ids and timings).
"""

import argparse
import json
import os
import sys
import time

started = time.perf_counter()
import torch  # noqa: E402  (timed: importing torch is part of what a Python user pays)

import_seconds = time.perf_counter() - started

# fair-esm's ESM-2 alphabet: specials, 25 residue symbols from id 4, then <null_1> and <mask>.
RESIDUES = "LAGVSERTIDPKQNFYMHWCXBUZO.-"
FIRST_RESIDUE_ID = 4


def read_fasta(path):
    """(label, sequence) pairs; the label is the whole header line after '>', as fair-esm keeps it."""
    labels, sequences, buffer = [], [], []
    with open(path, "r", encoding="ascii") as source:
        for line in source:
            if line.startswith(">"):
                if labels:
                    sequences.append("".join(buffer))
                labels.append(line[1:].strip())
                buffer = []
            else:
                buffer.append(line.strip())
    if labels:
        sequences.append("".join(buffer))
    if len(set(labels)) != len(labels):
        sys.exit(f"{path}: duplicate labels")
    return labels, sequences


def batch_indices(sequences, toks_per_batch, extra_toks_per_seq=1):
    """fair-esm's FastaBatchedDataset.get_batch_indices: sort by (length, index) and start a new batch
    when max(length + extra) x (rows + 1) would exceed the budget."""
    batches, current, longest = [], [], 0
    for size, index in sorted((len(s), i) for i, s in enumerate(sequences)):
        size += extra_toks_per_seq
        if current and max(size, longest) * (len(current) + 1) > toks_per_batch:
            batches.append(current)
            current, longest = [], 0
        longest = max(longest, size)
        current.append(index)
    if current:
        batches.append(current)
    return batches


def batch_tokens(strings, ids):
    """<cls> residues <eos> per row, padded to the longest row plus two, like fair-esm's BatchConverter."""
    residue_id = {symbol: FIRST_RESIDUE_ID + i for i, symbol in enumerate(RESIDUES)}
    width = max(len(s) for s in strings) + 2
    tokens = torch.full((len(strings), width), ids["pad_id"], dtype=torch.int64)
    for row, text in enumerate(strings):
        tokens[row, 0] = ids["cls_id"]
        tokens[row, 1 : len(text) + 1] = torch.tensor(
            [residue_id.get(symbol, ids["unk_id"]) for symbol in text], dtype=torch.int64
        )
        tokens[row, len(text) + 1] = ids["eos_id"]
    return tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="exported ESM-2 folder (manifest.json + module)")
    parser.add_argument("--fasta", required=True)
    parser.add_argument("--out", required=True, help="output prefix: <out>.f32 and <out>.json")
    parser.add_argument("--toks-per-batch", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model, "manifest.json"), encoding="utf-8") as source:
        manifest = json.load(source)
    if manifest.get("kind") != "esm2":
        sys.exit(f"{args.model}: not an ESM-2 model folder")

    load_started = time.perf_counter()
    module = torch.jit.load(os.path.join(args.model, manifest["module"]), map_location="cpu").eval()
    load_seconds = time.perf_counter() - load_started

    embed_started = time.perf_counter()
    labels, sequences = read_fasta(args.fasta)
    batches = batch_indices(sequences, args.toks_per_batch)
    pooled = torch.empty((len(sequences), manifest["dim"]), dtype=torch.float32)
    forward_seconds = 0.0
    with torch.no_grad():
        for batch in batches:
            strings = [sequences[i] for i in batch]
            tokens = batch_tokens(strings, manifest["tokenizer"])
            mask = (tokens != manifest["tokenizer"]["pad_id"]).to(torch.int64)
            forward_started = time.perf_counter()
            hidden = module(tokens, mask)
            forward_seconds += time.perf_counter() - forward_started
            for row, index in enumerate(batch):
                residues = min(len(sequences[index]), manifest["max_positions"])
                pooled[index] = hidden[row, 1 : residues + 1].mean(0)
    embed_seconds = time.perf_counter() - embed_started

    pooled.numpy().astype("<f4").tofile(f"{args.out}.f32")
    report = {
        "ids": labels,
        "dim": manifest["dim"],
        "sequences": len(sequences),
        "tokens": sum(len(s) + 2 for s in sequences),
        "batches": len(batches),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "import_seconds": import_seconds,
        "load_seconds": load_seconds,
        "embed_seconds": embed_seconds,
        "forward_seconds": forward_seconds,
    }
    with open(f"{args.out}.json", "w", encoding="utf-8") as sink:
        json.dump(report, sink)


if __name__ == "__main__":
    main()
