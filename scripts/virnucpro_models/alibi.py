"""ALiBi head slopes as MosaicBERT (DNABERT-2, DNABERT-S) computes them, for any head count."""

import math
from typing import List


def _geometric_slopes(heads: int) -> List[float]:
    start = 2 ** (-(2 ** -(math.log2(heads) - 3)))
    return [start * start**i for i in range(heads)]


def alibi_slopes(heads: int) -> List[float]:
    """Power-of-2 counts get the paper's geometric sequence; other counts take that of the largest
    power of 2 below and fill up with every other slope of the sequence for twice that power."""
    if math.log2(heads).is_integer():
        return _geometric_slopes(heads)
    lower_power = 2 ** math.floor(math.log2(heads))
    filler = alibi_slopes(2 * lower_power)[0::2][: heads - lower_power]
    return _geometric_slopes(lower_power) + filler
