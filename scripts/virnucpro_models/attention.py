"""Which attention the exported modules compute with, decided when they are built.

torch 2.1 and later have scaled_dot_product_attention with an additive mask on its fused kernels and
a `scale` argument; the modules use it there (`sdpa`). Older torch (Debian's 1.13 for the CPU build)
has no such op, and the modules keep the explicit softmax(q k^T) v (`explicit`). The choice is a
constant of the scripted module, so TorchScript compiles only the chosen branch.
"""

import re
from typing import Tuple

import torch

ATTENTION_CHOICES = ("auto", "sdpa", "explicit")
SDPA_MIN_TORCH = (2, 1)


def torch_release(version: str = torch.__version__) -> Tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"unrecognised torch version '{version}'")
    return int(match.group(1)), int(match.group(2))


def sdpa_available(version: str = torch.__version__) -> bool:
    return torch_release(version) >= SDPA_MIN_TORCH


def uses_sdpa(choice: str = "auto") -> bool:
    """'auto' takes sdpa where this torch has it; asking for sdpa on an older torch is an error."""
    if choice not in ATTENTION_CHOICES:
        raise ValueError(f"unknown attention '{choice}': expected one of {', '.join(ATTENTION_CHOICES)}")
    if choice == "explicit":
        return False
    if choice == "sdpa" and not sdpa_available():
        wanted = ".".join(map(str, SDPA_MIN_TORCH))
        raise ValueError(f"attention 'sdpa' needs torch >= {wanted}, this is torch {torch.__version__}")
    return sdpa_available()
