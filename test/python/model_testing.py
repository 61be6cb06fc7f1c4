"""Shared pieces of the model tests: import path, random token batches, export round trips."""

import os
import random
import sys
import tempfile
from typing import List, Tuple

import torch

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)
EXPORT_SCRIPT = os.path.join(SCRIPTS, "export-models.py")

FP32_EXPORT_TOLERANCE = 1e-5
BATCHING_TOLERANCE = 1e-4


def pad_batch(rows: List[List[int]], pad_id: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Right-padded tokens [B,L] and attention mask [B,L] (1 = real token)."""
    width = max(len(row) for row in rows)
    tokens = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for index, row in enumerate(rows):
        tokens[index, : len(row)] = torch.tensor(row)
        mask[index, : len(row)] = 1
    return tokens, mask


def random_rows(rng: random.Random, lengths: List[int], first: int, last: int, low: int, high: int) -> List[List[int]]:
    """Rows of `first`, random ids in [low, high), `last`, one per inner length."""
    return [[first] + [rng.randrange(low, high) for _ in range(length)] + [last] for length in lengths]


def scripted_round_trip(module: torch.nn.Module) -> torch.jit.ScriptModule:
    """Script, save to a file and load back, as the addon receives it."""
    from virnucpro_models.export import script

    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "model.pt")
        script(module).save(path)
        return torch.jit.load(path)


def max_abs_diff(left: torch.Tensor, right: torch.Tensor) -> float:
    return (left - right).abs().max().item()
