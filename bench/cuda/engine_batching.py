"""The embed engine's batch rules (src/embed/batching.ts), for the CUDA bench, which runs where there
is no Node. Standard library only. test/embed/batching-python.test.ts holds the two equal on random
inputs: change both or neither."""

from typing import List, Sequence, Tuple

CPU_TOKEN_BUDGET = 4096
BYTES_PER_ELEMENT = {"fp32": 4, "fp16": 2, "bf16": 2}


def plan_batches(lengths: Sequence[int], budget: int) -> List[List[int]]:
    """planBatches: longest first (ties by index), rows added while rows * width stays within the
    budget; a sequence longer than the budget runs alone."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: List[List[int]] = []
    for index in order:
        if batches and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= budget:
            batches[-1].append(index)
        else:
            batches.append([index])
    return batches


def split_batch(indices: Sequence[int]) -> Tuple[List[int], List[int]]:
    """splitBatch after an out-of-memory error: the first half takes the middle row."""
    middle = (len(indices) + 1) // 2
    return list(indices[:middle]), list(indices[middle:])


def cuda_token_budget(free_bytes: int, dim: int, heads: int, dtype: str) -> int:
    """cudaTokenBudget: floor(0.5 * free / (bytes * (16 dim + 2 heads 1024))) rounded down to 256,
    at least 1024."""
    per_token = BYTES_PER_ELEMENT[dtype] * (16 * dim + 2 * heads * 1024)
    return max(1024, int(0.5 * free_bytes / per_token / 256) * 256)
