"""fair-esm's ESM-1b/ESM-2 alphabet: <cls> <pad> <eos> <unk>, 25 residue symbols, <null_1>, <mask>."""

from typing import List

SPECIALS = ["<cls>", "<pad>", "<eos>", "<unk>"]
RESIDUES = list("LAGVSERTIDPKQNFYMHWCXBUZO.-")
TOKENS = SPECIALS + RESIDUES + ["<null_1>", "<mask>"]

CLS_ID, PAD_ID, EOS_ID, UNK_ID = range(4)
MASK_ID = TOKENS.index("<mask>")
ALPHABET_SIZE = len(TOKENS)

_RESIDUE_IDS = {symbol: index for index, symbol in enumerate(TOKENS) if len(symbol) == 1}


def encode(protein: str) -> List[int]:
    """<cls> residues <eos>, unknown symbols as <unk>, like fair-esm's batch converter."""
    return [CLS_ID] + [_RESIDUE_IDS.get(symbol, UNK_ID) for symbol in protein] + [EOS_ID]
